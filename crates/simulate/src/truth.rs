//! The truth: one member of the twin, with stochastic process noise on
//! transmission (a random walk of log `beta_scale`, national and per patch)
//! and the scenario's regime changes. Observation streams are drawn from it;
//! nothing downstream ever changes it.

use didymos_core::rng::member_rng;
use didymos_core::{Date, Error, MemberMut, Model, Result};
use didymos_epi::mmca::{Direction, Intervention, MmcaModel, ProcessNoise, BETA_SCALE};

use crate::config::{Regime, SimConfig};
use crate::purpose;

/// The truth trajectory's observables, day by day.
pub struct Truth {
    pub dates: Vec<Date>,
    pub units: Vec<String>,
    pub strata: Vec<String>,
    pub observables: Vec<String>,
    /// Persons per patch, for per-capita signals.
    pub population: Vec<f64>,
    /// `[day][unit][stratum][observable]`, flattened.
    values: Vec<f64>,
    /// The transmission multiplier in force each day: regimes × the random
    /// walk of `beta_scale`.
    pub transmission: Vec<f64>,
}

impl Truth {
    /// A truth from given values (`[day][unit][stratum][observable]`), for
    /// tests and for observing trajectories made elsewhere.
    pub fn from_values(
        dates: Vec<Date>,
        units: Vec<String>,
        strata: Vec<String>,
        observables: Vec<String>,
        population: Vec<f64>,
        values: Vec<f64>,
    ) -> Result<Truth> {
        let want = dates.len() * units.len() * strata.len() * observables.len();
        if values.len() != want || population.len() != units.len() {
            return Err(Error::Other(format!(
                "truth: {} values for {want} slots, {} populations for {} units",
                values.len(),
                population.len(),
                units.len()
            )));
        }
        Ok(Truth {
            transmission: vec![1.0; dates.len()],
            dates,
            units,
            strata,
            observables,
            population,
            values,
        })
    }

    pub fn n_days(&self) -> usize {
        self.dates.len()
    }
    /// The observable on 0-based `day` for one (unit, stratum).
    pub fn get(&self, day: usize, unit: usize, stratum: usize, observable: usize) -> f64 {
        let (g, k) = (self.strata.len(), self.observables.len());
        self.values[((day * self.units.len() + unit) * g + stratum) * k + observable]
    }
    /// Summed over strata.
    pub fn total(&self, day: usize, unit: usize, observable: usize) -> f64 {
        (0..self.strata.len())
            .map(|g| self.get(day, unit, g, observable))
            .sum()
    }
}

/// The transmissibility multiplier of all regimes on `day`.
fn transmissibility(regimes: &[Regime], day: usize) -> f64 {
    regimes.iter().map(|r| r.transmissibility(day)).product()
}

/// Run the truth for the whole calendar of `base` (the plain twin model).
pub fn run_truth(base: &MmcaModel, cfg: &SimConfig, seed: u64) -> Result<Truth> {
    let shocks: Vec<Intervention> = cfg
        .regimes
        .iter()
        .filter_map(|r| match r {
            Regime::MobilityShock {
                from,
                to,
                scale,
                patches,
            } => Some(Intervention::Mobility {
                from: *from,
                to: *to,
                patches: patches.clone(),
                direction: Direction::Both,
                scale: *scale,
            }),
            _ => None,
        })
        .collect();
    let model = if shocks.is_empty() {
        base.clone()
    } else {
        base.with_interventions(&shocks, false)?
    }
    .with_process_noise(ProcessNoise {
        log_beta_sd: cfg.truth.log_beta_sd,
        log_beta_patch_sd: cfg.truth.log_beta_patch_sd,
        ..ProcessNoise::default()
    })?;
    let space = model.parameters();
    let index = |name: &str| {
        space
            .defs()
            .iter()
            .position(|d| d.name == name)
            .ok_or_else(|| Error::Other(format!("the model has no parameter `{name}`")))
    };
    let (bi, ba) = (index("beta_i")?, index("beta_a")?);
    let mut params = space.values();
    let (beta_i, beta_a) = (params[bi], params[ba]);

    let layout = model.layout();
    let cal = *model.calendar();
    let n_days = cal.n_days();
    let k = model.observables().len();
    let per_day = layout.units.len() * layout.strata.len() * k;
    let mut rng = member_rng(seed, 0, purpose::TRUTH);
    let mut state = vec![0.0; layout.len()];
    model.init(&params, &mut state, &mut rng)?;
    let mut values = vec![0.0; per_day * n_days];
    let mut transmission = Vec::with_capacity(n_days);
    model.observe(1, &params, None, &state, &mut values[..per_day]);
    transmission.push(transmissibility(&cfg.regimes, 1) * params[BETA_SCALE]);
    let mut scratch = Default::default();
    let mut prev = state.clone();
    for day in 1..n_days {
        // Regimes scale βᴵ and βᴬ directly, so the random walk (which the
        // step applies to beta_scale) never compounds them.
        let m = transmissibility(&cfg.regimes, day);
        params[bi] = beta_i * m;
        params[ba] = beta_a * m;
        prev.copy_from_slice(&state);
        let mut member = [MemberMut {
            index: 0,
            params: &mut params,
            state: &mut state,
            rng: &mut rng,
        }];
        model.step(day, &mut member, &mut scratch);
        let out = &mut values[day * per_day..(day + 1) * per_day];
        model.observe(day + 1, &params, Some(&prev), &state, out);
        if let Some(bad) = out.iter().find(|x| !x.is_finite()) {
            return Err(Error::Numerical(format!(
                "truth observable {bad} on {}",
                cal.date_of(day + 1)
            )));
        }
        transmission.push(m * params[BETA_SCALE]);
    }
    Ok(Truth {
        dates: (1..=n_days).map(|d| cal.date_of(d)).collect(),
        units: layout.units.clone(),
        strata: layout.strata.clone(),
        observables: model.observables().iter().map(|o| o.name.clone()).collect(),
        population: model.network().pop_patch.clone(),
        values,
        transmission,
    })
}
