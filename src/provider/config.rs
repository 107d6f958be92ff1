//! Provider configuration: the HCL attributes, their environment variables, and their
//! resolution into validated [`Settings`]. Nothing downstream reads the environment again.

use std::net::IpAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tf_provider::value::Value;
use url::Url;

use crate::framework::Unavailable;
use crate::graph::auth::{Credential, EntraSettings, OidcToken};

/// Whether an attribute holds text or a boolean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Text,
    /// A boolean.
    Flag,
}

/// One provider attribute: its name, environment variable and meaning.
#[derive(Debug)]
pub struct AttributeSpec {
    /// HCL name.
    pub name: &'static str,
    /// Environment variable read when the attribute is not set.
    pub env: &'static str,
    /// Text or boolean.
    pub kind: Kind,
    /// Hidden from plans and logs.
    pub sensitive: bool,
    /// Documentation.
    pub description: &'static str,
}

const fn text(
    name: &'static str,
    env: &'static str,
    sensitive: bool,
    description: &'static str,
) -> AttributeSpec {
    AttributeSpec {
        name,
        env,
        kind: Kind::Text,
        sensitive,
        description,
    }
}

const fn flag(name: &'static str, env: &'static str, description: &'static str) -> AttributeSpec {
    AttributeSpec {
        name,
        env,
        kind: Kind::Flag,
        sensitive: false,
        description,
    }
}

/// Every provider attribute, in documentation order.
pub const ATTRIBUTES: &[AttributeSpec] = &[
    text(
        "tenant_id",
        "ARM_TENANT_ID",
        false,
        "Microsoft Entra tenant (directory) id, a GUID.",
    ),
    text(
        "client_id",
        "ARM_CLIENT_ID",
        false,
        "Application (client) id of the identity the provider signs in as.",
    ),
    text(
        "client_secret",
        "ARM_CLIENT_SECRET",
        true,
        "Client secret of that application.",
    ),
    text(
        "client_certificate_path",
        "ARM_CLIENT_CERTIFICATE_PATH",
        false,
        "Path of a PEM (certificate and key) or PKCS#12 (.pfx) client certificate.",
    ),
    text(
        "client_certificate_password",
        "ARM_CLIENT_CERTIFICATE_PASSWORD",
        true,
        "Password of the PKCS#12 file or of an encrypted PEM key.",
    ),
    flag(
        "use_oidc",
        "ARM_USE_OIDC",
        "Sign in with an OIDC token (workload identity federation).",
    ),
    text(
        "oidc_token",
        "ARM_OIDC_TOKEN",
        true,
        "The OIDC token, when use_oidc is true.",
    ),
    text(
        "oidc_token_file_path",
        "ARM_OIDC_TOKEN_FILE_PATH",
        false,
        "A file holding the OIDC token, when use_oidc is true.",
    ),
    flag(
        "use_msi",
        "ARM_USE_MSI",
        "Sign in with the machine's Azure managed identity.",
    ),
    flag(
        "use_cli",
        "ARM_USE_CLI",
        "Fall back to the Azure CLI's login when no other credential is configured (default true).",
    ),
    text(
        "environment",
        "ARM_ENVIRONMENT",
        false,
        "Cloud: global (default), usgovernment or china.",
    ),
    text(
        "graph_endpoint",
        "EXPEL_GRAPH_ENDPOINT",
        false,
        "Overrides the cloud's Microsoft Graph URL.",
    ),
    text(
        "authority_host",
        "AZURE_AUTHORITY_HOST",
        false,
        "Overrides the cloud's Microsoft Entra login URL.",
    ),
    text(
        "workbench_url",
        "EXPEL_WORKBENCH_URL",
        false,
        "Expel Workbench URL (default https://workbench.expel.io).",
    ),
    text(
        "api_key",
        "EXPEL_API_KEY",
        true,
        "Expel Workbench API key (an organization_admin key).",
    ),
    text(
        "organization_id",
        "EXPEL_ORGANIZATION_ID",
        false,
        "Workbench organization id; needed when the API key sees several organizations.",
    ),
];

/// The provider block as Terraform sends it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// The `tenant_id` attribute.
    #[serde(default)]
    pub tenant_id: Value<String>,
    /// The `client_id` attribute.
    #[serde(default)]
    pub client_id: Value<String>,
    /// The `client_secret` attribute.
    #[serde(default)]
    pub client_secret: Value<String>,
    /// The `client_certificate_path` attribute.
    #[serde(default)]
    pub client_certificate_path: Value<String>,
    /// The `client_certificate_password` attribute.
    #[serde(default)]
    pub client_certificate_password: Value<String>,
    /// The `use_oidc` attribute.
    #[serde(default)]
    pub use_oidc: Value<bool>,
    /// The `oidc_token` attribute.
    #[serde(default)]
    pub oidc_token: Value<String>,
    /// The `oidc_token_file_path` attribute.
    #[serde(default)]
    pub oidc_token_file_path: Value<String>,
    /// The `use_msi` attribute.
    #[serde(default)]
    pub use_msi: Value<bool>,
    /// The `use_cli` attribute.
    #[serde(default)]
    pub use_cli: Value<bool>,
    /// The `environment` attribute.
    #[serde(default)]
    pub environment: Value<String>,
    /// The `graph_endpoint` attribute.
    #[serde(default)]
    pub graph_endpoint: Value<String>,
    /// The `authority_host` attribute.
    #[serde(default)]
    pub authority_host: Value<String>,
    /// The `workbench_url` attribute.
    #[serde(default)]
    pub workbench_url: Value<String>,
    /// The `api_key` attribute.
    #[serde(default)]
    pub api_key: Value<String>,
    /// The `organization_id` attribute.
    #[serde(default)]
    pub organization_id: Value<String>,
}

/// A configuration problem, attached to the attribute that causes it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// An endpoint that does not parse as a URL.
    NotAUrl {
        /// The endpoint attribute.
        attribute: &'static str,
        /// Its environment variable.
        env: &'static str,
        /// The value given.
        value: String,
        /// Why it does not parse.
        reason: url::ParseError,
    },
    /// An endpoint that is neither https nor http on a loopback host.
    NotHttps {
        /// The endpoint attribute.
        attribute: &'static str,
        /// Its environment variable.
        env: &'static str,
        /// The value given.
        value: String,
    },
    /// An endpoint with a query, fragment or user info.
    NotABaseUrl {
        /// The endpoint attribute.
        attribute: &'static str,
        /// Its environment variable.
        env: &'static str,
        /// The value given.
        value: String,
    },
    /// An id that must be a GUID but is not.
    NotAGuid {
        /// The id attribute.
        attribute: &'static str,
        /// Its environment variable.
        env: &'static str,
        /// The value given.
        value: String,
    },
    /// A flag's environment variable that is not true, false, 1 or 0.
    NotABoolean {
        /// The flag attribute.
        attribute: &'static str,
        /// Its environment variable.
        env: &'static str,
        /// The variable's raw value.
        value: String,
    },
    /// `use_oidc` is true but neither `oidc_token` nor `oidc_token_file_path` is set.
    OidcTokenMissing,
    /// An `environment` that names no known cloud.
    UnknownCloud {
        /// The value given.
        value: String,
    },
    /// Several credentials are set; the provider never guesses which one to use.
    AmbiguousCredential {
        /// Each credential attribute that is set with its environment variable, in precedence order.
        credentials: Vec<(&'static str, &'static str)>,
    },
    /// A credential is set without an id it needs (e.g. a client secret without client id).
    CredentialNeeds {
        /// The missing id attribute.
        attribute: &'static str,
        /// Its environment variable.
        env: &'static str,
        /// The credential attribute that is set.
        credential: &'static str,
        /// What the credential is, in words ("client secret").
        kind: &'static str,
    },
}

impl ConfigError {
    /// The attribute to fix (`None` for the block as a whole).
    pub fn attribute(&self) -> Option<&'static str> {
        match self {
            ConfigError::NotAUrl { attribute, .. }
            | ConfigError::NotHttps { attribute, .. }
            | ConfigError::NotABaseUrl { attribute, .. }
            | ConfigError::NotAGuid { attribute, .. }
            | ConfigError::NotABoolean { attribute, .. }
            | ConfigError::CredentialNeeds { attribute, .. } => Some(attribute),
            ConfigError::OidcTokenMissing => Some("use_oidc"),
            ConfigError::UnknownCloud { .. } => Some("environment"),
            // The first credential is the one precedence would pick; point at the first extra one.
            ConfigError::AmbiguousCredential { credentials } => {
                credentials.get(1).map(|(name, _)| *name)
            }
        }
    }

    /// One line.
    pub fn summary(&self) -> String {
        match self {
            ConfigError::NotAUrl { attribute, .. } => format!("{attribute} is not a URL"),
            ConfigError::NotHttps { attribute, .. } => format!("{attribute} must use https"),
            ConfigError::NotABaseUrl { attribute, .. } => {
                format!("{attribute} must be a plain base URL")
            }
            ConfigError::NotAGuid { attribute, .. } => format!("{attribute} must be a GUID"),
            ConfigError::NotABoolean { env, .. } => format!("{env} must be true or false"),
            ConfigError::OidcTokenMissing => {
                "use_oidc is true but no OIDC token is configured".to_owned()
            }
            ConfigError::UnknownCloud { .. } => "Unknown environment".to_owned(),
            ConfigError::AmbiguousCredential { .. } => {
                "More than one Microsoft Entra credential is configured".to_owned()
            }
            ConfigError::CredentialNeeds {
                attribute,
                credential,
                ..
            } => format!("{attribute} is required with {credential}"),
        }
    }

    /// What to do.
    pub fn detail(&self) -> String {
        match self {
            ConfigError::NotAUrl {
                attribute,
                env,
                value,
                reason,
            } => format!("{attribute} ({env}) is {value:?}: {reason}. Use a URL such as https://host."),
            ConfigError::NotHttps {
                attribute,
                env,
                value,
            } => format!(
                "{attribute} ({env}) is {value:?}. Endpoints must be https://; plain http:// is only allowed for loopback hosts (127.0.0.0/8, ::1, localhost) such as the embedded sandbox."
            ),
            ConfigError::NotABaseUrl {
                attribute,
                env,
                value,
            } => format!(
                "{attribute} ({env}) is {value:?}; remove the query, fragment or user info."
            ),
            ConfigError::NotAGuid {
                attribute,
                env,
                value,
            } => format!(
                "{attribute} ({env}) is {value:?}; expected a GUID like 00000000-0000-0000-0000-000000000000 (find it in the Azure portal under Microsoft Entra ID > Overview)."
            ),
            ConfigError::NotABoolean { env, value, .. } => {
                format!("{env} is {value:?}; set it to true or false, or unset it.")
            }
            ConfigError::OidcTokenMissing => "Set oidc_token (ARM_OIDC_TOKEN) or oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH), or set use_oidc to false.".to_owned(),
            ConfigError::UnknownCloud { value } => format!(
                "environment (ARM_ENVIRONMENT) is {value:?}; use global, usgovernment or china."
            ),
            ConfigError::AmbiguousCredential { credentials } => {
                let names: Vec<String> = credentials
                    .iter()
                    .map(|(name, env)| format!("{name} ({env})"))
                    .collect();
                format!(
                    "{} are all set, so it is ambiguous which one to sign in with. Keep exactly one of them (the provider never guesses).",
                    names.join(" and ")
                )
            }
            ConfigError::CredentialNeeds {
                attribute,
                env,
                kind,
                ..
            } => format!(
                "Signing in with {kind} needs {attribute}; set it in the provider block or in {env}."
            ),
        }
    }
}

// Diagnostics use summary and detail separately; Display joins them for logs and tests.
impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.summary(), self.detail())
    }
}

/// Validated Workbench settings.
#[derive(Clone, Debug)]
pub struct WorkbenchSettings {
    /// Base URL.
    pub url: Url,
    /// The API key.
    pub api_key: SecretString,
    /// Organization for multi-organization keys.
    pub organization_id: Option<String>,
}

/// Validated Graph settings.
#[derive(Clone, Debug)]
pub struct GraphSettings {
    /// Graph base URL (without `/v1.0`).
    pub endpoint: Url,
    /// Token settings.
    pub entra: EntraSettings,
}

/// The provider configuration after environment fallback and validation.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Graph side, or why it cannot be used.
    pub graph: Result<GraphSettings, Unavailable>,
    /// Workbench side, or why it cannot be used.
    pub workbench: Result<WorkbenchSettings, Unavailable>,
}

/// A Microsoft cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cloud {
    /// Azure global (public) cloud.
    Global,
    /// Azure US Government.
    UsGovernment,
    /// Azure China (21Vianet).
    China,
}

impl Cloud {
    fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "global" | "public" => Some(Cloud::Global),
            "usgovernment" => Some(Cloud::UsGovernment),
            "china" => Some(Cloud::China),
            _ => None,
        }
    }

    fn graph(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGovernment => "https://graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    fn authority(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGovernment => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }
}

/// Default Workbench URL.
pub const DEFAULT_WORKBENCH_URL: &str = "https://workbench.expel.io";

/// Reads attribute values, falling back to the environment. Empty strings count as unset.
struct Inputs<'a> {
    config: &'a ProviderConfig,
    env: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<ConfigError>,
}

impl Inputs<'_> {
    fn spec(name: &str) -> &'static AttributeSpec {
        ATTRIBUTES
            .iter()
            .find(|a| a.name == name)
            .unwrap_or(&ATTRIBUTES[0])
    }

    fn env_value(&self, name: &str) -> Option<String> {
        (self.env)(Self::spec(name).env).filter(|v| !v.trim().is_empty())
    }

    fn text(&self, name: &'static str, value: &Value<String>) -> Option<String> {
        match value {
            Value::Value(v) if !v.trim().is_empty() => Some(v.trim().to_owned()),
            Value::Value(_) => None,
            Value::Null | Value::Unknown => self.env_value(name).map(|v| v.trim().to_owned()),
        }
    }

    fn flag(&mut self, name: &'static str, value: &Value<bool>) -> Option<bool> {
        match value {
            Value::Value(v) => Some(*v),
            Value::Null | Value::Unknown => {
                let raw = self.env_value(name)?;
                match raw.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" => Some(true),
                    "false" | "0" => Some(false),
                    _ => {
                        self.errors.push(ConfigError::NotABoolean {
                            attribute: name,
                            env: Self::spec(name).env,
                            value: raw,
                        });
                        None
                    }
                }
            }
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Parses an endpoint: `https://` anywhere, `http://` only on loopback (the embedded sandbox).
pub fn validate_endpoint(attribute: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let env = Inputs::spec(attribute).env;
    let url = Url::parse(raw).map_err(|reason| ConfigError::NotAUrl {
        attribute,
        env,
        value: raw.to_owned(),
        reason,
    })?;
    let allowed = match url.scheme() {
        "https" => true,
        "http" => is_loopback(&url),
        _ => false,
    };
    if !allowed || url.host().is_none() {
        return Err(ConfigError::NotHttps {
            attribute,
            env,
            value: raw.to_owned(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(ConfigError::NotABaseUrl {
            attribute,
            env,
            value: raw.to_owned(),
        });
    }
    Ok(url)
}

fn guid(attribute: &'static str, value: &str) -> Result<String, ConfigError> {
    uuid::Uuid::parse_str(value)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| ConfigError::NotAGuid {
            attribute,
            env: env_name(attribute),
            value: value.to_owned(),
        })
}

impl Settings {
    /// Resolves the provider block against the environment (`env` looks a variable up).
    /// Returns every problem found, not just the first.
    pub fn resolve(
        config: &ProviderConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, Vec<ConfigError>> {
        let mut inputs = Inputs {
            config,
            env,
            errors: Vec::new(),
        };
        let graph = resolve_graph(&mut inputs);
        let workbench = resolve_workbench(&mut inputs);
        if inputs.errors.is_empty() {
            Ok(Settings { graph, workbench })
        } else {
            Err(inputs.errors)
        }
    }
}

fn resolve_workbench(inputs: &mut Inputs<'_>) -> Result<WorkbenchSettings, Unavailable> {
    let c = inputs.config;
    let url_text = inputs
        .text("workbench_url", &c.workbench_url)
        .unwrap_or_else(|| DEFAULT_WORKBENCH_URL.to_owned());
    let url = match validate_endpoint("workbench_url", &url_text) {
        Ok(url) => Some(url),
        Err(err) => {
            inputs.errors.push(err);
            None
        }
    };
    let organization_id = inputs.text("organization_id", &c.organization_id);
    let api_key = inputs.text("api_key", &c.api_key);
    match (url, api_key) {
        (Some(url), Some(key)) => Ok(WorkbenchSettings {
            url,
            api_key: SecretString::from(key),
            organization_id,
        }),
        (_, None) => Err(Unavailable {
            summary: "No Expel Workbench API key is configured".into(),
            detail: "Set api_key in the provider block or the EXPEL_API_KEY environment variable to an organization_admin API key from Workbench (Settings > API keys).".into(),
        }),
        (None, Some(_)) => Err(Unavailable {
            summary: "The Workbench URL is invalid".into(),
            detail: "Fix workbench_url / EXPEL_WORKBENCH_URL.".into(),
        }),
    }
}

/// The credential attributes that are set, in precedence order.
fn explicit_credentials(inputs: &mut Inputs<'_>) -> Vec<(&'static str, Credential)> {
    let c = inputs.config;
    let mut found = Vec::new();
    let password = inputs
        .text(
            "client_certificate_password",
            &c.client_certificate_password,
        )
        .map(SecretString::from);
    if let Some(path) = inputs.text("client_certificate_path", &c.client_certificate_path) {
        found.push((
            "client_certificate_path",
            Credential::Certificate {
                path: PathBuf::from(path),
                password,
            },
        ));
    }
    if let Some(secret) = inputs.text("client_secret", &c.client_secret) {
        found.push((
            "client_secret",
            Credential::Secret(SecretString::from(secret)),
        ));
    }
    if inputs.flag("use_oidc", &c.use_oidc) == Some(true) {
        let token = inputs.text("oidc_token", &c.oidc_token);
        let file = inputs.text("oidc_token_file_path", &c.oidc_token_file_path);
        match (token, file) {
            (Some(token), _) => found.push((
                "use_oidc",
                Credential::Oidc(OidcToken::Inline(SecretString::from(token))),
            )),
            (None, Some(file)) => found.push((
                "use_oidc",
                Credential::Oidc(OidcToken::File(PathBuf::from(file))),
            )),
            (None, None) => inputs.errors.push(ConfigError::OidcTokenMissing),
        }
    }
    if inputs.flag("use_msi", &c.use_msi) == Some(true) {
        found.push(("use_msi", Credential::ManagedIdentity));
    }
    found
}

fn env_name(attribute: &str) -> &'static str {
    Inputs::spec(attribute).env
}

fn resolve_graph(inputs: &mut Inputs<'_>) -> Result<GraphSettings, Unavailable> {
    let c = inputs.config;
    let cloud = match inputs.text("environment", &c.environment) {
        None => Some(Cloud::Global),
        Some(name) => {
            let cloud = Cloud::parse(&name);
            if cloud.is_none() {
                inputs
                    .errors
                    .push(ConfigError::UnknownCloud { value: name });
            }
            cloud
        }
    };
    let cloud = cloud.unwrap_or(Cloud::Global);
    let endpoint =
        |inputs: &mut Inputs<'_>, name: &'static str, value: &Value<String>, default: &str| {
            let raw = inputs
                .text(name, value)
                .unwrap_or_else(|| default.to_owned());
            validate_endpoint(name, &raw)
                .map_err(|err| inputs.errors.push(err))
                .ok()
        };
    let graph_endpoint = endpoint(inputs, "graph_endpoint", &c.graph_endpoint, cloud.graph());
    let authority_host = endpoint(
        inputs,
        "authority_host",
        &c.authority_host,
        cloud.authority(),
    );

    let tenant_id = inputs.text("tenant_id", &c.tenant_id).and_then(|t| {
        guid("tenant_id", &t)
            .map_err(|e| inputs.errors.push(e))
            .ok()
    });
    let client_id = inputs.text("client_id", &c.client_id).and_then(|t| {
        guid("client_id", &t)
            .map_err(|e| inputs.errors.push(e))
            .ok()
    });

    let mut explicit = explicit_credentials(inputs);
    if explicit.len() > 1 {
        inputs.errors.push(ConfigError::AmbiguousCredential {
            credentials: explicit
                .iter()
                .map(|(name, _)| (*name, env_name(name)))
                .collect(),
        });
        return Err(unavailable_default());
    }
    let use_cli = inputs.flag("use_cli", &c.use_cli).unwrap_or(true);
    let credential = match explicit.pop() {
        Some((name, credential)) => {
            let needs_ids = !matches!(credential, Credential::ManagedIdentity);
            if needs_ids {
                for (attribute, missing) in [
                    ("tenant_id", tenant_id.is_none()),
                    ("client_id", client_id.is_none()),
                ] {
                    let already_reported = inputs
                        .errors
                        .iter()
                        .any(|e| e.attribute() == Some(attribute));
                    if missing && !already_reported {
                        inputs.errors.push(ConfigError::CredentialNeeds {
                            attribute,
                            env: env_name(attribute),
                            credential: name,
                            kind: credential.kind(),
                        });
                    }
                }
            }
            credential
        }
        None if use_cli => {
            if !azure_cli_installed(inputs.env) {
                return Err(Unavailable {
                    summary: "No Microsoft Entra credential is configured".into(),
                    detail: format!(
                        "{CREDENTIAL_CHOICES}; or install the Azure CLI and run `az login`."
                    ),
                });
            }
            Credential::AzureCli
        }
        None => {
            return Err(Unavailable {
                summary: "No Microsoft Entra credential is configured and use_cli is false".into(),
                detail: format!(
                    "{CREDENTIAL_CHOICES}; or set use_cli = true (ARM_USE_CLI) to use `az login`."
                ),
            })
        }
    };
    let tenant_id = match (&credential, tenant_id) {
        (_, Some(tenant)) => Some(tenant),
        // Managed identity and the CLI know their tenant: pass none rather than guess one.
        (Credential::ManagedIdentity | Credential::AzureCli, None) => None,
        (_, None) => return Err(unavailable_default()),
    };
    let (Some(endpoint), Some(authority_host)) = (graph_endpoint, authority_host) else {
        return Err(unavailable_default());
    };
    let scope = format!("{}/.default", endpoint.as_str().trim_end_matches('/'));
    Ok(GraphSettings {
        endpoint,
        entra: EntraSettings {
            tenant_id,
            client_id,
            credential,
            authority_host,
            scope,
        },
    })
}

/// Every way to give the provider an Entra credential, for "nothing configured" errors.
const CREDENTIAL_CHOICES: &str = "Set one of: client_certificate_path (ARM_CLIENT_CERTIFICATE_PATH), client_secret (ARM_CLIENT_SECRET), use_oidc with oidc_token or oidc_token_file_path (ARM_USE_OIDC, ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH) or use_msi (ARM_USE_MSI), each with tenant_id (ARM_TENANT_ID) and client_id (ARM_CLIENT_ID)";

fn unavailable_default() -> Unavailable {
    Unavailable {
        summary: "The Microsoft Entra configuration is invalid".into(),
        detail: "Fix the provider configuration errors reported above.".into(),
    }
}

/// The names the Azure CLI goes by on the PATH: `az.cmd` is its Windows launcher.
const AZURE_CLI_NAMES: &[&str] = &["az", "az.cmd"];

fn azure_cli_installed(env: &dyn Fn(&str) -> Option<String>) -> bool {
    let Some(path) = env("PATH") else {
        return false;
    };
    std::env::split_paths(&path)
        .any(|dir| AZURE_CLI_NAMES.iter().any(|name| dir.join(name).is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TENANT: &str = "11111111-2222-3333-4444-555555555555";
    const CLIENT: &str = "66666666-7777-8888-9999-000000000000";

    fn resolve(
        config: ProviderConfig,
        vars: &[(&str, &str)],
    ) -> Result<Settings, Vec<ConfigError>> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve(&config, &move |name| vars.get(name).cloned())
    }

    fn secret_env() -> Vec<(&'static str, &'static str)> {
        vec![
            ("ARM_TENANT_ID", TENANT),
            ("ARM_CLIENT_ID", CLIENT),
            ("ARM_CLIENT_SECRET", "s3cret"),
        ]
    }

    #[test]
    fn secret_from_environment_is_used() {
        let settings = resolve(ProviderConfig::default(), &secret_env()).expect("valid");
        let graph = settings.graph.expect("graph configured");
        assert!(matches!(graph.entra.credential, Credential::Secret(_)));
        assert_eq!(graph.entra.scope, "https://graph.microsoft.com/.default");
    }

    #[test]
    fn attribute_wins_over_environment() {
        let config = ProviderConfig {
            tenant_id: Value::Value("aaaaaaaa-2222-3333-4444-555555555555".into()),
            ..Default::default()
        };
        let graph = resolve(config, &secret_env()).unwrap().graph.unwrap();
        assert_eq!(
            graph.entra.tenant_id.as_deref(),
            Some("aaaaaaaa-2222-3333-4444-555555555555")
        );
    }

    fn cli_env(dir: &std::path::Path, name: &str) -> impl Fn(&str) -> Option<String> {
        std::fs::write(dir.join(name), "").unwrap();
        let path = dir.display().to_string();
        move |key: &str| (key == "PATH").then(|| path.clone())
    }

    #[test]
    fn the_azure_cli_without_a_tenant_is_passed_none() {
        let dir = tempfile_dir();
        let env = cli_env(&dir, "az");
        let graph = Settings::resolve(&ProviderConfig::default(), &env)
            .unwrap()
            .graph
            .unwrap();
        assert!(matches!(graph.entra.credential, Credential::AzureCli));
        assert_eq!(graph.entra.tenant_id, None);
    }

    #[test]
    fn the_azure_cli_is_found_as_az_cmd_on_windows() {
        let dir = tempfile_dir();
        assert!(azure_cli_installed(&cli_env(&dir, "az.cmd")));
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("expel-cli-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn secret_and_certificate_together_are_ambiguous() {
        let mut env = secret_env();
        env.push(("ARM_CLIENT_CERTIFICATE_PATH", "/tmp/c.pem"));
        let errors = resolve(ProviderConfig::default(), &env).unwrap_err();
        assert_eq!(
            errors[0],
            ConfigError::AmbiguousCredential {
                credentials: vec![
                    ("client_certificate_path", "ARM_CLIENT_CERTIFICATE_PATH"),
                    ("client_secret", "ARM_CLIENT_SECRET"),
                ],
            }
        );
        assert_eq!(errors[0].attribute(), Some("client_secret"));
    }

    #[test]
    fn certificate_takes_precedence_order_first() {
        let env = [
            ("ARM_TENANT_ID", TENANT),
            ("ARM_CLIENT_ID", CLIENT),
            ("ARM_CLIENT_CERTIFICATE_PATH", "/c.pfx"),
        ];
        let graph = resolve(ProviderConfig::default(), &env)
            .unwrap()
            .graph
            .unwrap();
        assert!(matches!(
            graph.entra.credential,
            Credential::Certificate { .. }
        ));
    }

    #[test]
    fn malformed_tenant_is_named() {
        let mut env = secret_env();
        env[0] = ("ARM_TENANT_ID", "contoso");
        let errors = resolve(ProviderConfig::default(), &env).unwrap_err();
        assert_eq!(
            errors[0],
            ConfigError::NotAGuid {
                attribute: "tenant_id",
                env: "ARM_TENANT_ID",
                value: "contoso".into(),
            }
        );
    }

    #[test]
    fn secret_without_client_id_names_client_id() {
        let env = [("ARM_TENANT_ID", TENANT), ("ARM_CLIENT_SECRET", "s")];
        let errors = resolve(ProviderConfig::default(), &env).unwrap_err();
        assert_eq!(
            errors[0],
            ConfigError::CredentialNeeds {
                attribute: "client_id",
                env: "ARM_CLIENT_ID",
                credential: "client_secret",
                kind: "client secret",
            }
        );
    }

    #[test]
    fn oidc_without_token_is_an_error() {
        let env = [
            ("ARM_TENANT_ID", TENANT),
            ("ARM_CLIENT_ID", CLIENT),
            ("ARM_USE_OIDC", "true"),
        ];
        let errors = resolve(ProviderConfig::default(), &env).unwrap_err();
        assert_eq!(errors, vec![ConfigError::OidcTokenMissing]);
    }

    #[test]
    fn nothing_configured_leaves_graph_unavailable_but_not_failing() {
        let settings = resolve(ProviderConfig::default(), &[("EXPEL_API_KEY", "k")])
            .expect("workbench only is fine");
        let why = settings.graph.unwrap_err();
        assert!(why.detail.contains("ARM_CLIENT_SECRET"), "{}", why.detail);
        assert!(settings.workbench.is_ok());
    }

    #[test]
    fn workbench_without_key_is_unavailable_naming_the_variable() {
        let settings = resolve(ProviderConfig::default(), &secret_env()).unwrap();
        assert!(settings
            .workbench
            .unwrap_err()
            .detail
            .contains("EXPEL_API_KEY"));
    }

    #[test]
    fn unknown_environment_is_rejected() {
        let mut env = secret_env();
        env.push(("ARM_ENVIRONMENT", "germany"));
        let errors = resolve(ProviderConfig::default(), &env).unwrap_err();
        assert_eq!(
            errors[0],
            ConfigError::UnknownCloud {
                value: "germany".into()
            }
        );
    }

    #[test]
    fn china_cloud_selects_its_endpoints() {
        let mut env = secret_env();
        env.push(("ARM_ENVIRONMENT", "china"));
        let graph = resolve(ProviderConfig::default(), &env)
            .unwrap()
            .graph
            .unwrap();
        assert_eq!(
            graph.endpoint.as_str(),
            "https://microsoftgraph.chinacloudapi.cn/"
        );
        assert_eq!(
            graph.entra.authority_host.as_str(),
            "https://login.chinacloudapi.cn/"
        );
    }

    #[test]
    fn bad_boolean_in_environment_is_named() {
        let mut env = secret_env();
        env.push(("ARM_USE_MSI", "yes please"));
        let errors = resolve(ProviderConfig::default(), &env).unwrap_err();
        assert_eq!(
            errors[0],
            ConfigError::NotABoolean {
                attribute: "use_msi",
                env: "ARM_USE_MSI",
                value: "yes please".into(),
            }
        );
    }

    #[test]
    fn https_endpoints_are_accepted() {
        assert!(validate_endpoint("graph_endpoint", "https://graph.microsoft.com").is_ok());
    }

    #[test]
    fn http_is_accepted_on_loopback_only() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:80",
            "http://localhost:1",
        ] {
            assert!(validate_endpoint("graph_endpoint", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://graph.microsoft.com",
            "http://10.0.0.1",
            "http://localhost.evil.com",
            "ftp://127.0.0.1",
        ] {
            let err = validate_endpoint("graph_endpoint", bad).unwrap_err();
            assert!(matches!(err, ConfigError::NotHttps { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn endpoints_with_credentials_or_queries_are_rejected() {
        for base_only in [
            "https://user:pw@workbench.expel.io",
            "https://workbench.expel.io/?x=1",
        ] {
            let err = validate_endpoint("workbench_url", base_only).unwrap_err();
            assert!(matches!(err, ConfigError::NotABaseUrl { .. }), "{err}");
        }
        let err = validate_endpoint("workbench_url", "not a url").unwrap_err();
        assert!(matches!(err, ConfigError::NotAUrl { .. }), "{err}");
    }

    // The acceptance tests and users' scripts match these texts: they must not drift.
    #[test]
    fn messages_read_as_before() {
        let cases = [
            (
                validate_endpoint("workbench_url", "workbench").unwrap_err(),
                Some("workbench_url"),
                "workbench_url is not a URL",
                r#"workbench_url (EXPEL_WORKBENCH_URL) is "workbench": relative URL without a base. Use a URL such as https://host."#,
            ),
            (
                validate_endpoint("graph_endpoint", "http://graph.example.com").unwrap_err(),
                Some("graph_endpoint"),
                "graph_endpoint must use https",
                r#"graph_endpoint (EXPEL_GRAPH_ENDPOINT) is "http://graph.example.com". Endpoints must be https://; plain http:// is only allowed for loopback hosts (127.0.0.0/8, ::1, localhost) such as the embedded sandbox."#,
            ),
            (
                validate_endpoint("authority_host", "https://login.example.com/?x=1").unwrap_err(),
                Some("authority_host"),
                "authority_host must be a plain base URL",
                r#"authority_host (AZURE_AUTHORITY_HOST) is "https://login.example.com/?x=1"; remove the query, fragment or user info."#,
            ),
            (
                guid("client_id", "my-app").unwrap_err(),
                Some("client_id"),
                "client_id must be a GUID",
                r#"client_id (ARM_CLIENT_ID) is "my-app"; expected a GUID like 00000000-0000-0000-0000-000000000000 (find it in the Azure portal under Microsoft Entra ID > Overview)."#,
            ),
            (
                ConfigError::NotABoolean {
                    attribute: "use_msi",
                    env: "ARM_USE_MSI",
                    value: "maybe".into(),
                },
                Some("use_msi"),
                "ARM_USE_MSI must be true or false",
                r#"ARM_USE_MSI is "maybe"; set it to true or false, or unset it."#,
            ),
            (
                ConfigError::OidcTokenMissing,
                Some("use_oidc"),
                "use_oidc is true but no OIDC token is configured",
                "Set oidc_token (ARM_OIDC_TOKEN) or oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH), or set use_oidc to false.",
            ),
            (
                ConfigError::UnknownCloud {
                    value: "germany".into(),
                },
                Some("environment"),
                "Unknown environment",
                r#"environment (ARM_ENVIRONMENT) is "germany"; use global, usgovernment or china."#,
            ),
            (
                ConfigError::AmbiguousCredential {
                    credentials: vec![
                        ("client_certificate_path", "ARM_CLIENT_CERTIFICATE_PATH"),
                        ("client_secret", "ARM_CLIENT_SECRET"),
                    ],
                },
                Some("client_secret"),
                "More than one Microsoft Entra credential is configured",
                "client_certificate_path (ARM_CLIENT_CERTIFICATE_PATH) and client_secret (ARM_CLIENT_SECRET) are all set, so it is ambiguous which one to sign in with. Keep exactly one of them (the provider never guesses).",
            ),
            (
                ConfigError::CredentialNeeds {
                    attribute: "client_id",
                    env: "ARM_CLIENT_ID",
                    credential: "client_secret",
                    kind: "client secret",
                },
                Some("client_id"),
                "client_id is required with client_secret",
                "Signing in with client secret needs client_id; set it in the provider block or in ARM_CLIENT_ID.",
            ),
        ];
        for (err, attribute, summary, detail) in cases {
            assert_eq!(err.attribute(), attribute, "{err:?}");
            assert_eq!(err.summary(), summary, "{err:?}");
            assert_eq!(err.detail(), detail, "{err:?}");
        }
    }

    #[test]
    fn display_shows_summary_and_detail() {
        let err = ConfigError::UnknownCloud {
            value: "germany".into(),
        };
        assert_eq!(
            err.to_string(),
            r#"Unknown environment: environment (ARM_ENVIRONMENT) is "germany"; use global, usgovernment or china."#
        );
    }
}
