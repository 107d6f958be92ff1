//! Terraform data sources, one file each.

pub mod service_principal;
