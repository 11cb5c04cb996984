//! Liu–West kernel shrinkage (Liu & West 2001) for online learning of
//! static parameters inside the bootstrap particle filter.
//!
//! After each day with data, the estimated parameters θ (estimation scale,
//! see [`crate::scale`]) of every member move to
//! a·θᵢ + (1 − a)·θ̄ + h·L·zᵢ, with θ̄ and V = LLᵀ the weighted mean and
//! covariance of the swarm, a = (3δ − 1)/(2δ), h² = 1 − a², zᵢ ~ N(0, I).
//! This keeps the weighted mean and covariance of the swarm while
//! preventing its collapse. δ ∈ (0, 1] is the discount factor (0.95–0.99
//! typical). This is the plain (non-auxiliary) variant: the kernel move
//! follows the PF's weighting and resampling. Kernel draws come from one
//! stream per member, consumed in day order, so results stay deterministic.

use didymos_core::rng::{member_rng, MemberRng};
use didymos_core::{DataModel, Ensemble, Error, Model, Result};
use rand_distr::{Distribution, StandardNormal};

use crate::pf::{ParticleFilter, PfOptions};
use crate::scale::{free_parameters, indices, to_est, to_nat};

/// Random-stream purpose of the kernel draws.
pub const STREAM_KERNEL: u64 = 0x4b45_524e_454c;

#[derive(Debug, Clone)]
pub struct LiuWestOptions {
    /// Discount factor δ; a = (3δ − 1)/(2δ).
    pub delta: f64,
    /// Parameters to learn, by name; `None`: those with a non-fixed prior.
    pub estimate: Option<Vec<String>>,
    pub pf: PfOptions,
}

impl Default for LiuWestOptions {
    fn default() -> Self {
        LiuWestOptions {
            delta: 0.99,
            estimate: None,
            pf: PfOptions::default(),
        }
    }
}

pub struct LiuWest<'a, M: Model, D: DataModel> {
    pf: ParticleFilter<'a, M, D>,
    data: &'a D,
    est: Vec<usize>,
    a: f64,
    rngs: Vec<MemberRng>,
}

impl<'a, M: Model, D: DataModel> LiuWest<'a, M, D> {
    pub fn new(
        model: &'a M,
        data: &'a D,
        n: usize,
        seed: u64,
        opts: LiuWestOptions,
    ) -> Result<Self> {
        if !(opts.delta > 1.0 / 3.0 && opts.delta <= 1.0) {
            return Err(Error::Other(format!(
                "Liu-West delta {} is outside (1/3, 1]",
                opts.delta
            )));
        }
        let space = model.parameters();
        let est = match &opts.estimate {
            Some(names) => indices(space, names)?,
            None => free_parameters(space),
        };
        let ens = Ensemble::from_priors(model, n, seed)?;
        Ok(LiuWest {
            pf: ParticleFilter::from_ensemble(ens, data, opts.pf)?,
            data,
            est,
            a: (3.0 * opts.delta - 1.0) / (2.0 * opts.delta),
            rngs: (0..n)
                .map(|i| member_rng(seed, i as u64, STREAM_KERNEL))
                .collect(),
        })
    }

    /// Assimilate every day up to and including `day`.
    pub fn advance_to(&mut self, day: usize) -> Result<()> {
        let (data, est, a, rngs) = (self.data, &self.est, self.a, &mut self.rngs);
        self.pf.advance_with(day, |d, ens, log_w| {
            if data.has_data(d) && !est.is_empty() {
                kernel_move(ens, log_w, est, a, rngs);
            }
        })
    }

    /// The underlying particle filter (log-likelihood, records, weights).
    pub fn filter(&self) -> &ParticleFilter<'a, M, D> {
        &self.pf
    }
}

fn kernel_move<M: Model>(
    ens: &mut Ensemble<'_, M>,
    log_w: &[f64],
    est: &[usize],
    a: f64,
    rngs: &mut [MemberRng],
) {
    let defs = ens.model().parameters().defs().to_vec();
    let theta: Vec<Vec<f64>> = (0..ens.len())
        .map(|i| {
            est.iter()
                .map(|&k| to_est(&defs[k], ens.params(i)[k]))
                .collect()
        })
        .collect();
    let rows: Vec<&[f64]> = theta.iter().map(|t| t.as_slice()).collect();
    let mean = crate::stats::weighted_mean(&rows, log_w);
    let p = est.len();
    let mx = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut cov = vec![vec![0.0; p]; p];
    let mut total = 0.0;
    for (t, lw) in theta.iter().zip(log_w) {
        let w = (lw - mx).exp();
        total += w;
        for r in 0..p {
            for c in 0..p {
                cov[r][c] += w * (t[r] - mean[r]) * (t[c] - mean[c]);
            }
        }
    }
    cov.iter_mut().flatten().for_each(|v| *v /= total);
    let l = cholesky(&cov);
    let h = (1.0 - a * a).max(0.0).sqrt();
    for (i, (t, rng)) in theta.iter().zip(rngs.iter_mut()).enumerate() {
        let z: Vec<f64> = (0..p).map(|_| StandardNormal.sample(rng)).collect();
        let params = ens.params_mut(i);
        for (r, &k) in est.iter().enumerate() {
            let noise: f64 = (0..=r).map(|c| l[r][c] * z[c]).sum();
            params[k] = to_nat(&defs[k], a * t[r] + (1.0 - a) * mean[r] + h * noise);
        }
    }
}

/// Lower Cholesky factor; directions with no (or negative) variance get a
/// zero column instead of failing.
fn cholesky(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let p = a.len();
    let mut l = vec![vec![0.0; p]; p];
    for j in 0..p {
        let d = a[j][j] - (0..j).map(|k| l[j][k] * l[j][k]).sum::<f64>();
        if d <= 0.0 || !d.is_finite() {
            continue;
        }
        l[j][j] = d.sqrt();
        for i in j + 1..p {
            let s = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            l[i][j] = s / l[j][j];
        }
    }
    l
}
