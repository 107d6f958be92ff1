//! The HTTP core of the Graph client: authentication headers, request ids, retries, paging.

use std::sync::Arc;
use std::time::Instant;

use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tracing::{debug, warn, Instrument};
use url::Url;

use super::auth::TokenSource;
use super::declarations::Declarations;
use super::error::{classify, GraphError};
use crate::http::{
    deadline, parse_retry_after, receive, route_template, Attempts, BaseUrl, NotABase, Received,
    RetryPolicy, Throttle, Verdict,
};

/// A Microsoft Graph v1.0 client bound to one tenant's token source.
#[derive(Clone, Debug)]
pub struct GraphClient {
    http: reqwest::Client,
    /// `<graph endpoint>/v1.0/`
    base: BaseUrl,
    tokens: Arc<TokenSource>,
    retry: RetryPolicy,
    throttle: Arc<Throttle>,
    /// Locks and recent edits of app registrations' `requiredResourceAccess`.
    declarations: Arc<Declarations>,
}

/// One page of a Graph collection.
#[derive(Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub(crate) value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    pub(crate) next_link: Option<String>,
}

impl GraphClient {
    /// A client for `graph_endpoint` (e.g. `https://graph.microsoft.com`).
    pub fn new(
        http: reqwest::Client,
        graph_endpoint: &Url,
        tokens: Arc<TokenSource>,
        retry: RetryPolicy,
    ) -> Result<Self, NotABase> {
        let endpoint = BaseUrl::new(graph_endpoint)?;
        let base = BaseUrl::new(&endpoint.join(&["v1.0"], &[]))?;
        Ok(Self {
            http,
            base,
            tokens,
            retry,
            throttle: Arc::default(),
            declarations: Arc::default(),
        })
    }

    /// This client's locks and recent edits of app registrations.
    pub(crate) fn declarations(&self) -> &Declarations {
        &self.declarations
    }

    /// The URL of a v1.0 path such as `["servicePrincipals", id]`, each segment
    /// percent-encoded, with `query` pairs such as `("$filter", …)`.
    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        self.base.join(segments, query)
    }

    /// The URL of one object of a v1.0 collection such as `roleManagement/directory/roleAssignments`.
    pub(crate) fn object_url(&self, collection: &[&str], id: &str) -> Url {
        self.base.object(collection, id)
    }

    /// Sends one logical request, retrying what is transient, and returns a success answer.
    /// `permission` names the Graph permission the call needs, for 403 diagnostics.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        permission: &'static str,
    ) -> Result<bytes::Bytes, GraphError> {
        let route = route_template(url.path());
        let request = format!("{method} {route}");
        let mut attempts = Attempts::new(&self.retry, "Microsoft Graph", request.clone());
        let mut refreshed = false;
        loop {
            attempts.begin();
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let span = tracing::debug_span!(
                "graph",
                method = %method,
                route = %route,
                attempt = attempts.attempt(),
                client_request_id = %client_request_id,
            );
            let started = Instant::now();
            let outcome = self
                .attempt(
                    &attempts,
                    (&route, &request),
                    &method,
                    &url,
                    body,
                    &client_request_id,
                )
                .instrument(span.clone())
                .await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let (verdict, error) = match outcome {
                Ok(received) => {
                    let status = received.status;
                    let request_id = received.header("request-id").map(str::to_owned);
                    let retry_after = parse_retry_after(received.header("retry-after"));
                    span.in_scope(|| {
                        debug!(status = status.as_u16(), request_id = ?request_id, duration_ms = elapsed_ms, "graph response")
                    });
                    if status.is_success() {
                        attempts.answered();
                        return Ok(received.body);
                    }
                    if status == StatusCode::UNAUTHORIZED && !refreshed {
                        refreshed = true;
                        self.tokens
                            .refresh()
                            .await
                            .map_err(|err| GraphError::Authentication(err.to_string()))?;
                        continue;
                    }
                    let error = classify(
                        status.as_u16(),
                        &received.body,
                        request_id,
                        client_request_id,
                        permission,
                    );
                    let verdict = self.throttle.verdict(&route, status.as_u16(), retry_after);
                    (verdict, error)
                }
                Err(AttemptError::Auth(message)) => {
                    return Err(GraphError::Authentication(message))
                }
                Err(AttemptError::Connection(message)) => {
                    span.in_scope(|| debug!(duration_ms = elapsed_ms, error = %message, "graph connection failed"));
                    (Verdict::Transient(None), GraphError::Transient(message))
                }
            };
            match attempts.next_delay(verdict) {
                Some(delay) => {
                    span.in_scope(|| {
                        warn!(
                            delay_ms = delay.as_millis() as u64,
                            "retrying graph request: {error}"
                        )
                    });
                    tokio::time::sleep(delay).await;
                }
                None => {
                    return Err(match (verdict, error) {
                        (Verdict::Transient(_), GraphError::Unexpected(message)) => {
                            GraphError::Transient(message)
                        }
                        (_, error) => error,
                    })
                }
            }
        }
    }

    async fn attempt(
        &self,
        attempts: &Attempts,
        (route, request): (&str, &str),
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        client_request_id: &str,
    ) -> Result<Received, AttemptError> {
        deadline::waiting_for(|| "Microsoft Entra ID to issue an access token".to_owned());
        let token = self
            .tokens
            .token()
            .await
            .map_err(|err| AttemptError::Auth(err.to_string()))?;
        // Right before sending: a 429 another request got while this one waited for its
        // token holds it back too.
        self.throttle.pass(route, request).await;
        attempts.awaiting_answer();
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(token.expose_secret())
            .header("client-request-id", client_request_id)
            .header("accept", "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        receive(request).await.map_err(AttemptError::Connection)
    }

    /// GETs one object.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        url: Url,
        permission: &'static str,
    ) -> Result<T, GraphError> {
        let body = self.send(Method::GET, url, None, permission).await?;
        decode(&body)
    }

    /// GETs every page of a collection, following `@odata.nextLink`.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        url: Url,
        permission: &'static str,
    ) -> Result<Vec<T>, GraphError> {
        let mut items = Vec::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            let body = self.send(Method::GET, url, None, permission).await?;
            let page: Page<T> = decode(&body)?;
            items.extend(page.value);
            next = match page.next_link {
                Some(link) => Some(self.same_origin(&link)?),
                None => None,
            };
        }
        Ok(items)
    }

    /// Checks that a next link stays on the Graph endpoint, so tokens never leave it.
    pub(crate) fn same_origin(&self, link: &str) -> Result<Url, GraphError> {
        let url = Url::parse(link).map_err(|err| {
            GraphError::Unexpected(format!("bad @odata.nextLink {link:?}: {err}"))
        })?;
        let base = self.base.as_url();
        if url.origin() != base.origin() {
            return Err(GraphError::Unexpected(format!(
                "@odata.nextLink {link:?} leaves the Graph endpoint {}",
                base.origin().ascii_serialization()
            )));
        }
        Ok(url)
    }
}

enum AttemptError {
    Auth(String),
    Connection(String),
}

pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, GraphError> {
    serde_json::from_slice(body)
        .map_err(|err| GraphError::Unexpected(format!("could not decode the answer: {err}")))
}
