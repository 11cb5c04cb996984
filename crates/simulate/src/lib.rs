//! Stream simulator and data injector.
//!
//! - [`simulate`]: a truth trajectory of an MMCA twin (one member, with
//!   stochastic process noise on transmission and optional regime changes)
//!   passed through a configurable observation process (reporting delays,
//!   day-of-week effects, time-varying ascertainment, overdispersed counts,
//!   outliers, missing days, outages with batch dumps, backfill revisions,
//!   clock skew) and an optional wastewater stream. The scenario is a preset
//!   (`normal`, `critical`: see `presets/*.toml`, which document every key)
//!   or a TOML file of the same shape ([`config`]).
//! - [`replay`]: sends an observation file (ours or any file in the ingest
//!   schema) to an HTTP service, an MQTT broker or stdout, in timestamp
//!   order, paced or as fast as possible, under a rate limit.
//!
//! Every record follows the service's ingest contract ([`record::Record`]):
//! `{"stream", "time", "location"?, "stratum"?, "value"}`, with two optional
//! trailing fields, `issued` (when a revision or a dumped record was
//! published) and `flag` (`"censored"`: the true value lies below `value`,
//! the detection limit).
#![forbid(unsafe_code)]

pub mod config;
pub mod observation_process;
pub mod presets;
pub mod record;
pub mod replay;
pub mod run;
pub mod timefmt;
pub mod truth;
pub mod wastewater;
pub mod writer;

pub use config::SimConfig;
pub use record::Record;
pub use run::{simulate, SimulateOptions, SimulateOutcome};
pub use writer::Format;

/// Random-stream purposes (see `didymos_core::rng::member_rng`): one per
/// independent use, so that turning one effect on or off never shifts the
/// draws of another. A stream adds its index (< 4096) to its purposes.
pub(crate) mod purpose {
    pub const TRUTH: u64 = 0x5157_0001;
    pub const NOISE: u64 = 0x5157_1000;
    pub const OUTLIER: u64 = 0x5157_2000;
    pub const MISSING: u64 = 0x5157_3000;
    pub const BACKFILL: u64 = 0x5157_4000;
    pub const OUTAGE: u64 = 0x5157_5000;
    pub const WASTEWATER: u64 = 0x5157_6000;
}
