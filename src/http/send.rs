//! The one retry loop, and the HTTP exchange the Graph and Workbench clients share.
//!
//! [`with_retries`] makes the attempts of one logical call until one is final: it counts them,
//! waits between them (a server's `Retry-After`, else backon's backoff), leaves the
//! operation's breadcrumbs, gives each attempt its tracing span and warns before each retry.
//! The code of one attempt (headers, tokens, how an error body reads) is the caller's, and
//! says what came of it as an [`Outcome`]. [`Sender`] adds what both API clients do around
//! that: the route throttle, the timed request and the verdict on its answer.
//!
//! Not for: what an API's answers mean; that stays with each client.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use reqwest::Method;
use tokio::time::Instant;
use tracing::field::{display, Empty};
use tracing::{debug, warn, Instrument, Span};

use super::{
    parse_retry_after, receive, route_template, Attempt, Attempts, ConnectionError, Received,
    RetryPolicy, Throttle, Verdict,
};

/// What one attempt came to.
#[derive(Debug)]
pub enum Outcome<T, E> {
    /// Success: the call returns this.
    Done(T),
    /// Nothing failed, but the attempt must be made again at once (after Graph refused a token
    /// and a fresh one was fetched). It still counts against the attempt limit.
    Again,
    /// A failure: retried while the verdict allows, returned otherwise.
    Failed {
        /// Whether and how soon a retry may help.
        verdict: Verdict,
        /// The error the call returns if this was its last attempt.
        error: E,
    },
}

/// The error of a call whose attempts can fail.
pub trait Retryable: Display {
    /// This error as the end of a call whose transient failures (5xx, dropped connections)
    /// outlasted its retries: an answer that made no sense on its own counts as transient then.
    fn outlasted(self) -> Self;
}

/// A logical call as breadcrumbs and logs name it.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    /// The service called, for breadcrumbs: `Microsoft Graph`.
    pub service: &'static str,
    /// One attempt in the retry warning: `graph request` gives `retrying graph request: …`.
    pub what: &'a str,
    /// The HTTP method, or empty when another library makes the request (a token request).
    pub method: &'a str,
    /// The route template (`/v1.0/servicePrincipals/{id}`), or what is asked for when there
    /// is no route of ours (`the token request`). Never ids or secrets.
    pub route: &'a str,
}

impl Call<'_> {
    /// The request as breadcrumbs name it: `GET /v1.0/servicePrincipals/{id}`.
    fn request(&self) -> String {
        if self.method.is_empty() {
            self.route.to_owned()
        } else {
            format!("{} {}", self.method, self.route)
        }
    }
}

/// Makes the attempts of `call` under `policy` until one is final, and returns its result.
///
/// Each attempt runs in a DEBUG span `call` with `what`, `attempt`, `method` and `route`, and
/// the fields `status`, `duration_ms`, `request_id` and `client_request_id` for the attempt
/// to record. A failure whose verdict is transient, when retries run out, ends as
/// [`Retryable::outlasted`].
pub async fn with_retries<T, E, Fut>(
    policy: &RetryPolicy,
    call: Call<'_>,
    mut attempt: impl FnMut(Attempt) -> Fut,
) -> Result<T, E>
where
    E: Retryable,
    Fut: Future<Output = Outcome<T, E>>,
{
    let mut attempts =
        Attempts::on_route(policy, call.service, call.request(), call.route.to_owned());
    loop {
        let this = attempts.begin();
        let span = tracing::debug_span!(
            "call",
            what = %call.what,
            attempt = this.number(),
            method = Empty,
            route = %call.route,
            status = Empty,
            duration_ms = Empty,
            request_id = Empty,
            client_request_id = Empty,
        );
        if !call.method.is_empty() {
            span.record("method", display(call.method));
        }
        let (verdict, error) = match attempt(this).instrument(span.clone()).await {
            Outcome::Done(value) => {
                attempts.answered();
                return Ok(value);
            }
            Outcome::Again => continue,
            Outcome::Failed { verdict, error } => (verdict, error),
        };
        match attempts.next_delay(verdict) {
            Some(delay) => {
                span.in_scope(|| {
                    warn!(
                        delay_ms = delay.as_millis() as u64,
                        "retrying {}: {error}", call.what
                    )
                });
                tokio::time::sleep(delay).await;
            }
            None if matches!(verdict, Verdict::Transient(_)) => return Err(error.outlasted()),
            None => return Err(error),
        }
    }
}

/// How an HTTP attempt was answered.
#[derive(Debug)]
pub enum Answer {
    /// A 2xx answer's body.
    Success(bytes::Bytes),
    /// Any other answer, and the verdict on it (its route is held for its `Retry-After`).
    Refused {
        /// The answer.
        received: Received,
        /// Whether and how soon a retry may help.
        verdict: Verdict,
    },
    /// No complete answer: always transient.
    Dropped(ConnectionError),
}

/// Sends one API's requests: its HTTP client, retry policy and route throttle.
#[derive(Clone, Debug)]
pub struct Sender {
    http: reqwest::Client,
    retry: RetryPolicy,
    throttle: Arc<Throttle>,
    service: &'static str,
    log_name: &'static str,
}

impl Sender {
    /// A sender to `service` (`Microsoft Graph`, for breadcrumbs), which log messages call
    /// `log_name` (`graph`: `graph response`, `retrying graph request: …`).
    pub fn new(
        http: reqwest::Client,
        retry: RetryPolicy,
        service: &'static str,
        log_name: &'static str,
    ) -> Self {
        Self {
            http,
            retry,
            throttle: Arc::default(),
            service,
            log_name,
        }
    }

    /// A request to `url` that accepts JSON and sends `body` as JSON, for
    /// [`Sender::exchange`] to send once the caller has added its credentials.
    pub fn request(
        &self,
        method: &Method,
        url: &url::Url,
        body: Option<&serde_json::Value>,
    ) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method.clone(), url.clone())
            .header("accept", "application/json");
        match body {
            Some(body) => request.json(body),
            None => request,
        }
    }

    /// Makes the attempts of `method` on `path` with [`with_retries`]; `attempt` builds each
    /// request, hands it to [`Sender::exchange`] and judges the answer.
    pub async fn send<T, E, Fut>(
        &self,
        method: &Method,
        path: &str,
        attempt: impl FnMut(Attempt) -> Fut,
    ) -> Result<T, E>
    where
        E: Retryable,
        Fut: Future<Output = Outcome<T, E>>,
    {
        let what = format!("{} request", self.log_name);
        let call = Call {
            service: self.service,
            what: &what,
            method: method.as_str(),
            route: &route_template(path),
        };
        with_retries(&self.retry, call, attempt).await
    }

    /// Sends one attempt's request once its route is free, and reads the whole answer.
    pub async fn exchange(&self, attempt: &Attempt, request: reqwest::RequestBuilder) -> Answer {
        // Right before sending: a 429 another request got while this one waited (for its
        // token, say) holds it back too.
        self.throttle.pass(attempt.route(), attempt.request()).await;
        attempt.awaiting_answer();
        let started = Instant::now();
        let outcome = receive(request).await;
        let span = Span::current();
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        let received = match outcome {
            Ok(received) => received,
            Err(err) => {
                debug!(error = %err, "{} connection failed", self.log_name);
                return Answer::Dropped(err);
            }
        };
        let status = received.status.as_u16();
        span.record("status", status);
        if let Some(id) = received.header("request-id") {
            span.record("request_id", display(id));
        }
        debug!("{} response", self.log_name);
        if received.status.is_success() {
            return Answer::Success(received.body);
        }
        let retry_after = parse_retry_after(received.header("retry-after"));
        let verdict = self.throttle.verdict(attempt.route(), status, retry_after);
        Answer::Refused { received, verdict }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum TestError {
        Odd(String),
        Kept(String),
    }

    impl Display for TestError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    impl Retryable for TestError {
        fn outlasted(self) -> Self {
            match self {
                TestError::Odd(text) => TestError::Kept(text),
                other => other,
            }
        }
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_attempts: 3,
            deadline: Duration::from_secs(60),
        }
    }

    const CALL: Call<'static> = Call {
        service: "Test",
        what: "test request",
        method: "GET",
        route: "/x",
    };

    async fn run(
        outcomes: impl Fn(usize) -> Outcome<u8, TestError>,
    ) -> (Result<u8, TestError>, usize) {
        let made = AtomicUsize::new(0);
        let result = with_retries(&quick(), CALL, |attempt| {
            made.fetch_add(1, Ordering::Relaxed);
            let outcome = outcomes(attempt.number());
            async move { outcome }
        })
        .await;
        (result, made.load(Ordering::Relaxed))
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success() {
        let (result, made) = run(|n| match n {
            1 | 2 => Outcome::Failed {
                verdict: Verdict::Transient(None),
                error: TestError::Odd("503".into()),
            },
            _ => Outcome::Done(7),
        })
        .await;
        assert_eq!((result, made), (Ok(7), 3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_final_failure_ends_the_call_as_it_is() {
        let (result, made) = run(|_| Outcome::Failed {
            verdict: Verdict::Final,
            error: TestError::Odd("400".into()),
        })
        .await;
        assert_eq!((result, made), (Err(TestError::Odd("400".into())), 1));
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_that_outlast_the_retries_end_as_outlasted() {
        let (result, made) = run(|_| Outcome::Failed {
            verdict: Verdict::Transient(None),
            error: TestError::Odd("502".into()),
        })
        .await;
        assert_eq!((result, made), (Err(TestError::Kept("502".into())), 3));
    }

    #[tokio::test(start_paused = true)]
    async fn again_retries_at_once_and_counts_as_an_attempt() {
        let started = Instant::now();
        let (result, made) = run(|n| match n {
            1 => Outcome::Again,
            _ => Outcome::Done(1),
        })
        .await;
        assert_eq!((result, made), (Ok(1), 2));
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_waited_before_the_next_attempt() {
        let started = Instant::now();
        let (result, _) = run(|n| match n {
            1 => Outcome::Failed {
                verdict: Verdict::Throttled(Some(Duration::from_secs(2))),
                error: TestError::Odd("429".into()),
            },
            _ => Outcome::Done(1),
        })
        .await;
        assert_eq!(result, Ok(1));
        assert!(started.elapsed() >= Duration::from_secs(2));
    }
}
