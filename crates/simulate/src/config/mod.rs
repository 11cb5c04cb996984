//! The simulation scenario: a preset (`normal`, `critical`) or a TOML file
//! of the same shape. `presets/normal.toml` and `presets/critical.toml`
//! document every key; in short:
//!
//! | key | meaning |
//! |---|---|
//! | `simulation.seed` | random seed (default: the spec's `ensemble.seed`; `--seed` wins) |
//! | `simulation.description` | free text |
//! | `truth.log_beta_sd`, `truth.log_beta_patch_sd` | daily random-walk sd of log transmission, national and per patch (defaults 0.02, 0.01) |
//! | `[[regime]]` `type = "surge"` | `from`, `to`, `factor`: transmissibility × factor on those days |
//! | `type = "variant"` | `from`, `factor`, `takeover_days` (default 0): the variant's share rises linearly from 0 on `from` to 1 on `from + takeover_days`; transmissibility × (1 + (factor − 1)·share) |
//! | `type = "mobility_shock"` | `from`, `to`, `scale` ≥ 0, `patches` (ids; default all): commuting shares × scale |
//! | `[[stream]]` | `name`, `observable` (a model observable), `per_stratum`, `locations`, `ascertainment`, `ascertainment_points`, `dispersion`, `delay_mean`/`delay_sd`/`delay_max`, `weekday_effect` (seven factors Monday..Sunday, or named days `{ mon = …, …, sun = … }`), `outlier_rate`/`outlier_scale`, `missing_rate`, `[[stream.outage]]` (`from`, `to`, `dump`), `outage_rate`/`outage_mean_days`/`outage_dump`, `backfill_rate`/`backfill_initial_share`/`backfill_lag_days`, `clock_skew_hours` |
//! | `[wastewater]` | `name`, `locations`, `shedding_mean`/`shedding_sd`/`shedding_max`, `copies_per_infection`, `sd`, `detection_limit`, `sample_weekdays` |
//!
//! Days are 1-based days of the twin's calendar, `"YYYY-MM-DD"` strings or
//! TOML dates. An unknown key, a wrong type or a value out of range is an
//! error naming the file, the line and the key.

mod at;
mod raw;
mod resolve;

use std::path::Path;

use didymos_core::observation::{Delay, Noise};
use didymos_core::{Calendar, Error, Located, Result};

pub use raw::DayRef;

/// What the scenario is checked against.
pub struct Context<'a> {
    pub calendar: Calendar,
    /// Location ids (the model's patches), in model order.
    pub units: &'a [String],
    pub strata: &'a [String],
    pub observables: &'a [String],
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Preset name or file path, for messages and provenance.
    pub source: String,
    pub description: String,
    pub seed: Option<u64>,
    pub truth: TruthNoise,
    pub regimes: Vec<Regime>,
    pub streams: Vec<StreamConfig>,
    pub wastewater: Option<WastewaterConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthNoise {
    pub log_beta_sd: f64,
    pub log_beta_patch_sd: f64,
}

/// A change of regime in the truth; days are 1-based calendar days.
#[derive(Debug, Clone, PartialEq)]
pub enum Regime {
    Surge {
        from: usize,
        to: usize,
        factor: f64,
    },
    Variant {
        from: usize,
        factor: f64,
        takeover_days: f64,
    },
    MobilityShock {
        from: usize,
        to: usize,
        scale: f64,
        /// 0-based patch indices.
        patches: Vec<usize>,
    },
}

impl Regime {
    /// Transmissibility multiplier on `day` (1 for a mobility shock).
    pub fn transmissibility(&self, day: usize) -> f64 {
        match *self {
            Regime::Surge { from, to, factor } if (from..=to).contains(&day) => factor,
            Regime::Variant {
                from,
                factor,
                takeover_days,
            } if day >= from => {
                let share = if takeover_days <= 0.0 {
                    1.0
                } else {
                    ((day - from) as f64 / takeover_days).min(1.0)
                };
                1.0 + (factor - 1.0) * share
            }
            _ => 1.0,
        }
    }
    /// One line for events.csv.
    pub fn describe(&self) -> String {
        match self {
            Regime::Surge { factor, .. } => format!("transmissibility x{factor}"),
            Regime::Variant {
                factor,
                takeover_days,
                ..
            } => {
                format!("variant x{factor}, takeover over {takeover_days} days")
            }
            Regime::MobilityShock { scale, patches, .. } => {
                format!("commuting x{scale} in {} patches", patches.len())
            }
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Regime::Surge { .. } => "surge",
            Regime::Variant { .. } => "variant",
            Regime::MobilityShock { .. } => "mobility_shock",
        }
    }
}

/// A planned outage of a stream; days inclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    pub from: usize,
    pub to: usize,
    /// Publish the missed days in one batch the day after.
    pub dump: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamConfig {
    pub name: String,
    /// Index in the model's observables.
    pub observable: usize,
    pub per_stratum: bool,
    /// 0-based patch indices reported on.
    pub locations: Vec<usize>,
    /// (day, share) points, interpolated linearly, constant outside.
    pub ascertainment: Vec<(usize, f64)>,
    pub noise: Noise,
    pub delay: Delay,
    /// Multipliers Monday..Sunday, normalised to mean 1.
    pub weekday_effect: [f64; 7],
    pub outlier_rate: f64,
    pub outlier_scale: f64,
    pub missing_rate: f64,
    pub outages: Vec<Outage>,
    pub outage_rate: f64,
    pub outage_mean_days: f64,
    pub outage_dump: bool,
    pub backfill_rate: f64,
    pub backfill_initial_share: f64,
    pub backfill_lag_days: usize,
    pub clock_skew_hours: f64,
}

impl StreamConfig {
    /// The ascertained share on `day`.
    pub fn ascertainment_on(&self, day: usize) -> f64 {
        let pts = &self.ascertainment;
        match pts.iter().position(|&(d, _)| d > day) {
            None => pts.last().map_or(1.0, |p| p.1),
            Some(0) => pts[0].1,
            Some(i) => {
                let ((d0, a0), (d1, a1)) = (pts[i - 1], pts[i]);
                a0 + (a1 - a0) * (day - d0) as f64 / (d1 - d0) as f64
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WastewaterConfig {
    pub name: String,
    pub locations: Vec<usize>,
    /// Shedding curve: share of an infection's copies shed d days later.
    pub shedding: Delay,
    pub copies_per_infection: f64,
    /// sd of the log-normal measurement noise (natural log).
    pub sd: f64,
    pub detection_limit: f64,
    /// ISO weekdays (1 = Monday) on which samples are taken.
    pub sample_weekdays: Vec<u32>,
}

/// Parse and validate scenario text. `source` names it in errors (a path
/// for files, `preset normal` for presets).
pub fn load(source: &str, text: &str, ctx: &Context<'_>) -> Result<SimConfig> {
    let raw: raw::RawConfig = toml::from_str(text).map_err(|e| {
        let mut at = Located::file(source);
        at.line = e.span().map(|s| line_of(text, s.start));
        // serde names the type it wanted but not the key: take the key
        // from the line the error points at.
        let key = at
            .line
            .and_then(|l| text.lines().nth(l as usize - 1))
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim().trim_matches('"'))
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if let Some(k) = key {
            at = at.field(k);
        }
        let msg = e.message().trim().replace('\n', "; ").replace(
            "data did not match any variant of untagged enum DayRef",
            "expected a day: a day number (1 = the spec's start) or a date YYYY-MM-DD",
        );
        Error::input(at, msg)
    })?;
    resolve::resolve(source, text, raw, ctx)
}

/// Load a scenario file.
pub fn load_file(path: &Path, ctx: &Context<'_>) -> Result<SimConfig> {
    let text = didymos_core::fs::read_text(path, didymos_core::fs::SPEC_MAX_BYTES)?;
    load(&path.display().to_string(), &text, ctx)
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> u64 {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}
