//! The embedded sandbox: a loopback fake of the Entra token endpoint, the Microsoft Graph v1.0
//! subset and the Expel Workbench v2 subset the provider uses, with switchable faults
//! (latency, 429 + Retry-After, 5xx, dropped connections, replication lag, token expiry) and
//! request counts per route.
//!
//! Written from the API facts in shared/reference, never from the provider's code: it imports
//! nothing from the provider crate, so it cannot confirm the client's own mistakes.

// Handlers return early with a ready error `Response`; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod admin;
pub mod directory;
mod faults;
pub mod graph;
pub mod odata;
pub mod remediation;
pub mod token;
pub mod workbench;
pub mod world;

use std::collections::{BTreeMap, HashMap};
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use axum::Router;
use serde::{Deserialize, Serialize};

pub use world::{Seed, World};

/// How many request URIs and issued tokens the sandbox keeps (far more than a test makes),
/// so a long-running `expel-sandbox` does not grow without bound.
const MAX_RECORDED: usize = 100_000;

/// Faults the sandbox injects into Graph, Workbench (and, at half the rate, token) requests.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Faults {
    /// Uniform random delay per request, (min, max) milliseconds.
    pub latency_ms: (u64, u64),
    /// Percent of requests answered 429 with `Retry-After`.
    pub throttle_percent: u8,
    /// `Retry-After` seconds on those answers.
    pub retry_after_seconds: u64,
    /// Percent of requests answered 503.
    pub server_error_percent: u8,
    /// Percent of requests carried out whose answer is then lost to a dropped connection.
    pub reset_percent: u8,
    /// Entra replication lag: new Graph objects stay invisible this long; deleted ones stay listed.
    pub replication_lag_ms: u64,
    /// Graph refuses tokens older than this (they still claim an hour), like a token that
    /// expires or is revoked mid-apply.
    pub token_lifetime_seconds: Option<u64>,
    /// Reads of an app registration serve its `requiredResourceAccess` from before the last
    /// PATCH for this long (a replica that has not caught up).
    pub stale_read_ms: u64,
    /// Only requests whose `METHOD /route/template` contains one of these are delayed,
    /// throttled, failed or cut off (e.g. `POST /v1.0/roleManagement`); empty means all.
    pub only_routes: Vec<String>,
}

impl Faults {
    /// Every fault of the reliability issue at once: 100–300 ms latency, 20 % 429 with
    /// `Retry-After: 1`, 5 % 503, 3 % lost answers, 10 s replication lag, and tokens refused
    /// 20 s after they were issued (a token expiring mid-apply).
    pub fn hostile() -> Self {
        Faults {
            latency_ms: (100, 300),
            throttle_percent: 20,
            retry_after_seconds: 1,
            server_error_percent: 5,
            reset_percent: 3,
            replication_lag_ms: 10_000,
            token_lifetime_seconds: Some(20),
            stale_read_ms: 0,
            only_routes: Vec::new(),
        }
    }

    /// A profile by name: `none` or `hostile`.
    pub fn profile(name: &str) -> Option<Self> {
        match name.trim() {
            "" | "none" => Some(Faults::default()),
            "hostile" => Some(Faults::hostile()),
            _ => None,
        }
    }
}

/// How to start a sandbox.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Faults from the start.
    pub faults: Faults,
    /// Page size of every collection.
    pub page_size: usize,
    /// Where certificate files go; `None` for a temporary directory owned by the sandbox.
    pub files_dir: Option<PathBuf>,
    /// Port to listen on (0 picks a free one).
    pub port: u16,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            faults: Faults::default(),
            page_size: 100,
            files_dir: None,
            port: 0,
        }
    }
}

/// Requests counted per `METHOD /route/template`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    /// Counts by route.
    pub requests: BTreeMap<String, u64>,
    /// Requests that arrived while a `Retry-After` the same caller got on the same route had
    /// not passed yet, by route: a well-behaved client sends none.
    #[serde(default)]
    pub early: BTreeMap<String, u64>,
}

impl Stats {
    /// All counted requests.
    pub fn total(&self) -> u64 {
        self.requests.values().sum()
    }

    /// Microsoft Graph requests.
    pub fn graph_total(&self) -> u64 {
        self.requests
            .iter()
            .filter(|(k, _)| k.contains(" /v1.0/"))
            .map(|(_, v)| v)
            .sum()
    }

    /// Workbench requests.
    pub fn workbench_total(&self) -> u64 {
        self.requests
            .iter()
            .filter(|(k, _)| k.contains(" /api/v2/"))
            .map(|(_, v)| v)
            .sum()
    }

    /// Requests sent before a `Retry-After` on their route had passed.
    pub fn early_total(&self) -> u64 {
        self.early.values().sum()
    }

    /// Requests to one route, e.g. `POST /v1.0/roleManagement/directory/roleAssignments`.
    pub fn count(&self, key: &str) -> u64 {
        self.requests.get(key).copied().unwrap_or(0)
    }
}

/// When one API request (token, Graph or Workbench) arrived and when its answer left, for
/// benchmarks that ask how many requests a client keeps in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// `METHOD /route/template`, as [`Stats`] counts it.
    pub route: String,
    /// When the request arrived.
    pub arrived: std::time::Instant,
    /// When its answer (or fault) was ready, after any injected latency.
    pub answered: std::time::Instant,
    /// A hash of the request's `Authorization` header (0 without one): requests with the same
    /// access token or API key share it, and no secret is kept.
    pub caller: u64,
}

/// State shared by every handler.
pub struct Inner {
    world: Mutex<World>,
    faults: RwLock<Faults>,
    stats: Mutex<BTreeMap<String, u64>>,
    early: Mutex<BTreeMap<String, u64>>,
    /// (caller's credential, `METHOD /route`) → when its `Retry-After` was given and ends.
    held: Mutex<HashMap<(String, String), (std::time::Instant, std::time::Instant)>>,
    /// Every access token the token endpoint issued, oldest first.
    issued_access_tokens: Mutex<Vec<String>>,
    /// The path and query of every request received, oldest first.
    request_uris: Mutex<Vec<String>>,
    /// When each API request arrived and was answered, oldest first.
    timeline: Mutex<Vec<Timing>>,
    /// The seed.
    pub seed: Seed,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Collection page size.
    pub page_size: usize,
    keys: token::Keys,
    _files: Option<tempfile::TempDir>,
}

/// Cheap handle on the shared state.
#[derive(Clone)]
pub struct Shared(Arc<Inner>);

impl Deref for Shared {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Inner {
    /// The world, locked.
    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(|p| p.into_inner()) = faults;
    }

    /// The replication lag in force.
    pub fn lag(&self) -> Duration {
        Duration::from_millis(self.faults().replication_lag_ms)
    }

    /// How long reads of an app registration lag behind its last PATCH.
    pub fn stale_reads(&self) -> Duration {
        Duration::from_millis(self.faults().stale_read_ms)
    }

    fn count(&self, key: String) {
        *self
            .stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default() += 1;
    }

    fn stats(&self) -> Stats {
        Stats {
            requests: self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            early: self.early.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }

    fn reset_stats(&self) {
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.early.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.timeline
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn record_timing(&self, timing: Timing) {
        let mut timeline = self.timeline.lock().unwrap_or_else(|p| p.into_inner());
        if timeline.len() < MAX_RECORDED {
            timeline.push(timing);
        }
    }

    /// Records that `caller` was told to leave `route` alone for `wait`.
    fn hold(&self, caller: &str, route: &str, wait: Duration) {
        let now = std::time::Instant::now();
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((caller.to_owned(), route.to_owned()), (now, now + wait));
    }

    /// Counts a request of `caller` on `route` that arrives while a hold is in force. Requests
    /// that arrive within 100 ms of the 429 may have been sent before its answer arrived.
    fn note_arrival(&self, caller: &str, route: &str) {
        let now = std::time::Instant::now();
        let early = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(caller.to_owned(), route.to_owned()))
            .is_some_and(|(given, until)| {
                now < *until && now > *given + Duration::from_millis(100)
            });
        if early {
            *self
                .early
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(route.to_owned())
                .or_default() += 1;
        }
    }

    fn record_issued_access_token(&self, token: &str) {
        let mut tokens = self
            .issued_access_tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if tokens.len() < MAX_RECORDED {
            tokens.push(token.to_owned());
        }
    }

    fn record_request_uri(&self, uri: String) {
        let mut uris = self.request_uris.lock().unwrap_or_else(|p| p.into_inner());
        if uris.len() < MAX_RECORDED {
            uris.push(uri);
        }
    }

    fn oidc_issuer(&self) -> String {
        format!("{}/_sandbox/oidc", self.url)
    }

    fn mint_oidc_token(&self, subject: &str) -> String {
        token::mint_oidc(&self.keys.issuer, &self.oidc_issuer(), subject)
    }
}

fn app(shared: Shared) -> Router {
    let api = Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            axum::routing::post(token::token),
        )
        .merge(graph::routes())
        .merge(directory::routes())
        .merge(workbench::routes())
        .merge(remediation::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            faults::inject,
        ));
    api.merge(admin::routes())
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            faults::record_uri,
        ))
        .with_state(shared)
}

/// A running sandbox; dropping it stops the server.
pub struct Sandbox {
    shared: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sandbox {
    /// Starts a sandbox on 127.0.0.1 on its own thread and runtime; returns once it listens.
    pub fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);

        let (dir, owned) = match &config.files_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                (dir.clone(), None)
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("expel-sandbox-")
                    .tempdir()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let password = world::secret(24);
        let keys = token::process_keys()?;
        let certificate = token::write_certificate(&dir, &keys.client, &password)?;
        let issuer_key = keys.issuer.clone();
        let files = (dir.join("client.pem"), dir.join("client.pfx"), password);
        let (world, seed) = World::seeded(files, certificate, format!("{url}/_sandbox/oidc"));

        let shared = Shared(Arc::new(Inner {
            world: Mutex::new(world),
            faults: RwLock::new(config.faults.clone()),
            stats: Mutex::default(),
            early: Mutex::default(),
            held: Mutex::default(),
            issued_access_tokens: Mutex::default(),
            request_uris: Mutex::default(),
            timeline: Mutex::default(),
            seed,
            url,
            page_size: config.page_size.max(1),
            keys: token::Keys { issuer: issuer_key },
            _files: owned,
        }));

        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
        let router = app(shared.clone());
        let thread = std::thread::Builder::new()
            .name("expel-sandbox".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(err) => {
                            let _ = ready_tx.send(Err(err));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let serve = axum::serve(listener, router).with_graceful_shutdown(async {
                        let _ = stopped.await;
                    });
                    if let Err(err) = serve.await {
                        eprintln!("expel-sandbox: {err}");
                    }
                });
            })?;
        ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the sandbox thread died"))??;
        Ok(Sandbox {
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` (token endpoint, Graph and Workbench all live here).
    pub fn url(&self) -> String {
        self.shared.url.clone()
    }

    /// Ids and secrets of the seeded tenant.
    pub fn seed(&self) -> &Seed {
        &self.shared.seed
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// Requests counted since start or the last reset.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// How long new objects stay invisible and deleted ones stay listed.
    pub fn lag_duration(&self) -> Duration {
        self.shared.lag()
    }

    /// When each API request since start or the last [`Sandbox::reset_stats`] arrived and was
    /// answered, oldest first.
    pub fn timeline(&self) -> Vec<Timing> {
        self.shared
            .timeline
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Starts counting (and timing) afresh.
    pub fn reset_stats(&self) {
        self.shared.reset_stats();
    }

    /// Every access token the token endpoint has issued since start, oldest first (for secret
    /// scans: none may reach a log, an output or the state).
    pub fn issued_access_tokens(&self) -> Vec<String> {
        self.shared
            .issued_access_tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The path and query of every request received since start, matched route or not, the
    /// token endpoint and the admin routes included, oldest first (secrets belong in headers
    /// and bodies, never here).
    pub fn request_uris(&self) -> Vec<String> {
        self.shared
            .request_uris
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A federated token for `subject` from the sandbox's OIDC issuer.
    pub fn mint_oidc_token(&self, subject: &str) -> String {
        self.shared.mint_oidc_token(subject)
    }

    /// Every object, as JSON.
    pub fn state(&self) -> serde_json::Value {
        self.shared.lock().dump()
    }

    /// Changes the tenant out of band (as an administrator in the portal would).
    pub fn with_world<R>(&self, change: impl FnOnce(&mut World) -> R) -> R {
        change(&mut self.shared.lock())
    }

    /// Revokes one Graph permission of the provider's identity.
    pub fn revoke_provider_permission(&self, permission: &str) {
        admin::revoke_provider_permission(&self.shared, permission);
    }

    /// Deletes the Exchange Online service principal (a tenant without Exchange).
    pub fn remove_exchange_service_principal(&self) {
        admin::remove_exchange_service_principal(&self.shared);
    }

    /// Blocks until the process is asked to stop (SIGINT/SIGTERM); for the binary.
    pub fn wait_for_signal(&self) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("signal runtime");
        runtime.block_on(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        });
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // Graceful shutdown waits for open connections; do not hold the test up for them.
        drop(self.thread.take());
    }
}
