//! Epidemic domain for Didymos.
#![forbid(unsafe_code)]

pub mod mmca;
