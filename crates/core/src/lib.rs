//! Domain-neutral core of Didymos.
//!
//! Everything a twin algorithm needs to know about a model goes through the
//! [`Model`] trait, pomp-style: an initializer, a (batched) process step,
//! observables and a named parameter space with priors and transforms.
//! Domain crates implement it; this crate never
//! names a domain.
#![forbid(unsafe_code)]

pub mod blocks;
pub mod data_model;
pub mod ensemble;
pub mod error;
pub mod fs;
pub mod math;
pub mod model;
pub mod observation;
pub mod params;
pub mod rng;
pub mod suggest;
pub mod time;
pub mod timeline;
pub mod timestamp;

/// Prints `SKIPPED: …` straight to the process's stderr. The test harness
/// captures `println!`/`eprintln!` of passing tests, which would hide that a
/// check did not run; a direct write is always shown, so a skip is never
/// silent.
#[macro_export]
macro_rules! skipped {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(
            ::std::io::stderr(),
            "SKIPPED: {}",
            ::std::format_args!($($arg)*)
        );
    }};
}

pub use blocks::BlockColumns;
pub use data_model::DataModel;
pub use ensemble::{Ensemble, RunOptions};
pub use error::{show_number, Error, Located, Result};
pub use model::{MemberMut, Model, ObservableDef, StateLayout};
pub use params::{ParamDef, ParameterSpace, Prior, Transform};
pub use rng::MemberRng;
pub use time::{Calendar, Date};
pub use timeline::Timeline;
