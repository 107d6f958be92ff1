//! The HTTP core of the Graph client: authentication headers, request ids, retries, paging.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use super::auth::TokenSource;
use super::declarations::Declarations;
use super::error::{classify, GraphError};
use crate::http::{Answer, Attempt, BaseUrl, NotABase, Outcome, RetryPolicy, Sender, Verdict};

/// A Microsoft Graph v1.0 client bound to one tenant's token source.
#[derive(Clone, Debug)]
pub struct GraphClient {
    /// `<graph endpoint>/v1.0/`
    base: BaseUrl,
    tokens: Arc<TokenSource>,
    sender: Sender,
    /// Locks and recent edits of app registrations' `requiredResourceAccess`.
    declarations: Arc<Declarations>,
}

/// One page of a Graph collection.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
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
            base,
            tokens,
            sender: Sender::new(http, retry, "Microsoft Graph", "graph"),
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
        // Graph refuses a token it should accept now and then: fetch a new one, once.
        let refreshed = AtomicBool::new(false);
        self.sender
            .send(&method, url.path(), |attempt| {
                self.attempt(attempt, &method, &url, body, permission, &refreshed)
            })
            .await
    }

    /// One attempt: a token, the request with its own client-request-id, the answer judged.
    async fn attempt(
        &self,
        attempt: Attempt,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        permission: &'static str,
        refreshed: &AtomicBool,
    ) -> Outcome<bytes::Bytes, GraphError> {
        let token = match self.tokens.token().await {
            Ok(token) => token,
            // The token source has retried what it could.
            Err(err) => return authentication_failed(&err),
        };
        let client_request_id = uuid::Uuid::new_v4().to_string();
        tracing::Span::current().record(
            "client_request_id",
            tracing::field::display(&client_request_id),
        );
        let request = self
            .sender
            .request(method, url, body)
            .bearer_auth(token.expose_secret())
            .header("client-request-id", &client_request_id);
        let (received, verdict) = match self.sender.exchange(&attempt, request).await {
            Answer::Success(body) => return Outcome::Done(body),
            Answer::Dropped(err) => {
                return Outcome::Failed {
                    verdict: Verdict::Transient(None),
                    error: GraphError::Transient(err.to_string()),
                }
            }
            Answer::Refused { received, verdict } => (received, verdict),
        };
        if received.status == StatusCode::UNAUTHORIZED && !refreshed.swap(true, Ordering::Relaxed) {
            return match self.tokens.refresh().await {
                Ok(()) => Outcome::Again,
                Err(err) => authentication_failed(&err),
            };
        }
        let request_id = received.header("request-id").map(str::to_owned);
        let error = classify(
            received.status.as_u16(),
            &received.body,
            request_id,
            client_request_id,
            permission,
        );
        Outcome::Failed { verdict, error }
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
    fn same_origin(&self, link: &str) -> Result<Url, GraphError> {
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

/// No token: final, whatever the retry policy says.
fn authentication_failed<T>(err: &super::auth::AuthError) -> Outcome<T, GraphError> {
    Outcome::Failed {
        verdict: Verdict::Final,
        error: GraphError::Authentication(err.to_string()),
    }
}

/// Decodes a Graph answer, or says it could not.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, GraphError> {
    serde_json::from_slice(body)
        .map_err(|err| GraphError::Unexpected(format!("could not decode the answer: {err}")))
}

#[cfg(test)]
mod properties;
