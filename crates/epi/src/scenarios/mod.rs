//! What-if scenarios for an MMCA twin: the scenarios TOML file and its
//! validated loader. The example is `data/spain/scenarios.toml`.
//!
//! | key | meaning |
//! |---|---|
//! | `scenarios.branch` | optional: first day of the scenario runs (default: decided by the engine, e.g. the checkpoint's day) |
//! | `scenarios.horizon` | optional: last day of the scenario runs (default: the calendar's end) |
//! | `scenarios.baseline` | optional: name of the baseline scenario (default: the first) |
//! | `[[capacity]]` | optional, repeatable: `observable` (a model observable, e.g. `hospital_occupancy`), `patches` (ids, or `"all"`, the default) with one `threshold` (persons, per patch), or `thresholds = { "28" = 2500, … }` per patch id |
//! | `[[scenario]]` | `name` (unique), optional `description`, `[[scenario.intervention]]`s |
//! | intervention `type = "confinement"` | `from`, `to`, `kappa0`, `phi`, `delta` (each in [0, 1]) |
//! | `type = "mobility"` | `from`, `to`, `patches` (ids or `"all"`), `direction` (`"inflow"`, `"outflow"`, `"both"` = default), `scale` ≥ 0 (0 = cordon) |
//! | `type = "contacts"` | `from`, `to`, `stratum` (a label), `scale` ≥ 0 |
//! | `type = "vaccination"` | `from`, `to`, `daily_share` in [0, 1], `priority` (stratum labels), `efficacy_infection`, `efficacy_severe` in [0, 1], severe ≥ infection |
//! | `type = "parameter"` | `from`, `name` (a model parameter), `factor` ≥ 0 or `value` (within the parameter's bounds); applied by the scenario engine |
//!
//! Dates are `"YYYY-MM-DD"` or TOML dates, within the model's calendar and,
//! once the branch day is known ([`ScenarioFile::check_window`]), within
//! branch … horizon. Windows `from..=to` are inclusive. What each
//! intervention does is documented in [`crate::mmca::interventions`] and
//! [`crate::mmca::vaccination`]. Two interventions of one scenario that
//! would contradict each other (overlapping confinements or vaccinations,
//! overlapping mobility measures sharing a patch, overlapping contact
//! measures on one stratum) are an error naming both.

mod read;
mod run;

pub use run::{capacity_thresholds, run_file};

use std::path::{Path, PathBuf};

use didymos_core::{Calendar, Date, Error, Located, Model, Result};
use didymos_spec::Doc;

use crate::inputs::read_text;
use crate::mmca::{Intervention, MmcaModel};

/// A loaded, validated scenarios file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioFile {
    pub path: PathBuf,
    /// The model's calendar, for day ↔ date conversions.
    pub calendar: Calendar,
    pub branch: Option<Date>,
    pub horizon: Option<Date>,
    /// Where `horizon` is set, for errors found once the branch day is
    /// known (the engine's, after assimilating).
    pub horizon_at: Option<Located>,
    /// Index of the baseline in `scenarios`.
    pub baseline: usize,
    pub scenarios: Vec<ScenarioDef>,
    pub capacity: Vec<Capacity>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioDef {
    pub name: String,
    pub description: String,
    pub interventions: Vec<Intervention>,
    /// Where each intervention was written (same order), for messages.
    pub intervention_at: Vec<Located>,
    pub parameter_changes: Vec<ParameterChange>,
}

/// A change of one model parameter from a day on, applied by the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterChange {
    /// 1-based calendar day from which the change holds.
    pub day: usize,
    pub name: String,
    /// Index in the model's `ParameterSpace`.
    pub index: usize,
    pub op: ParamOp,
    pub at: Located,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamOp {
    /// Multiply the member's value.
    Factor(f64),
    /// Set it.
    Value(f64),
}

/// Exceedance thresholds of one observable.
#[derive(Debug, Clone, PartialEq)]
pub struct Capacity {
    /// Index in the model's observables.
    pub observable: usize,
    pub observable_name: String,
    /// (0-based patch index, threshold in persons).
    pub thresholds: Vec<(usize, f64)>,
}

const TOP_KEYS: [&str; 3] = ["scenarios", "capacity", "scenario"];

/// Load and validate a scenarios file against `model` (its calendar,
/// patches, strata, parameters and observables).
pub fn load_scenarios(path: &Path, model: &MmcaModel) -> Result<ScenarioFile> {
    let text = read_text(path)?;
    let doc = Doc::parse(path, &text)?;
    let root = doc.root();
    root.check_keys(&TOP_KEYS)?;
    let calendar = *model.calendar();
    let ctx = read::Ctx { model, calendar };

    let (mut branch, mut horizon, mut baseline_name) = (None, None, None);
    let mut horizon_at = None;
    if let Some(sec) = root.opt_section("scenarios")? {
        sec.check_keys(&["branch", "horizon", "baseline"])?;
        if let Some(f) = sec.get("branch") {
            branch = Some((ctx.day(&f)?, f.date()?));
        }
        if let Some(f) = sec.get("horizon") {
            let day = ctx.day(&f)?;
            if let Some((b, bd)) = branch {
                if day < b {
                    return Err(f.error(format!("horizon {} is before the branch {bd}", f.date()?)));
                }
            }
            horizon = Some(f.date()?);
            horizon_at = Some(f.at());
        }
        if let Some(f) = sec.get("baseline") {
            baseline_name = Some((f.str()?.to_string(), f));
        }
    }

    let mut capacity = Vec::new();
    if let Some(f) = root.get("capacity") {
        for c in f.array()? {
            capacity.push(ctx.capacity(&c)?);
        }
    }

    let list = root.req("scenario")?;
    let items = list.array()?;
    if items.is_empty() {
        return Err(list.error("at least one [[scenario]] is needed"));
    }
    let mut scenarios: Vec<ScenarioDef> = Vec::new();
    let mut lines: Vec<Option<u64>> = Vec::new();
    for item in &items {
        let s = ctx.scenario(item)?;
        if let Some(k) = scenarios.iter().position(|o| o.name == s.name) {
            let first = lines[k].map_or(String::new(), |l| format!(" (line {l})"));
            return Err(item.error(format!(
                "duplicate scenario name `{}`: already used by scenario {}{first}",
                s.name,
                k + 1
            )));
        }
        lines.push(item.item.line);
        scenarios.push(s);
    }
    let baseline = match baseline_name {
        None => 0,
        Some((name, f)) => scenarios
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
                f.error(
                    match didymos_core::suggest::closest(&name, names.iter().copied()) {
                        Some(c) => format!("no scenario is named `{name}`; did you mean `{c}`?"),
                        None => format!(
                            "no scenario is named `{name}`; scenarios: {}",
                            names.join(", ")
                        ),
                    },
                )
            })?,
    };
    let file = ScenarioFile {
        path: path.to_path_buf(),
        calendar,
        branch: branch.map(|b| b.1),
        horizon,
        horizon_at,
        baseline,
        scenarios,
        capacity,
    };
    file.check_window(
        file.branch_day().unwrap_or(1),
        file.horizon_day().unwrap_or(calendar.n_days()),
    )?;
    Ok(file)
}

impl ScenarioFile {
    pub fn branch_day(&self) -> Option<usize> {
        self.branch.map(|d| self.calendar.day_of(d) as usize)
    }
    pub fn horizon_day(&self) -> Option<usize> {
        self.horizon.map(|d| self.calendar.day_of(d) as usize)
    }
    fn date(&self, day: usize) -> Date {
        self.calendar.start.add_days(day as i32 - 1)
    }

    /// Every scenario date must lie in `branch_day..=horizon_day` (1-based
    /// calendar days): the engine calls this once it knows the branch day.
    pub fn check_window(&self, branch_day: usize, horizon_day: usize) -> Result<()> {
        let (b, h) = (self.date(branch_day), self.date(horizon_day));
        if horizon_day < branch_day {
            return Err(Error::input(
                Located::file(&self.path).field("scenarios.horizon"),
                format!("horizon {h} is before the branch {b}"),
            ));
        }
        for s in &self.scenarios {
            let err = |at: &Located, what: String| {
                Error::input(at.clone(), format!("scenario `{}`: {what}", s.name))
            };
            for (iv, at) in s.interventions.iter().zip(&s.intervention_at) {
                let (from, to) = iv.window();
                if from < branch_day {
                    return Err(err(
                        at,
                        format!(
                            "{} starts (`from`) on {}, before the branch {b}",
                            iv.kind(),
                            self.date(from)
                        ),
                    ));
                }
                if to > horizon_day {
                    return Err(err(
                        at,
                        format!(
                            "{} ends (`to`) on {}, after the horizon {h}",
                            iv.kind(),
                            self.date(to)
                        ),
                    ));
                }
            }
            for p in &s.parameter_changes {
                if p.day < branch_day || p.day > horizon_day {
                    return Err(err(
                        &p.at,
                        format!(
                            "parameter change of `{}` on {} is outside branch {b} … horizon {h}",
                            p.name,
                            self.date(p.day)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
