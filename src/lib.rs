//! terraform-provider-expel: Terraform resources that enable Expel's Microsoft 365 auto
//! remediations (Reset Credentials, Remove Malicious Email).
//!
//! `graph` and `workbench` are API clients that know nothing of Terraform or of each other;
//! `resources` and `data_sources` speak Terraform and call them; `provider` builds them.

pub mod data_sources;
pub mod graph;
pub mod http;
pub mod logging;
#[cfg(test)]
mod parser_properties;
pub mod provider;
pub mod remediation;
pub mod resources;
pub mod schema;
#[cfg(test)]
pub(crate) mod test_strategies;
pub mod workbench;
