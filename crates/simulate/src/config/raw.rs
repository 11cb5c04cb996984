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

/// One `[[regime]]` table. A flat struct, not an enum tagged by `type`:
/// serde reads a tagged enum through a buffer that loses where each value
/// was, so a wrong value would be reported at the first regime's line.
/// Which keys each kind takes is checked when resolving.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegime {
    #[serde(rename = "type")]
    pub kind: String,
    pub from: Option<DayRef>,
    pub to: Option<DayRef>,
    pub factor: Option<f64>,
    pub scale: Option<f64>,
    pub takeover_days: Option<f64>,
    pub patches: Option<Vec<String>>,
}

impl RawRegime {
    /// The keys given besides `type`.
    pub fn keys(&self) -> Vec<&'static str> {
        [
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
            ("factor", self.factor.is_some()),
            ("scale", self.scale.is_some()),
            ("takeover_days", self.takeover_days.is_some()),
            ("patches", self.patches.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, given)| given.then_some(k))
        .collect()
    }
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
