//! Stream simulator and replay (skeleton, being built).
#![forbid(unsafe_code)]
