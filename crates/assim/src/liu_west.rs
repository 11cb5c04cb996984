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
//! follows the PF's weighting and resampling. Each day's kernel draws come
//! from a stream keyed by (seed, member, day), so results are deterministic
//! and a resumed filter moves as an uninterrupted one. With a block filter
//! each block's parameters move on their own (its data select them).

use didymos_core::rng::member_rng;
use didymos_core::{DataModel, Ensemble, Error, Model, ParameterSpace, Result};
use rand_distr::{Distribution, StandardNormal};

use crate::block_pf::Blocks;
use crate::pf::{ParticleFilter, PfOptions};
use crate::scale::{free_parameters, indices, to_est, to_nat};

/// Random-stream purpose of the kernel draws.
pub const STREAM_KERNEL: u64 = 0x4b45_524e_454c;

/// Online learning of static parameters in a particle filter
/// ([`PfOptions::learn`]): after each day with data, the kernel move
/// above on `params`.
#[derive(Debug, Clone, PartialEq)]
pub struct Learning {
    /// Discount factor δ ∈ (1/3, 1]; a = (3δ − 1)/(2δ).
    pub delta: f64,
    /// Indices of the parameters learned.
    pub params: Vec<usize>,
}

/// [`Learning`] ready to apply: the shrinkage a and the groups of
/// parameters moved together (all of them, or with blocks each block's
/// own, which only that block's data select).
#[derive(Debug, Clone)]
pub(crate) struct Kernel {
    a: f64,
    groups: Vec<Vec<usize>>,
}

impl Kernel {
    pub(crate) fn new(
        l: &Learning,
        space: &ParameterSpace,
        blocks: Option<&Blocks>,
    ) -> Result<Self> {
        let n_params = space.len();
        if !(l.delta > 1.0 / 3.0 && l.delta <= 1.0) {
            return Err(Error::Other(format!(
                "Liu-West delta {} is outside (1/3, 1]",
                l.delta
            )));
        }
        if let Some(&k) = l.params.iter().find(|&&k| k >= n_params) {
            return Err(Error::Other(format!(
                "learned parameter {k} is not among the model's {n_params}"
            )));
        }
        let groups = match blocks {
            None => vec![l.params.clone()],
            Some(b) => {
                let mut groups = vec![Vec::new(); b.len()];
                for &k in &l.params {
                    let owner = b.param_owner(k).ok_or_else(|| {
                        Error::Other(format!(
                            "learned parameter `{}` belongs to no block, so no block's data \
                             would select it; learn parameters that blocks own",
                            space.defs()[k].name
                        ))
                    })?;
                    groups[owner].push(k);
                }
                groups.retain(|g| !g.is_empty());
                groups
            }
        };
        Ok(Kernel {
            a: (3.0 * l.delta - 1.0) / (2.0 * l.delta),
            groups,
        })
    }

    /// The kernel move after `day`'s data. Member i's draws come from a
    /// stream keyed by (seed, i, day), so the move needs no state of its
    /// own: a filter resumed from a checkpoint makes the same moves.
    pub(crate) fn apply<M: Model>(&self, ens: &mut Ensemble<'_, M>, log_w: &[f64], day: usize) {
        let defs = ens.model().parameters().defs().to_vec();
        let h = (1.0 - self.a * self.a).max(0.0).sqrt();
        let moments: Vec<GroupMoments> = self
            .groups
            .iter()
            .map(|g| {
                let theta: Vec<Vec<f64>> = (0..ens.len())
                    .map(|i| {
                        g.iter()
                            .map(|&k| to_est(&defs[k], ens.params(i)[k]))
                            .collect()
                    })
                    .collect();
                let (mean, cov) = weighted_moments(&theta, log_w);
                GroupMoments {
                    theta,
                    mean,
                    chol: cholesky(&cov),
                }
            })
            .collect();
        let stream = STREAM_KERNEL ^ ((day as u64) << 20);
        for i in 0..ens.len() {
            let mut rng = member_rng(ens.seed(), i as u64, stream);
            let params = ens.params_mut(i);
            for (g, m) in self.groups.iter().zip(&moments) {
                let z: Vec<f64> = (0..g.len())
                    .map(|_| StandardNormal.sample(&mut rng))
                    .collect();
                for (r, &k) in g.iter().enumerate() {
                    let noise: f64 = (0..=r).map(|c| m.chol[r][c] * z[c]).sum();
                    let t = m.theta[i][r];
                    params[k] = to_nat(
                        &defs[k],
                        self.a * t + (1.0 - self.a) * m.mean[r] + h * noise,
                    );
                }
            }
        }
    }
}

/// One group's swarm on the estimation scale (`theta[member][r]`), its
/// weighted mean and the Cholesky factor of its covariance.
struct GroupMoments {
    theta: Vec<Vec<f64>>,
    mean: Vec<f64>,
    chol: Vec<Vec<f64>>,
}

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

/// A particle filter from the model's priors that learns parameters by
/// name (by default those with a non-fixed prior).
pub struct LiuWest<'a, M: Model, D: DataModel> {
    pf: ParticleFilter<'a, M, D>,
}

impl<'a, M: Model, D: DataModel> LiuWest<'a, M, D> {
    pub fn new(
        model: &'a M,
        data: &'a D,
        n: usize,
        seed: u64,
        opts: LiuWestOptions,
    ) -> Result<Self> {
        let space = model.parameters();
        let params = match &opts.estimate {
            Some(names) => indices(space, names)?,
            None => free_parameters(space),
        };
        let pf = PfOptions {
            learn: Some(Learning {
                delta: opts.delta,
                params,
            }),
            ..opts.pf
        };
        let ens = Ensemble::from_priors(model, n, seed)?;
        Ok(LiuWest {
            pf: ParticleFilter::from_ensemble(ens, data, pf)?,
        })
    }

    /// Assimilate every day up to and including `day`.
    pub fn advance_to(&mut self, day: usize) -> Result<()> {
        self.pf.advance_to(day)
    }

    /// The underlying particle filter (log-likelihood, records, weights).
    pub fn filter(&self) -> &ParticleFilter<'a, M, D> {
        &self.pf
    }
}

/// Weighted mean and covariance of rows `theta` with log-weights `log_w`.
fn weighted_moments(theta: &[Vec<f64>], log_w: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let rows: Vec<&[f64]> = theta.iter().map(|t| t.as_slice()).collect();
    let mean = crate::stats::weighted_mean(&rows, log_w);
    let p = mean.len();
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
    (mean, cov)
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
