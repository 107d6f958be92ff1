//! Terraform acceptance harness: builds the provider, installs it into a filesystem mirror so
//! `terraform init` runs for real, and drives the `terraform` binary in a directory of its own
//! per test, against the embedded sandbox or (with `TF_ACC=1`) a real sandbox tenant.

mod install;
pub mod processes;
mod target;
mod tenant;
mod workspace;

pub use install::{
    build_provider, mirror_of, provider_binary, provider_mirror, Build, PROVIDER_VERSION,
};
pub use target::{
    Credentials, System, Target, TestApp, ANALYST_KEY_VARIABLE, EXPEL_APP_VARIABLE,
    SUMMARY_VARIABLE,
};
pub use tenant::{ApiError, TenantApi};
pub use workspace::{Outcome, Workspace};
