//! Routes a server asked this client to leave alone for a while.
//!
//! A 429 (or a 503) with `Retry-After` throttles the client, not only the request that got it:
//! Graph counts every request of the app against the same budget, and one sent before the
//! wait is over only earns another 429. So every request to a route first waits out the
//! latest `Retry-After` any request to that route received.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::{deadline, Verdict};

/// Per-route hold times of one client.
#[derive(Debug, Default)]
pub struct Throttle {
    until: Mutex<HashMap<String, Instant>>,
}

impl Throttle {
    /// The verdict on an answer of `route` that is not a success, holding the route for the
    /// server's `Retry-After` when it gave one.
    pub fn verdict(&self, route: &str, status: u16, retry_after: Option<Duration>) -> Verdict {
        let verdict = Verdict::for_status(status, retry_after);
        if let Some(wait) = verdict.retry_after() {
            self.hold(route, wait);
        }
        verdict
    }

    /// Holds `route` for `wait` from now (never shortening a longer hold).
    pub fn hold(&self, route: &str, wait: Duration) {
        let until = Instant::now() + wait;
        let mut held = self.lock();
        let entry = held.entry(route.to_owned()).or_insert(until);
        if *entry < until {
            *entry = until;
        }
    }

    /// When `route` is free again, if it is held now.
    pub fn held_until(&self, route: &str) -> Option<Instant> {
        let mut held = self.lock();
        let now = Instant::now();
        held.retain(|_, until| *until > now);
        held.get(route).copied()
    }

    /// Waits until `route` is free; `request` names the request for the operation's breadcrumb.
    pub async fn pass(&self, route: &str, request: &str) {
        while let Some(until) = self.held_until(route) {
            deadline::waiting_for(|| {
                format!("the Retry-After of an earlier answer on {route} to pass before {request}")
            });
            tracing::debug!(
                route,
                wait_ms = until.saturating_duration_since(Instant::now()).as_millis() as u64,
                "waiting out a Retry-After on this route"
            );
            tokio::time::sleep_until(until).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_free_route_passes_at_once() {
        let throttle = Throttle::default();
        let started = Instant::now();
        throttle.pass("/v1.0/applications", "GET").await;
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_route_waits_out_the_retry_after() {
        let throttle = Throttle::default();
        throttle.hold("/v1.0/applications", Duration::from_secs(2));
        let started = Instant::now();
        throttle.pass("/v1.0/applications", "GET").await;
        assert!(started.elapsed() >= Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn other_routes_are_not_held() {
        let throttle = Throttle::default();
        throttle.hold("/v1.0/applications", Duration::from_secs(2));
        assert_eq!(throttle.held_until("/v1.0/servicePrincipals"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_answer_holds_its_route_and_a_bad_request_does_not() {
        let throttle = Throttle::default();
        throttle.verdict("/bad", 400, Some(Duration::from_secs(2)));
        assert_eq!(throttle.held_until("/bad"), None);
        let verdict = throttle.verdict("/busy", 503, Some(Duration::from_secs(2)));
        assert_eq!(verdict, Verdict::Transient(Some(Duration::from_secs(2))));
        assert!(throttle.held_until("/busy").is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_shorter_hold_never_shortens_a_longer_one() {
        let throttle = Throttle::default();
        throttle.hold("/r", Duration::from_secs(5));
        throttle.hold("/r", Duration::from_secs(1));
        let until = throttle.held_until("/r").expect("held");
        assert!(until >= Instant::now() + Duration::from_secs(4));
    }
}
