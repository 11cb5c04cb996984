//! Epidemic domain for Didymos.
#![forbid(unsafe_code)]

pub mod episim;
pub mod filtering;
pub mod inputs;
pub mod mmca;
pub mod scenarios;
pub mod spec;
pub mod spec_assim;
pub mod streams;
pub mod twin;
