//! What the tests run against: the embedded sandbox, or a real sandbox tenant with `TF_ACC=1`.

use crate::sandbox::{Faults, Sandbox, SandboxConfig};

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
pub enum Target {
    /// The embedded sandbox, started for this test.
    Embedded(Box<Sandbox>),
    /// A real tenant and Workbench organization described by ARM_* / EXPEL_* variables.
    RealTenant,
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
            return Target::RealTenant;
        }
        let mut config = config;
        if config.faults == Faults::default() {
            config.faults = fault_profile().unwrap_or_default();
        }
        Target::Embedded(Box::new(
            Sandbox::start(config).expect("the embedded sandbox starts on loopback"),
        ))
    }

    /// Waits until a change made behind the provider's back has replicated (the sandbox's
    /// replication lag; a real tenant is given the same ten seconds).
    pub fn settle(&self) {
        let lag = match self {
            Target::Embedded(sandbox) => sandbox.lag_duration(),
            Target::RealTenant => std::time::Duration::from_secs(10),
        };
        if !lag.is_zero() {
            std::thread::sleep(lag + std::time::Duration::from_millis(500));
        }
    }

    /// The embedded sandbox, when that is the target.
    pub fn sandbox(&self) -> Option<&Sandbox> {
        match self {
            Target::Embedded(sandbox) => Some(sandbox),
            Target::RealTenant => None,
        }
    }

    /// Environment for terraform and the provider with the given credential kind.
    pub fn environment(&self, credentials: Credentials) -> Vec<(String, String)> {
        let Target::Embedded(sandbox) = self else {
            // Real tenant: pass the caller's ARM_* / EXPEL_* through untouched.
            return std::env::vars()
                .filter(|(k, _)| is_provider_variable(k))
                .collect();
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

/// Variables that configure the provider, which tests never inherit by accident.
pub(crate) fn is_provider_variable(name: &str) -> bool {
    name.starts_with("ARM_") || name.starts_with("EXPEL_") || name.starts_with("AZURE_")
}
