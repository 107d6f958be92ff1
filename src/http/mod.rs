//! HTTP plumbing shared by the Graph and Workbench clients (neither knows the other):
//! the retry policy, route templates for logs and stats, and transport error text.

pub mod deadline;
pub mod retry;

pub use retry::{parse_retry_after, Attempts, RetryPolicy, Verdict};

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
pub async fn receive(request: reqwest::RequestBuilder) -> Result<Received, String> {
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

/// Describes a connection failure by its kind and causes, without the URL.
pub fn connection_error(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "connection failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Replaces ids in a path with `{id}` so logs group calls by route.
pub fn route_template(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if uuid::Uuid::parse_str(segment).is_ok() {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

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
}
