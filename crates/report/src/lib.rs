//! Self-contained HTML reports (skeleton, being built).
#![forbid(unsafe_code)]
