//! Terraform resources, one file each, every file in the same order (see CONTRIBUTING.md).
//! What they share lives in [`crate::framework`].

pub mod auto_remediation;
pub mod context_list;
pub mod context_values;
pub mod remediation_permissions;
pub mod role_assignment;
