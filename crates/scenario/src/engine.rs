//! Branching and running scenarios with common random numbers.

use didymos_assim::stats::systematic;
use didymos_core::rng::member_rng;
use didymos_core::{Ensemble, Error, Model, Result, RunOptions};
use rand::Rng;

/// Random-stream purposes, distinct from the filters' and forecasts'.
const STREAM_PICK: u64 = 0x5343_4e50;
const STREAM_PROCESS: u64 = 0x5343_4e52;

/// Where scenarios branch from: the members of a posterior on `day`.
#[derive(Debug, Clone)]
pub struct Posterior {
    pub day: usize,
    pub params: Vec<Vec<f64>>,
    pub states: Vec<Vec<f64>>,
    /// Log importance weights (all equal for an EAKF or a prior ensemble).
    pub log_weights: Vec<f64>,
}

impl Posterior {
    pub fn from_ensemble<M: Model>(ens: &Ensemble<'_, M>, log_weights: Vec<f64>) -> Posterior {
        Posterior {
            day: ens.day(),
            params: (0..ens.len()).map(|m| ens.params(m).to_vec()).collect(),
            states: (0..ens.len()).map(|m| ens.state(m).to_vec()).collect(),
            log_weights,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamOp {
    Factor(f64),
    Value(f64),
}

/// A change of one parameter (by index in the model's parameter space)
/// in force from `day` on: the steps that produce day `day` and later use it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamChange {
    pub day: usize,
    pub index: usize,
    pub op: ParamOp,
}

/// Converts a posterior member's state into a scenario model's layout
/// (models with extra compartments, say).
pub type Lift<'a> = &'a (dyn Fn(&[f64]) -> Result<Vec<f64>> + Sync);

pub struct Scenario<'a, M: Model> {
    pub name: String,
    pub model: &'a M,
    pub lift: Lift<'a>,
    pub changes: Vec<ParamChange>,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Last simulated day (inclusive).
    pub horizon_day: usize,
    pub seed: u64,
    /// Members to run (picked from the posterior by weight); default: all.
    pub members: Option<usize>,
}

/// One scenario's trajectories: `values[observable][unit][t][member]` for
/// days `first_day + t`, summed over strata; the last unit is the total.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub name: String,
    pub first_day: usize,
    pub observables: Vec<String>,
    /// Whether each observable is a per-day flow (cumulative totals make
    /// sense) or a stock (only peaks do).
    pub is_flow: Vec<bool>,
    pub units: Vec<String>,
    pub values: Vec<Vec<Vec<Vec<f64>>>>,
}

impl Outcome {
    pub fn days(&self) -> usize {
        self.values
            .first()
            .and_then(|u| u.first())
            .map_or(0, Vec::len)
    }
    pub fn members(&self) -> usize {
        self.values
            .first()
            .and_then(|u| u.first())
            .and_then(|t| t.first())
            .map_or(0, Vec::len)
    }
    pub fn observable(&self, name: &str) -> Option<usize> {
        self.observables.iter().position(|o| o == name)
    }
    pub fn unit(&self, name: &str) -> Option<usize> {
        self.units.iter().position(|u| u == name)
    }
}

/// The unit name of the sum over all units.
pub const TOTAL: &str = "total";

/// Run every scenario from `post` to `opts.horizon_day`.
pub fn run_scenarios<M: Model>(
    post: &Posterior,
    scenarios: &[Scenario<'_, M>],
    opts: &Options,
) -> Result<Vec<Outcome>> {
    if opts.horizon_day <= post.day {
        return Err(Error::Other(format!(
            "the scenario horizon (day {}) must come after the branch day {}",
            opts.horizon_day, post.day
        )));
    }
    let n = opts.members.unwrap_or(post.params.len());
    if n == 0 || post.params.is_empty() {
        return Err(Error::Other("no members to run scenarios with".into()));
    }
    if let Some(s) = scenarios.first() {
        didymos_core::ensemble::check_fits(s.model, n)?;
    }
    // One pick of members for all scenarios (common random numbers).
    let u: f64 = member_rng(opts.seed, post.day as u64, STREAM_PICK).gen();
    let picked = systematic(&post.log_weights, u, n);
    if picked.len() != n {
        return Err(Error::Numerical(format!(
            "cannot branch on day {}: the posterior weights are degenerate",
            post.day
        )));
    }
    scenarios
        .iter()
        .map(|s| run_one(post, &picked, s, opts))
        .collect()
}

fn run_one<M: Model>(
    post: &Posterior,
    picked: &[usize],
    sc: &Scenario<'_, M>,
    opts: &Options,
) -> Result<Outcome> {
    let model = sc.model;
    if opts.horizon_day > model.calendar().n_days() {
        return Err(Error::Other(format!(
            "scenario `{}`: the horizon (day {}) is past the twin's last day {}",
            sc.name,
            opts.horizon_day,
            model.calendar().n_days()
        )));
    }
    let n_params = model.parameters().len();
    for c in &sc.changes {
        if c.index >= n_params {
            return Err(Error::Other(format!(
                "scenario `{}`: parameter index {} out of range",
                sc.name, c.index
            )));
        }
    }
    let layout = model.layout();
    let (n_units, n_strata, n_obs) = (
        layout.units.len(),
        layout.strata.len(),
        model.observables().len(),
    );
    let mut params = Vec::with_capacity(picked.len());
    let mut states = Vec::with_capacity(picked.len());
    let mut observations = Vec::with_capacity(picked.len());
    for &a in picked {
        let p = post.params[a].clone();
        let s = (sc.lift)(&post.states[a])?;
        let mut o = vec![0.0; n_units * n_strata * n_obs];
        model.observe(post.day, &p, None, &s, &mut o);
        params.push(p);
        states.push(s);
        observations.push(o);
    }
    // Member m draws the same numbers in every scenario.
    let rngs = (0..picked.len())
        .map(|m| {
            member_rng(
                opts.seed,
                m as u64,
                STREAM_PROCESS ^ (post.day as u64) << 20,
            )
        })
        .collect();
    let mut ens = Ensemble::from_parts(
        model,
        opts.seed,
        post.day,
        params,
        states,
        observations,
        rngs,
    )?;
    apply_changes(&mut ens, &sc.changes, |d| d <= post.day + 1);
    let days = opts.horizon_day - post.day;
    let mut values = vec![vec![vec![vec![0.0; picked.len()]; days]; n_units + 1]; n_obs];
    let run = RunOptions {
        batch_size: None,
        observe: true,
    };
    for t in 0..days {
        if t > 0 {
            let next = ens.day() + 1;
            apply_changes(&mut ens, &sc.changes, |d| d == next);
        }
        ens.step(&run);
        for m in 0..picked.len() {
            let o = ens.observation(m);
            for (k, per_obs) in values.iter_mut().enumerate() {
                let mut total = 0.0;
                for (u, per_unit) in per_obs.iter_mut().take(n_units).enumerate() {
                    let v: f64 = (0..n_strata)
                        .map(|s| o[(u * n_strata + s) * n_obs + k])
                        .sum();
                    per_unit[t][m] = v;
                    total += v;
                }
                per_obs[n_units][t][m] = total;
            }
        }
    }
    let mut units = layout.units.clone();
    units.push(TOTAL.into());
    Ok(Outcome {
        name: sc.name.clone(),
        first_day: post.day + 1,
        observables: model.observables().iter().map(|o| o.name.clone()).collect(),
        is_flow: model.observables().iter().map(|o| o.is_flow).collect(),
        units,
        values,
    })
}

fn apply_changes<M: Model>(
    ens: &mut Ensemble<'_, M>,
    changes: &[ParamChange],
    due: impl Fn(usize) -> bool,
) {
    for c in changes.iter().filter(|c| due(c.day)) {
        for m in 0..ens.len() {
            let p = &mut ens.params_mut(m)[c.index];
            *p = match c.op {
                ParamOp::Factor(f) => *p * f,
                ParamOp::Value(v) => v,
            };
        }
    }
}
