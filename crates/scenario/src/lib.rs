//! What-if scenarios, generic over the [`Model`](didymos_core::Model) trait.
//!
//! A scenario run branches every scenario from one posterior (the members
//! of an assimilated ensemble on a day), each with its own model (the same
//! model with interventions applied, built by the domain crate) and its own
//! parameter changes. All scenarios use **common random numbers**: the same
//! members (picked once by weight) and the same random stream per member, so
//! member m of scenario A and member m of the baseline differ only by the
//! intervention. Paired differences (averted outcomes) are then computed
//! member by member and are exactly zero for a scenario equal to the
//! baseline.
#![forbid(unsafe_code)]

pub mod engine;
pub mod output;
pub mod summary;

pub use engine::{run_scenarios, Options, Outcome, ParamChange, ParamOp, Posterior, Scenario};
pub use summary::{
    difference, exceedance, summarise, Difference, Exceedance, QuantileSet, SeriesSummary, LEVELS,
};
