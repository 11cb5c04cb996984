//! The scenario TOML as written: serde structs that reject unknown keys.
//! Values are checked in [`super::load`], where the twin's calendar,
//! locations and observables are known.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub simulation: Option<RawSimulation>,
    pub truth: Option<RawTruth>,
    #[serde(default)]
    pub regime: Vec<Spanned<RawRegime>>,
    #[serde(default)]
    pub stream: Vec<Spanned<RawStream>>,
    pub wastewater: Option<Spanned<RawWastewater>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub seed: Option<u64>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTruth {
    pub log_beta_sd: Option<f64>,
    pub log_beta_patch_sd: Option<f64>,
}

/// A day: a 1-based day of the twin's calendar (day 1 = `time.start`), a
/// `"YYYY-MM-DD"` string or a TOML date.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DayRef {
    Day(i64),
    Text(String),
    Date(toml::value::Datetime),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawRegime {
    Surge {
        from: DayRef,
        to: DayRef,
        factor: f64,
    },
    Variant {
        from: DayRef,
        factor: f64,
        #[serde(default)]
        takeover_days: Option<f64>,
    },
    MobilityShock {
        from: DayRef,
        to: DayRef,
        scale: f64,
        #[serde(default)]
        patches: Option<Vec<String>>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAscertainmentPoint {
    pub at: DayRef,
    pub value: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutage {
    pub from: DayRef,
    pub to: DayRef,
    #[serde(default)]
    pub dump: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStream {
    pub name: String,
    pub observable: String,
    pub per_stratum: Option<bool>,
    pub locations: Option<Vec<String>>,
    pub ascertainment: Option<f64>,
    pub ascertainment_points: Option<Vec<RawAscertainmentPoint>>,
    pub dispersion: Option<f64>,
    pub delay_mean: Option<f64>,
    pub delay_sd: Option<f64>,
    pub delay_max: Option<i64>,
    /// Seven factors Monday..Sunday, or a table of named days.
    pub weekday_effect: Option<toml::Value>,
    pub outlier_rate: Option<f64>,
    pub outlier_scale: Option<f64>,
    pub missing_rate: Option<f64>,
    #[serde(default)]
    pub outage: Vec<RawOutage>,
    pub outage_rate: Option<f64>,
    pub outage_mean_days: Option<f64>,
    pub outage_dump: Option<bool>,
    pub backfill_rate: Option<f64>,
    pub backfill_initial_share: Option<f64>,
    pub backfill_lag_days: Option<i64>,
    pub clock_skew_hours: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWastewater {
    pub name: Option<String>,
    pub locations: Option<Vec<String>>,
    pub shedding_mean: Option<f64>,
    pub shedding_sd: Option<f64>,
    pub shedding_max: Option<i64>,
    pub copies_per_infection: Option<f64>,
    pub sd: Option<f64>,
    pub detection_limit: Option<f64>,
    pub sample_weekdays: Option<Vec<i64>>,
}
