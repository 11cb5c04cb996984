//! Iterated filtering, IF2 (Ionides, Nguyen, Atchadé, Stoev & King 2015;
//! pomp's `mif2`).
//!
//! Each of M iterations runs the bootstrap particle filter over days
//! 1..=`last_day` on a swarm of parameter vectors that take Gaussian
//! random-walk steps on the estimation scale ([`crate::scale`]): every
//! parameter in `rw_sd` or `ivp_sd` at the start of an iteration (before the
//! initial state is drawn), and those in `rw_sd` again before each daily
//! step. Standard deviations shrink geometrically across iterations,
//! σ·cᵐ with c⁵⁰ = `cooling_fraction_50` (0.5 by default), m = 0, 1, ….
//! The filter resamples on every day with data, so the swarm leaving one
//! iteration (equally weighted) is the start of the next.

use didymos_core::rng::member_rng;
use didymos_core::{DataModel, Ensemble, Error, Model, ParamDef, Result, RunOptions};
use rand_distr::{Distribution, StandardNormal};

use std::sync::Arc;

use crate::block_pf::Blocks;
use crate::pf::{ParticleFilter, PfOptions};
use crate::scale::{indices, to_est, to_nat};

/// Random-stream purpose of the parameter perturbations.
pub const STREAM_PERTURB: u64 = 0x5045_5254_5552;

#[derive(Debug, Clone)]
pub struct If2Options {
    /// Number of iterations M.
    pub iterations: usize,
    /// Particles per iteration.
    pub particles: usize,
    /// Per-day random-walk sd (estimation scale) of time-constant parameters.
    pub rw_sd: Vec<(String, f64)>,
    /// Sd of parameters perturbed only at the start of each iteration
    /// (initial-value parameters).
    pub ivp_sd: Vec<(String, f64)>,
    /// Fraction of the perturbation sd left after 50 iterations.
    pub cooling_fraction_50: f64,
    pub run: RunOptions,
    /// Filter with these blocks ([`crate::block_pf`]): each block's
    /// parameters are perturbed with the swarm and selected by that
    /// block's data alone, as in an iterated block particle filter (Ning
    /// & Ionides 2023), which keeps IF2 working on many places where a
    /// whole-member filter degenerates. Every perturbed parameter must
    /// then belong to a block.
    pub blocks: Option<Arc<Blocks>>,
}

impl Default for If2Options {
    fn default() -> Self {
        If2Options {
            iterations: 50,
            particles: 1000,
            rw_sd: Vec::new(),
            ivp_sd: Vec::new(),
            cooling_fraction_50: 0.5,
            run: RunOptions::default(),
            blocks: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct If2Result {
    /// Final swarm mean (mean on the estimation scale, mapped back to the
    /// natural scale); parameters not perturbed keep their start value.
    pub estimate: Vec<f64>,
    /// Particle-filter log-likelihood of each iteration (with perturbed
    /// parameters, as pomp reports it).
    pub log_lik: Vec<f64>,
    /// The final swarm (natural scale), equally weighted.
    pub swarm: Vec<Vec<f64>>,
}

/// Run IF2 from the natural-scale parameter vector `start`.
pub fn if2<M: Model, D: DataModel>(
    model: &M,
    data: &D,
    start: &[f64],
    last_day: usize,
    seed: u64,
    opts: &If2Options,
) -> Result<If2Result> {
    if2_with(model, data, start, last_day, seed, opts, |_, _, _| {})
}

/// As [`if2`], calling `after(m, log_lik, swarm)` when iteration m
/// (0-based) ends, with its log-likelihood and the swarm (natural scale)
/// it leaves: for progress and convergence traces.
pub fn if2_with<M: Model, D: DataModel>(
    model: &M,
    data: &D,
    start: &[f64],
    last_day: usize,
    seed: u64,
    opts: &If2Options,
    mut after: impl FnMut(usize, f64, &[Vec<f64>]),
) -> Result<If2Result> {
    didymos_core::ensemble::check_fits(model, opts.particles)?;
    let space = model.parameters();
    if start.len() != space.len() {
        return Err(Error::Other(format!(
            "IF2 start has {} parameters, the model has {}",
            start.len(),
            space.len()
        )));
    }
    let split = |v: &[(String, f64)]| -> Result<Vec<(usize, f64)>> {
        let names: Vec<String> = v.iter().map(|(n, _)| n.clone()).collect();
        Ok(indices(space, &names)?
            .into_iter()
            .zip(v.iter().map(|x| x.1))
            .collect())
    };
    let rw = split(&opts.rw_sd)?;
    let all: Vec<(usize, f64)> = rw.iter().copied().chain(split(&opts.ivp_sd)?).collect();
    let defs = space.defs();
    if let Some(b) = &opts.blocks {
        if let Some(&(k, _)) = all.iter().find(|(k, _)| b.param_owner(*k).is_none()) {
            return Err(Error::Other(format!(
                "IF2 with blocks: parameter `{}` belongs to no block, so no block's data would \
                 select it; estimate parameters that blocks own, or filter without blocks",
                defs[k].name
            )));
        }
    }
    let perturb = |p: &mut [f64], which: &[(usize, f64)], scale: f64, rng: &mut _| {
        for &(k, sd) in which {
            let z: f64 = StandardNormal.sample(rng);
            p[k] = to_nat(&defs[k], to_est(&defs[k], p[k]) + sd * scale * z);
        }
    };
    let c = opts.cooling_fraction_50.powf(1.0 / 50.0);
    let n = opts.particles.max(1);
    let mut swarm = vec![start.to_vec(); n];
    let mut trace = Vec::with_capacity(opts.iterations);
    for m in 0..opts.iterations {
        let scale = c.powi(m as i32);
        let it_seed = seed ^ (m as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rngs: Vec<_> = (0..n)
            .map(|i| member_rng(it_seed, i as u64, STREAM_PERTURB))
            .collect();
        for (p, r) in swarm.iter_mut().zip(rngs.iter_mut()) {
            perturb(p, &all, scale, r);
        }
        let ens = Ensemble::with_params(model, std::mem::take(&mut swarm), it_seed)?;
        let pf_opts = PfOptions {
            resample_threshold: 1.0,
            run: opts.run.clone(),
            blocks: opts.blocks.clone(),
            learn: None,
        };
        let mut pf = ParticleFilter::from_ensemble(ens, data, pf_opts)?;
        pf.advance_with(last_day, |_, ens, _| {
            for (i, r) in rngs.iter_mut().enumerate() {
                perturb(ens.params_mut(i), &rw, scale, r);
            }
        })
        .map_err(|e| Error::Numerical(format!("IF2 iteration {}: {e}", m + 1)))?;
        trace.push(pf.log_lik());
        let e = pf.ensemble();
        swarm = (0..e.len()).map(|i| e.params(i).to_vec()).collect();
        after(m, pf.log_lik(), &swarm);
    }
    let mut estimate = start.to_vec();
    if !swarm.is_empty() && opts.iterations > 0 {
        for &(k, _) in &all {
            let xs: Vec<f64> = swarm.iter().map(|p| p[k]).collect();
            estimate[k] = swarm_mean(&defs[k], &xs);
        }
    }
    Ok(If2Result {
        estimate,
        log_lik: trace,
        swarm,
    })
}

/// The swarm's value of one parameter as IF2 reports it: the mean on the
/// estimation scale, mapped back to the natural scale.
pub fn swarm_mean(def: &ParamDef, xs: &[f64]) -> f64 {
    let mean = xs.iter().map(|&x| to_est(def, x)).sum::<f64>() / xs.len() as f64;
    to_nat(def, mean)
}
