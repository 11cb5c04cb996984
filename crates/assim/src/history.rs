//! Per-member observation history, kept in step with resampling.

use std::collections::VecDeque;

use rayon::prelude::*;

use didymos_core::{Ensemble, Model};

/// For each member, its last `window` rows of model observables, oldest
/// first; the last row is the ensemble's current day.
#[derive(Debug, Clone)]
pub struct ObsHistory {
    window: usize,
    rows: Vec<VecDeque<Vec<f64>>>,
    /// What `resample` copies into and swaps with (no allocation per call
    /// once it has the shape).
    spare: Vec<VecDeque<Vec<f64>>>,
}

impl ObsHistory {
    /// Start from the ensemble's current observables (one row per member).
    pub fn new<M: Model>(window: usize, ens: &Ensemble<'_, M>) -> Self {
        let window = window.max(1);
        let rows = (0..ens.len())
            .map(|m| {
                let mut q = VecDeque::with_capacity(window);
                q.push_back(ens.observation(m).to_vec());
                q
            })
            .collect();
        ObsHistory {
            window,
            rows,
            spare: Vec::new(),
        }
    }

    /// Rebuild from saved rows (`rows[member]`, oldest first).
    pub fn from_rows(window: usize, rows: Vec<Vec<Vec<f64>>>) -> Self {
        let window = window.max(1);
        let rows = rows.into_iter().map(|r| r.into_iter().collect()).collect();
        ObsHistory {
            window,
            rows,
            spare: Vec::new(),
        }
    }

    pub fn window(&self) -> usize {
        self.window
    }

    /// Append every member's current observables, dropping the oldest row
    /// once `window` rows are held.
    pub fn push<M: Model>(&mut self, ens: &Ensemble<'_, M>) {
        for (m, q) in self.rows.iter_mut().enumerate() {
            let mut row = if q.len() >= self.window {
                q.pop_front().unwrap_or_default()
            } else {
                Vec::new()
            };
            row.clear();
            row.extend_from_slice(ens.observation(m));
            q.push_back(row);
        }
    }

    /// Member `i` takes the history of member `ancestors[i]`.
    pub fn resample(&mut self, ancestors: &[usize]) {
        assert_eq!(ancestors.len(), self.rows.len(), "one ancestor per member");
        self.spare.resize_with(self.rows.len(), VecDeque::new);
        let rows = &self.rows;
        self.spare
            .par_iter_mut()
            .zip(ancestors.par_iter())
            .for_each(|(dst, &a)| {
                let src = &rows[a];
                dst.truncate(src.len());
                while dst.len() < src.len() {
                    dst.push_back(Vec::new());
                }
                for (d, s) in dst.iter_mut().zip(src) {
                    d.clear();
                    d.extend_from_slice(s);
                }
            });
        std::mem::swap(&mut self.rows, &mut self.spare);
    }

    /// Member `m`'s history as slices, oldest first.
    pub fn rows(&self, member: usize) -> Vec<&[f64]> {
        self.rows[member].iter().map(|r| r.as_slice()).collect()
    }
}
