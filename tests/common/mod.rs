//! A scripted local HTTP server for client tests: each test says what the server answers.
//! Deliberately tiny; the full API fake is the embedded sandbox in acceptance-tests/.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Router;
use secrecy::SecretString;
use terraform_provider_expel::graph::auth::{Credential, EntraSettings, TokenSource};
use terraform_provider_expel::graph::GraphClient;
use terraform_provider_expel::http::RetryPolicy;
use url::Url;

/// A request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: String,
    pub at: Instant,
}

/// An answer: status, extra headers, body.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Script = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

#[derive(Clone)]
struct Shared {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Script,
}

/// A running scripted server.
pub struct ScriptedServer {
    pub url: Url,
    seen: Arc<Mutex<Vec<Seen>>>,
}

pub const TOKEN: &str = "test-access-token-7f3a";
pub const SECRET: &str = "test-client-secret-91b2";
pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT: &str = "66666666-7777-8888-9999-000000000000";

impl ScriptedServer {
    /// Starts a server; `script(request, index_of_this_request_among_api_calls)` answers API
    /// calls, while token requests are answered with [`TOKEN`].
    pub async fn start(script: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Self {
        terraform_provider_expel::http::install_crypto_provider();
        let shared = Shared {
            seen: Arc::default(),
            script: Arc::new(script),
        };
        let seen = shared.seen.clone();
        let app = Router::new().fallback(handle).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, seen }
    }

    /// API requests seen so far (token requests excluded).
    pub fn api_requests(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| !s.path_and_query.contains("/oauth2/"))
            .cloned()
            .collect()
    }

    /// Token requests seen so far.
    pub fn token_requests(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path_and_query.contains("/oauth2/"))
            .cloned()
            .collect()
    }

    /// A Graph client signing in with a client secret against this server.
    pub fn graph(&self, retry: RetryPolicy) -> GraphClient {
        let http = terraform_provider_expel::http::client().unwrap();
        let settings = EntraSettings {
            tenant_id: Some(TENANT.into()),
            client_id: Some(CLIENT.into()),
            credential: Credential::Secret(SecretString::from(SECRET.to_string())),
            authority_host: self.url.clone(),
            scope: format!("{}/.default", self.url.as_str().trim_end_matches('/')),
        };
        let tokens = TokenSource::new(settings, http.clone()).unwrap();
        GraphClient::new(http, &self.url, Arc::new(tokens), retry).unwrap()
    }
}

/// A retry policy with short delays for tests.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        min_delay: std::time::Duration::from_millis(10),
        max_delay: std::time::Duration::from_secs(2),
        max_attempts: 5,
        deadline: std::time::Duration::from_secs(30),
    }
}

async fn handle(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts.headers.clone(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        at: Instant::now(),
    };
    let is_token = seen.path_and_query.contains("/oauth2/v2.0/token");
    let index = {
        let mut all = shared.seen.lock().unwrap();
        let index = all
            .iter()
            .filter(|s| !s.path_and_query.contains("/oauth2/"))
            .count();
        all.push(seen.clone());
        index
    };
    let reply = if is_token {
        Reply::json(
            200,
            serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": TOKEN}),
        )
    } else {
        (shared.script)(&seen, index)
    };
    let mut response = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}
