#![allow(dead_code)]
// The service tests' mosquitto harness, shared rather than copied.
#[path = "../../../server/tests/common/broker.rs"]
pub mod broker;
pub mod cdp;
pub mod seed;
