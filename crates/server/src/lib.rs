//! The twin service (skeleton, being built).
#![forbid(unsafe_code)]
