//! Microsoft Entra ID replication lag, in one place.
//!
//! Graph is eventually consistent: an object created seconds ago may still be answered 404,
//! by a read of the object itself or by a write that references it. Two cases are lag, not
//! absence, and are retried here within bounded windows:
//! - an object this provider wrote itself, read within [`WRITE_WINDOW`] of that write;
//! - an object a write references (a service principal or app registration created in the
//!   same apply, e.g. by azuread), within [`REFERENCE_WAIT`] or the operation's deadline.
//!
//! Everything else believes a 404 at once. Reads say which case they are in with a
//! [`Consistency`] value; writes that reference a principal go through [`write_referencing`].

use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::GraphError;
use crate::http::deadline;

/// How long after this provider's own write a 404 is taken for replication lag.
pub const WRITE_WINDOW: Duration = Duration::from_secs(300);
/// The longest a single read waits for an object this provider wrote to replicate.
const WRITE_WAIT: Duration = Duration::from_secs(60);
/// The longest a write (or an apply-time lookup) waits for an object it references to
/// replicate. Microsoft documents delays of seconds to minutes; the operation's timeout
/// cuts it shorter.
pub const REFERENCE_WAIT: Duration = Duration::from_secs(120);
/// The longest a plan waits for a referenced object that is not there. Terraform plans again
/// right before it applies, when an id made earlier in the same apply may be seconds old; a
/// typo fails after this wait.
pub const PLAN_REFERENCE_WAIT: Duration = Duration::from_secs(30);

/// How much of the window after a write at `written_at` is left.
fn write_window_left(written_at: Option<SystemTime>) -> Duration {
    let Some(at) = written_at else {
        return Duration::ZERO;
    };
    let elapsed = SystemTime::now().duration_since(at).unwrap_or_default();
    WRITE_WINDOW.saturating_sub(elapsed)
}

/// Backoff between looks at an object that is not there yet.
struct Pacing {
    started: Instant,
    delay: Duration,
    budget: Duration,
}

impl Pacing {
    /// Beyond `budget` the wait ends; the operation's timeout may cut it shorter, with an
    /// error that keeps the object in state (never a "not found" that would drop it).
    fn new(budget: Duration) -> Self {
        Self {
            started: Instant::now(),
            delay: Duration::from_millis(250),
            budget,
        }
    }

    /// Sleeps before the next look, or says the budget is spent.
    async fn wait(&mut self, what: &str) -> bool {
        if self.started.elapsed() + self.delay >= self.budget {
            return false;
        }
        deadline::waiting_for(|| format!("Microsoft Entra ID to replicate {what}"));
        tracing::debug!(
            delay_ms = self.delay.as_millis() as u64,
            what,
            "not found yet; waiting for replication"
        );
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(Duration::from_secs(5));
        true
    }

    fn waited(&self) -> Duration {
        self.started.elapsed()
    }
}

/// How a read treats an object that is not there: believed at once, or looked at again for a
/// while because it may still be replicating. Resources hold the time of their last write and
/// turn it into this value; every lag wait of a Graph read is decided here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consistency {
    wait: Duration,
}

impl Consistency {
    /// Absence is believed at once.
    pub const IMMEDIATE: Consistency = Consistency {
        wait: Duration::ZERO,
    };

    /// The object was last written by this provider at `written_at` (`None`: never, e.g.
    /// imported): absence within [`WRITE_WINDOW`] of that write is lag, waited out for at most
    /// a minute and never past the window.
    pub fn after_write(written_at: Option<SystemTime>) -> Self {
        Self {
            wait: write_window_left(written_at).min(WRITE_WAIT),
        }
    }

    /// The object was written by this provider a moment ago (e.g. a create answered
    /// "already exists", whose object is looked for now).
    pub fn just_written() -> Self {
        Self::after_write(Some(SystemTime::now()))
    }

    /// The object is referenced by a configuration and may have been created moments ago
    /// (e.g. by azuread in the same apply): absence is looked at again for up to `wait`
    /// (and the operation's deadline).
    pub fn referenced(wait: Duration) -> Self {
        Self { wait }
    }

    /// Runs `read` of one object, retrying "not found" within this policy's wait.
    pub async fn read<T, F, Fut>(self, what: &str, mut read: F) -> Result<T, GraphError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, GraphError>>,
    {
        let mut pacing = Pacing::new(self.wait);
        loop {
            match read().await {
                Err(err) if err.is_not_found() && pacing.wait(what).await => {}
                other => return other,
            }
        }
    }

    /// Runs `lookup` of an object (`None`: not there), looking again within this policy's
    /// wait while it answers `None`.
    pub async fn find<T, F, Fut>(self, what: &str, mut lookup: F) -> Result<Option<T>, GraphError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, GraphError>>,
    {
        let mut pacing = Pacing::new(self.wait);
        loop {
            match lookup().await {
                Ok(None) if pacing.wait(what).await => {}
                other => return other,
            }
        }
    }
}

/// Runs `write`, trying again while Graph says the object `id` it references does not exist
/// (yet), for at most [`REFERENCE_WAIT`] (and the operation's deadline). A write that never
/// gets through ends in [`GraphError::NotReplicated`] naming `what` and the wait.
pub async fn write_referencing<T, F, Fut>(
    id: &str,
    what: &str,
    mut write: F,
) -> Result<T, GraphError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, GraphError>>,
{
    let mut pacing = Pacing::new(REFERENCE_WAIT);
    loop {
        match write().await {
            Err(err) if err.is_missing_reference(id) => {
                if !pacing.wait(what).await {
                    return Err(GraphError::NotReplicated {
                        object: what.to_owned(),
                        waited_s: pacing.waited().as_secs(),
                        failure: Box::new(err.failure().cloned().unwrap_or_default()),
                    });
                }
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_found() -> GraphError {
        GraphError::NotFound(Default::default())
    }

    #[test]
    fn imported_objects_have_no_window() {
        assert_eq!(write_window_left(None), Duration::ZERO);
    }

    #[test]
    fn fresh_writes_have_the_whole_window() {
        assert!(write_window_left(Some(SystemTime::now())) > WRITE_WINDOW - Duration::from_secs(5));
    }

    #[test]
    fn old_writes_have_no_window_left() {
        let old = SystemTime::now() - 2 * WRITE_WINDOW;
        assert_eq!(write_window_left(Some(old)), Duration::ZERO);
    }

    #[tokio::test]
    async fn not_found_outside_the_window_is_believed_at_once() {
        let mut calls = 0;
        let result: Result<(), _> = Consistency::after_write(None)
            .read("x", || {
                calls += 1;
                async { Err(not_found()) }
            })
            .await;
        assert!(result.unwrap_err().is_not_found());
        assert_eq!(calls, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_right_after_a_write_is_retried_until_it_appears() {
        let mut calls = 0;
        let result = Consistency::after_write(Some(SystemTime::now()))
            .read("x", || {
                calls += 1;
                let attempt = calls;
                async move {
                    if attempt < 4 {
                        Err(not_found())
                    } else {
                        Ok(attempt)
                    }
                }
            })
            .await;
        assert_eq!(result.unwrap(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_referenced_object_is_looked_up_until_it_appears() {
        let mut calls = 0;
        let found = Consistency::referenced(PLAN_REFERENCE_WAIT)
            .find("x", || {
                calls += 1;
                let attempt = calls;
                async move { Ok((attempt >= 3).then_some(attempt)) }
            })
            .await;
        assert_eq!(found.unwrap(), Some(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_referenced_object_that_never_appears_is_absent_after_the_budget() {
        let started = Instant::now();
        let found: Result<Option<()>, _> = Consistency::referenced(Duration::from_secs(10))
            .find("x", || async { Ok(None) })
            .await;
        assert_eq!(found.unwrap(), None);
        assert!(started.elapsed() <= Duration::from_secs(10));
        assert!(started.elapsed() >= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_referencing_a_lagging_principal_goes_through_once_it_replicates() {
        let mut calls = 0;
        let result = write_referencing("p", "service principal p", || {
            calls += 1;
            let attempt = calls;
            async move {
                if attempt < 3 {
                    Err(not_found())
                } else {
                    Ok("created")
                }
            }
        })
        .await;
        assert_eq!(result.unwrap(), "created");
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_whose_reference_never_appears_names_it_and_the_wait() {
        let result: Result<(), _> =
            write_referencing("p", "service principal p", || async { Err(not_found()) }).await;
        let err = result.unwrap_err();
        let text = err.to_string();
        assert!(text.contains("service principal p"), "{text}");
        assert!(
            matches!(err, GraphError::NotReplicated { waited_s, .. } if (100..=120).contains(&waited_s)),
            "{err:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn other_write_failures_are_not_retried() {
        let mut calls = 0;
        let result: Result<(), _> = write_referencing("p", "x", || {
            calls += 1;
            async { Err(GraphError::BadRequest(Default::default())) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 1);
    }
}
