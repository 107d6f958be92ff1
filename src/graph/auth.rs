//! Microsoft Entra ID tokens for Graph, obtained through `azure_identity`.
//!
//! Holds one credential per provider process; `azure_identity` caches its token and renews it
//! shortly before expiry. When Graph still refuses a token (revoked, clock skew, a sandbox that
//! expires tokens early), [`TokenSource::refresh`] builds a fresh credential, which drops the
//! cached token, so the next call fetches a new one.
//!
//! `azure_identity` only accepts `https` authority hosts. The embedded sandbox listens on plain
//! `http` on loopback, so the credential is given the `https` form of that loopback authority and
//! [`LoopbackTransport`] sends those requests over `http`: azure_identity still builds and signs
//! every token request; only the scheme of a loopback URL changes on the wire.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{
    AsyncRawResponse, ClientMethodOptions, ClientOptions, HttpClient, Request, Transport,
};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertion, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientCertificateCredential,
    ClientCertificateCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::RwLock;
use url::Url;

use crate::http::{deadline, with_retries, Call, Outcome, RetryPolicy, Retryable, Verdict};

/// How the provider proves its identity to Entra ID.
#[derive(Clone)]
pub enum Credential {
    /// A client certificate: PEM (certificate + private key) or PKCS#12 (`.pfx`/`.p12`) file.
    Certificate {
        /// Path of the certificate file.
        path: PathBuf,
        /// Password of the PKCS#12 file or of an encrypted PEM key.
        password: Option<SecretString>,
    },
    /// A client secret.
    Secret(SecretString),
    /// An OIDC (workload identity federation) token used as a client assertion.
    Oidc(OidcToken),
    /// The Azure managed identity of the machine; `client_id` selects a user-assigned one.
    ManagedIdentity,
    /// The Azure CLI's logged-in account (`az login`).
    AzureCli,
}

impl Credential {
    /// A short name for logs and diagnostics.
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Certificate { .. } => "client certificate",
            Credential::Secret(_) => "client secret",
            Credential::Oidc(_) => "OIDC token",
            Credential::ManagedIdentity => "managed identity",
            Credential::AzureCli => "Azure CLI",
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// Where an OIDC token comes from.
#[derive(Clone)]
pub enum OidcToken {
    /// The token itself.
    Inline(SecretString),
    /// A file holding the token, read again for each token request (CI systems rotate it).
    File(PathBuf),
}

/// Everything needed to obtain Graph tokens.
#[derive(Clone, Debug)]
pub struct EntraSettings {
    /// Directory (tenant) id; `None` only for managed identity and the Azure CLI, which know
    /// their own tenant.
    pub tenant_id: Option<String>,
    /// Application (client) id of the provider's identity; optional for managed identity and CLI.
    pub client_id: Option<String>,
    /// The credential to use.
    pub credential: Credential,
    /// Entra authority, e.g. `https://login.microsoftonline.com`.
    pub authority_host: Url,
    /// Scope requested, `<graph endpoint>/.default`.
    pub scope: String,
}

/// Failure to set up a credential or to obtain a token.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The certificate file could not be read or parsed.
    #[error("cannot use the client certificate {path} (client_certificate_path / ARM_CLIENT_CERTIFICATE_PATH): {reason}")]
    Certificate {
        /// File that was tried.
        path: String,
        /// Why it failed.
        reason: String,
    },
    /// The credential is missing something it needs.
    #[error("{0}")]
    Incomplete(String),
    /// azure_identity refused to build the credential or Entra refused the token request.
    #[error("{0}")]
    Identity(String),
}

impl Retryable for AuthError {
    fn outlasted(self) -> Self {
        self
    }
}

/// How a token request that failed without an Entra error code is retried: three attempts in
/// all, a short backoff between them. azure_core retries the HTTP request itself; this covers
/// what it does not (an answer cut short).
const TOKEN_RETRY: RetryPolicy = RetryPolicy {
    min_delay: Duration::from_millis(250),
    max_delay: Duration::from_secs(2),
    max_attempts: 3,
    deadline: Duration::from_secs(60),
};

/// A token request, as breadcrumbs and logs name it.
const TOKEN_CALL: Call<'static> = Call {
    service: "Microsoft Entra ID",
    what: "the token request",
    method: "",
    route: "the token request",
};

/// Hands out Graph access tokens for one provider process.
pub struct TokenSource {
    settings: EntraSettings,
    http: reqwest::Client,
    credential: RwLock<Arc<dyn TokenCredential>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// Builds the credential now, so that unreadable certificates and malformed settings
    /// fail at configure time rather than at the first API call.
    pub fn new(settings: EntraSettings, http: reqwest::Client) -> Result<Self, AuthError> {
        let credential = build_credential(&settings, &http)?;
        Ok(Self {
            settings,
            http,
            credential: RwLock::new(credential),
        })
    }

    /// A valid access token (cached by azure_identity until shortly before it expires).
    ///
    /// A failure without an Entra error code (a dropped connection while reading the answer,
    /// which azure_core's own retry policy does not cover) is tried again twice; Entra's
    /// refusals (`AADSTS…`, e.g. a wrong secret) are final at once.
    pub async fn token(&self) -> Result<SecretString, AuthError> {
        let credential = self.credential.read().await.clone();
        let scope = self.settings.scope.as_str();
        with_retries(&TOKEN_RETRY, TOKEN_CALL, |_| async {
            deadline::waiting_for(|| "Microsoft Entra ID to issue an access token".to_owned());
            match credential.get_token(&[scope], None).await {
                Ok(token) => Outcome::Done(SecretString::from(token.token.secret().to_owned())),
                Err(err) => {
                    let message = describe_identity_error(&err.to_string());
                    let verdict = if message.contains("AADSTS") {
                        Verdict::Final
                    } else {
                        Verdict::Transient(None)
                    };
                    Outcome::Failed {
                        verdict,
                        error: AuthError::Identity(message),
                    }
                }
            }
        })
        .await
    }

    /// Drops the cached token so the next [`TokenSource::token`] asks Entra again.
    pub async fn refresh(&self) -> Result<(), AuthError> {
        let fresh = build_credential(&self.settings, &self.http)?;
        *self.credential.write().await = fresh;
        Ok(())
    }
}

/// azure_identity's messages end with a troubleshooting link and may span lines; keep the
/// Entra error (AADSTS code and description), which is what the user can act on.
fn describe_identity_error(message: &str) -> String {
    message
        .lines()
        .filter(|line| !line.trim_start().starts_with("To troubleshoot"))
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_owned()
}

fn client_options(settings: &EntraSettings, http: &reqwest::Client) -> ClientOptions {
    let mut authority = settings.authority_host.clone();
    let loopback_http = authority.scheme() == "http";
    if loopback_http {
        // Checked by the provider configuration: only loopback hosts may use http.
        let _ = authority.set_scheme("https");
    }
    let transport = LoopbackTransport {
        inner: http.clone(),
        downgrade: loopback_http.then(|| authority.clone()),
    };
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = authority.as_str().trim_end_matches('/').to_owned();
    ClientOptions {
        transport: Some(Transport::new(Arc::new(transport))),
        cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
        ..Default::default()
    }
}

fn required_client_id(settings: &EntraSettings) -> Result<String, AuthError> {
    settings.client_id.clone().ok_or_else(|| {
        AuthError::Incomplete(format!(
            "the {} credential needs client_id (ARM_CLIENT_ID)",
            settings.credential.kind()
        ))
    })
}

fn required_tenant_id(settings: &EntraSettings) -> Result<String, AuthError> {
    settings.tenant_id.clone().ok_or_else(|| {
        AuthError::Incomplete(format!(
            "the {} credential needs tenant_id (ARM_TENANT_ID)",
            settings.credential.kind()
        ))
    })
}

fn identity_error(err: azure_core::Error) -> AuthError {
    AuthError::Identity(describe_identity_error(&err.to_string()))
}

fn build_credential(
    settings: &EntraSettings,
    http: &reqwest::Client,
) -> Result<Arc<dyn TokenCredential>, AuthError> {
    let options = client_options(settings, http);
    let credential: Arc<dyn TokenCredential> = match &settings.credential {
        Credential::Secret(secret) => ClientSecretCredential::new(
            &required_tenant_id(settings)?,
            required_client_id(settings)?,
            Secret::new(secret.expose_secret().to_owned()),
            Some(ClientSecretCredentialOptions {
                client_options: options,
            }),
        )
        .map_err(identity_error)?,
        Credential::Certificate { path, password } => {
            let (pkcs12, pkcs12_password) = load_certificate(path, password.as_ref())?;
            ClientCertificateCredential::new(
                required_tenant_id(settings)?,
                required_client_id(settings)?,
                pkcs12.into(),
                Some(ClientCertificateCredentialOptions {
                    client_options: options,
                    password: Some(Secret::new(pkcs12_password)),
                }),
            )
            .map_err(identity_error)?
        }
        Credential::Oidc(token) => ClientAssertionCredential::new(
            required_tenant_id(settings)?,
            required_client_id(settings)?,
            OidcAssertion(token.clone()),
            Some(ClientAssertionCredentialOptions {
                client_options: options,
            }),
        )
        .map_err(identity_error)?,
        Credential::ManagedIdentity => {
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: settings.client_id.clone().map(UserAssignedId::ClientId),
                client_options: options,
            }))
            .map_err(identity_error)?
        }
        Credential::AzureCli => AzureCliCredential::new(Some(AzureCliCredentialOptions {
            // With no tenant configured, the CLI uses the tenant of the account logged in.
            tenant_id: settings.tenant_id.clone(),
            ..Default::default()
        }))
        .map_err(identity_error)?,
    };
    Ok(credential)
}

/// Reads a certificate file and returns it as PKCS#12 bytes with their password, the form
/// azure_identity takes. PEM files (certificate and private key) are converted.
fn load_certificate(
    path: &Path,
    password: Option<&SecretString>,
) -> Result<(Vec<u8>, String), AuthError> {
    let fail = |reason: String| AuthError::Certificate {
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|err| fail(err.to_string()))?;
    let password = password
        .map(|p| p.expose_secret().to_owned())
        .unwrap_or_default();
    if password.contains('\0') {
        // OpenSSL takes passwords as C strings; the openssl crate panics on a NUL.
        return Err(fail(
            "the certificate password (client_certificate_password / ARM_CLIENT_CERTIFICATE_PASSWORD) contains a NUL character, which OpenSSL cannot take".into(),
        ));
    }
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return pem_to_pkcs12(&bytes, &password).map_err(fail);
    }
    let parsed = openssl::pkcs12::Pkcs12::from_der(&bytes)
        .and_then(|p| p.parse2(&password))
        .map_err(|_| {
            fail("not a readable PKCS#12 (.pfx) or PEM file, or the certificate password (client_certificate_password / ARM_CLIENT_CERTIFICATE_PASSWORD) is wrong".into())
        })?;
    if parsed.pkey.is_none() || parsed.cert.is_none() {
        return Err(fail(
            "the PKCS#12 file must hold the certificate and its private key".into(),
        ));
    }
    Ok((bytes, password))
}

fn pem_to_pkcs12(pem: &[u8], password: &str) -> Result<(Vec<u8>, String), String> {
    let cert = openssl::x509::X509::from_pem(pem)
        .map_err(|_| "the PEM file holds no readable certificate".to_string())?;
    // Always answer OpenSSL's password request, even with no password: without a callback it
    // asks on the terminal ("Enter PEM pass phrase:") and waits.
    let key = openssl::pkey::PKey::private_key_from_pem_callback(pem, |buffer| {
        let length = password.len().min(buffer.len());
        buffer[..length].copy_from_slice(&password.as_bytes()[..length]);
        Ok(length)
    })
    .map_err(|_| {
        "the PEM file holds no readable private key (an encrypted key needs client_certificate_password)".to_string()
    })?;
    // A throwaway password: azure_identity insists on one to open the PKCS#12 it is given.
    let transit: String = uuid::Uuid::new_v4().simple().to_string();
    let pkcs12 = openssl::pkcs12::Pkcs12::builder()
        .name("terraform-provider-expel")
        .pkey(&key)
        .cert(&cert)
        .build2(&transit)
        .and_then(|p| p.to_der())
        .map_err(|err| format!("could not convert the PEM certificate: {err}"))?;
    Ok((pkcs12, transit))
}

/// Supplies the OIDC token as the client assertion, re-reading token files each time.
#[derive(Clone)]
struct OidcAssertion(OidcToken);

impl fmt::Debug for OidcAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OidcAssertion")
    }
}

#[async_trait]
impl ClientAssertion for OidcAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        match &self.0 {
            OidcToken::Inline(token) => Ok(token.expose_secret().to_owned()),
            OidcToken::File(path) => tokio::fs::read_to_string(path)
                .await
                .map(|token| token.trim().to_owned())
                .map_err(|err| {
                    azure_core::Error::with_message(
                        azure_core::error::ErrorKind::Credential,
                        format!(
                            "cannot read the OIDC token file {} (oidc_token_file_path / ARM_OIDC_TOKEN_FILE_PATH): {err}",
                            path.display()
                        ),
                    )
                }),
        }
    }
}

/// The HTTP transport for azure_identity: reqwest, with requests to the configured loopback
/// authority sent over plain http (see the module documentation).
#[derive(Debug)]
pub struct LoopbackTransport {
    inner: reqwest::Client,
    /// The `https` form of a loopback `http` authority, when one is configured.
    downgrade: Option<Url>,
}

impl LoopbackTransport {
    fn target(&self, url: &Url) -> Option<Url> {
        let authority = self.downgrade.as_ref()?;
        let same_origin = url.scheme() == "https"
            && url.host_str() == authority.host_str()
            && url.port_or_known_default() == authority.port_or_known_default();
        if !same_origin {
            return None;
        }
        let mut plain = url.clone();
        plain.set_scheme("http").ok()?;
        Some(plain)
    }
}

#[async_trait]
impl HttpClient for LoopbackTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        match self.target(request.url()) {
            Some(plain) => {
                let mut request = request.clone();
                *request.url_mut() = plain;
                self.inner.execute_request(&request).await
            }
            None => self.inner.execute_request(request).await,
        }
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(authority: Option<&str>) -> LoopbackTransport {
        LoopbackTransport {
            inner: crate::http::client().expect("client"),
            downgrade: authority.map(|a| Url::parse(a).expect("url")),
        }
    }

    #[test]
    fn loopback_authority_is_reached_over_http() {
        let t = transport(Some("https://127.0.0.1:4567"));
        let url = Url::parse("https://127.0.0.1:4567/tenant/oauth2/v2.0/token").unwrap();
        assert_eq!(
            t.target(&url).map(|u| u.to_string()),
            Some("http://127.0.0.1:4567/tenant/oauth2/v2.0/token".to_string())
        );
    }

    #[test]
    fn other_hosts_keep_https() {
        let t = transport(Some("https://127.0.0.1:4567"));
        let other_port = Url::parse("https://127.0.0.1:9999/x").unwrap();
        let remote = Url::parse("https://login.microsoftonline.com/x").unwrap();
        assert_eq!(t.target(&other_port), None);
        assert_eq!(t.target(&remote), None);
    }

    #[test]
    fn nothing_is_downgraded_without_a_loopback_authority() {
        let t = transport(None);
        let url = Url::parse("https://127.0.0.1:4567/x").unwrap();
        assert_eq!(t.target(&url), None);
    }

    #[test]
    fn credential_debug_never_shows_secrets() {
        let secret = Credential::Secret(SecretString::from("hunter2-secret".to_string()));
        assert!(!format!("{secret:?}").contains("hunter2"));
    }

    #[test]
    fn certificate_passwords_with_a_nul_are_refused_with_a_reason() {
        let path = std::env::temp_dir().join(format!(
            "terraform-provider-expel-nul-password-{}",
            std::process::id()
        ));
        std::fs::write(&path, b"-----BEGIN CERTIFICATE-----").unwrap();
        let password = SecretString::from("pass\0word".to_string());
        let err = load_certificate(&path, Some(&password)).unwrap_err();
        let _ = std::fs::remove_file(&path);
        assert!(err.to_string().contains("NUL character"), "{err}");
    }

    #[test]
    fn troubleshooting_links_are_dropped_from_identity_errors() {
        let text = describe_identity_error(
            "ClientSecretCredential authentication failed. AADSTS7000215: Invalid client secret provided.\nTo troubleshoot, visit https://aka.ms/x",
        );
        assert_eq!(
            text,
            "ClientSecretCredential authentication failed. AADSTS7000215: Invalid client secret provided."
        );
    }
}
