//! Terraform data sources, one file each.

pub mod context_list;
pub mod remediation_readiness;
pub mod security_device;
pub mod service_principal;
