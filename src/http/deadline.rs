//! The deadline of the operation in progress (a resource's create, read, update or delete).
//!
//! Retries, replication waits and requests all run below one operation; rather than thread a
//! deadline through every call, the operation runs inside [`within`], which cuts it off when
//! its time is up. Code below leaves breadcrumbs with [`waiting_for`] so the cut-off can say
//! what was being waited for.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static WAITING_FOR: Arc<Mutex<String>>;
}

/// An operation cut off by its deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elapsed {
    /// The last thing the operation said it was waiting for.
    pub waiting_for: String,
}

/// Runs `work`, cutting it off after `limit`.
pub async fn within<F: Future>(limit: Duration, work: F) -> Result<F::Output, Elapsed> {
    let breadcrumb = Arc::new(Mutex::new(String::new()));
    // A timeout of years (humantime parses "1000y") must not overflow the clock.
    let deadline = Instant::now()
        .checked_add(limit)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(365 * 24 * 3600));
    match tokio::time::timeout_at(deadline, WAITING_FOR.scope(breadcrumb.clone(), work)).await {
        Ok(output) => Ok(output),
        Err(_) => {
            let waiting_for = lock(&breadcrumb).clone();
            Err(Elapsed {
                waiting_for: if waiting_for.is_empty() {
                    "the operation to finish".to_owned()
                } else {
                    waiting_for
                },
            })
        }
    }
}

/// Records what the current operation is waiting for now; an empty string means nothing in
/// particular (a no-op outside [`within`]).
pub fn waiting_for(what: impl FnOnce() -> String) {
    let _ = WAITING_FOR.try_with(|breadcrumb| *lock(breadcrumb) = what());
}

fn lock(breadcrumb: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    // A panic while holding the lock leaves a string behind, which is still fine to read.
    breadcrumb
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn work_that_finishes_in_time_returns_its_output() {
        let output = within(Duration::from_secs(5), async { 7 }).await;
        assert_eq!(output, Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn work_past_the_limit_reports_the_last_breadcrumb() {
        let outcome = within(Duration::from_secs(5), async {
            waiting_for(|| "the first answer".into());
            tokio::time::sleep(Duration::from_secs(1)).await;
            waiting_for(|| "Microsoft Graph to stop throttling".into());
            tokio::time::sleep(Duration::from_secs(60)).await;
        })
        .await;
        assert_eq!(
            outcome,
            Err(Elapsed {
                waiting_for: "Microsoft Graph to stop throttling".into()
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_beyond_the_clock_does_not_overflow() {
        assert_eq!(within(Duration::MAX, async { 7 }).await, Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn work_without_breadcrumbs_still_says_something() {
        let outcome = within(Duration::from_millis(10), std::future::pending::<()>()).await;
        assert_eq!(outcome.unwrap_err().waiting_for, "the operation to finish");
    }

    #[test]
    fn breadcrumbs_outside_an_operation_do_not_panic() {
        waiting_for(|| "nothing".into());
    }
}
