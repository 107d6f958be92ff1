//! What the tests run against: the embedded sandbox, or a real sandbox tenant with `TF_ACC=1`.
//!
//! A test that cannot run against a real tenant says why with [`Target::sandbox_only`] (or
//! [`Target::skip`]); every test's outcome — ran, or skipped and why — is appended to the file
//! `EXPEL_ACC_SUMMARY` names, from which `make testacc` prints its summary line.

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use super::tenant::TenantApi;
use crate::sandbox::{Faults, Sandbox, SandboxConfig};

/// The appId of Expel's Microsoft 365 Integration app in a real tenant, for tests that need
/// an app whose registration lives outside the tenant (only read, never changed).
pub const EXPEL_APP_VARIABLE: &str = "EXPEL_ACC_EXPEL_APP_CLIENT_ID";

/// A Workbench API key of the organization without the organization_admin role, for tests
/// of the 403 a write then gets (only used, never changed).
pub const ANALYST_KEY_VARIABLE: &str = "EXPEL_ACC_ANALYST_API_KEY";

/// Names the file each test appends its outcome to (`make testacc` sets it).
pub const SUMMARY_VARIABLE: &str = "EXPEL_ACC_SUMMARY";

/// Names a fault profile (`hostile`) that every sandbox starts with unless its test sets
/// faults of its own: `make test-faults` runs the lifecycle tests under it.
pub const FAULT_PROFILE_VARIABLE: &str = "SANDBOX_FAULTS";

/// The fault profile `SANDBOX_FAULTS` names, if any.
fn fault_profile() -> Option<Faults> {
    let name = std::env::var(FAULT_PROFILE_VARIABLE).ok()?;
    let faults = Faults::profile(&name).unwrap_or_else(|| {
        panic!("{FAULT_PROFILE_VARIABLE}={name:?} names no fault profile; use hostile or none")
    });
    (faults != Faults::default()).then_some(faults)
}

/// Variables a real-tenant run needs.
const REAL_TENANT_VARIABLES: &[&str] = &["ARM_TENANT_ID", "ARM_CLIENT_ID", "EXPEL_API_KEY"];

/// Which credential the provider is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// Client secret.
    Secret,
    /// PEM certificate (certificate and key in one file).
    CertificatePem,
    /// PKCS#12 certificate with a password.
    CertificatePfx,
    /// OIDC token given inline.
    OidcToken,
    /// OIDC token read from a file.
    OidcTokenFile,
    /// Nothing at all for Entra ID.
    None,
}

/// The system under test.
pub enum System {
    /// The embedded sandbox, started for this test.
    Embedded(Box<Sandbox>),
    /// A real tenant and Workbench organization described by ARM_* / EXPEL_* variables.
    RealTenant,
}

/// The system under test, and what the test did with it.
pub struct Target {
    system: System,
    skipped: Mutex<Option<String>>,
    api: OnceLock<Result<TenantApi, String>>,
    /// Ends every name this test gives a Workbench object, so tests sharing one organization
    /// never meet, and what a test leaves behind is swept when it ends.
    suffix: String,
}

/// An app registration and its service principal made for one test through Graph, and
/// deleted (with its grants and role assignments) when the test ends.
pub struct TestApp<'t> {
    api: &'t TenantApi,
    /// appId.
    pub client_id: String,
    /// The registration's object id.
    pub object_id: String,
    /// The service principal's object id.
    pub service_principal_id: String,
}

impl Drop for TestApp<'_> {
    fn drop(&mut self) {
        if let Err(err) = self.api.graph(
            Method::DELETE,
            &format!("applications/{}", self.object_id),
            None,
        ) {
            eprintln!("could not delete the test app {}: {err}", self.client_id);
        }
    }
}

impl Target {
    /// A real tenant when `TF_ACC=1` and its variables are set; otherwise a fresh sandbox.
    pub fn from_env() -> Self {
        Self::from_env_with(SandboxConfig::default())
    }

    /// Like [`Target::from_env`], with a sandbox configured for this test.
    pub fn from_env_with(config: SandboxConfig) -> Self {
        let acc = std::env::var("TF_ACC").is_ok_and(|v| v == "1");
        if acc {
            let missing: Vec<_> = REAL_TENANT_VARIABLES
                .iter()
                .filter(|name| std::env::var(name).map_or(true, |v| v.is_empty()))
                .collect();
            assert!(
                missing.is_empty(),
                "TF_ACC=1 targets a real sandbox tenant, but {missing:?} are not set"
            );
            return Self::of(System::RealTenant);
        }
        let mut config = config;
        if config.faults == Faults::default() {
            config.faults = fault_profile().unwrap_or_default();
        }
        Self::of(System::Embedded(Box::new(
            Sandbox::start(config).expect("the embedded sandbox starts on loopback"),
        )))
    }

    fn of(system: System) -> Self {
        Self {
            system,
            skipped: Mutex::new(None),
            api: OnceLock::new(),
            suffix: format!("[acc {}]", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        }
    }

    /// Whether `name` is one this test made with [`Target::name`].
    pub fn named_here(&self, name: &str) -> bool {
        name.ends_with(&self.suffix)
    }

    /// The appId of Expel's integration app (multi-tenant: no registration in the tenant);
    /// from [`EXPEL_APP_VARIABLE`] in a real tenant, where the test is skipped without it.
    pub fn expel_app_client_id(&self) -> Option<String> {
        if let Some(sandbox) = self.sandbox() {
            return Some(sandbox.seed().expel_app_client_id.clone());
        }
        let found = std::env::var(EXPEL_APP_VARIABLE)
            .ok()
            .filter(|v| !v.is_empty());
        if found.is_none() {
            self.skip(&format!(
                "needs {EXPEL_APP_VARIABLE}: the appId of Expel's integration app in the tenant"
            ));
        }
        found
    }

    /// A Workbench API key of the organization that lacks organization_admin; from
    /// [`ANALYST_KEY_VARIABLE`] in a real tenant, where the test is skipped without it.
    pub fn analyst_api_key(&self) -> Option<String> {
        if let Some(sandbox) = self.sandbox() {
            return Some(sandbox.seed().analyst_api_key.clone());
        }
        let found = std::env::var(ANALYST_KEY_VARIABLE)
            .ok()
            .filter(|v| !v.is_empty());
        if found.is_none() {
            self.skip(&format!(
                "needs {ANALYST_KEY_VARIABLE}: a Workbench API key of the organization without organization_admin"
            ));
        }
        found
    }

    /// `base` made unique to this test, e.g. `Never reset [acc 1a2b3c4d]`.
    pub fn name(&self, base: &str) -> String {
        format!("{base} {}", self.suffix)
    }

    /// Deletes the Workbench lists this test named and left behind (a real tenant's
    /// organization outlives the test; the embedded sandbox does not).
    fn sweep(&self) {
        let Some(Ok(api)) = self.api.get() else {
            return;
        };
        let Ok(lists) = api.context_lists() else {
            return;
        };
        for list in lists {
            let named = list["attributes"]["name"]
                .as_str()
                .is_some_and(|name| name.ends_with(&self.suffix));
            if let (true, Some(id)) = (named, list["id"].as_str()) {
                let _ = api.workbench(Method::DELETE, &format!("context_variables/{id}"), None);
            }
        }
    }

    /// Whether the target can sign in with `kind`: always in the sandbox; in a real tenant
    /// when the caller configured that credential (otherwise the test is recorded as skipped).
    pub fn supports(&self, kind: Credentials) -> bool {
        let supported = !self.is_real_tenant() || real_tenant_has(kind);
        if !supported {
            self.skip(&format!(
                "needs a credential: no {kind:?} credential in the ARM_* variables"
            ));
        }
        supported
    }

    /// Whether this is a real tenant (`TF_ACC=1`).
    pub fn is_real_tenant(&self) -> bool {
        matches!(self.system, System::RealTenant)
    }

    /// Records that this test cannot run against this target, and why; it is then counted
    /// as skipped, never as passed.
    pub fn skip(&self, reason: &str) {
        eprintln!("skipped: {reason}");
        *self.skipped.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason.to_owned());
    }

    /// The embedded sandbox, for a test that needs its insides (`reason`: fault injection,
    /// Whether the fault profile in force makes clients retry (lost, throttled or failed
    /// answers), so that exact request counts do not hold.
    pub fn retries_requests(&self) -> bool {
        fault_profile()
            .is_some_and(|f| f.throttle_percent + f.server_error_percent + f.reset_percent > 0)
    }

    /// request counts, …); against a real tenant the test is recorded as skipped.
    pub fn sandbox_only(&self, reason: &str) -> Option<&Sandbox> {
        let sandbox = self.sandbox();
        if sandbox.is_none() {
            self.skip(&format!("sandbox-only: {reason}"));
        }
        sandbox
    }

    /// Graph and Workbench as the tests see them (the provider's own variables and APIs);
    /// `None`, with the test recorded as skipped, when they cannot be reached.
    pub fn api(&self) -> Option<&TenantApi> {
        let api = self
            .api
            .get_or_init(|| TenantApi::new(&self.environment(Credentials::Secret)));
        match api {
            Ok(api) => Some(api),
            Err(why) => {
                self.skip(&format!("needs Graph access for the test itself: {why}"));
                None
            }
        }
    }

    /// A new app registration and service principal for this test, made through Graph and
    /// replicated (readable) before this returns.
    pub fn new_app(&self, name: &str) -> Option<TestApp<'_>> {
        let api = self.api()?;
        let display_name = format!(
            "expel-acc {name} {}",
            &uuid::Uuid::new_v4().to_string()[..8]
        );
        let app = api
            .graph(
                Method::POST,
                "applications",
                Some(json!({ "displayName": display_name })),
            )
            .expect("create the test's app registration");
        let client_id = app["appId"].as_str().expect("appId").to_owned();
        let object_id = app["id"].as_str().expect("id").to_owned();
        let service_principal_id = match api.graph(
            Method::POST,
            "servicePrincipals",
            Some(json!({ "appId": client_id })),
        ) {
            Ok(sp) => sp["id"].as_str().expect("id").to_owned(),
            // A retried POST whose first answer was lost finds its own first attempt.
            Err(err) if err.status == 400 => wait_for(|| {
                api.service_principal_of(&client_id)
                    .ok()
                    .flatten()
                    .and_then(|sp| sp["id"].as_str().map(str::to_owned))
            })
            .unwrap_or_else(|| panic!("create the test app's service principal: {err}")),
            Err(err) => panic!("create the test app's service principal: {err}"),
        };
        let app = TestApp {
            api,
            client_id,
            object_id,
            service_principal_id,
        };
        let replicated = wait_for(|| {
            let by_id = api.graph(
                Method::GET,
                &format!("servicePrincipals/{}", app.service_principal_id),
                None,
            );
            let by_app_id = api.service_principal_of(&app.client_id).ok().flatten();
            (by_id.is_ok() && by_app_id.is_some()).then_some(())
        });
        assert!(
            replicated.is_some(),
            "the test app {} did not replicate within 2 minutes",
            app.client_id
        );
        Some(app)
    }

    /// Waits until a change made behind the provider's back has replicated (the sandbox's
    /// replication lag; a real tenant is given the same ten seconds).
    pub fn settle(&self) {
        let lag = match &self.system {
            System::Embedded(sandbox) => sandbox.lag_duration(),
            System::RealTenant => std::time::Duration::from_secs(10),
        };
        if !lag.is_zero() {
            std::thread::sleep(lag + std::time::Duration::from_millis(500));
        }
    }

    /// The embedded sandbox, when that is the target.
    pub fn sandbox(&self) -> Option<&Sandbox> {
        match &self.system {
            System::Embedded(sandbox) => Some(sandbox),
            System::RealTenant => None,
        }
    }

    /// Environment for terraform and the provider with the given credential kind.
    pub fn environment(&self, credentials: Credentials) -> Vec<(String, String)> {
        let System::Embedded(sandbox) = &self.system else {
            return real_tenant_environment(credentials);
        };
        let seed = sandbox.seed();
        let url = sandbox.url();
        let mut env = vec![
            ("EXPEL_GRAPH_ENDPOINT", url.clone()),
            ("AZURE_AUTHORITY_HOST", url.clone()),
            ("EXPEL_WORKBENCH_URL", url.clone()),
            ("EXPEL_API_KEY", seed.api_key.clone()),
            ("ARM_USE_CLI", "false".to_owned()),
        ];
        let ids = [
            ("ARM_TENANT_ID", seed.tenant_id.clone()),
            ("ARM_CLIENT_ID", seed.client_id.clone()),
        ];
        match credentials {
            Credentials::None => {}
            Credentials::Secret => {
                env.extend(ids);
                env.push(("ARM_CLIENT_SECRET", seed.client_secret.clone()));
            }
            Credentials::CertificatePem => {
                env.extend(ids);
                env.push((
                    "ARM_CLIENT_CERTIFICATE_PATH",
                    seed.certificate_pem_path.display().to_string(),
                ));
            }
            Credentials::CertificatePfx => {
                env.extend(ids);
                env.push((
                    "ARM_CLIENT_CERTIFICATE_PATH",
                    seed.certificate_pfx_path.display().to_string(),
                ));
                env.push((
                    "ARM_CLIENT_CERTIFICATE_PASSWORD",
                    seed.certificate_password.clone(),
                ));
            }
            Credentials::OidcToken => {
                env.extend(ids);
                env.push(("ARM_USE_OIDC", "true".to_owned()));
                env.push((
                    "ARM_OIDC_TOKEN",
                    sandbox.mint_oidc_token(&seed.oidc_subject),
                ));
            }
            Credentials::OidcTokenFile => {
                env.extend(ids);
                let path =
                    std::env::temp_dir().join(format!("expel-oidc-{}", uuid::Uuid::new_v4()));
                std::fs::write(&path, sandbox.mint_oidc_token(&seed.oidc_subject))
                    .expect("write the OIDC token file");
                env.push(("ARM_USE_OIDC", "true".to_owned()));
                env.push(("ARM_OIDC_TOKEN_FILE_PATH", path.display().to_string()));
            }
        }
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

/// `found` once it returns something, polled for up to two minutes (Entra replication).
fn wait_for<T>(mut found: impl FnMut() -> Option<T>) -> Option<T> {
    let started = Instant::now();
    loop {
        if let Some(value) = found() {
            return Some(value);
        }
        if started.elapsed() > Duration::from_secs(120) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The variables that choose an Entra credential, by the kind they configure.
const CREDENTIAL_VARIABLES: &[(&str, &[Credentials])] = &[
    ("ARM_CLIENT_SECRET", &[Credentials::Secret]),
    (
        "ARM_CLIENT_CERTIFICATE_PATH",
        &[Credentials::CertificatePem, Credentials::CertificatePfx],
    ),
    (
        "ARM_CLIENT_CERTIFICATE_PASSWORD",
        &[Credentials::CertificatePfx],
    ),
    (
        "ARM_USE_OIDC",
        &[Credentials::OidcToken, Credentials::OidcTokenFile],
    ),
    ("ARM_OIDC_TOKEN", &[Credentials::OidcToken]),
    ("ARM_OIDC_TOKEN_FILE_PATH", &[Credentials::OidcTokenFile]),
];

/// The caller's ARM_* / EXPEL_* variables, keeping only those of the credential `kind` asks
/// for (none for [`Credentials::None`]), so a test signs in the way it says it does.
fn real_tenant_environment(kind: Credentials) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| is_provider_variable(k))
        .filter(|(k, _)| {
            CREDENTIAL_VARIABLES
                .iter()
                .find(|(name, _)| name == k)
                .is_none_or(|(_, kinds)| kinds.contains(&kind))
        })
        .collect();
    if kind == Credentials::None {
        env.retain(|(k, _)| k != "ARM_USE_CLI" && k != "ARM_USE_MSI");
        env.push(("ARM_USE_CLI".to_owned(), "false".to_owned()));
    }
    env
}

/// Whether the caller's variables configure a credential of `kind` (a certificate's kind
/// is told by its file name: `.pfx` / `.p12` or PEM).
fn real_tenant_has(kind: Credentials) -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty());
    let certificate = std::env::var("ARM_CLIENT_CERTIFICATE_PATH").unwrap_or_default();
    let pkcs12 = certificate.ends_with(".pfx") || certificate.ends_with(".p12");
    match kind {
        Credentials::Secret => set("ARM_CLIENT_SECRET"),
        Credentials::CertificatePem => !certificate.is_empty() && !pkcs12,
        Credentials::CertificatePfx => pkcs12,
        Credentials::OidcToken => set("ARM_OIDC_TOKEN"),
        Credentials::OidcTokenFile => set("ARM_OIDC_TOKEN_FILE_PATH"),
        Credentials::None => true,
    }
}

/// Variables that configure the provider, which tests never inherit by accident.
pub(crate) fn is_provider_variable(name: &str) -> bool {
    name.starts_with("ARM_") || name.starts_with("EXPEL_") || name.starts_with("AZURE_")
}

impl Drop for Target {
    fn drop(&mut self) {
        if self.is_real_tenant() {
            self.sweep();
        }
        let Ok(path) = std::env::var(SUMMARY_VARIABLE) else {
            return;
        };
        let test = std::thread::current()
            .name()
            .unwrap_or("unnamed test")
            .to_owned();
        let line = match self
            .skipped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            // A test that panicked is counted by cargo as failed; only finished ones count.
            _ if std::thread::panicking() => format!("failed\t{test}\t\n"),
            Some(reason) => format!("skipped\t{test}\t{reason}\n"),
            None if self.is_real_tenant() => format!("ran\t{test}\t\n"),
            None => format!("ran-on-sandbox\t{test}\t\n"),
        };
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(err) = written {
            eprintln!("cannot append to {SUMMARY_VARIABLE} {path}: {err}");
        }
    }
}
