//! Scenario engine (skeleton, being built).
#![forbid(unsafe_code)]
