//! Embedded sandbox and terraform acceptance harness.
//!
//! The sandbox imports nothing from the provider crate: it is written from the API facts so
//! that it cannot confirm the client's own mistakes.

pub mod harness;
pub mod sandbox;
