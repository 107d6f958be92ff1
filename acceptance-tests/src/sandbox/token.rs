//! The Entra token endpoint (client credentials with a secret, a certificate assertion or a
//! federated OIDC assertion), the sandbox's OIDC issuer, and its certificate files.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::sign::{Signer, Verifier};
use serde_json::{json, Value};

use super::world::{secret, IssuedToken};
use super::Shared;

/// Key material made at start.
pub struct Keys {
    /// The OIDC issuer's signing key.
    pub issuer: PKey<Private>,
}

/// RSA keys are slow to make; every sandbox of a process shares these two.
pub struct ProcessKeys {
    /// The client certificate's key.
    pub client: PKey<Private>,
    /// The OIDC issuer's signing key.
    pub issuer: PKey<Private>,
}

/// The process's keys, made on first use.
pub fn process_keys() -> std::io::Result<&'static ProcessKeys> {
    static KEYS: std::sync::OnceLock<ProcessKeys> = std::sync::OnceLock::new();
    if let Some(keys) = KEYS.get() {
        return Ok(keys);
    }
    let make = || {
        openssl::rsa::Rsa::generate(2048)
            .and_then(PKey::from_rsa)
            .map_err(|e| std::io::Error::other(e.to_string()))
    };
    let keys = ProcessKeys {
        client: make()?,
        issuer: make()?,
    };
    Ok(KEYS.get_or_init(|| keys))
}

/// Makes a self-signed certificate for `key`; writes `client.pem` (certificate and key) and
/// `client.pfx` (PKCS#12 with `password`). Returns (sha1 thumbprint, public key PEM).
pub fn write_certificate(
    dir: &Path,
    key: &PKey<Private>,
    password: &str,
) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let io = |e: openssl::error::ErrorStack| std::io::Error::other(e.to_string());
    let mut name = openssl::x509::X509NameBuilder::new().map_err(io)?;
    name.append_entry_by_text("CN", "expel-sandbox-client")
        .map_err(io)?;
    let name = name.build();
    let mut builder = openssl::x509::X509::builder().map_err(io)?;
    builder.set_version(2).map_err(io)?;
    let serial = openssl::bn::BigNum::from_u32(rand::random::<u32>())
        .and_then(|b| b.to_asn1_integer())
        .map_err(io)?;
    builder.set_serial_number(&serial).map_err(io)?;
    builder.set_subject_name(&name).map_err(io)?;
    builder.set_issuer_name(&name).map_err(io)?;
    builder.set_pubkey(key).map_err(io)?;
    let not_before = openssl::asn1::Asn1Time::days_from_now(0).map_err(io)?;
    let not_after = openssl::asn1::Asn1Time::days_from_now(30).map_err(io)?;
    builder.set_not_before(&not_before).map_err(io)?;
    builder.set_not_after(&not_after).map_err(io)?;
    builder.sign(key, MessageDigest::sha256()).map_err(io)?;
    let cert = builder.build();

    let mut pem = cert.to_pem().map_err(io)?;
    pem.extend(key.private_key_to_pem_pkcs8().map_err(io)?);
    std::fs::write(dir.join("client.pem"), pem)?;
    let pfx = openssl::pkcs12::Pkcs12::builder()
        .name("expel-sandbox-client")
        .pkey(key)
        .cert(&cert)
        .build2(password)
        .and_then(|p| p.to_der())
        .map_err(io)?;
    std::fs::write(dir.join("client.pfx"), pfx)?;
    let thumbprint = cert.digest(MessageDigest::sha1()).map_err(io)?.to_vec();
    let public = key.public_key_to_pem().map_err(io)?;
    Ok((thumbprint, public))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Signs an RS256 JWT.
pub fn sign_jwt(key: &PKey<Private>, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signer = Signer::new(MessageDigest::sha256(), key).expect("RS256 signer");
    signer.update(input.as_bytes()).expect("sign");
    let signature = signer.sign_to_vec().expect("sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A federated token from the sandbox's OIDC issuer for `subject`.
pub fn mint_oidc(key: &PKey<Private>, issuer: &str, subject: &str) -> String {
    let now = now_secs();
    sign_jwt(
        key,
        &json!({"alg": "RS256", "typ": "JWT", "kid": "sandbox"}),
        &json!({"iss": issuer, "sub": subject, "aud": "api://AzureADTokenExchange", "iat": now, "nbf": now, "exp": now + 3600}),
    )
}

fn b64(text: &str) -> Option<Vec<u8>> {
    [URL_SAFE_NO_PAD, URL_SAFE, STANDARD, STANDARD_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

/// A decoded, signature-checked JWT.
struct Jwt {
    header: Value,
    claims: Value,
}

fn decode_jwt(token: &str) -> Option<(Value, Value, String, Vec<u8>)> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&b64(h)?).ok()?;
    let claims: Value = serde_json::from_slice(&b64(c)?).ok()?;
    Some((header, claims, format!("{h}.{c}"), b64(s)?))
}

fn verify(token: &str, key: &PKey<Public>) -> Option<Jwt> {
    let (header, claims, input, signature) = decode_jwt(token)?;
    if header["alg"] != "RS256" {
        return None;
    }
    let mut verifier = Verifier::new(MessageDigest::sha256(), key).ok()?;
    verifier.update(input.as_bytes()).ok()?;
    verifier
        .verify(&signature)
        .ok()?
        .then_some(Jwt { header, claims })
}

fn entra_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {trace} Timestamp: {}", super::world::timestamp()),
        "error_codes": [code],
        "timestamp": super::world::timestamp(),
        "trace_id": trace,
        "correlation_id": trace,
    });
    (status, axum::Json(body)).into_response()
}

fn assertion_ok(
    shared: &Shared,
    assertion: &str,
    client_id: &str,
    tenant: &str,
) -> Result<(), &'static str> {
    let world = shared.world.lock().unwrap_or_else(|p| p.into_inner());
    let credentials = world.credentials.get(client_id).ok_or("unknown client")?;
    let (header, _, _, _) = decode_jwt(assertion).ok_or("the assertion is not a JWT")?;
    let now = now_secs() as i64;
    let in_time = |claims: &Value| claims["exp"].as_i64().is_some_and(|exp| exp > now);
    if let Some(x5t) = header["x5t"].as_str() {
        let (thumbprint, public) = credentials
            .certificate
            .as_ref()
            .ok_or("no certificate registered")?;
        if b64(x5t).as_deref() != Some(thumbprint.as_slice()) {
            return Err("the certificate thumbprint does not match a registered certificate");
        }
        let key = PKey::public_key_from_pem(public).map_err(|_| "bad registered key")?;
        let jwt = verify(assertion, &key).ok_or("the assertion signature is invalid")?;
        let aud = jwt.claims["aud"].as_str().unwrap_or_default();
        let audience_ok = aud.ends_with(&format!("/{tenant}/oauth2/v2.0/token"));
        let subject_ok = jwt.claims["iss"] == client_id && jwt.claims["sub"] == client_id;
        if !(audience_ok && subject_ok && in_time(&jwt.claims)) {
            return Err("the assertion's aud, iss, sub or exp claims are wrong");
        }
        let _ = jwt.header;
        return Ok(());
    }
    let (issuer, subject) = credentials
        .federated
        .as_ref()
        .ok_or("no federated credential")?;
    let key = shared
        .keys
        .issuer
        .public_key_to_pem()
        .ok()
        .and_then(|pem| PKey::public_key_from_pem(&pem).ok())
        .ok_or("bad issuer key")?;
    let jwt = verify(assertion, &key).ok_or("the federated token signature is invalid")?;
    if jwt.claims["iss"] != issuer.as_str()
        || jwt.claims["sub"] != subject.as_str()
        || jwt.claims["aud"] != "api://AzureADTokenExchange"
        || !in_time(&jwt.claims)
    {
        return Err("the federated token's issuer, subject, audience or expiry does not match a federated credential");
    }
    Ok(())
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub async fn token(
    State(shared): State<Shared>,
    UrlPath(tenant): UrlPath<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if !tenant.eq_ignore_ascii_case(&shared.seed.tenant_id) {
        return entra_error(StatusCode::BAD_REQUEST, "invalid_request", 90002, &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."));
    }
    if get("grant_type") != Some("client_credentials") {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    let client_id = get("client_id").unwrap_or_default().to_owned();
    let expected_scope = format!("{}/.default", shared.url);
    if get("scope") != Some(expected_scope.as_str()) {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {} was not found in the tenant named {tenant}.",
                get("scope").unwrap_or_default()
            ),
        );
    }
    let known = shared
        .world
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .credentials
        .get(&client_id)
        .cloned();
    let Some(credentials) = known else {
        return entra_error(StatusCode::BAD_REQUEST, "unauthorized_client", 700016, &format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'."));
    };
    match (get("client_secret"), get("client_assertion"), get("client_assertion_type")) {
        (Some(secret_sent), None, _) => {
            if credentials.secret.as_deref() != Some(secret_sent) {
                return entra_error(StatusCode::UNAUTHORIZED, "invalid_client", 7000215, &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."));
            }
        }
        (None, Some(assertion), Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")) => {
            if let Err(why) = assertion_ok(&shared, assertion, &client_id, &tenant) {
                return entra_error(StatusCode::UNAUTHORIZED, "invalid_client", 700027, &format!("Client assertion failed signature validation or claims checks: {why}."));
            }
        }
        _ => return entra_error(StatusCode::UNAUTHORIZED, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
    }
    // Tokens always claim an hour; the fault makes Graph refuse them sooner, like a token
    // revoked or expired mid-apply.
    const EXPIRES_IN: u64 = 3599;
    let lifetime = shared.faults().token_lifetime_seconds.unwrap_or(EXPIRES_IN);
    let access_token = secret(96);
    shared.record_issued_access_token(&access_token);
    shared
        .world
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .tokens
        .insert(
            access_token.clone(),
            IssuedToken {
                app_id: client_id,
                expires_at: Instant::now() + Duration::from_secs(lifetime),
            },
        );
    axum::Json(json!({"token_type": "Bearer", "expires_in": EXPIRES_IN, "ext_expires_in": EXPIRES_IN, "access_token": access_token})).into_response()
}
