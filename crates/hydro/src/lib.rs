//! Flood domain for Didymos: a lumped rainfall–runoff twin.
//!
//! - [`gr4j`]: GR4J (Perrin et al. 2003) with exact water accounting;
//! - [`snow`]: CemaNeige single-layer snow routine (Valéry et al. 2014);
//! - [`pet`]: Oudin PET from mean temperature and latitude;
//! - [`forcing`]: shared, read-only daily forcing, with forecast traces;
//! - [`camels`]: CAMELS-US forcing and streamflow readers;
//! - [`model`]: [`Gr4jModel`], the above behind the core `Model` trait;
//! - [`metrics`], [`mod@calibrate`]: KGE/NSE and differential evolution;
//! - [`assimilate`]: discharge as a core `StreamSet` (log-normal noise),
//!   filtering with didymos-assim and 1-day-ahead skill;
//! - [`warning`]: ensemble forecasts, exceedance probabilities, return
//!   periods;
//! - [`spec`]: the TOML flood twin spec;
//! - [`twin`]: [`twin::FloodTwin`], a loaded spec and the steps a CLI runs
//!   (calibrate, skill, 1-day-ahead comparison, forecast, warnings);
//! - [`backtest`]: rolling-origin hindcasts scored per lead day against
//!   the open loop and persistence (CRPS, WIS, coverage, NSE/KGE).
#![forbid(unsafe_code)]

pub mod assimilate;
pub mod backtest;
pub mod calibrate;
pub mod camels;
pub mod forcing;
pub mod forecast_forcing;
pub mod gr4j;
pub mod metrics;
pub mod model;
pub mod pet;
pub mod scenarios;
pub mod snow;
pub mod spec;
mod state;
pub mod twin;
pub mod warning;

pub use assimilate::{discharge_streams, AssimilationSettings};
pub use calibrate::{calibrate, Calibration, CalibrationOptions, Objective};
pub use camels::{read_camels_forcing, read_camels_streamflow, CamelsForcing, Streamflow};
pub use forcing::{Forcing, ForcingTrace};
pub use metrics::{kge, nse};
pub use model::{Gr4jModel, Gr4jOptions, Simulation};
