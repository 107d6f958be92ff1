//! Terraform resources, one file each, plus what they share: the private state that records
//! when this provider last wrote an object, and reads that ride out Entra replication lag.

pub mod context_list;
pub mod context_values;
pub mod remediation_permissions;
pub mod role_assignment;
pub mod timeouts;

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::graph::{consistency, GraphError};

/// Private state of Graph-backed resources: when this provider last created or changed the
/// object, in milliseconds since the Unix epoch.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Written {
    /// Time of the last write.
    pub at_ms: u64,
}

/// Private state as stored (absent for imported objects and old states).
pub type Private = Option<Written>;

/// Private state saying the object was written now.
pub fn written_now() -> Private {
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Some(Written { at_ms })
}

/// When the object was last written, as the consistency layer wants it.
fn written_at(private: &Private) -> Option<SystemTime> {
    private
        .as_ref()
        .map(|written| UNIX_EPOCH + Duration::from_millis(written.at_ms))
}

/// Runs `read`, retrying "not found" while an object this provider wrote may still be
/// replicating (see [`consistency::read_after_write`]).
pub async fn read_through_lag<T, F, Fut>(private: &Private, read: F) -> Result<T, GraphError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, GraphError>>,
{
    consistency::read_after_write(
        written_at(private),
        "an object this provider just wrote (Microsoft Graph still answers 404 for it)",
        read,
    )
    .await
}

/// Runs `lookup` of an object in a list, looking again while it is absent and an object this
/// provider wrote may still be replicating (see [`consistency::find_after_write`]).
pub async fn find_through_lag<T, F, Fut>(
    private: &Private,
    lookup: F,
) -> Result<Option<T>, GraphError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, GraphError>>,
{
    consistency::find_after_write(
        written_at(private),
        "an object this provider just wrote (Microsoft Graph does not list it yet)",
        lookup,
    )
    .await
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
pub fn parsed<T: std::str::FromStr<Err = String>>(
    value: &Value<String>,
    name: &'static str,
    diags: &mut Diagnostics,
) -> Option<T> {
    match known(value, name, diags)?.parse() {
        Ok(parsed) => Some(parsed),
        Err(message) => {
            diags.error(format!("Invalid {name}"), message, AttributePath::new(name));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_objects_have_no_write_time() {
        assert_eq!(written_at(&None), None);
    }

    #[test]
    fn written_now_round_trips_to_about_now() {
        let at = written_at(&written_now()).expect("written");
        let age = SystemTime::now().duration_since(at).unwrap_or_default();
        assert!(age < Duration::from_secs(5), "{age:?}");
    }
}
