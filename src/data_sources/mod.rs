//! Terraform data sources, one file each.

pub mod context_list;
pub mod service_principal;
