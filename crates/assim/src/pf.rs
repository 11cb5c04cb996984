//! Bootstrap particle filter (Gordon et al. 1993; pomp's `pfilter`).
//!
//! Members are stepped day by day with the model's own process noise. On a
//! day with data, member i's log-weight gains `DataModel::log_lik`; the
//! conditional log-likelihood estimate is
//! log p̂(y_t | y_{1:t−1}) = log Σᵢ w̄ᵢ exp(ℓᵢ), with w̄ the normalised weights
//! carried from earlier days (= logmeanexp ℓ right after a resampling).
//! When the effective sample size falls below `resample_threshold · N` the
//! ensemble is resampled systematically with one uniform drawn from a stream
//! keyed by (seed, day), so the result does not depend on how the run was
//! split into calls, nor on thread count or batch size.

use didymos_core::rng::member_rng;
use didymos_core::{DataModel, Ensemble, Error, Model, Result, RunOptions};
use rand::Rng;
use rayon::prelude::*;

use std::sync::Arc;

use crate::block_pf::{self, Blocks};
use crate::diagnose::{dominant_observation, DEGENERATE_ESS};
use crate::history::ObsHistory;
use crate::liu_west::{Kernel, Learning};
use crate::stats::{ancestors_from_ends, offspring_end, weight, weighted_mean};

/// Members per piece of the weight passes. Fixed (not per thread), so sums
/// are taken in the same order whatever the thread count.
const CHUNK: usize = 2048;

/// `f(c, chunk c)` for each `CHUNK`-sized piece of `xs`, in parallel when
/// there is more than one; results in chunk order.
fn chunked<T: Send, R: Send>(xs: &mut [T], f: impl Fn(usize, &mut [T]) -> R + Sync) -> Vec<R> {
    chunked_by(CHUNK, xs, f)
}

/// As [`chunked`] with pieces of `size`.
fn chunked_by<T: Send, R: Send>(
    size: usize,
    xs: &mut [T],
    f: impl Fn(usize, &mut [T]) -> R + Sync,
) -> Vec<R> {
    if xs.len() <= size {
        vec![f(0, xs)]
    } else {
        xs.par_chunks_mut(size)
            .enumerate()
            .map(|(c, x)| f(c, x))
            .collect()
    }
}

/// Σx and Σx² with four accumulators (vectorisable; a fixed order).
fn sums(xs: &[f64]) -> (f64, f64) {
    let mut a = [0.0; 4];
    let mut b = [0.0; 4];
    let mut it = xs.chunks_exact(4);
    for c in &mut it {
        for k in 0..4 {
            a[k] += c[k];
            b[k] += c[k] * c[k];
        }
    }
    let (mut s, mut s2) = ((a[0] + a[1]) + (a[2] + a[3]), (b[0] + b[1]) + (b[2] + b[3]));
    for &x in it.remainder() {
        s += x;
        s2 += x * x;
    }
    (s, s2)
}

/// Random-stream purpose of the resampling uniforms (distinct from the
/// ensemble's parameter and process streams).
pub const STREAM_RESAMPLE: u64 = 0x5245_5341_4d50;

#[derive(Debug, Clone)]
pub struct PfOptions {
    /// Resample when ESS < threshold · N. 0.5 by default; 1.0 resamples on
    /// every day with data.
    pub resample_threshold: f64,
    /// Batch size for stepping (observables are always computed).
    pub run: RunOptions,
    /// Resample block by block (see [`crate::block_pf`]): every day with
    /// data, each block by its own observations' likelihood;
    /// `resample_threshold` is then not used. `None`: the whole member.
    pub blocks: Option<Arc<Blocks>>,
    /// Learn these static parameters online by Liu–West kernel shrinkage
    /// after each day with data ([`crate::liu_west`]). `None`: parameters
    /// change only as the model moves them.
    pub learn: Option<Learning>,
}

impl Default for PfOptions {
    fn default() -> Self {
        PfOptions {
            resample_threshold: 0.5,
            run: RunOptions::default(),
            blocks: None,
            learn: None,
        }
    }
}

/// What the filter recorded on one day with data.
#[derive(Debug, Clone, PartialEq)]
pub struct DayRecord {
    pub day: usize,
    /// log p̂(y_day | y_{earlier days}).
    pub log_lik: f64,
    /// Effective sample size after weighting, before any resampling.
    pub ess: f64,
    pub resampled: bool,
    /// When the ESS fell below [`DEGENERATE_ESS`]: the observation that
    /// separated the members most, in words.
    pub dominant: Option<String>,
}

pub struct ParticleFilter<'a, M: Model, D: DataModel> {
    data: &'a D,
    ens: Ensemble<'a, M>,
    hist: ObsHistory,
    /// Log-weights normalised so that Σ exp = N (uniform = 0).
    log_w: Vec<f64>,
    opts: PfOptions,
    log_lik: f64,
    records: Vec<DayRecord>,
    /// Last day whose data has been assimilated (0: none yet).
    done: usize,
    /// Working buffers of `assimilate`, kept so that a day allocates
    /// nothing: weights exp(log_w − max), offspring ends, ancestors.
    w: Vec<f64>,
    ends: Vec<usize>,
    anc: Vec<usize>,
    kernel: Option<Kernel>,
}

impl<'a, M: Model, D: DataModel> ParticleFilter<'a, M, D> {
    /// `n` members drawn from the model's priors (see
    /// [`Ensemble::from_priors`]), on day 1.
    pub fn new(model: &'a M, data: &'a D, n: usize, seed: u64, opts: PfOptions) -> Result<Self> {
        let ens = Ensemble::from_priors(model, n, seed)?;
        Self::from_ensemble(ens, data, opts)
    }

    /// Filter an existing ensemble from its current day on.
    pub fn from_ensemble(ens: Ensemble<'a, M>, data: &'a D, opts: PfOptions) -> Result<Self> {
        if ens.is_empty() {
            return Err(Error::Other(
                "a particle filter needs at least one member".into(),
            ));
        }
        let mut opts = opts;
        opts.run.observe = true;
        let kernel = kernel_of(&opts, &ens)?;
        let hist = ObsHistory::for_data(&ens, data);
        let done = ens.day() - 1;
        Ok(ParticleFilter {
            kernel,
            data,
            log_w: vec![0.0; ens.len()],
            ens,
            hist,
            opts,
            log_lik: 0.0,
            records: Vec::new(),
            done,
            w: Vec::new(),
            ends: Vec::new(),
            anc: Vec::new(),
        })
    }

    /// Resume a filter from a checkpoint: the ensemble, its observation
    /// history and log-weights, the log-likelihood so far, and the last day
    /// whose data had been assimilated (`assimilated_through`: 0 for none, or
    /// the ensemble's current day).
    pub fn resume(
        ens: Ensemble<'a, M>,
        hist: ObsHistory,
        log_w: Vec<f64>,
        log_lik: f64,
        assimilated_through: usize,
        data: &'a D,
        opts: PfOptions,
    ) -> Result<Self> {
        if log_w.len() != ens.len() || ens.is_empty() {
            return Err(Error::Other(
                "checkpoint weights do not match its ensemble".into(),
            ));
        }
        if assimilated_through > ens.day() {
            return Err(Error::Other(
                "checkpoint claims data beyond its ensemble's day".into(),
            ));
        }
        let mut hist = hist;
        hist.fit_to(data, ens.widths().2)?;
        let mut opts = opts;
        opts.run.observe = true;
        let kernel = kernel_of(&opts, &ens)?;
        let done = assimilated_through;
        Ok(ParticleFilter {
            kernel,
            data,
            ens,
            hist,
            log_w,
            opts,
            log_lik,
            records: Vec::new(),
            done,
            w: Vec::new(),
            ends: Vec::new(),
            anc: Vec::new(),
        })
    }

    /// A copy of this filter that reads `data` from here on: the same
    /// posterior, weights, history and random streams, as if it had been
    /// checkpointed and resumed on `data`. For data that agree with this
    /// filter's up to its last assimilated day (a later vintage of the same
    /// record, say), the copy carries on exactly as a filter that had read
    /// `data` from the start.
    pub fn fork<'b>(&self, data: &'b D) -> Result<ParticleFilter<'b, M, D>>
    where
        'a: 'b,
    {
        ParticleFilter::resume(
            self.ens.clone(),
            self.hist.clone(),
            self.log_w.clone(),
            self.log_lik,
            self.done,
            data,
            self.opts.clone(),
        )
    }

    /// Assimilate every day up to and including `day`, stepping as needed.
    /// Calling this in pieces gives bit-identical results to one call.
    pub fn advance_to(&mut self, day: usize) -> Result<()> {
        self.advance_with(day, |_, _, _| {})
    }

    /// As [`advance_to`](Self::advance_to), calling `before_step(day, ens,
    /// log_w)` just before each step from `day` to `day + 1` (for parameter
    /// perturbations in IF2 or Liu–West).
    pub fn advance_with(
        &mut self,
        day: usize,
        mut before_step: impl FnMut(usize, &mut Ensemble<'a, M>, &[f64]),
    ) -> Result<()> {
        loop {
            let d = self.ens.day();
            if d > self.done {
                self.assimilate(d)?;
                self.done = d;
            }
            if d >= day {
                return Ok(());
            }
            // After the day's data (also when resuming on it: a checkpoint
            // is saved before this move).
            if let Some(k) = &self.kernel {
                if self.data.has_data(d) {
                    k.apply(&mut self.ens, &self.log_w, d);
                }
            }
            before_step(d, &mut self.ens, &self.log_w);
            self.ens.step(&self.opts.run);
            self.hist.push(&self.ens);
        }
    }

    fn assimilate(&mut self, day: usize) -> Result<()> {
        if !self.data.has_data(day) {
            return Ok(());
        }
        if let Some(blocks) = &self.opts.blocks {
            let rec = block_pf::assimilate(blocks, self.data, day, &mut self.ens, &mut self.hist)?;
            self.log_lik += rec.log_lik;
            self.records.push(rec);
            return Ok(());
        }
        let (data, ens, hist) = (self.data, &self.ens, &self.hist);
        let n = ens.len();
        let planes: Vec<&[f64]> = hist.planes().collect();
        let n_obs = hist.n_obs();
        // log_w += log-likelihood; per piece: max, finite count, any
        // NaN/+inf (exact whatever the split, so pieces shrink with the cost
        // of a member's history to keep both cores busy on large models).
        let piece = (65_536 / (n_obs * planes.len()).max(1)).clamp(16, CHUNK);
        let stats = chunked_by(piece, &mut self.log_w, |c, lw| {
            let mut rows: Vec<&[f64]> = Vec::with_capacity(planes.len());
            let (mut mx, mut finite, mut bad) = (f64::NEG_INFINITY, 0usize, false);
            for (k, w) in lw.iter_mut().enumerate() {
                let m = c * piece + k;
                let l = if let [p] = planes[..] {
                    data.log_lik(day, ens.params(m), &[&p[m * n_obs..(m + 1) * n_obs]])
                } else {
                    rows.clear();
                    rows.extend(planes.iter().map(|p| &p[m * n_obs..(m + 1) * n_obs]));
                    data.log_lik(day, ens.params(m), &rows)
                };
                let l = if l.is_nan() { f64::NEG_INFINITY } else { l };
                *w += l;
                mx = mx.max(*w);
                finite += usize::from(w.is_finite());
                bad |= w.is_nan() || *w == f64::INFINITY;
            }
            (mx, finite, bad)
        });
        let mx = stats.iter().fold(f64::NEG_INFINITY, |a, s| a.max(s.0));
        let finite: usize = stats.iter().map(|s| s.1).sum();
        let bad = stats.iter().any(|s| s.2);
        if finite == 0 || bad || !mx.is_finite() {
            let culprit = dominant_observation(data, day, ens, hist)
                .map_or(String::new(), |d| format!("; {d}"));
            let date = ens.model().calendar().date_of(day);
            return Err(Error::Numerical(format!(
                "particle filter collapsed on {date} (day {day}): {finite} of {n} members have a \
                 finite weight (every log-likelihood is -inf or NaN, or one is +inf){culprit}; \
                 check the data and observation model for that day"
            )));
        }
        // w = exp(log_w − max) and its sums per chunk, added in chunk order.
        self.w.resize(n, 0.0);
        let log_w = &self.log_w;
        let partial = chunked(&mut self.w, |c, w| {
            let lw = &log_w[c * CHUNK..c * CHUNK + w.len()];
            for (x, &l) in w.iter_mut().zip(lw) {
                *x = weight(l - mx);
            }
            sums(w)
        });
        let (s, s2) = partial
            .iter()
            .fold((0.0, 0.0), |(a, b), p| (a + p.0, b + p.1));
        let nf = n as f64;
        let cond = mx + s.ln() - nf.ln();
        self.log_lik += cond;
        let e = s * s / s2;
        let dominant = if e < DEGENERATE_ESS {
            dominant_observation(self.data, day, &self.ens, &self.hist)
        } else {
            None
        };
        let resample = self.opts.resample_threshold >= 1.0 || e < self.opts.resample_threshold * nf;
        if resample {
            let u: f64 = member_rng(self.ens.seed(), day as u64, STREAM_RESAMPLE).gen();
            let scale = nf / s;
            // Offspring ends from cumulative weights, each chunk starting
            // from the sum of the chunks before it.
            let mut offsets = Vec::with_capacity(partial.len());
            partial.iter().fold(0.0, |acc, p| {
                offsets.push(acc);
                acc + p.0
            });
            self.ends.resize(n, 0);
            let w = &self.w;
            chunked(&mut self.ends, |c, ends| {
                let mut cum = offsets[c];
                let ws = &w[c * CHUNK..c * CHUNK + ends.len()];
                for (e, &x) in ends.iter_mut().zip(ws) {
                    cum += x;
                    *e = offspring_end(cum, scale, u, n);
                }
            });
            ancestors_from_ends(&self.ends, n, &mut self.anc);
            self.ens.resample(&self.anc);
            self.hist.resample(&self.anc);
            self.log_w.iter_mut().for_each(|w| *w = 0.0);
        } else {
            // Normalise so that Σ exp(log_w) = N.
            chunked(&mut self.log_w, |_, lw| {
                lw.iter_mut().for_each(|x| *x -= cond)
            });
        }
        self.records.push(DayRecord {
            day,
            log_lik: cond,
            ess: e,
            resampled: resample,
            dominant,
        });
        Ok(())
    }

    /// The last day whose data has been assimilated (0: none yet).
    pub fn assimilated_through(&self) -> usize {
        self.done
    }

    /// The blocks it resamples by, if it is a block filter.
    pub fn blocks(&self) -> Option<&Blocks> {
        self.opts.blocks.as_deref()
    }

    /// Sum of the conditional log-likelihood estimates so far.
    pub fn log_lik(&self) -> f64 {
        self.log_lik
    }
    /// One record per day with data assimilated so far.
    pub fn records(&self) -> &[DayRecord] {
        &self.records
    }
    pub fn ensemble(&self) -> &Ensemble<'a, M> {
        &self.ens
    }
    /// Current log-weights, normalised so that Σ exp = N.
    pub fn log_weights(&self) -> &[f64] {
        &self.log_w
    }
    pub fn history(&self) -> &ObsHistory {
        &self.hist
    }
    /// Weighted mean of the members' states (the filtering mean).
    pub fn state_mean(&self) -> Vec<f64> {
        let xs: Vec<&[f64]> = (0..self.ens.len()).map(|m| self.ens.state(m)).collect();
        weighted_mean(&xs, &self.log_w)
    }
    /// Weighted mean of the members' parameters (natural scale).
    pub fn param_mean(&self) -> Vec<f64> {
        let xs: Vec<&[f64]> = (0..self.ens.len()).map(|m| self.ens.params(m)).collect();
        weighted_mean(&xs, &self.log_w)
    }
}

/// The Liu–West kernel `opts.learn` asks for, checked against the model.
fn kernel_of<M: Model>(opts: &PfOptions, ens: &Ensemble<'_, M>) -> Result<Option<Kernel>> {
    opts.learn
        .as_ref()
        .map(|l| Kernel::new(l, ens.model().parameters(), opts.blocks.as_deref()))
        .transpose()
}
