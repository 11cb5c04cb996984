//! Block particle filter (Rebeschini & van Handel 2015).
//!
//! A bootstrap filter on a model of many loosely coupled places degenerates:
//! with 52 places observed every day no member matches all of them at
//! once, so one member takes all the weight. The block filter splits the
//! members' values into blocks (a place's state, its own parameters and
//! its observables, say), weighs each block by the likelihood of the
//! observations that belong to it, and resamples each block on its own
//! every day with data. The whole path of a block (its state and its
//! parameters' history) is selected by that block's data, so a parameter
//! whose effect shows in the data only days later can still be learned.
//!
//! The price is a bias where blocks interact (flows between places) that
//! the local resampling cuts; it is small when coupling is weak. Each
//! member keeps its own random stream, and every block's uniform comes from
//! a stream keyed by (seed, day, block), so results stay independent of
//! thread count and batch size. The log-likelihood estimate is the sum over
//! blocks of each block's log mean weight: exact in expectation (of the
//! likelihood) only for independent blocks.

use std::ops::Range;
use std::sync::Arc;

use didymos_core::rng::member_rng;
use didymos_core::{BlockColumns, DataModel, Ensemble, Error, Model, Result};
use rand::Rng;
use rayon::prelude::*;

use crate::history::ObsHistory;
use crate::pf::DayRecord;
use crate::stats::systematic;

/// Random-stream purpose of the blocks' resampling uniforms.
pub const STREAM_BLOCK_RESAMPLE: u64 = 0x424c_4f43_4b52;

/// What one block owns, as indices into a member's parameters, state and
/// model observables.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// For messages, e.g. the place's id.
    pub name: String,
    pub params: Vec<usize>,
    pub states: Vec<Range<usize>>,
    pub observables: Vec<Range<usize>>,
}

/// Which block observation `j` of `day` (in `DataModel::observed` order)
/// belongs to; `None`: to none, which is an error when it has data.
pub type ObservationBlock = Arc<dyn Fn(usize, usize) -> Option<usize> + Send + Sync>;

/// A model's blocks and the map from observations to blocks.
#[derive(Clone)]
pub struct Blocks {
    names: Vec<String>,
    params: BlockColumns,
    states: BlockColumns,
    observables: BlockColumns,
    of_observation: ObservationBlock,
}

impl std::fmt::Debug for Blocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocks")
            .field("names", &self.names)
            .field("params", &self.params)
            .field("states", &self.states)
            .field("observables", &self.observables)
            .finish_non_exhaustive()
    }
}

impl Blocks {
    /// Blocks of `model`'s values. Errors if an index leaves the model's
    /// widths or two blocks claim the same value.
    pub fn new<M: Model>(
        model: &M,
        blocks: Vec<Block>,
        of_observation: ObservationBlock,
    ) -> Result<Self> {
        let layout = model.layout();
        let n_params = model.parameters().len();
        let n_obs = layout.units.len() * layout.strata.len() * model.observables().len();
        let cols = |what: &str, width: usize, owned: Vec<Vec<Range<usize>>>| {
            BlockColumns::new(width, &owned)
                .map_err(|e| Error::Other(format!("block particle filter, {what}: {e}")))
        };
        let params = cols(
            "parameters",
            n_params,
            blocks
                .iter()
                .map(|b| b.params.iter().map(|&p| p..p + 1).collect())
                .collect(),
        )?;
        let states = cols(
            "state",
            layout.len(),
            blocks.iter().map(|b| b.states.clone()).collect(),
        )?;
        let observables = cols(
            "observables",
            n_obs,
            blocks.iter().map(|b| b.observables.clone()).collect(),
        )?;
        Ok(Blocks {
            names: blocks.into_iter().map(|b| b.name).collect(),
            params,
            states,
            observables,
            of_observation,
        })
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The block that owns parameter `k`, if any: only those parameters
    /// are selected by some block's data.
    pub fn param_owner(&self, k: usize) -> Option<usize> {
        self.params.owner(k)
    }
}

/// Weigh and resample every block by its own observations of `day`; the
/// day's record (log-likelihood summed over blocks, the smallest block ESS).
pub(crate) fn assimilate<M: Model, D: DataModel>(
    blocks: &Blocks,
    data: &D,
    day: usize,
    ens: &mut Ensemble<'_, M>,
    hist: &mut ObsHistory,
) -> Result<DayRecord> {
    let n = ens.len();
    let nb = blocks.len();
    let date = ens.model().calendar().date_of(day);
    let n_terms = data.observed(day).len();
    let block_of: Vec<usize> = (0..n_terms)
        .map(|j| {
            (blocks.of_observation)(day, j)
                .filter(|&b| b < nb)
                .ok_or_else(|| {
                    Error::Other(format!(
                        "block particle filter on {date}: {} belongs to no block",
                        data.describe(day, j)
                    ))
                })
        })
        .collect::<Result<_>>()?;
    // Each member's log-likelihood terms (member-major, n × n_terms).
    let terms: Vec<Vec<f64>> = {
        let (e, h) = (&*ens, &*hist);
        (0..n)
            .into_par_iter()
            .map_init(Vec::new, |rows, m| {
                h.rows_into(m, rows);
                data.log_lik_terms(day, e.params(m), rows).ok_or_else(|| {
                    Error::Other(
                        "the block particle filter needs a data model that splits its \
                         log-likelihood by observation (DataModel::log_lik_terms)"
                            .into(),
                    )
                })
            })
            .collect::<Result<_>>()?
    };
    if let Some(t) = terms.iter().find(|t| t.len() != n_terms) {
        return Err(Error::Other(format!(
            "data model gave {} log-likelihood terms for {n_terms} observations on {date}",
            t.len()
        )));
    }
    // Block log-weights, block-major (nb × n), so each block is one slice.
    let mut lw = vec![0.0; nb * n];
    for (m, t) in terms.iter().enumerate() {
        for (&b, &l) in block_of.iter().zip(t) {
            lw[b * n + m] += if l.is_nan() { f64::NEG_INFINITY } else { l };
        }
    }
    let mut log_lik = 0.0;
    let mut worst = (f64::INFINITY, 0usize);
    let mut ancestors = Vec::with_capacity(nb);
    let nf = n as f64;
    let mut observed = vec![false; nb];
    block_of.iter().for_each(|&b| observed[b] = true);
    for (b, l) in lw.chunks_exact(n).enumerate() {
        if !observed[b] {
            // No data for this block today: every member keeps its own.
            ancestors.push((0..n).collect());
            continue;
        }
        let mx = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !mx.is_finite() || l.iter().any(|x| x.is_nan()) {
            return Err(collapse(blocks, data, day, &date, b, &block_of, &terms));
        }
        let (s, s2) = l.iter().fold((0.0, 0.0), |(s, s2), &x| {
            let w = crate::stats::weight(x - mx);
            (s + w, s2 + w * w)
        });
        log_lik += mx + s.ln() - nf.ln();
        let ess = s * s / s2;
        if ess < worst.0 {
            worst = (ess, b);
        }
        let key = ((day as u64) << 24) | b as u64;
        let u: f64 = member_rng(ens.seed(), key, STREAM_BLOCK_RESAMPLE).gen();
        ancestors.push(systematic(l, u, n));
    }
    ens.resample_blocks(
        &blocks.params,
        &blocks.states,
        &blocks.observables,
        &ancestors,
    );
    hist.resample_blocks(&blocks.observables, &ancestors);
    let dominant = (worst.0 < crate::diagnose::DEGENERATE_ESS)
        .then(|| format!("block `{}`", blocks.names[worst.1]));
    Ok(DayRecord {
        day,
        log_lik,
        ess: worst.0,
        resampled: true,
        dominant,
    })
}

/// The error for a block in which no member has a finite weight: the
/// observation of that block that no member explains, if one does it alone.
fn collapse<D: DataModel>(
    blocks: &Blocks,
    data: &D,
    day: usize,
    date: &impl std::fmt::Display,
    b: usize,
    block_of: &[usize],
    terms: &[Vec<f64>],
) -> Error {
    let culprit = (0..block_of.len())
        .filter(|&j| block_of[j] == b)
        .find(|&j| terms.iter().all(|t| !(t[j].is_finite())))
        .map_or(String::new(), |j| format!("; {}", data.describe(day, j)));
    Error::Numerical(format!(
        "block particle filter collapsed on {date} (day {day}) in block `{}`: no member \
         has a finite weight{culprit}; check the data and observation model for that day",
        blocks.names[b]
    ))
}
