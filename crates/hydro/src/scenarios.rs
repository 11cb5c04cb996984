//! Forcing scenarios for a flood twin: "what if it rains 30% more from
//! Monday?". A scenario scales the precipitation of chosen windows; every
//! scenario starts from the same posterior and runs with the same random
//! draws (see `didymos-scenario`).
//!
//! ```toml
//! [scenarios]
//! horizon = "2002-04-14"        # optional: last day (default: 14 days on)
//! baseline = "as-observed"      # optional: default the first scenario
//!
//! [[scenario]]
//! name = "as-observed"
//!
//! [[scenario]]
//! name = "rain-plus-30"
//! description = "30% more rain from 1 April"
//! [[scenario.precipitation]]
//! from = "2002-04-01"
//! to = "2002-04-07"
//! factor = 1.3                  # ≥ 0; windows of one scenario must not overlap
//! ```

use std::path::Path;

use didymos_core::{Date, Error, Model, Result};

use crate::forcing::Forcing;
use crate::model::Gr4jModel;
use didymos_scenario::{run_scenarios, Options, Outcome, Posterior, Scenario};
use didymos_spec::Doc;

#[derive(Debug, Clone, PartialEq)]
pub struct FloodScenarioFile {
    pub horizon: Option<Date>,
    pub baseline: usize,
    pub scenarios: Vec<FloodScenario>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FloodScenario {
    pub name: String,
    pub description: String,
    /// (from, to, factor): precipitation multiplied by `factor` on those
    /// dates, inclusive.
    pub precipitation: Vec<(Date, Date, f64)>,
}

/// Read and validate a scenarios file against the twin's `model` (dates
/// inside its forcing record).
pub fn load_flood_scenarios(path: &Path, model: &Gr4jModel) -> Result<FloodScenarioFile> {
    let text = didymos_core::fs::read_text(path, didymos_core::fs::SPEC_MAX_BYTES)?;
    let doc = Doc::parse(path, &text)?;
    let root = doc.root();
    root.check_keys(&["scenarios", "scenario"])?;
    let (start, end) = (model.forcing().start(), model.forcing().end());
    let (mut horizon, mut baseline_name) = (None, None);
    if let Some(sec) = root.opt_section("scenarios")? {
        sec.check_keys(&["horizon", "baseline"])?;
        if let Some(f) = sec.get("horizon") {
            let d = f.date()?;
            if d < start || d > end {
                return Err(f.error(format!("{d} is outside the forcing record {start} … {end}")));
            }
            horizon = Some(d);
        }
        if let Some(f) = sec.get("baseline") {
            baseline_name = Some((f.str()?.to_string(), f.at()));
        }
    }
    let mut scenarios: Vec<FloodScenario> = Vec::new();
    for t in root.req("scenario")?.tables()? {
        t.check_keys(&["name", "description", "precipitation"])?;
        let name_f = t.req("name")?;
        let name = name_f.str()?.to_string();
        if scenarios.iter().any(|s| s.name == name) {
            return Err(name_f.error(format!("scenario `{name}` is defined twice")));
        }
        let description = match t.get("description") {
            Some(f) => f.str()?.to_string(),
            None => String::new(),
        };
        let mut precipitation: Vec<(Date, Date, f64)> = Vec::new();
        if let Some(f) = t.get("precipitation") {
            for w in f.tables()? {
                w.check_keys(&["from", "to", "factor"])?;
                let (from_f, to_f) = (w.req("from")?, w.req("to")?);
                let (from, to) = (from_f.date()?, to_f.date()?);
                if to < from {
                    return Err(to_f.error(format!("`to` {to} is before `from` {from}")));
                }
                if from < start || to > end {
                    return Err(from_f.error(format!(
                        "{from} … {to} is outside the forcing record {start} … {end}"
                    )));
                }
                let factor = w
                    .req("factor")?
                    .f64_in(0.0, 100.0, "a factor in [0, 100]")?;
                if let Some(o) = precipitation.iter().find(|o| o.0 <= to && from <= o.1) {
                    return Err(from_f.error(format!(
                        "scenario `{name}`: precipitation windows {} … {} and {from} … {to} overlap",
                        o.0, o.1
                    )));
                }
                precipitation.push((from, to, factor));
            }
        }
        scenarios.push(FloodScenario {
            name,
            description,
            precipitation,
        });
    }
    let baseline = match baseline_name {
        None => 0,
        Some((n, at)) => scenarios.iter().position(|s| s.name == n).ok_or_else(|| {
            Error::input(at, format!("baseline `{n}` is not one of the scenarios"))
        })?,
    };
    Ok(FloodScenarioFile {
        horizon,
        baseline,
        scenarios,
    })
}

impl FloodScenario {
    /// `model` with this scenario's precipitation.
    pub fn apply(&self, model: &Gr4jModel) -> Result<Gr4jModel> {
        if self.precipitation.is_empty() {
            return model.with_forcing(model.forcing().clone());
        }
        let f = model.forcing();
        let mut trace = f.observed().clone();
        for (i, p) in trace.precip.iter_mut().enumerate() {
            let date = f.start().add_days(i as i32);
            if let Some(w) = self
                .precipitation
                .iter()
                .find(|w| w.0 <= date && date <= w.1)
            {
                *p *= w.2;
            }
        }
        let forcing = Forcing::new(f.start(), f.latitude(), trace)?
            .with_solid_fraction(f.solid_fraction().map(<[f64]>::to_vec))?
            .with_forecast(f.forecast_traces().to_vec())?;
        model.with_forcing(forcing)
    }
}

/// Days scenarios run when the file gives no horizon.
pub const DEFAULT_HORIZON_DAYS: usize = 14;

impl FloodScenarioFile {
    /// The last day scenarios branched on `branch_day` of `model`'s
    /// calendar run to (the file's horizon, or [`DEFAULT_HORIZON_DAYS`]
    /// on), once they are known to make sense there: the horizon comes
    /// after the branch and every precipitation window starts after it
    /// (a window over days already assimilated would change nothing).
    pub fn horizon_after(&self, model: &Gr4jModel, branch_day: usize) -> Result<usize> {
        let cal = model.calendar();
        let branch = cal.date_of(branch_day);
        let horizon_day = match self.horizon {
            Some(d) => cal
                .day_in_range(d)
                .ok_or_else(|| Error::Other(format!("horizon {d} is outside the twin's range")))?,
            None => (branch_day + DEFAULT_HORIZON_DAYS).min(cal.n_days()),
        };
        if horizon_day <= branch_day {
            return Err(Error::Other(format!(
                "the horizon {} is not after the branch on {branch} (the posterior's last day)",
                cal.date_of(horizon_day)
            )));
        }
        for s in &self.scenarios {
            if let Some(w) = s.precipitation.iter().find(|w| w.0 <= branch) {
                return Err(Error::Other(format!(
                    "scenario `{}`: a precipitation window starts on {}, not after the branch on {branch}",
                    s.name, w.0
                )));
            }
        }
        Ok(horizon_day)
    }

    /// Every scenario from `post` to `horizon_day` with common random
    /// numbers (`didymos-scenario`), in the file's order.
    pub fn run(
        &self,
        model: &Gr4jModel,
        post: &Posterior,
        horizon_day: usize,
        seed: u64,
        members: Option<usize>,
    ) -> Result<Vec<Outcome>> {
        let models = self
            .scenarios
            .iter()
            .map(|s| s.apply(model))
            .collect::<Result<Vec<_>>>()?;
        // Forcing scenarios change no state at the branch.
        let identity = |s: &[f64]| Ok(s.to_vec());
        let scenarios: Vec<Scenario<'_, _>> = self
            .scenarios
            .iter()
            .zip(&models)
            .map(|(def, m)| Scenario {
                name: def.name.clone(),
                model: m,
                lift: &identity,
                changes: Vec::new(),
            })
            .collect();
        let opts = Options {
            horizon_day,
            seed,
            members,
        };
        run_scenarios(post, &scenarios, &opts)
    }
}
