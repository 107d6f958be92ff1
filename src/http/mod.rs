//! HTTP plumbing shared by the Graph and Workbench clients (neither knows the other):
//! the one retry loop and the sending around it, the retry policy, route templates for logs
//! and stats, and transport errors.

pub mod deadline;
pub mod retry;
pub mod send;
pub mod throttle;

pub use retry::{parse_retry_after, Attempt, Attempts, RetryPolicy, Verdict};
pub use send::{with_retries, Answer, Call, Outcome, Retryable, Sender};
pub use throttle::Throttle;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::Url;

/// Selects rustls' `ring` crypto provider for the process (idempotent).
///
/// reqwest is built without a provider and tonic pulls rustls in too, so none is chosen
/// implicitly; building an HTTP client before this panics.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // An error only means another provider was installed first, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A complete answer: status, headers and the whole body.
#[derive(Debug)]
pub struct Received {
    /// HTTP status.
    pub status: reqwest::StatusCode,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body, read to the end.
    pub body: bytes::Bytes,
}

impl Received {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends a request and reads the whole answer. A connection dropped before the body is
/// complete is a connection error (transient), like one dropped before the headers.
pub async fn receive(request: reqwest::RequestBuilder) -> Result<Received, ConnectionError> {
    let response = request.send().await.map_err(|err| connection_error(&err))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|err| connection_error(&err))?;
    Ok(Received {
        status,
        headers,
        body,
    })
}

/// The HTTP client for a provider process: shared by Graph, Workbench and azure_identity.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(concat!(
            "terraform-provider-expel/",
            env!("CARGO_PKG_VERSION")
        ))
        .connect_timeout(std::time::Duration::from_secs(20))
        .timeout(std::time::Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// A request that got no complete answer. Its text names the kind of failure and its causes,
/// innermost last, and never the URL (which may carry ids users did not ask to log).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    /// No answer in time.
    #[error("timed out{0}")]
    Timeout(Causes),
    /// No connection could be made.
    #[error("could not connect{0}")]
    Connect(Causes),
    /// The connection failed otherwise, e.g. dropped before the body was complete.
    #[error("connection failed{0}")]
    Other(Causes),
}

/// The causes of a connection failure, outermost first; shown as `: cause: inner cause`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Causes(Vec<String>);

impl std::fmt::Display for Causes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|cause| write!(f, ": {cause}"))
    }
}

/// Describes a connection failure by its kind and causes, without the URL.
pub fn connection_error(err: &reqwest::Error) -> ConnectionError {
    // reqwest's own text names the URL; its causes (hyper, io, rustls) do not.
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        causes.push(inner.to_string());
        source = inner.source();
    }
    let causes = Causes(causes);
    if err.is_timeout() {
        ConnectionError::Timeout(causes)
    } else if err.is_connect() {
        ConnectionError::Connect(causes)
    } else {
        ConnectionError::Other(causes)
    }
}

/// Replaces ids in a path with `{id}` so logs, stats and throttling group calls by route.
pub fn route_template(path: &str) -> String {
    path.split('/')
        .map(|segment| if is_id(segment) { "{id}" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// A GUID, or an opaque id such as Graph's base64url grant and role assignment ids (long,
/// URL-safe, with a digit: route names have none).
fn is_id(segment: &str) -> bool {
    uuid::Uuid::parse_str(segment).is_ok()
        || segment.len() >= 16
            && segment.bytes().any(|b| b.is_ascii_digit())
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Characters a query value keeps as they are; everything else is percent-encoded, a space
/// as `%20` (never `+`, which some servers read as a plus sign).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$');

/// An API base URL that paths can be appended to: `http(s)://host[:port]/prefix/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl(Url);

/// A URL that cannot carry API paths (e.g. `mailto:` or `data:`).
#[derive(Debug, thiserror::Error)]
#[error("{0} cannot be the base of API URLs")]
pub struct NotABase(String);

impl BaseUrl {
    /// `url` with its query and fragment dropped and its path ending in `/`.
    pub fn new(url: &Url) -> Result<Self, NotABase> {
        if url.cannot_be_a_base() {
            return Err(NotABase(url.to_string()));
        }
        let mut base = url.clone();
        base.set_query(None);
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Self(base))
    }

    /// The base itself.
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// The URL of one object: its collection's `segments`, then its `id`.
    pub fn object(&self, collection: &[&str], id: &str) -> Url {
        let mut segments = collection.to_vec();
        segments.push(id);
        self.join(&segments, &[])
    }

    /// The URL of `segments` below the base, each segment percent-encoded (a `/` or a space
    /// inside an id stays inside its segment), with `query` pairs encoded likewise.
    pub fn join(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.0.clone();
        {
            // `new` refused URLs that cannot be a base, so the segments are always there.
            let mut path = url
                .path_segments_mut()
                .unwrap_or_else(|()| unreachable!("BaseUrl::new checked that this is a base"));
            path.pop_if_empty();
            for segment in segments {
                path.push(segment);
            }
        }
        if !query.is_empty() {
            let encoded: Vec<String> = query
                .iter()
                .map(|(name, value)| {
                    format!(
                        "{}={}",
                        utf8_percent_encode(name, QUERY_VALUE),
                        utf8_percent_encode(value, QUERY_VALUE)
                    )
                })
                .collect();
            url.set_query(Some(&encoded.join("&")));
        }
        url
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_templates_hide_ids() {
        assert_eq!(
            route_template(
                "/v1.0/servicePrincipals/6b7d8c1e-0f6a-4f53-9b8e-0c2f3a4b5c6d/appRoleAssignedTo"
            ),
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo"
        );
    }

    #[test]
    fn route_templates_hide_opaque_grant_and_assignment_ids() {
        assert_eq!(
            route_template("/v1.0/servicePrincipals/x/appRoleAssignedTo/41W1zT6z1U-kJxf62svfp1HFE8pMZhxDun-ThPczmJE"),
            "/v1.0/servicePrincipals/x/appRoleAssignedTo/{id}"
        );
        assert_eq!(
            route_template("/v1.0/roleManagement/directory/roleAssignments/lAPpYvVpN0KRkAEhdxReEJC2sEy6R_hHrhBMTXRGfFs-1"),
            "/v1.0/roleManagement/directory/roleAssignments/{id}"
        );
    }

    #[test]
    fn route_templates_keep_route_names() {
        let path = "/v1.0/roleManagement/directory/roleDefinitions";
        assert_eq!(route_template(path), path);
    }

    fn base(url: &str) -> BaseUrl {
        BaseUrl::new(&Url::parse(url).unwrap()).unwrap()
    }

    #[test]
    fn joined_segments_are_percent_encoded_with_spaces_as_percent_20() {
        let url = base("https://graph.example/v1.0").join(&["applications", "a b/c"], &[]);
        assert_eq!(
            url.as_str(),
            "https://graph.example/v1.0/applications/a%20b%2Fc"
        );
    }

    #[test]
    fn query_values_encode_spaces_and_quotes() {
        let url = base("https://graph.example/v1.0/").join(
            &["servicePrincipals"],
            &[("$filter", "displayName eq 'Bob''s app'")],
        );
        assert_eq!(
            url.as_str(),
            "https://graph.example/v1.0/servicePrincipals?$filter=displayName%20eq%20%27Bob%27%27s%20app%27"
        );
    }

    #[test]
    fn connection_errors_show_their_kind_then_their_causes() {
        let causes = Causes(vec!["tcp connect error".into(), "refused".into()]);
        assert_eq!(
            ConnectionError::Connect(causes).to_string(),
            "could not connect: tcp connect error: refused"
        );
        assert_eq!(
            ConnectionError::Timeout(Causes::default()).to_string(),
            "timed out"
        );
    }

    #[test]
    fn urls_that_cannot_be_a_base_are_refused() {
        assert!(BaseUrl::new(&Url::parse("mailto:a@b.c").unwrap()).is_err());
    }
}
