//! The application layer of Didymos: what a twin does with a model and its
//! data. Everything here is generic over `Model` and works with the core's
//! `StreamSet` data model, so every domain gets it for free.
//!
//! - [`checkpoint`]: save and resume a particle filter's posterior.
//! - [`predict`]: run a posterior ensemble forward and sample what the
//!   streams will report (predictive distribution, not just the mean).
//! - [`backtest`]: rolling-origin forecasts that only use data available at
//!   each origin, scored against what happened and against a baseline.
//! - [`companions`]: a damped trend on the observed weekly sums and its
//!   ensemble with the twin, scored beside it and written on request.
//! - [`epiweeks`]: the Forecast Hub's weekly targets (epiweeks) as windows
//!   of days around an origin.
#![forbid(unsafe_code)]

pub mod backtest;
pub mod checkpoint;
pub mod companions;
pub mod epiweeks;
pub mod filter;
pub mod learning;
pub mod predict;
