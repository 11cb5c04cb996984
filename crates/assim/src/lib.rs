//! Data assimilation for Didymos, written once against the core
//! [`Model`](didymos_core::Model) and [`DataModel`](didymos_core::DataModel)
//! traits so that it works for any domain.
//!
//! - [`pf`]: bootstrap particle filter with a log-likelihood estimate.
//! - [`block_pf`]: its block-by-block resampling for many loosely coupled places.
//! - [`eakf`]: ensemble adjustment Kalman filter (Anderson 2001).
//! - [`mod@if2`]: iterated filtering (Ionides et al. 2015) for maximum likelihood.
//! - [`liu_west`]: Liu–West kernel shrinkage for online parameter learning.
//!
//! Days follow the core calendar: day 1 is the initial condition. A filter
//! assimilates the data of the day its ensemble is on (day 1 included), then
//! steps. Every random draw comes from a stream keyed by (seed, member or
//! day, purpose), and all reductions over members run in member order, so
//! results are bit-identical for any thread count or batch size.
//!
//! **Observation history.** `DataModel` reads a member's last `window()`
//! rows of model observables. The filters keep that history themselves
//! ([`history::ObsHistory`]), one flat ring shared by all members (they are
//! pushed in lockstep), copied along with each member whenever the ensemble
//! is resampled. Near the start of a run, when
//! fewer than `window()` days exist, the history is shorter.
#![forbid(unsafe_code)]

pub mod block_pf;
pub mod diagnose;
pub mod eakf;
pub mod history;
pub mod if2;
pub mod liu_west;
pub mod pf;
pub mod scale;
pub mod stats;

pub use block_pf::{Block, Blocks, ObservationBlock};
pub use eakf::{Eakf, EakfOptions, Localizer, Quantity, StateRepair, Support, SupportFn};
pub use history::ObsHistory;
pub use if2::{if2, if2_with, If2Options, If2Result};
pub use liu_west::{Learning, LiuWest, LiuWestOptions};
pub use pf::{DayRecord, ParticleFilter, PfOptions};
