//! Which observation decided a particle filter's weights: named in the
//! error when they collapse and recorded on days they degenerate, so a
//! user learns which stream and location no member could follow, not just
//! that something went wrong.

use didymos_core::{DataModel, Ensemble, Model};

use crate::history::ObsHistory;

/// Below this effective sample size one member carries the weight.
pub const DEGENERATE_ESS: f64 = 2.0;

/// The observation of `day` that separates the members most, in words:
/// one that no member explains (every term −∞ or NaN), else the one whose
/// log-likelihood term spreads most between the best member and the
/// median. `None` when the data model does not split its likelihood.
pub fn dominant_observation<M: Model, D: DataModel>(
    data: &D,
    day: usize,
    ens: &Ensemble<'_, M>,
    hist: &ObsHistory,
) -> Option<String> {
    let mut rows = Vec::new();
    let mut terms: Vec<Vec<f64>> = Vec::with_capacity(ens.len());
    for m in 0..ens.len() {
        hist.rows_into(m, &mut rows);
        terms.push(data.log_lik_terms(day, ens.params(m), &rows)?);
    }
    let n_obs = terms.first().map_or(0, Vec::len);
    let mut best: Option<(usize, f64)> = None;
    for j in 0..n_obs {
        let mut finite: Vec<f64> = terms
            .iter()
            .map(|t| t[j])
            .filter(|x| x.is_finite())
            .collect();
        if finite.is_empty() {
            return Some(format!("no member can explain {}", data.describe(day, j)));
        }
        finite.sort_by(f64::total_cmp);
        let spread = finite[finite.len() - 1] - finite[finite.len() / 2];
        if !matches!(best, Some((_, s)) if s >= spread) {
            best = Some((j, spread));
        }
    }
    best.map(|(j, spread)| {
        format!(
            "{}, log-likelihood {spread:.1} higher for the best member than for the median one",
            data.describe(day, j)
        )
    })
}
