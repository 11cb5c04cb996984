//! Probabilistic forecasts for Didymos: quantiles and epidemiological
//! weeks, proper scores (WIS with its decomposition, sample CRPS, coverage,
//! bias), calibration at every level, Forecast Hub CSV files, the Hub's
//! persistence baseline, a damped-trend forecaster, a leading-indicator
//! forecaster and quantile-average ensembles.
//!
//! Domain-neutral: a forecast is of some `target` value at a `location`;
//! what the value measures is the caller's business.
#![forbid(unsafe_code)]

pub mod baseline;
pub mod calibration;
pub mod ensemble;
pub mod hub;
pub mod lead;
pub mod normal;
pub mod quantiles;
pub mod scores;
pub mod trend;

pub use baseline::{
    persistence_baseline, persistence_baseline_sampled, BaselineOptions, SampledBaseline,
};
pub use calibration::{calibration, Calibration, CalibrationTally};
pub use ensemble::quantile_average;
pub use hub::{
    forecast_rows, read_hub_csv, write_hub_csv, HorizonUnit, HubRow, RowKind, Target, HUB_COLUMNS,
};
pub use lead::{lead_ratio, lead_ratio_at};
pub use normal::normal_quantile;
pub use quantiles::{epiweek, epiweek_end, quantile, quantiles, HUB_LEVELS};
pub use scores::{
    bias, crps_samples, crps_sorted, interval_coverage, wis, QuantileForecast, WisBreakdown,
};
pub use trend::{damped_trend, damped_trend_at, TrendOptions};
