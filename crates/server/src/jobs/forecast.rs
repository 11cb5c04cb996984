//! Forecast from the live loop's new posterior: quantiles per target and
//! location (stored, served), samples for the alert rules (not stored).

use std::path::{Path, PathBuf};
use std::time::Instant;

use didymos_forecast::{quantiles, QuantileForecast, HUB_LEVELS};
use didymos_twin::companions::WeeklyEnsemble;
use didymos_twin::predict::StreamForecast;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::registry::TwinEntry;
use crate::store::{self, now_ms};
use crate::AppState;

/// One forecast: quantiles of what each target will report, per location.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ForecastBody {
    /// The last day of data used (the forecast's issue date).
    pub origin: String,
    pub horizon_days: usize,
    pub members: usize,
    /// Quantile levels of every `quantiles` array.
    pub levels: Vec<f64>,
    pub targets: Vec<TargetQuantiles>,
    /// Weekly sums from the ensemble of the twin with its statistical
    /// companions (a damped trend on the observed weekly sums, and a ratio
    /// to the stream's leading series where it has one), by the Forecast
    /// Hub's epiweeks that end within the horizon: epidemic twins. In the
    /// 2020 Spain backtest this combination scores
    /// better than the twin alone (BENCHMARKS.md). Locations with under two
    /// weeks of data have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekly_ensemble: Vec<WeeklyQuantiles>,
    /// A nowcasting twin's provisional last days: read as incomplete, each
    /// scaled by the share of its final count the record's own revisions
    /// say is reported that soon (absent: every day read as final).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nowcast: Option<Nowcast>,
}

/// What a nowcasting twin read as incomplete.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Nowcast {
    /// The day the record stood at: the last day a value was issued.
    pub vintage: String,
    /// Per target with provisional days: those days and their shares.
    pub provisional: Vec<ProvisionalDays>,
}

/// One target's provisional days.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProvisionalDays {
    pub target: String,
    pub dates: Vec<String>,
    /// `reported_share[k]`: the share of `dates[k]`'s final count taken
    /// to be in (below 1: more is still to come).
    pub reported_share: Vec<f64>,
}

/// One target's weekly forecasts at one location.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WeeklyQuantiles {
    pub target: String,
    /// A location, or `total`.
    pub location: String,
    /// The Saturday ending each week: the Forecast Hub's epiweek targets
    /// (Sunday to Saturday; `k wk ahead` from the origin by the Hub's rule,
    /// the epiweek under way counting as week 1 from a Sunday or a Monday,
    /// its observed days included). Epiweeks ending after the horizon are
    /// left out.
    pub week_ends: Vec<String>,
    /// `quantiles[k][j]`: week `week_ends[k]`, level `levels[j]`.
    pub quantiles: Vec<Vec<f64>>,
    /// The twin's own forecast of the same weeks, before it was averaged
    /// with its companions (laid out as `quantiles`; absent from forecasts
    /// stored before it was kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub twin_quantiles: Vec<Vec<f64>>,
    /// The damped trend's forecast of the same weeks, as averaged in (a
    /// week under way: its observed days plus the trend's share of the
    /// rest); absent from forecasts stored before it was kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trend_quantiles: Vec<Vec<f64>>,
    /// The lead forecaster's (from the stream's leading series), the same
    /// way; absent where the location has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lead_quantiles: Vec<Vec<f64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetQuantiles {
    /// What is forecast, e.g. `new_hospitalized` (reported per day) or
    /// `discharge`.
    pub target: String,
    /// The unit of the values where the twin fixes one (a flood twin's
    /// discharge: `mm/day` over the basin, whatever its streams' units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// A location, or `total`.
    pub location: String,
    /// Dates `origin + 1 ..= origin + horizon_days`.
    pub dates: Vec<String>,
    /// `quantiles[h][k]`: day `dates[h]`, level `levels[k]`.
    pub quantiles: Vec<Vec<f64>>,
}

/// Rounds to 1/1000: counts do not need more, and it keeps stored
/// forecasts small.
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn rounded(q: &QuantileForecast) -> Vec<f64> {
    q.values().iter().copied().map(round3).collect()
}

pub fn summarise(
    (fc, weekly): (&[StreamForecast], &[WeeklyEnsemble]),
    origin: didymos_core::Date,
    members: usize,
    unit: Option<&str>,
    nowcast: Option<Nowcast>,
) -> Result<ForecastBody, String> {
    let horizon = fc
        .first()
        .and_then(|f| f.values.first())
        .map_or(0, Vec::len);
    let dates: Vec<String> = (1..=horizon)
        .map(|h| origin.add_days(h as i32).to_string())
        .collect();
    let mut targets = Vec::new();
    for f in fc {
        for (l, loc) in f.locations.iter().enumerate() {
            let q = f.values[l]
                .iter()
                .map(|samples| {
                    let mut s = samples.clone();
                    quantiles(&mut s, &HUB_LEVELS)
                        .map(|q| q.into_iter().map(round3).collect())
                        .map_err(|e| e.to_string())
                })
                .collect::<Result<Vec<Vec<f64>>, String>>()?;
            targets.push(TargetQuantiles {
                target: f.stream.clone(),
                unit: unit.map(String::from),
                location: loc.clone(),
                dates: dates.clone(),
                quantiles: q,
            });
        }
    }
    Ok(ForecastBody {
        origin: origin.to_string(),
        horizon_days: horizon,
        members,
        levels: HUB_LEVELS.to_vec(),
        targets,
        weekly_ensemble: weekly
            .iter()
            .map(|e| WeeklyQuantiles {
                target: e.stream.clone(),
                location: e.location.clone(),
                week_ends: e.weeks.iter().map(|(t, _)| t.end.to_string()).collect(),
                quantiles: e.weeks.iter().map(|(_, q)| rounded(q)).collect(),
                twin_quantiles: e.twin.iter().map(rounded).collect(),
                trend_quantiles: e.trend.iter().map(rounded).collect(),
                lead_quantiles: e.lead.iter().map(rounded).collect(),
            })
            .collect(),
        nowcast,
    })
}

/// A forecast already stored and published, whose job record and
/// provenance are still to be written.
pub struct StoredForecast {
    pub run_id: String,
    pub run_dir: PathBuf,
    pub file: PathBuf,
    pub result: serde_json::Value,
    pub horizon: usize,
}

/// Stores the forecast `fc` made from `(origin, members)`, evaluates the
/// twin's alert rules on its samples and weekly ensemble and publishes it: the latency the
/// live loop is judged by, so the provenance (which hashes large files) is
/// left to [`record_forecast`].
pub fn publish_forecast(
    state: &AppState,
    twin: &TwinEntry,
    (fc, weekly): (&[StreamForecast], &[WeeklyEnsemble]),
    (origin, members): (didymos_core::Date, usize),
    started: Instant,
    (simulate_ms, ensemble_ms): (u64, u64),
    nowcast: Option<Nowcast>,
) -> Result<StoredForecast, String> {
    let horizon = fc
        .first()
        .and_then(|f| f.values.first())
        .map_or(0, Vec::len);
    let run_id = crate::live::new_run_id("forecast");
    let run_dir = state.runs_dir().join(&run_id);
    std::fs::create_dir_all(&run_dir).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let unit = twin.hosted.forecast_unit();
    let body = summarise((fc, weekly), origin, members, unit, nowcast)?;
    let text = serde_json::to_string(&body).map_err(|e| e.to_string())?;
    let summarise_ms = t0.elapsed().as_millis() as u64;
    let file = run_dir.join("forecast.json");
    didymos_core::fs::write_atomic(&file, text.as_bytes()).map_err(|e| e.to_string())?;
    let (tid, o, rid) = (twin.id.clone(), origin.to_string(), run_id.clone());
    let forecast_id = state
        .store
        .write_blocking(move |c| store::insert_forecast(c, &tid, &o, &rid, &text, now_ms()))
        .map_err(|e| e.to_string())?;
    let latency_ms = started.elapsed().as_millis() as u64;
    let result = serde_json::json!({
        "forecast_id": forecast_id,
        "origin": origin.to_string(),
        "horizon_days": horizon,
        "members": members,
        "elapsed_ms": latency_ms,
        "simulate_ms": simulate_ms,
        "weekly_ensemble_ms": ensemble_ms,
        "summarise_ms": summarise_ms,
    });
    crate::events::publish(&state.events, "forecast", &twin.id, result.clone());
    crate::alerts::evaluate(state, twin, forecast_id, (fc, weekly))?;
    Ok(StoredForecast {
        run_id,
        run_dir,
        file,
        result,
        horizon,
    })
}

/// The forecast's job record and provenance: what it was made from (the
/// checkpoint it started from, once that is on disk, and for a nowcast the
/// rows read after it).
pub fn record_forecast(
    state: &AppState,
    twin: &TwinEntry,
    done: &StoredForecast,
    used: &[(&str, &Path)],
) -> Result<(), String> {
    let mut prov = super::recorder(
        "forecast",
        &[&twin.id, "--horizon", &done.horizon.to_string()],
    );
    super::record_spec(&mut prov, &twin.hosted)?;
    for (role, path) in used {
        prov.used(role, path).map_err(|e| e.to_string())?;
    }
    prov.generated("output", &done.file)
        .map_err(|e| e.to_string())?;
    prov.finish(&done.run_dir).map_err(|e| e.to_string())?;
    super::record_finished_run(
        state,
        &twin.id,
        &done.run_id,
        "forecast",
        &done.run_dir,
        &done.result,
    )
}
