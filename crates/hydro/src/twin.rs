//! `FloodTwin`: a spec with its data loaded, and the steps a CLI runs:
//! calibrate → validate → assimilate → forecast with warnings.
//!
//! Periods: day 1 = `time.start`; calibration scores days 1 … the day of
//! `time.calibration_end`, validation the rest up to `time.end`. Warm-up is
//! the spin-up (`time.spin_up_days` of forcing run once before day 1), so
//! every calibration day is scored.

use didymos_core::observation::StreamSet;
use didymos_core::{Calendar, Date, Error, Located, Model, Result};
use didymos_twin::filter::Filter;

use crate::assimilate::{discharge_streams, make_filter, one_day_ahead, OneDayAhead};
use crate::calibrate::{calibrate, Calibration};
use crate::camels::{read_camels_forcing, read_camels_streamflow, Streamflow};
use crate::forcing::ForcingTrace;
use crate::metrics::{kge, nse};
use crate::model::{Gr4jModel, Gr4jOptions};
use crate::spec::{load_flood_spec, FloodSpec};
use crate::warning::{
    annual_maxima, discharge_forecast, return_period_flow, DischargeForecast, MIN_DAYS_PER_YEAR,
};

pub struct FloodTwin {
    pub spec: FloodSpec,
    /// The deterministic model with the spec's (or calibrated) parameters.
    pub model: Gr4jModel,
    pub streamflow: Streamflow,
    pub area_m2: f64,
    /// Observed discharge (mm/day) for days 1..=n.
    pub observed: Vec<Option<f64>>,
}

/// Fit on both periods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Skill {
    pub calibration_kge: f64,
    pub calibration_nse: f64,
    pub validation_kge: f64,
    pub validation_nse: f64,
}

/// One threshold and the forecast probability of exceeding it.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub label: String,
    /// mm/day.
    pub threshold: f64,
    /// Per forecast day.
    pub daily: Vec<f64>,
    /// On at least one day of the horizon.
    pub any: f64,
}

impl FloodTwin {
    pub fn load(spec_path: &std::path::Path) -> Result<Self> {
        Self::from_spec(load_flood_spec(spec_path)?)
    }

    pub fn from_spec(spec: FloodSpec) -> Result<Self> {
        let f = read_camels_forcing(&spec.forcing)?;
        let streamflow = read_camels_streamflow(&spec.streamflow, f.area_m2)?;
        let forcing = f.forcing(spec.start, spec.end)?;
        let cal = Calendar::new(spec.start, spec.end).ok_or_else(|| {
            Error::input(
                Located::file(&spec.spec_path).field("time.end"),
                "end before start",
            )
        })?;
        let opts = Gr4jOptions {
            spin_up_days: spec.spin_up_days,
            production_fill: spec.production_fill,
            routing_fill: spec.routing_fill,
            ..Default::default()
        };
        let id = spec
            .basin_id
            .clone()
            .unwrap_or_else(|| streamflow.gauge.clone());
        let mut model = Gr4jModel::new(&id, forcing, cal, opts)?;
        for (name, value, at) in &spec.parameters {
            model.parameters_mut().set_value(name, *value, at)?;
        }
        for (name, prior, at) in &spec.priors {
            model.parameters_mut().set_prior(name, prior.clone(), at)?;
        }
        model.check_params(&model.parameters().values())?;
        spec.assimilation.learned_parameters(&model)?;
        let observed = streamflow.series(spec.start, spec.end);
        Ok(FloodTwin {
            area_m2: f.area_m2,
            spec,
            model,
            streamflow,
            observed,
        })
    }

    /// The last calibration day (1-based).
    pub fn calibration_last_day(&self) -> usize {
        self.model.calendar().day_of(self.spec.calibration_end) as usize
    }

    /// Calibrate on the calibration period and keep the best parameters.
    /// Parameters the filter learns online (`assimilation.learn`) are left
    /// out; `None` when nothing is left to calibrate.
    pub fn calibrate(&mut self) -> Result<Option<Calibration>> {
        let mut o = self.spec.calibration.clone();
        o.first_day = 1;
        o.last_day = self.calibration_last_day();
        let learned = self.spec.assimilation.learned_parameters(&self.model)?;
        let defs = self.model.parameters().defs();
        o.ranges
            .retain(|(name, _, _)| !learned.iter().any(|&k| defs[k].name == *name));
        if o.ranges.is_empty() {
            return Ok(None);
        }
        let c = calibrate(&self.model, &self.observed, &o)?;
        self.set_params(&c.params)?;
        Ok(Some(c))
    }

    /// Set every parameter value (natural scale, model order).
    pub fn set_params(&mut self, p: &[f64]) -> Result<()> {
        let names: Vec<String> = self.model.parameters().names().map(String::from).collect();
        for (n, v) in names.iter().zip(p) {
            self.model
                .parameters_mut()
                .set_value(n, *v, &Located::default().field(n.clone()))?;
        }
        Ok(())
    }

    /// KGE and NSE of the noise-free run on both periods.
    pub fn skill(&self) -> Result<Skill> {
        let sim = self.model.simulate(&self.model.parameters().values())?;
        let k = self.calibration_last_day();
        let (cs, co) = (&sim.discharge[..k], &self.observed[..k]);
        let (vs, vo) = (&sim.discharge[k..], &self.observed[k..]);
        Ok(Skill {
            calibration_kge: kge(cs, co),
            calibration_nse: nse(cs, co),
            validation_kge: kge(vs, vo),
            validation_nse: nse(vs, vo),
        })
    }

    /// The model with the assimilation's process noise.
    pub fn noisy_model(&self) -> Result<Gr4jModel> {
        self.spec.assimilation.noisy_model(&self.model)
    }

    /// The discharge stream with data up to `cutoff` (all if `None`).
    pub fn streams(&self, model: &Gr4jModel, cutoff: Option<Date>) -> Result<StreamSet> {
        discharge_streams(
            model,
            &self.streamflow,
            self.area_m2,
            cutoff,
            self.spec.assimilation.obs_log_sd,
        )
    }

    /// A filter over `data` as the spec says.
    pub fn filter<'a>(
        &self,
        model: &'a Gr4jModel,
        data: &'a StreamSet,
    ) -> Result<Filter<'a, Gr4jModel, StreamSet>> {
        make_filter(model, data, &self.spec.assimilation)
    }

    /// 1-day-ahead forecasts over the validation period with assimilation
    /// and without (the same noisy ensemble, never updated): (with, without).
    pub fn one_day_ahead_comparison(&self) -> Result<(OneDayAhead, OneDayAhead)> {
        let model = self.noisy_model()?;
        let first = self.calibration_last_day() + 1;
        let last = self.model.calendar().n_days();
        let seed = self.spec.assimilation.seed;
        let data = self.streams(&model, None)?;
        let with = one_day_ahead(
            self.filter(&model, &data)?,
            &data,
            &self.observed,
            self.area_m2,
            first,
            last,
            seed,
        )?;
        let none = self.streams(&model, Some(self.spec.start.add_days(-1)))?;
        let without = one_day_ahead(
            self.filter(&model, &none)?,
            &none,
            &self.observed,
            self.area_m2,
            first,
            last,
            seed,
        )?;
        Ok((with, without))
    }

    /// Assimilate the data up to `origin`, then forecast `horizon` days with
    /// `traces` as forecast forcing after the record (empty: the record
    /// itself where it goes on, then dry persistence).
    pub fn forecast(
        &self,
        origin: Date,
        horizon: usize,
        traces: Vec<ForcingTrace>,
    ) -> Result<DischargeForecast> {
        let model = self.noisy_model()?;
        let day = self.model.calendar().day_in_range(origin).ok_or_else(|| {
            Error::input(
                Located::default().field("origin"),
                format!("{origin} is outside the simulated range"),
            )
        })?;
        let data = self.streams(&model, Some(origin))?;
        let mut filter = self.filter(&model, &data)?;
        filter.advance_to(day)?;
        // Forcing after the origin is what a forecast would have had: the
        // given traces, or (for hindcasts without traces) the record.
        let future = if traces.is_empty() {
            model.with_forcing(model.forcing().clone())?
        } else {
            model.with_forcing(model.forcing().until(origin)?.with_forecast(traces)?)?
        };
        discharge_forecast(
            &filter,
            &future,
            &data,
            self.area_m2,
            horizon,
            self.spec.assimilation.seed,
        )
    }

    /// Probabilities of exceeding the spec's thresholds and return-period flow.
    pub fn warnings(&self, fc: &DischargeForecast) -> Result<Vec<Warning>> {
        Ok(self
            .warning_levels()?
            .into_iter()
            .map(|(label, threshold)| Warning {
                daily: fc.exceedance(threshold),
                any: fc.exceedance_any(threshold),
                label,
                threshold,
            })
            .collect())
    }

    /// The spec's thresholds and return-period flow, labelled (mm/day).
    pub fn warning_levels(&self) -> Result<Vec<(String, f64)>> {
        let mut levels: Vec<(String, f64)> = self
            .spec
            .thresholds
            .iter()
            .map(|t| (format!("{t} mm/day"), *t))
            .collect();
        if let Some((years, method)) = self.spec.return_period {
            let maxima: Vec<f64> = annual_maxima(&self.streamflow)
                .into_iter()
                .map(|x| x.1)
                .collect();
            let q = return_period_flow(&maxima, years, method).map_err(|e| {
                Error::Other(format!(
                    "{}: forecast.return_period_years = {years}: {e} (years with at least \
                     {MIN_DAYS_PER_YEAR} observed days); drop the key or give a longer record",
                    self.spec.streamflow.display()
                ))
            })?;
            levels.push((format!("{years}-year flow ({method:?})"), q));
        }
        Ok(levels)
    }
}
