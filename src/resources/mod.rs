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

use crate::graph::GraphError;

/// How long after a write a 404 is taken for replication lag rather than deletion.
pub const LAG_WINDOW: Duration = Duration::from_secs(300);
/// The longest a single read waits for an object to replicate.
const LAG_WAIT: Duration = Duration::from_secs(60);

/// Private state of Graph-backed resources: when this provider last created or changed the
/// object, in milliseconds since the Unix epoch.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Written {
    /// Time of the last write.
    pub at_ms: u64,
}

/// Private state as stored (absent for imported objects and old states).
pub type Private = Option<Written>;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Private state saying the object was written now.
pub fn written_now() -> Private {
    Some(Written { at_ms: now_ms() })
}

/// How much of the lag window is left for an object with this private state.
pub fn lag_window_left(private: &Private) -> Duration {
    let Some(written) = private else {
        return Duration::ZERO;
    };
    let elapsed = Duration::from_millis(now_ms().saturating_sub(written.at_ms));
    LAG_WINDOW.saturating_sub(elapsed)
}

/// Runs `read`, retrying "not found" with backoff while the object may still be replicating:
/// for at most [`LAG_WAIT`] and never past the lag window.
pub async fn read_through_lag<T, F, Fut>(private: &Private, mut read: F) -> Result<T, GraphError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, GraphError>>,
{
    let budget = lag_window_left(private).min(LAG_WAIT);
    let started = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        match read().await {
            Err(err) if err.is_not_found() && started.elapsed() + delay < budget => {
                crate::http::deadline::waiting_for(|| {
                    "Microsoft Entra ID to replicate an object this provider just wrote (Microsoft Graph still answers 404 for it)".to_owned()
                });
                tracing::debug!(
                    delay_ms = delay.as_millis() as u64,
                    "not found shortly after a write; waiting for replication"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
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
    fn imported_objects_have_no_lag_window() {
        assert_eq!(lag_window_left(&None), Duration::ZERO);
    }

    #[test]
    fn fresh_writes_have_the_whole_window() {
        assert!(lag_window_left(&written_now()) > LAG_WINDOW - Duration::from_secs(5));
    }

    #[test]
    fn old_writes_have_no_window_left() {
        let old = Some(Written {
            at_ms: now_ms() - 2 * LAG_WINDOW.as_millis() as u64,
        });
        assert_eq!(lag_window_left(&old), Duration::ZERO);
    }

    #[tokio::test]
    async fn not_found_outside_the_window_is_believed_at_once() {
        let mut calls = 0;
        let result: Result<(), _> = read_through_lag(&None, || {
            calls += 1;
            async { Err(GraphError::NotFound(Default::default())) }
        })
        .await;
        assert!(result.unwrap_err().is_not_found());
        assert_eq!(calls, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_right_after_a_write_is_retried_until_it_appears() {
        let mut calls = 0;
        let result = read_through_lag(&written_now(), || {
            calls += 1;
            let attempt = calls;
            async move {
                if attempt < 4 {
                    Err(GraphError::NotFound(Default::default()))
                } else {
                    Ok(attempt)
                }
            }
        })
        .await;
        assert_eq!(result.unwrap(), 4);
    }
}
