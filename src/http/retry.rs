//! Retry policy shared by the Graph and Workbench clients.
//!
//! Both APIs throttle with 429 + `Retry-After` and fail transiently with 5xx or dropped
//! connections. One policy decides, per attempt, whether to try again and how long to wait:
//! capped exponential backoff with jitter, `Retry-After` honoured in full (on 429 and on 5xx)
//! as long as it ends before the call's deadline; the operation's timeout cuts in beyond that.
//! It knows nothing of either API's bodies.

use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::time::Instant;

use super::deadline;

/// How a client retries transient failures.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// First backoff delay.
    pub min_delay: Duration,
    /// Largest single backoff delay. A server's `Retry-After` is not capped by it: it is
    /// waited in full when it ends before the call's deadline, and ends the call otherwise.
    pub max_delay: Duration,
    /// Attempts in total, the first included.
    pub max_attempts: usize,
    /// Wall-clock budget for one logical call, retries included.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            max_attempts: 12,
            deadline: Duration::from_secs(300),
        }
    }
}

/// What one attempt's outcome means for retrying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Success or a failure that retrying cannot fix.
    Final,
    /// Throttled: wait at least this long if the server said so.
    Throttled(Option<Duration>),
    /// A 5xx answer (waiting at least its `Retry-After`, if any) or a connection error.
    Transient(Option<Duration>),
}

impl Verdict {
    /// The verdict on an HTTP answer that is not a success, by its status alone.
    pub fn for_status(status: u16, retry_after: Option<Duration>) -> Verdict {
        match status {
            429 => Verdict::Throttled(retry_after),
            500 | 502 | 503 | 504 => Verdict::Transient(retry_after),
            _ => Verdict::Final,
        }
    }

    /// The wait the server asked for, if any.
    pub fn retry_after(self) -> Option<Duration> {
        match self {
            Verdict::Throttled(wait) | Verdict::Transient(wait) => wait,
            Verdict::Final => None,
        }
    }
}

/// One attempt of a call, handed to the code that makes it.
#[derive(Clone, Debug)]
pub struct Attempt {
    number: usize,
    service: &'static str,
    request: Arc<str>,
    route: Arc<str>,
}

impl Attempt {
    /// 1 for the first attempt.
    pub fn number(&self) -> usize {
        self.number
    }

    /// The request as breadcrumbs name it, e.g. `GET /v1.0/servicePrincipals/{id}`.
    pub fn request(&self) -> &str {
        &self.request
    }

    /// The route template the request goes to, which throttling holds.
    pub fn route(&self) -> &str {
        &self.route
    }

    /// Notes that the operation now waits for this attempt's answer (again, after waiting
    /// for something else first, such as a token or a throttled route).
    pub fn awaiting_answer(&self) {
        deadline::waiting_for(|| {
            format!(
                "{} to answer {} (attempt {})",
                self.service, self.request, self.number
            )
        });
    }
}

/// The retry state of one logical call.
pub struct Attempts {
    policy: RetryPolicy,
    /// The service called, e.g. `Microsoft Graph`.
    service: &'static str,
    /// The request, e.g. `POST /v1.0/roleManagement/directory/roleAssignments`.
    request: Arc<str>,
    /// Its route template, e.g. `/v1.0/roleManagement/directory/roleAssignments`.
    route: Arc<str>,
    backoff: Box<dyn Iterator<Item = Duration> + Send + Sync>,
    started: Instant,
    made: usize,
}

impl Attempts {
    /// Starts counting attempts of `request` to `service` under `policy`.
    pub fn new(policy: &RetryPolicy, service: &'static str, request: String) -> Self {
        Self::on_route(policy, service, request, String::new())
    }

    /// Like [`Attempts::new`], for a request to `route` (a route template).
    pub fn on_route(
        policy: &RetryPolicy,
        service: &'static str,
        request: String,
        route: String,
    ) -> Self {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_jitter()
            .without_max_times()
            .build();
        Self {
            policy: policy.clone(),
            service,
            request: request.into(),
            route: route.into(),
            backoff: Box::new(backoff),
            started: Instant::now(),
            made: 0,
        }
    }

    /// Records that an attempt is about to be made, and returns it.
    pub fn begin(&mut self) -> Attempt {
        self.made += 1;
        let attempt = Attempt {
            number: self.made,
            service: self.service,
            request: self.request.clone(),
            route: self.route.clone(),
        };
        attempt.awaiting_answer();
        attempt
    }

    /// Notes that the call has its answer, so a later timeout never blames it.
    pub fn answered(&self) {
        deadline::waiting_for(String::new);
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.policy.deadline.saturating_sub(self.started.elapsed())
    }

    /// Given the verdict on the last attempt, how long to sleep before the next one,
    /// or `None` when the call must stop here (final verdict, attempts or deadline exhausted).
    pub fn next_delay(&mut self, verdict: Verdict) -> Option<Duration> {
        if verdict == Verdict::Final || self.made >= self.policy.max_attempts {
            return None;
        }
        // backon's jitter is added on top of the capped delay; cap again. A server's own
        // Retry-After is not capped: retrying earlier only earns another 429.
        let computed = self
            .backoff
            .next()
            .unwrap_or(self.policy.max_delay)
            .min(self.policy.max_delay);
        // Past the operation's deadline the operation's own timeout cuts in, naming the
        // setting and this wait, which says more than giving up here would.
        let delay = verdict.retry_after().unwrap_or(computed);
        if delay >= self.remaining() {
            return None;
        }
        deadline::waiting_for(|| match verdict {
            Verdict::Throttled(_) => format!(
                "{} to stop throttling {} (HTTP 429 on attempt {})",
                self.service, self.request, self.made
            ),
            _ => format!(
                "{} to recover from a server error or dropped connection on {} (attempt {})",
                self.service, self.request, self.made
            ),
        });
        Some(delay)
    }
}

/// Parses a `Retry-After` header value given in seconds (the form Graph and Workbench use).
pub fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> RetryPolicy {
        RetryPolicy {
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(5),
            max_attempts: 4,
            deadline: Duration::from_secs(60),
        }
    }

    #[test]
    fn final_verdict_is_never_retried() {
        let mut attempts = Attempts::new(&quick(), "Test", "GET /".into());
        attempts.begin();
        assert_eq!(attempts.next_delay(Verdict::Final), None);
    }

    #[test]
    fn retry_after_is_waited_for_in_full() {
        let mut attempts = Attempts::new(&quick(), "Test", "GET /".into());
        attempts.begin();
        let delay = attempts
            .next_delay(Verdict::Throttled(Some(Duration::from_secs(2))))
            .expect("throttled calls are retried");
        assert_eq!(delay, Duration::from_secs(2));
    }

    #[test]
    fn retry_after_beyond_the_largest_delay_is_waited_in_full_within_the_deadline() {
        let mut attempts = Attempts::new(&quick(), "Test", "GET /".into());
        attempts.begin();
        let delay = attempts.next_delay(Verdict::Throttled(Some(Duration::from_secs(40))));
        assert_eq!(delay, Some(Duration::from_secs(40)));
    }

    #[test]
    fn retry_after_past_the_deadline_ends_the_call() {
        let mut attempts = Attempts::new(&quick(), "Test", "GET /".into());
        attempts.begin();
        let delay = attempts.next_delay(Verdict::Throttled(Some(Duration::from_secs(3600))));
        assert_eq!(delay, None);
    }

    #[test]
    fn retry_after_on_a_server_error_is_honoured() {
        let mut attempts = Attempts::new(&quick(), "Test", "GET /".into());
        attempts.begin();
        let delay = attempts.next_delay(Verdict::for_status(503, Some(Duration::from_secs(7))));
        assert_eq!(delay, Some(Duration::from_secs(7)));
    }

    #[test]
    fn statuses_map_to_verdicts() {
        let wait = Some(Duration::from_secs(1));
        assert_eq!(Verdict::for_status(429, wait), Verdict::Throttled(wait));
        assert_eq!(Verdict::for_status(503, wait), Verdict::Transient(wait));
        assert_eq!(Verdict::for_status(502, None), Verdict::Transient(None));
        assert_eq!(Verdict::for_status(400, wait), Verdict::Final);
    }

    #[test]
    fn transient_backoff_grows_and_stays_capped() {
        let policy = RetryPolicy {
            max_attempts: 100,
            ..quick()
        };
        let mut attempts = Attempts::new(&policy, "Test", "GET /".into());
        let mut last = Duration::ZERO;
        for _ in 0..20 {
            attempts.begin();
            let delay = attempts
                .next_delay(Verdict::Transient(None))
                .expect("retried");
            assert!(delay <= Duration::from_secs(5), "{delay:?} exceeds the cap");
            last = delay;
        }
        assert!(last >= Duration::from_millis(10));
    }

    #[test]
    fn attempts_stop_at_the_maximum() {
        let mut attempts = Attempts::new(&quick(), "Test", "GET /".into());
        for _ in 0..3 {
            attempts.begin();
            assert!(attempts.next_delay(Verdict::Transient(None)).is_some());
        }
        attempts.begin();
        assert_eq!(attempts.next_delay(Verdict::Transient(None)), None);
    }

    #[test]
    fn attempts_stop_before_the_deadline() {
        let policy = RetryPolicy {
            deadline: Duration::from_secs(1),
            ..quick()
        };
        let mut attempts = Attempts::new(&policy, "Test", "GET /".into());
        attempts.begin();
        assert_eq!(
            attempts.next_delay(Verdict::Throttled(Some(Duration::from_secs(2)))),
            None
        );
    }

    #[test]
    fn retry_after_parses_seconds_only() {
        assert_eq!(parse_retry_after(Some(" 7 ")), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(Some("soon")), None);
        assert_eq!(parse_retry_after(None), None);
    }
}
