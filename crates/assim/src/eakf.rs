//! Ensemble adjustment Kalman filter (Anderson 2001), as used by Pei &
//! Shaman for metapopulation models.
//!
//! On a day with data, each member's predicted observations come from
//! `DataModel::predict`. Scalar observations are processed one at a time:
//! with prior mean ȳ and variance σ²ₚ of observation j across members and
//! error variance σ²ₒ, the posterior is σ²ᵤ = (1/σ²ₚ + 1/σ²ₒ)⁻¹,
//! ȳᵤ = σ²ᵤ(ȳ/σ²ₚ + z/σ²ₒ); member i's prediction moves deterministically to
//! ȳᵤ + √(σ²ᵤ/σ²ₚ)(yᵢ − ȳ), and the increment Δyᵢ is regressed onto every
//! estimated parameter (estimation scale, see [`crate::scale`]), every state
//! variable and the remaining predicted observations:
//! Δxᵢ = cov(x, yⱼ)/σ²ₚ · Δyᵢ.
//!
//! Afterwards parameters go back to the natural scale clamped to their
//! bounds, and states pass through [`StateRepair`]. The core `Model` has no
//! repair hook, so the default clamps every state variable at ≥ 0; models
//! whose states may be negative choose [`StateRepair::None`].
//!
//! The rows of model observables kept as history are the forecasts for
//! their day; the update changes parameters and states, not that record.

use didymos_core::{DataModel, Ensemble, Error, Model, Result, RunOptions};
use rayon::prelude::*;

use crate::history::ObsHistory;
use crate::scale::{free_parameters, indices, to_est, to_nat};

/// A model-specific state repair: `(params, state)`, natural scale.
pub type RepairFn = std::sync::Arc<dyn Fn(&[f64], &mut [f64]) + Send + Sync>;

/// What to do with a member's state after an update.
#[derive(Clone)]
pub enum StateRepair {
    /// Leave it as updated.
    None,
    /// Clamp every variable at ≥ 0 (counts, shares, storages).
    NonNegative,
    /// A model-specific repair: `(params, state)`, natural scale.
    Custom(RepairFn),
}

/// A quantity the EAKF may update, as seen by a [`Localizer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// A parameter, by its index in the model's parameter space.
    Param(usize),
    /// A state variable, by its index in the member's state.
    State(usize),
    /// Another predicted observation of the same day.
    Predicted(usize),
}

/// Localisation: the weight in [0, 1] with which observation `j` of `day`
/// (in `DataModel::observed` order) may update a quantity (Houtekamer &
/// Mitchell; Pei & Shaman update a county only from its own data). Zero
/// skips the quantity entirely.
pub type Localizer = std::sync::Arc<dyn Fn(usize, usize, Quantity) -> f64 + Send + Sync>;

/// What observation `j` of a day can reach at all: a superset of the
/// quantities its [`Localizer`] weighs above zero. With a support the
/// filter asks the localiser only about these, which matters when each
/// observation reaches a small part of a large state (one province's
/// zones out of 2,850).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Support {
    /// Parameters, by index in the model's parameter space.
    pub params: Vec<usize>,
    /// State variables, as ranges of indices in the member's state.
    pub states: Vec<std::ops::Range<usize>>,
    /// Other predicted observations of the same day.
    pub predicted: Vec<usize>,
}

/// `(day, j) → Support` of observation `j` of `day`.
pub type SupportFn = std::sync::Arc<dyn Fn(usize, usize) -> Support + Send + Sync>;

#[derive(Clone)]
pub struct EakfOptions {
    /// Multiplicative inflation λ of the prior spread, applied to every
    /// updated quantity before the update: x ← x̄ + λ(x − x̄). 1 = none.
    /// With a localiser, only quantities that some observation of the day
    /// reaches (weight > 0) are inflated.
    pub inflation: f64,
    /// Parameters to estimate, by name; `None`: those whose prior is neither
    /// absent nor fixed.
    pub estimate: Option<Vec<String>>,
    pub repair: StateRepair,
    pub run: RunOptions,
    /// `None`: every observation updates everything.
    pub localize: Option<Localizer>,
    /// With `localize`: where each observation's weights can be non-zero,
    /// so the rest is skipped without asking (`None`: ask about all).
    pub support: Option<SupportFn>,
}

impl Default for EakfOptions {
    fn default() -> Self {
        EakfOptions {
            inflation: 1.0,
            estimate: None,
            repair: StateRepair::NonNegative,
            run: RunOptions::default(),
            localize: None,
            support: None,
        }
    }
}

pub struct Eakf<'a, M: Model, D: DataModel> {
    data: &'a D,
    ens: Ensemble<'a, M>,
    hist: ObsHistory,
    opts: EakfOptions,
    est: Vec<usize>,
    done: usize,
}

impl<'a, M: Model, D: DataModel> Eakf<'a, M, D> {
    /// `n` members drawn from the model's priors, on day 1.
    pub fn new(model: &'a M, data: &'a D, n: usize, seed: u64, opts: EakfOptions) -> Result<Self> {
        Self::from_ensemble(Ensemble::from_priors(model, n, seed)?, data, opts)
    }

    pub fn from_ensemble(ens: Ensemble<'a, M>, data: &'a D, opts: EakfOptions) -> Result<Self> {
        if ens.len() < 2 {
            return Err(Error::Other("an EAKF needs at least two members".into()));
        }
        let space = ens.model().parameters();
        let est = match &opts.estimate {
            Some(names) => indices(space, names)?,
            None => free_parameters(space),
        };
        let mut opts = opts;
        opts.run.observe = true;
        let hist = ObsHistory::for_data(&ens, data);
        let done = ens.day() - 1;
        Ok(Eakf {
            data,
            hist,
            opts,
            est,
            done,
            ens,
        })
    }

    /// Resume from a checkpoint: the ensemble with its observation history
    /// and the last day whose data had been assimilated (0 for none).
    pub fn resume(
        ens: Ensemble<'a, M>,
        hist: ObsHistory,
        assimilated_through: usize,
        data: &'a D,
        opts: EakfOptions,
    ) -> Result<Self> {
        if assimilated_through > ens.day() {
            return Err(Error::Other(
                "checkpoint claims data beyond its ensemble's day".into(),
            ));
        }
        let full = ens.widths().2;
        let mut hist = hist;
        hist.fit_to(data, full)?;
        let mut f = Self::from_ensemble(ens, data, opts)?;
        f.hist = hist;
        f.done = assimilated_through;
        Ok(f)
    }

    /// The last day whose data has been assimilated (0: none yet).
    pub fn assimilated_through(&self) -> usize {
        self.done
    }

    /// A copy that reads `data` from here on, as if checkpointed and
    /// resumed on it (see [`ParticleFilter::fork`](crate::ParticleFilter::fork)).
    pub fn fork<'b>(&self, data: &'b D) -> Result<Eakf<'b, M, D>>
    where
        'a: 'b,
    {
        Eakf::resume(
            self.ens.clone(),
            self.hist.clone(),
            self.done,
            data,
            self.opts.clone(),
        )
    }

    pub fn history(&self) -> &ObsHistory {
        &self.hist
    }

    /// Assimilate every day up to and including `day`, stepping as needed.
    pub fn advance_to(&mut self, day: usize) -> Result<()> {
        loop {
            let d = self.ens.day();
            if d > self.done {
                self.update(d)?;
                self.done = d;
            }
            if d >= day {
                return Ok(());
            }
            self.ens.step(&self.opts.run);
            self.hist.push(&self.ens);
        }
    }

    fn update(&mut self, day: usize) -> Result<()> {
        if !self.data.has_data(day) {
            return Ok(());
        }
        let z = self.data.observed(day);
        let n = self.ens.len();
        let (data, ens, hist) = (self.data, &self.ens, &self.hist);
        // Predicted observations, one row per member.
        let mut ys: Vec<Vec<f64>> = (0..n)
            .into_par_iter()
            .map(|m| {
                let mut out = vec![0.0; z.len()];
                data.predict(day, ens.params(m), &hist.rows(m), &mut out);
                out
            })
            .collect();
        // Updated quantities: estimated parameters (estimation scale), then state.
        let defs = ens.model().parameters().defs().to_vec();
        let mut xs: Vec<Vec<f64>> = (0..n)
            .map(|m| {
                let p = ens.params(m);
                let mut x: Vec<f64> = self.est.iter().map(|&k| to_est(&defs[k], p[k])).collect();
                x.extend_from_slice(ens.state(m));
                x
            })
            .collect();
        if let Some((m, _)) = ys
            .iter()
            .enumerate()
            .find(|(_, y)| y.iter().any(|v| !v.is_finite()))
        {
            return Err(Error::Numerical(format!(
                "EAKF on day {day}: member {m} predicts a non-finite observation"
            )));
        }
        let lambda = self.opts.inflation;
        if lambda != 1.0 {
            // With localisation, only what some observation of the day can
            // update is inflated: spreading a quantity no observation
            // touches would only add noise to it, day after day.
            let n_cols = xs.first().map_or(0, Vec::len);
            let (keep_x, keep_y) = self.reached(day, &z, n_cols);
            inflate(&mut xs, lambda, &keep_x);
            inflate(&mut ys, lambda, &keep_y);
        }
        for (j, &zj) in z.iter().enumerate() {
            if !zj.is_finite() {
                continue; // missing value
            }
            let yj: Vec<f64> = ys.iter().map(|y| y[j]).collect();
            let mean = yj.iter().sum::<f64>() / n as f64;
            let var = yj.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            if var <= 0.0 || !var.is_finite() {
                continue; // no spread: nothing to regress on
            }
            let r = data.error_variance(day, j, mean);
            if !(r > 0.0 && r.is_finite()) {
                return Err(Error::Numerical(format!(
                    "EAKF on day {day}: observation {j} has error variance {r}"
                )));
            }
            let post_var = 1.0 / (1.0 / var + 1.0 / r);
            let post_mean = post_var * (mean / var + zj / r);
            let shrink = (post_var / var).sqrt();
            let dy: Vec<f64> = yj
                .iter()
                .map(|y| post_mean + shrink * (y - mean) - y)
                .collect();
            let (wx, wy) = self.weights(day, j, z.len(), xs[0].len());
            regress(&mut xs, &yj, mean, var, &dy, wx.as_ref());
            regress(&mut ys, &yj, mean, var, &dy, wy.as_ref());
        }
        for (m, x) in xs.iter().enumerate() {
            if let Some(v) = x.iter().position(|v| !v.is_finite()) {
                return Err(Error::Numerical(format!(
                    "EAKF on day {day}: member {m} got a non-finite value at position {v}"
                )));
            }
            let (params, state) = self.ens.member_mut(m);
            for (k, &i) in self.est.iter().enumerate() {
                params[i] = to_nat(&defs[i], x[k]);
            }
            state.copy_from_slice(&x[self.est.len()..]);
            match &self.opts.repair {
                StateRepair::None => {}
                StateRepair::NonNegative => state.iter_mut().for_each(|s| *s = s.max(0.0)),
                StateRepair::Custom(f) => f(params, state),
            }
        }
        Ok(())
    }

    /// The columns (estimated parameters, then states) and the other
    /// predicted observations that observation `j` updates, with their
    /// localisation weights; `None`: all, with weight 1.
    fn weights(&self, day: usize, j: usize, n_obs: usize, n_cols: usize) -> (Weights, Weights) {
        let Some(f) = &self.opts.localize else {
            return (None, None);
        };
        let n_est = self.est.len();
        let column = |c: usize| {
            if c < n_est {
                Quantity::Param(self.est[c])
            } else {
                Quantity::State(c - n_est)
            }
        };
        let keep = |pairs: Vec<(usize, f64)>| -> Vec<(usize, f64)> {
            pairs.into_iter().filter(|p| p.1 != 0.0).collect()
        };
        match &self.opts.support {
            None => {
                let wx = (0..n_cols).map(|c| (c, f(day, j, column(c))));
                let wy = (0..n_obs).map(|k| {
                    let w = if k == j {
                        1.0
                    } else {
                        f(day, j, Quantity::Predicted(k))
                    };
                    (k, w)
                });
                (Some(keep(wx.collect())), Some(keep(wy.collect())))
            }
            Some(support) => {
                let s = support(day, j);
                let mut cols: Vec<usize> = s
                    .params
                    .iter()
                    .filter_map(|p| self.est.iter().position(|e| e == p))
                    .collect();
                for r in &s.states {
                    cols.extend(r.start + n_est..r.end.min(n_cols - n_est) + n_est);
                }
                cols.sort_unstable();
                cols.dedup();
                let wx = cols.into_iter().map(|c| (c, f(day, j, column(c))));
                let mut ks: Vec<usize> =
                    s.predicted.iter().copied().filter(|&k| k < n_obs).collect();
                ks.push(j);
                ks.sort_unstable();
                ks.dedup();
                let wy = ks.into_iter().map(|k| {
                    let w = if k == j {
                        1.0
                    } else {
                        f(day, j, Quantity::Predicted(k))
                    };
                    (k, w)
                });
                (Some(keep(wx.collect())), Some(keep(wy.collect())))
            }
        }
    }

    /// Which columns and predicted observations some observation of `day`
    /// reaches (all of them without a localiser).
    fn reached(&self, day: usize, z: &[f64], n_cols: usize) -> (Vec<bool>, Vec<bool>) {
        if self.opts.localize.is_none() {
            return (vec![true; n_cols], vec![true; z.len()]);
        }
        let mut keep_x = vec![false; n_cols];
        let mut keep_y = vec![false; z.len()];
        for j in (0..z.len()).filter(|&j| z[j].is_finite()) {
            let (wx, wy) = self.weights(day, j, z.len(), n_cols);
            for (c, _) in wx.into_iter().flatten() {
                keep_x[c] = true;
            }
            for (k, _) in wy.into_iter().flatten() {
                keep_y[k] = true;
            }
        }
        (keep_x, keep_y)
    }

    pub fn ensemble(&self) -> &Ensemble<'a, M> {
        &self.ens
    }
    /// Ensemble mean of the states.
    pub fn state_mean(&self) -> Vec<f64> {
        column_mean((0..self.ens.len()).map(|m| self.ens.state(m)))
    }
    /// Ensemble mean of the parameters (natural scale).
    pub fn param_mean(&self) -> Vec<f64> {
        column_mean((0..self.ens.len()).map(|m| self.ens.params(m)))
    }
}

fn column_mean<'x>(rows: impl ExactSizeIterator<Item = &'x [f64]>) -> Vec<f64> {
    let n = rows.len() as f64;
    let mut acc: Vec<f64> = Vec::new();
    for r in rows {
        if acc.is_empty() {
            acc = vec![0.0; r.len()];
        }
        acc.iter_mut().zip(r).for_each(|(a, v)| *a += v);
    }
    acc.iter_mut().for_each(|a| *a /= n);
    acc
}

/// x ← x̄ + λ(x − x̄), column by column.
/// x ← x̄ + λ(x − x̄) for the columns marked in `keep`.
fn inflate(rows: &mut [Vec<f64>], lambda: f64, keep: &[bool]) {
    let mean = column_mean(rows.iter().map(|r| r.as_slice()));
    for r in rows.iter_mut() {
        for ((v, m), k) in r.iter_mut().zip(&mean).zip(keep) {
            if *k {
                *v = m + lambda * (*v - m);
            }
        }
    }
}

/// Columns with their localisation weights (`None`: all, weight 1).
type Weights = Option<Vec<(usize, f64)>>;

/// Add w · cov(x, y)/var · Δyᵢ to every column x of `rows` listed in
/// `weights` (all columns with w = 1 when `None`).
fn regress(
    rows: &mut [Vec<f64>],
    y: &[f64],
    y_mean: f64,
    y_var: f64,
    dy: &[f64],
    weights: Option<&Vec<(usize, f64)>>,
) {
    let n = rows.len();
    let (cols, w): (Vec<usize>, Vec<f64>) = match weights {
        None => ((0..rows[0].len()).collect(), vec![1.0; rows[0].len()]),
        Some(pairs) => pairs.iter().copied().unzip(),
    };
    let mut mean = vec![0.0; cols.len()];
    for r in rows.iter() {
        for (m, &c) in mean.iter_mut().zip(&cols) {
            *m += r[c];
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut cov = vec![0.0; cols.len()];
    for (r, yi) in rows.iter().zip(y) {
        let dev = yi - y_mean;
        for ((cv, &c), m) in cov.iter_mut().zip(&cols).zip(&mean) {
            *cv += (r[c] - m) * dev;
        }
    }
    let beta: Vec<f64> = cov
        .iter()
        .zip(&w)
        .map(|(cv, wc)| cv / (n - 1) as f64 / y_var * wc)
        .collect();
    for (r, d) in rows.iter_mut().zip(dy) {
        for (b, &c) in beta.iter().zip(&cols) {
            r[c] += b * d;
        }
    }
}
