//! Errors of the Workbench client.

/// What went wrong talking to Expel Workbench.
#[derive(Debug, thiserror::Error)]
pub enum WorkbenchError {
    /// The API key was refused.
    #[error("Workbench refused the API key (HTTP 401: {0}); check api_key / EXPEL_API_KEY")]
    Unauthorized(String),
    /// The key may not do this (role or organization).
    #[error("Workbench forbids this for the API key (HTTP 403: {0}); managing context and auto remediations needs an organization_admin key for the organization")]
    Forbidden(String),
    /// The object does not exist.
    #[error("not found in Workbench: {0}")]
    NotFound(String),
    /// A uniqueness rule was broken (e.g. a context name already taken).
    #[error("conflict in Workbench: {0}")]
    Conflict(String),
    /// The method is not offered on this resource (HTTP 405), e.g. creating what Workbench
    /// only lets one change.
    #[error("Workbench does not allow this request (HTTP 405: {0})")]
    NotAllowed(String),
    /// Workbench refused the request as invalid.
    #[error("Workbench rejected the request: {0}")]
    BadRequest(String),
    /// Still throttled when the retry budget ran out.
    #[error("throttled by Workbench until the retry budget ran out: {0}")]
    Throttled(String),
    /// 5xx answers or connection failures until the retry budget ran out.
    #[error("Workbench kept failing: {0}")]
    Transient(String),
    /// An answer this client could not understand.
    #[error("unexpected answer from Workbench: {0}")]
    Unexpected(String),
}

impl WorkbenchError {
    /// True when the object is absent.
    pub fn is_not_found(&self) -> bool {
        matches!(self, WorkbenchError::NotFound(_))
    }
}

impl crate::http::Retryable for WorkbenchError {
    fn outlasted(self) -> Self {
        match self {
            WorkbenchError::Unexpected(message) => WorkbenchError::Transient(message),
            other => other,
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct Body {
    #[serde(default)]
    errors: Vec<JsonApiError>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    validation: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct JsonApiError {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

/// The human message of an error body, whichever of Workbench's three shapes it has.
fn message_of(body: &[u8]) -> String {
    let parsed: Body = match serde_json::from_slice(body) {
        Ok(parsed) => parsed,
        Err(_) => return String::from_utf8_lossy(body).chars().take(300).collect(),
    };
    let from_errors: Vec<String> = parsed
        .errors
        .iter()
        .filter_map(|e| e.detail.clone().or_else(|| e.title.clone()))
        .collect();
    if !from_errors.is_empty() {
        return from_errors.join("; ");
    }
    if let Some(message) = parsed.message {
        return match parsed.validation {
            Some(validation) => format!("{message} ({validation})"),
            None => message,
        };
    }
    if let Some(description) = parsed.error_description {
        return description;
    }
    match parsed.error {
        Some(serde_json::Value::String(error)) => error,
        Some(other) => other.to_string(),
        None => String::from_utf8_lossy(body).chars().take(300).collect(),
    }
}

/// Classifies a non-success answer.
pub(super) fn classify(status: u16, body: &[u8]) -> WorkbenchError {
    let message = message_of(body);
    match status {
        401 => WorkbenchError::Unauthorized(message),
        403 => WorkbenchError::Forbidden(message),
        404 => WorkbenchError::NotFound(message),
        405 => WorkbenchError::NotAllowed(message),
        409 => WorkbenchError::Conflict(message),
        400 | 422 if message.to_ascii_lowercase().contains("already") => {
            WorkbenchError::Conflict(message)
        }
        400 | 422 => WorkbenchError::BadRequest(message),
        429 => WorkbenchError::Throttled(message),
        _ => WorkbenchError::Unexpected(format!("HTTP {status}: {message}")),
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_api_errors_prefer_detail() {
        let body = br#"{"errors":[{"status":"409","title":"Conflict","detail":"name has already been taken"}]}"#;
        assert_eq!(message_of(body), "name has already been taken");
    }

    #[test]
    fn message_and_validation_shape_is_read() {
        let body = br#"{"message":"invalid","validation":{"name":"required"}}"#;
        assert_eq!(message_of(body), r#"invalid ({"name":"required"})"#);
    }

    #[test]
    fn oauth_shape_is_read() {
        let body = br#"{"error":"invalid_token","error_description":"token expired"}"#;
        assert_eq!(message_of(body), "token expired");
    }

    #[test]
    fn html_from_a_gateway_is_kept_as_text() {
        assert_eq!(message_of(b"<html>502</html>"), "<html>502</html>");
    }

    #[test]
    fn unauthorized_names_the_api_key_setting() {
        let err = classify(401, br#"{"errors":[{"detail":"bad key"}]}"#);
        assert!(err.to_string().contains("EXPEL_API_KEY"), "{err}");
    }

    #[test]
    fn duplicate_name_on_422_is_a_conflict() {
        let err = classify(
            422,
            br#"{"errors":[{"detail":"name has already been taken"}]}"#,
        );
        assert!(matches!(err, WorkbenchError::Conflict(_)), "{err:?}");
    }
}
