//! `didymos assimilate`, `forecast` and `backtest`: keeping the MMCA twin in
//! step with observations and saying what comes next. This file loads a
//! twin with its observations; each command has its own file.

mod assimilate;
mod backtest;
mod backtest_calibration;
mod calibrate;
mod forecast;
mod scenario;
mod scenario_horizon;

pub use assimilate::{assimilate, AssimilateArgs};
pub(crate) use backtest::shown_bias;
pub use backtest::{backtest_cmd, BacktestArgs};
pub use calibrate::{calibrate_cmd, CalibrateArgs};
pub use forecast::{forecast_cmd, ForecastArgs};
pub(crate) use scenario::write_outputs;
pub use scenario::{scenario_cmd, ScenarioArgs};

use std::path::{Path, PathBuf};
use std::time::Instant;

use didymos_core::observation::{Stream, StreamSet};
use didymos_core::{Calendar, DataModel, Date, Error, Model, Result};
use didymos_epi::mmca::{MmcaModel, BETA_SCALE};
use didymos_epi::spec::{load_spec, TwinSpec};
pub use didymos_epi::twin::{load_twin, LoadedTwin};
use didymos_forecast::{
    forecast_rows, quantiles, write_hub_csv, HorizonUnit, HubRow, QuantileForecast, Target,
};
use didymos_store::{Format, TidyWriter};
use didymos_twin::backtest::BacktestOptions;
use didymos_twin::checkpoint;
use didymos_twin::companions::{weekly_ensembles, WeeklyEnsemble};
use didymos_twin::epiweeks::{epiweek_targets, observed_part, EpiweekTarget};
use didymos_twin::filter::Filter;
use didymos_twin::predict::{forecast_with, StreamForecast, TOTAL};

/// Records the spec, the data files it read and the observations as inputs.
fn record_twin_inputs(prov: &mut didymos_prov::Recorder, twin: &LoadedTwin) -> Result<()> {
    crate::prov_cmd::used_spec(prov, &twin.spec.spec_path, &twin.spec.inputs)?;
    crate::prov_cmd::used(prov, "observations", &twin.observations)
}

/// Write a CSV built in memory to `path` atomically.
fn write_csv(path: &Path, w: csv::Writer<Vec<u8>>) -> Result<()> {
    let bytes = w.into_inner().map_err(|e| Error::Other(e.to_string()))?;
    didymos_core::fs::write_atomic(path, &bytes)
}
