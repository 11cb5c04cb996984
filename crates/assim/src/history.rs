//! Per-member observation history, kept in step with resampling.
//!
//! One flat ring for all members: `window` planes of `N × n_obs` values
//! (member-major inside a plane). Members are pushed in lockstep, so the
//! ring's head and length are shared; a push is one copy of the ensemble's
//! observables into a plane, a resampling one gather per live plane into a
//! spare buffer that is then swapped in.
//!
//! A data model that reads only some columns of the observables
//! ([`DataModel::history_columns`]) gets rows of just those: the history
//! keeps them alone, so it pushes, resamples and saves that much less.

use rayon::prelude::*;

use didymos_core::ensemble::gather_rows;
use didymos_core::{BlockColumns, DataModel, Ensemble, Error, Model, Result};

/// For each member, its last `window` rows of model observables, oldest
/// first; the last row is the ensemble's current day.
#[derive(Debug, Clone)]
pub struct ObsHistory {
    window: usize,
    members: usize,
    n_obs: usize,
    /// Plane of the oldest row held.
    head: usize,
    /// Rows held (1..=window).
    len: usize,
    data: Vec<f64>,
    /// What `resample` gathers into and swaps with.
    spare: Vec<f64>,
    /// The columns of the ensemble's observables kept, when not all.
    columns: Option<Vec<usize>>,
}

impl ObsHistory {
    /// Start from the ensemble's current observables (one row per member),
    /// for `data`: its window, and only the columns it reads.
    pub fn for_data<M: Model, D: DataModel + ?Sized>(ens: &Ensemble<'_, M>, data: &D) -> Self {
        let columns = data.history_columns();
        let window = data.window().max(1);
        let members = ens.len();
        let n_obs = columns.map_or(ens.widths().2, <[usize]>::len);
        let mut h = ObsHistory {
            window,
            members,
            n_obs,
            head: 0,
            len: 0,
            data: vec![0.0; window * members * n_obs],
            spare: Vec::new(),
            columns: columns.map(<[usize]>::to_vec),
        };
        h.push(ens);
        h
    }

    /// Make the history fit `data`: rows saved whole (by a build that kept
    /// every column, or for a data model that reads them all) are cut to
    /// the columns `data` reads; rows already cut must be exactly those.
    /// `full` is the width of the ensemble's observables.
    pub fn fit_to<D: DataModel + ?Sized>(&mut self, data: &D, full: usize) -> Result<()> {
        let want = data.history_columns();
        let wanted = want.map_or(full, <[usize]>::len);
        if self.n_obs == wanted {
            self.columns = want.map(<[usize]>::to_vec);
            return Ok(());
        }
        let (Some(cols), true) = (want, self.n_obs == full) else {
            return Err(Error::Other(format!(
                "the saved observation history holds {} values per row; this data model reads {wanted} of {full}",
                self.n_obs
            )));
        };
        let k = cols.len();
        let mut data_k = vec![0.0; self.window * self.members * k];
        for (row_in, row_out) in self.data.chunks_exact(full).zip(data_k.chunks_exact_mut(k)) {
            for (o, &c) in row_out.iter_mut().zip(cols) {
                *o = row_in[c];
            }
        }
        self.data = data_k;
        self.spare = Vec::new();
        self.n_obs = k;
        self.columns = Some(cols.to_vec());
        Ok(())
    }

    /// Rebuild from saved rows (`rows[member]`, oldest first). Members are
    /// kept in lockstep: if they hold different numbers of rows, each keeps
    /// its latest `min` rows (and at most `window`).
    pub fn from_rows(window: usize, rows: Vec<Vec<Vec<f64>>>) -> Self {
        let window = window.max(1);
        let members = rows.len();
        let len = rows.iter().map(Vec::len).min().unwrap_or(0).min(window);
        let n_obs = rows.iter().find_map(|r| r.first()).map_or(0, Vec::len);
        let plane = members * n_obs;
        let mut data = vec![0.0; window * plane];
        for (m, r) in rows.iter().enumerate() {
            for (i, v) in r[r.len() - len..].iter().enumerate() {
                let at = i * plane + m * n_obs;
                let k = v.len().min(n_obs);
                data[at..at + k].copy_from_slice(&v[..k]);
            }
        }
        ObsHistory {
            window,
            members,
            n_obs,
            head: 0,
            len,
            data,
            spare: Vec::new(),
            columns: None,
        }
    }

    pub fn window(&self) -> usize {
        self.window
    }

    /// Rows held per member (at most `window`).
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn plane(&self, i: usize) -> std::ops::Range<usize> {
        let p = self.members * self.n_obs;
        let slot = (self.head + i) % self.window;
        slot * p..(slot + 1) * p
    }

    /// Append every member's current observables, dropping the oldest row
    /// once `window` rows are held.
    pub fn push<M: Model>(&mut self, ens: &Ensemble<'_, M>) {
        assert_eq!(ens.len(), self.members, "one history per member");
        let slot = if self.len < self.window {
            self.len += 1;
            self.len - 1
        } else {
            self.head = (self.head + 1) % self.window;
            self.window - 1
        };
        let r = self.plane(slot);
        let src = ens.flat_observations();
        const PIECE: usize = 1 << 16;
        if let Some(cols) = &self.columns {
            let (full, k) = (ens.widths().2, self.n_obs);
            let keep = |(d, s): (&mut [f64], &[f64])| {
                for (d, s) in d.chunks_exact_mut(k).zip(s.chunks_exact(full)) {
                    for (o, &c) in d.iter_mut().zip(cols) {
                        *o = s[c];
                    }
                }
            };
            let members = (PIECE / full.max(1)).max(1);
            if self.members <= members {
                keep((&mut self.data[r], src));
            } else {
                self.data[r]
                    .par_chunks_mut(members * k)
                    .zip(src.par_chunks(members * full))
                    .for_each(keep);
            }
        } else if src.len() <= PIECE {
            self.data[r].copy_from_slice(src);
        } else {
            self.data[r]
                .par_chunks_mut(PIECE)
                .zip(src.par_chunks(PIECE))
                .for_each(|(d, s)| d.copy_from_slice(s));
        }
    }

    /// A new history in which member `i` has the history of member
    /// `ancestors[i]` (any number of members), e.g. to run on from a
    /// resampled ensemble without disturbing this one.
    pub fn selected(&self, ancestors: &[usize]) -> ObsHistory {
        let new_plane = ancestors.len() * self.n_obs;
        let mut data = vec![0.0; self.window * new_plane];
        for i in 0..self.len {
            let slot = (self.head + i) % self.window;
            gather_rows(
                &self.data[self.plane(i)],
                &mut data[slot * new_plane..(slot + 1) * new_plane],
                self.n_obs,
                ancestors,
            );
        }
        ObsHistory {
            members: ancestors.len(),
            data,
            spare: Vec::new(),
            columns: self.columns.clone(),
            ..*self
        }
    }

    /// Member `i` takes the history of member `ancestors[i]`.
    pub fn resample(&mut self, ancestors: &[usize]) {
        assert_eq!(ancestors.len(), self.members, "one ancestor per member");
        if self.n_obs == 0 {
            return;
        }
        self.spare.resize(self.data.len(), 0.0);
        for i in 0..self.len {
            let r = self.plane(i);
            let src = &self.data[r.clone()];
            gather_rows(src, &mut self.spare[r], self.n_obs, ancestors);
        }
        std::mem::swap(&mut self.data, &mut self.spare);
    }

    /// Each block's columns of member i take the history of member
    /// `ancestors[b][i]` (see [`BlockColumns`]; `cols` are over whole
    /// observables rows, cut here to the columns kept); other columns stay.
    pub fn resample_blocks(&mut self, cols: &BlockColumns, ancestors: &[Vec<usize>]) {
        if self.n_obs == 0 || cols.is_empty() {
            return;
        }
        let kept;
        let cols = match &self.columns {
            Some(c) => {
                kept = cols.project(c);
                &kept
            }
            None => cols,
        };
        assert_eq!(cols.width(), self.n_obs, "block columns of the history");
        self.spare.resize(self.data.len(), 0.0);
        for i in 0..self.len {
            let r = self.plane(i);
            cols.gather(&self.data[r.clone()], &mut self.spare[r], ancestors);
        }
        std::mem::swap(&mut self.data, &mut self.spare);
    }

    /// The rows held, oldest first, each as one plane of every member's
    /// observables (`members × n_obs`, member-major): member m's row is
    /// `plane[m·n_obs..(m+1)·n_obs]`.
    pub fn planes(&self) -> impl Iterator<Item = &[f64]> + Clone + '_ {
        (0..self.len).map(|i| &self.data[self.plane(i)])
    }

    /// Values per row.
    pub fn n_obs(&self) -> usize {
        self.n_obs
    }

    /// Member `m`'s history as slices, oldest first.
    pub fn rows(&self, member: usize) -> Vec<&[f64]> {
        let mut out = Vec::with_capacity(self.len);
        self.rows_into(member, &mut out);
        out
    }

    /// Member `m`'s history appended to `out` (cleared first), oldest
    /// first: no allocation once `out` has room for `window` rows.
    pub fn rows_into<'s>(&'s self, member: usize, out: &mut Vec<&'s [f64]>) {
        out.clear();
        let w = self.n_obs;
        for i in 0..self.len {
            let r = self.plane(i);
            out.push(&self.data[r][member * w..(member + 1) * w]);
        }
    }

    /// Member `m`'s latest row (the ensemble's current day when in step).
    pub fn last(&self, member: usize) -> &[f64] {
        let w = self.n_obs;
        let r = self.plane(self.len.saturating_sub(1));
        &self.data[r][member * w..(member + 1) * w]
    }
}
