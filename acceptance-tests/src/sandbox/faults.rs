//! Fault injection and request counting for the API routes.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::json;

use super::{Shared, Timing};

fn roll(percent: u8, scale: f64) -> bool {
    percent > 0 && rand::thread_rng().gen_bool((f64::from(percent) * scale / 100.0).clamp(0.0, 1.0))
}

/// A body that fails at once: the client gets the status line, then a dropped connection.
fn dropped() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox fault: connection reset",
        ))
    });
    Response::builder()
        .status(StatusCode::OK)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn shaped(status: StatusCode, route: &str, retry_after: Option<u64>) -> Response {
    let body = if route.starts_with("/api/v2") {
        json!({"errors": [{"status": status.as_u16().to_string(), "title": status.canonical_reason(), "detail": "sandbox fault"}]})
    } else if route.contains("/oauth2/") {
        json!({"error": "temporarily_unavailable", "error_description": "AADSTS50196: sandbox fault", "error_codes": [50196]})
    } else {
        let code = if status == StatusCode::TOO_MANY_REQUESTS {
            "TooManyRequests"
        } else {
            "serviceNotAvailable"
        };
        json!({"error": {"code": code, "message": "sandbox fault", "innerError": {"date": super::world::timestamp()}}})
    };
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(seconds) = retry_after {
        response.headers_mut().insert("retry-after", seconds.into());
    }
    response
}

/// Counts the request under its route template, then maybe delays it, throttles it, fails
/// it or loses its answer, as the faults in force say; records when it arrived and when its
/// answer was ready.
pub async fn inject(
    State(shared): State<Shared>,
    matched: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let arrived = std::time::Instant::now();
    let route = matched.as_str().to_owned();
    let key = format!("{} {route}", request.method());
    shared.count(key.clone());
    let caller = request.headers().get("authorization").map_or(0, |value| {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        value.as_bytes().hash(&mut hasher);
        hasher.finish()
    });
    let response = faulted(&shared, route, key.clone(), request, next).await;
    shared.record_timing(Timing {
        route: key,
        arrived,
        answered: std::time::Instant::now(),
        caller,
    });
    response
}

/// The request with the faults in force applied.
async fn faulted(
    shared: &Shared,
    route: String,
    key: String,
    request: Request,
    next: Next,
) -> Response {
    let caller = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let api = !route.contains("/oauth2/");
    if api {
        shared.note_arrival(&caller, &key);
    }
    let faults = shared.faults();
    if !faults.only_routes.is_empty()
        && !faults.only_routes.iter().any(|r| key.contains(r.as_str()))
    {
        return next.run(request).await;
    }
    let (min, max) = faults.latency_ms;
    if max > 0 {
        let delay = rand::thread_rng().gen_range(min.min(max)..=max);
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let scale = if route.contains("/oauth2/") { 0.5 } else { 1.0 };
    if roll(faults.reset_percent, scale) {
        // The request is carried out and only the answer is lost, the nastier case: a retried
        // write finds its own first attempt already done.
        let _ = next.run(request).await;
        return dropped();
    }
    if roll(faults.throttle_percent, scale) {
        let wait = faults.retry_after_seconds.max(1);
        if api {
            shared.hold(&caller, &key, Duration::from_secs(wait));
        }
        return shaped(StatusCode::TOO_MANY_REQUESTS, &route, Some(wait));
    }
    if roll(faults.server_error_percent, scale) {
        return shaped(StatusCode::SERVICE_UNAVAILABLE, &route, None);
    }
    next.run(request).await
}

/// Records the path and query of every request, routed or not, before anything else sees it.
pub async fn record_uri(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let uri = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().to_string(), |pq| pq.as_str().to_owned());
    shared.record_request_uri(uri);
    next.run(request).await
}
