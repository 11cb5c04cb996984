//! Flood domain: lumped rainfall–runoff twin (skeleton, being built).
#![forbid(unsafe_code)]
