//! The flood (GR4J + CemaNeige) twin in the service: calibrated once when
//! it is registered (its parameters are then stored, so a restart does not
//! calibrate again), fed by discharge streams in any of a few units
//! (converted to the model's mm/day), and forecast with the spec's
//! `forecast.forcing` file after the origin when it has one (re-read for
//! each forecast), else as a hindcast on the observed weather, as `didymos
//! forecast` does for a flood twin.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use didymos_core::observation::{Stream, StreamSet};
use didymos_core::{Date, Model};
use didymos_hydro::assimilate::{
    discharge_streams, filter_options, litres_per_second_per_mm_day, make_filter, STREAM,
};
use didymos_hydro::forecast_forcing::read_forecast_forcing;
use didymos_hydro::twin::FloodTwin;
use didymos_hydro::warning::{
    annual_maxima, discharge_forecast, return_period_flow, ReturnPeriodMethod,
};
use didymos_hydro::{Gr4jModel, Streamflow};
use didymos_twin::checkpoint::{self, Saved};
use didymos_twin::filter::Filter;
use didymos_twin::predict::{StreamForecast, TOTAL};

use super::LiveTwin;
use crate::store::{StoredObservation, StreamRow};

/// The observable streams feed and forecasts are made of.
pub const OBSERVABLE: &str = STREAM;
/// The twin's discharge unit: depth of water over the basin per day.
pub const UNIT: &str = "mm/day";
/// One cubic foot in m³ (USGS gauges report ft³/s).
const CUBIC_FOOT_M3: f64 = 0.028_316_846_592;

pub struct FloodHosted {
    pub twin: FloodTwin,
    /// The filter's model: the twin's with the assimilation's process noise
    /// (its forcing is the spec's whole record).
    pub noisy: Gr4jModel,
}

impl FloodHosted {
    /// Loads the spec; sets `parameters` (a JSON object stored at
    /// registration) or else calibrates as the spec says. A spec whose
    /// `[calibration.ranges]` is empty keeps its `[parameters]`.
    pub fn load(path: &Path, parameters: Option<&str>) -> Result<FloodHosted, String> {
        let mut twin = FloodTwin::load(path).map_err(|e| e.to_string())?;
        match parameters {
            Some(text) => {
                let stored: BTreeMap<String, f64> =
                    serde_json::from_str(text).map_err(|e| format!("stored parameters: {e}"))?;
                let values = twin
                    .model
                    .parameters()
                    .names()
                    .map(|n| {
                        stored
                            .get(n)
                            .copied()
                            .ok_or_else(|| format!("stored parameters lack `{n}`"))
                    })
                    .collect::<Result<Vec<f64>, String>>()?;
                twin.set_params(&values).map_err(|e| e.to_string())?;
            }
            None if twin.spec.calibration.ranges.is_empty() => {}
            None => {
                if let Some(c) = twin.calibrate().map_err(|e| e.to_string())? {
                    tracing::info!(
                        "{}: calibrated ({} model runs, score {:.3})",
                        twin.spec.name,
                        c.evaluations,
                        c.score
                    );
                }
            }
        }
        let noisy = twin.noisy_model().map_err(|e| e.to_string())?;
        Ok(FloodHosted { twin, noisy })
    }

    pub fn parameters(&self) -> BTreeMap<String, f64> {
        let p = self.twin.model.parameters();
        p.names().map(String::from).zip(p.values()).collect()
    }

    /// Factor from `unit` to mm/day over the basin.
    pub fn to_mm_per_day(&self, unit: &str) -> Result<f64, String> {
        let per_m3s = 86_400.0 * 1000.0 / self.twin.area_m2;
        Ok(match unit.trim() {
            "mm/day" | "mm/d" | "mm d-1" => 1.0,
            "m3/s" | "m³/s" | "m^3/s" | "cms" => per_m3s,
            "L/s" | "l/s" => per_m3s / 1000.0,
            "ft3/s" | "ft³/s" | "ft^3/s" | "cfs" => per_m3s * CUBIC_FOOT_M3,
            other => {
                return Err(format!(
                    "a discharge stream's unit must be one of mm/day, m3/s, L/s, ft3/s (cfs); got `{other}`"
                ))
            }
        })
    }

    /// The T-year flow (mm/day) of the spec's observed record, by the
    /// spec's `forecast.return_period_method` (Gumbel unless it says).
    pub fn return_period_flow(&self, years: f64) -> Result<f64, String> {
        let method = self
            .twin
            .spec
            .return_period
            .map_or(ReturnPeriodMethod::Gumbel, |r| r.1);
        let maxima: Vec<f64> = annual_maxima(&self.twin.streamflow)
            .into_iter()
            .map(|m| m.1)
            .collect();
        return_period_flow(&maxima, years, method).map_err(|e| e.to_string())
    }

    fn settings(&self) -> &didymos_hydro::AssimilationSettings {
        &self.twin.spec.assimilation
    }
}

impl LiveTwin for FloodHosted {
    type M = Gr4jModel;

    fn data(
        &self,
        streams: &HashMap<String, StreamRow>,
        rows: &[StoredObservation],
        cutoff: Date,
        _vintage: Option<Date>,
    ) -> Result<StreamSet, String> {
        // Per day, the last value that arrived (rows come in arrival order).
        let mut mm_per_day = BTreeMap::new();
        for o in rows {
            let Some(s) = streams
                .get(&o.stream)
                .filter(|s| s.observable == OBSERVABLE)
            else {
                continue;
            };
            let factor = self.to_mm_per_day(&s.unit)?;
            mm_per_day.insert(Date::from_days_since_epoch(o.day), o.value * factor);
        }
        let flow = Streamflow {
            path: self.twin.spec.streamflow.clone(),
            gauge: self.twin.streamflow.gauge.clone(),
            mm_per_day,
        };
        discharge_streams(
            &self.noisy,
            &flow,
            self.twin.area_m2,
            Some(cutoff),
            self.settings().obs_log_sd,
        )
        .map_err(|e| e.to_string())
    }

    fn start<'a>(
        &'a self,
        data: &'a StreamSet,
        members: usize,
        seed: u64,
    ) -> Result<Filter<'a, Gr4jModel, StreamSet>, String> {
        let mut s = self.settings().clone();
        (s.members, s.seed) = (members, seed);
        make_filter(&self.noisy, data, &s).map_err(|e| e.to_string())
    }

    fn resume<'a>(
        &'a self,
        ck: &Path,
        data: &'a StreamSet,
    ) -> Result<(Filter<'a, Gr4jModel, StreamSet>, Saved), String> {
        let (pf, eakf) = filter_options(self.settings(), &self.noisy).map_err(|e| e.to_string())?;
        checkpoint::resume(ck, &self.noisy, data, pf, eakf).map_err(|e| e.to_string())
    }

    fn forecast(
        &self,
        filter: &Filter<'_, Gr4jModel, StreamSet>,
        data: &StreamSet,
        horizon: usize,
    ) -> Result<Vec<StreamForecast>, String> {
        let seed = filter.ensemble().seed();
        // After the origin: the spec's forecast forcing file, read afresh for
        // every forecast (so a feed that rewrites it is followed), or else the
        // filter's own model, whose forcing goes on with the observed weather
        // (a hindcast).
        let future = match &self.twin.spec.forecast_forcing {
            Some(file) => {
                let origin = self.noisy.calendar().date_of(filter.ensemble().day());
                let forcing = self.noisy.forcing();
                let traces = read_forecast_forcing(file, origin, horizon, forcing.latitude())
                    .map_err(|e| e.to_string())?;
                let forcing = forcing
                    .until(origin)
                    .and_then(|f| f.with_forecast(traces))
                    .map_err(|e| e.to_string())?;
                Some(
                    self.noisy
                        .with_forcing(forcing)
                        .map_err(|e| e.to_string())?,
                )
            }
            None => None,
        };
        let model = future.as_ref().unwrap_or(&self.noisy);
        let fc = discharge_forecast(filter, model, data, self.twin.area_m2, horizon, seed)
            .map_err(|e| e.to_string())?;
        let basin = self.noisy.layout().units[0].clone();
        Ok(vec![StreamForecast {
            stream: OBSERVABLE.to_string(),
            locations: vec![basin, TOTAL.to_string()],
            values: vec![fc.samples.clone(), fc.samples],
        }])
    }

    /// The stream holds litres per second (what the filter compares with
    /// the model); forecasts are published in mm/day over the basin.
    fn scored_streams<'d>(&self, data: &'d StreamSet) -> Vec<(String, &'d Stream, f64)> {
        let per_mm_day = litres_per_second_per_mm_day(self.twin.area_m2);
        data.streams()
            .iter()
            .map(|s| (OBSERVABLE.to_string(), s, 1.0 / per_mm_day))
            .collect()
    }

    fn checkpoint_meta(&self, meta: &mut serde_json::Value) {
        // What `didymos forecast --checkpoint` reads for a flood twin.
        meta["domain"] = serde_json::json!("flood");
        meta["parameters"] = serde_json::json!(self.twin.model.parameters().values());
    }
}
