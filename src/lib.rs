//! terraform-provider-expel: Terraform resources that enable Expel's Microsoft 365 auto
//! remediations (Reset Credentials, Remove Malicious Email).
//!
//! `graph` and `workbench` are API clients that know nothing of Terraform or of each other;
//! `http` is what both share. `resources` and `data_sources` speak Terraform and call them
//! through what `framework` shares (the clients, lookups, diagnostics, timeouts); `provider`
//! builds the clients and lists the types. No module imports one above it. `cli` is the
//! binary run by hand; its `discover` subcommand (`discover`) reads through the same clients.

#![warn(missing_docs)]

pub mod cli;
pub mod data_sources;
pub mod discover;
pub mod framework;
pub mod graph;
pub mod http;
pub mod logging;
#[cfg(target_os = "linux")]
pub mod nodelay;
pub mod provider;
pub mod remediation;
pub mod resources;
#[cfg(test)]
pub(crate) mod test_strategies;
pub mod workbench;
