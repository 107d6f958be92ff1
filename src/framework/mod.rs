//! What every Terraform type of the provider shares, and nothing that names one: the clients
//! `configure` builds ([`ProviderData`]), tenant-wide lookups, diagnostics, timeouts, schema
//! builders, private state, and the one adapter ([`resource::Managed`]) that turns a resource
//! file into a `tf_provider` resource.
//!
//! Resources and data sources import from here; `provider` builds what is here and lists the
//! types. Nothing here imports a resource, a data source or the provider, so there is no circle.

pub mod diagnostics;
pub mod lookups;
pub mod private;
pub mod resource;
pub mod schema;
pub mod timeouts;

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::graph::GraphClient;
use crate::workbench::WorkbenchClient;

/// Why one side (Graph or Workbench) cannot be used; reported when a resource needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable {
    /// One line.
    pub summary: String,
    /// What to set.
    pub detail: String,
}

/// The API clients built by `configure`, or why each cannot be used.
#[derive(Debug)]
pub struct Clients {
    /// The Microsoft Graph client.
    pub graph: Result<GraphClient, Unavailable>,
    /// The Expel Workbench client.
    pub workbench: Result<WorkbenchClient, Unavailable>,
}

#[derive(Debug, Default)]
struct Shared {
    clients: OnceLock<Clients>,
    lookups: lookups::Lookups,
}

/// Shared between the provider and everything it serves; filled once by `configure`.
#[derive(Clone, Debug, Default)]
pub struct ProviderData(Arc<Shared>);

impl ProviderData {
    /// Stores the clients `configure` built; `false` when the provider was configured before
    /// (the first configuration stays in effect).
    pub fn configure(&self, clients: Clients) -> bool {
        self.0.clients.set(clients).is_ok()
    }

    /// Tenant-wide lookups cached for this provider process.
    pub fn lookups(&self) -> &lookups::Lookups {
        &self.0.lookups
    }

    fn clients(&self, diags: &mut Diagnostics) -> Option<&Clients> {
        let clients = self.0.clients.get();
        if clients.is_none() {
            diags.root_error(
                "The expel provider is not configured",
                "Terraform did not configure the provider before using it; this is a bug in the provider or Terraform.",
            );
        }
        clients
    }

    /// The Graph client, or an error diagnostic saying what to configure.
    pub fn graph(&self, diags: &mut Diagnostics) -> Option<&GraphClient> {
        usable(&self.clients(diags)?.graph, diags)
    }

    /// The Workbench client, or an error diagnostic saying what to configure.
    pub fn workbench(&self, diags: &mut Diagnostics) -> Option<&WorkbenchClient> {
        usable(&self.clients(diags)?.workbench, diags)
    }

    /// The Workbench client once the API key is proven to work and its organization is
    /// picked out (one request per provider process), so that at plan time a wrong key or an
    /// ambiguous multi-organization key fails before anything is written.
    pub async fn checked_workbench(&self, diags: &mut Diagnostics) -> Option<&WorkbenchClient> {
        let workbench = self.workbench(diags)?;
        let organizations = match self.lookups().organizations(workbench).await {
            Ok(organizations) => organizations,
            Err(err) => {
                diagnostics::workbench_error(diags, "checking the Workbench API key", &err, None);
                return None;
            }
        };
        match workbench.organization_id() {
            Some(id) if !organizations.iter().any(|o| o.id == id) => {
                diags.root_error(
                    format!("The API key cannot see organization {id}"),
                    "Check organization_id (EXPEL_ORGANIZATION_ID), or use an API key of that organization.",
                );
                None
            }
            None if organizations.len() > 1 => {
                let ids: Vec<&str> = organizations.iter().map(|o| o.id.as_str()).collect();
                diags.root_error(
                    format!("The API key sees {} organizations", organizations.len()),
                    format!(
                        "Set organization_id (EXPEL_ORGANIZATION_ID) to one of {}.",
                        ids.join(", ")
                    ),
                );
                None
            }
            _ => Some(workbench),
        }
    }
}

/// The client, or an error diagnostic saying why it cannot be used.
fn usable<'c, C>(client: &'c Result<C, Unavailable>, diags: &mut Diagnostics) -> Option<&'c C> {
    match client {
        Ok(client) => Some(client),
        Err(why) => {
            diags.root_error(why.summary.clone(), why.detail.clone());
            None
        }
    }
}

/// A set of strings as Terraform sends it (elements may be unknown at plan time).
pub type StringSet = Value<BTreeSet<Value<String>>>;

/// The elements of a set, when the set and every element are known.
pub fn known_set(set: &StringSet) -> Option<BTreeSet<String>> {
    set.as_ref_option()?
        .iter()
        .map(|v| v.as_ref_option().cloned())
        .collect()
}

/// Unwraps the state Terraform always sends for this call; `None` (a null object) is how a
/// read says "gone", so it must never reach a create, update or delete.
pub fn present<T>(state: Option<T>, diags: &mut Diagnostics) -> Option<T> {
    if state.is_none() {
        diags.root_error(
            "Terraform sent no state for this resource",
            "This is a bug in the provider or in Terraform; please report it.",
        );
    }
    state
}

/// An attribute that must be known at this point, or an error diagnostic naming it.
pub fn known<'v, T>(
    value: &'v Value<T>,
    name: &'static str,
    diags: &mut Diagnostics,
) -> Option<&'v T> {
    let found = value.as_ref_option();
    if found.is_none() {
        diags.error(
            format!("{name} is not known"),
            format!("{name} must be known at this point; this is a bug in the provider or in Terraform."),
            AttributePath::new(name),
        );
    }
    found
}

/// A known attribute parsed into its domain type (validated earlier, so failure is a bug).
pub fn parsed<T>(value: &Value<String>, name: &'static str, diags: &mut Diagnostics) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match known(value, name, diags)?.parse() {
        Ok(parsed) => Some(parsed),
        Err(err) => {
            diags.error(
                format!("Invalid {name}"),
                err.to_string(),
                AttributePath::new(name),
            );
            None
        }
    }
}
