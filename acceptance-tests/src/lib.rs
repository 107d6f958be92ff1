//! Embedded sandbox and terraform acceptance harness.
