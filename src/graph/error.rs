//! Errors of the Microsoft Graph client, classified so callers can act on them.

use std::fmt;

/// What went wrong talking to Microsoft Graph.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The object does not exist (or has not replicated yet).
    #[error("not found: {0}")]
    NotFound(ApiFailure),
    /// The object, grant or assignment already exists.
    #[error("already exists: {0}")]
    AlreadyExists(ApiFailure),
    /// The provider's identity lacks a Graph permission.
    #[error("the provider's identity lacks {permission}: {failure}")]
    Forbidden {
        /// Graph application permission(s) that allow the call.
        permission: &'static str,
        /// The answer that said so.
        failure: ApiFailure,
    },
    /// The request was malformed or refused as invalid; retrying will not help.
    #[error("bad request: {0}")]
    BadRequest(ApiFailure),
    /// The token was refused even after a refresh.
    #[error("unauthorized: {0}")]
    Unauthorized(ApiFailure),
    /// Still throttled (429) when the retry budget ran out.
    #[error("throttled by Microsoft Graph until the retry budget ran out: {0}")]
    Throttled(ApiFailure),
    /// 5xx answers or connection failures until the retry budget ran out.
    #[error("Microsoft Graph kept failing: {0}")]
    Transient(String),
    /// No token could be obtained from Microsoft Entra ID.
    #[error("could not obtain a Microsoft Entra ID token: {0}")]
    Authentication(String),
    /// An object a write references stayed invisible for the whole replication window.
    #[error("{object} still did not exist after waiting {waited_s} s for Microsoft Entra ID to replicate it: {failure}")]
    NotReplicated {
        /// The object, e.g. `service principal 3f2a…`.
        object: String,
        /// How long the provider waited, in seconds.
        waited_s: u64,
        /// The last answer (boxed: it is rare, and keeps every `Result` small).
        failure: Box<ApiFailure>,
    },
    /// Any other unexpected answer (including one we could not decode).
    #[error("unexpected answer from Microsoft Graph: {0}")]
    Unexpected(String),
}

impl GraphError {
    /// True when the object is absent.
    pub fn is_not_found(&self) -> bool {
        matches!(self, GraphError::NotFound(_))
    }

    /// True when the object already exists.
    pub fn is_already_exists(&self) -> bool {
        matches!(self, GraphError::AlreadyExists(_))
    }

    /// True when a write was refused because an object it references (`id`) does not exist
    /// (yet): Graph answers 404, or 400 "Resource '<id>' does not exist…" for role assignments.
    pub fn is_missing_reference(&self, id: &str) -> bool {
        match self {
            GraphError::NotFound(_) => true,
            GraphError::BadRequest(failure) => {
                let message = failure.message.to_ascii_lowercase();
                message.contains("does not exist") && message.contains(&id.to_ascii_lowercase())
            }
            _ => false,
        }
    }

    /// The Graph answer behind this error, if there was one.
    pub fn failure(&self) -> Option<&ApiFailure> {
        match self {
            GraphError::NotFound(f)
            | GraphError::AlreadyExists(f)
            | GraphError::BadRequest(f)
            | GraphError::Unauthorized(f)
            | GraphError::Throttled(f)
            | GraphError::Forbidden { failure: f, .. } => Some(f),
            GraphError::NotReplicated { failure, .. } => Some(failure),
            GraphError::Transient(_)
            | GraphError::Authentication(_)
            | GraphError::Unexpected(_) => None,
        }
    }
}

impl crate::http::Retryable for GraphError {
    fn outlasted(self) -> Self {
        match self {
            GraphError::Unexpected(message) => GraphError::Transient(message),
            other => other,
        }
    }
}

/// A failed Graph answer: status, Graph error code and message, and the request ids
/// Microsoft support asks for.
#[derive(Clone, Debug, Default)]
pub struct ApiFailure {
    /// HTTP status code.
    pub status: u16,
    /// `error.code`, e.g. `Request_ResourceNotFound`.
    pub code: String,
    /// `error.message`.
    pub message: String,
    /// The `request-id` Graph assigned.
    pub request_id: Option<String>,
    /// The `client-request-id` this client sent.
    pub client_request_id: String,
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if !self.code.is_empty() {
            write!(f, " {}", self.code)?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        write!(f, " (client-request-id {}", self.client_request_id)?;
        if let Some(id) = &self.request_id {
            write!(f, ", request-id {id}")?;
        }
        write!(f, ")")
    }
}

#[derive(serde::Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorDetail,
}

#[derive(serde::Deserialize, Default)]
struct ErrorDetail {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Messages with which Graph says "this already exists" on a 400.
const ALREADY_EXISTS_MESSAGES: &[&str] = &[
    "already exists",
    "a conflicting object with one or more of the specified property values is present",
];

/// Classifies a non-success Graph answer. `permission` names what the call needs, for 403.
pub(super) fn classify(
    status: u16,
    body: &[u8],
    request_id: Option<String>,
    client_request_id: String,
    permission: &'static str,
) -> GraphError {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let message = if parsed.error.message.is_empty() && parsed.error.code.is_empty() {
        String::from_utf8_lossy(body).chars().take(300).collect()
    } else {
        parsed.error.message
    };
    let failure = ApiFailure {
        status,
        code: parsed.error.code,
        message,
        request_id,
        client_request_id,
    };
    let lower = failure.message.to_ascii_lowercase();
    match status {
        404 => GraphError::NotFound(failure),
        409 => GraphError::AlreadyExists(failure),
        400 if ALREADY_EXISTS_MESSAGES.iter().any(|m| lower.contains(m)) => {
            GraphError::AlreadyExists(failure)
        }
        400 | 405 | 422 => GraphError::BadRequest(failure),
        401 => GraphError::Unauthorized(failure),
        403 => GraphError::Forbidden {
            permission,
            failure,
        },
        429 => GraphError::Throttled(failure),
        _ => GraphError::Unexpected(failure.to_string()),
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: &str, message: &str) -> Vec<u8> {
        serde_json::json!({"error": {"code": code, "message": message, "innerError": {}}})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn duplicate_grant_is_already_exists() {
        let err = classify(
            400,
            &body(
                "Request_BadRequest",
                "Permission being assigned already exists on the object",
            ),
            None,
            "c".into(),
            "AppRoleAssignment.ReadWrite.All",
        );
        assert!(err.is_already_exists(), "{err:?}");
    }

    #[test]
    fn conflicting_role_assignment_is_already_exists() {
        let err = classify(
            400,
            &body(
                "Request_BadRequest",
                "A conflicting object with one or more of the specified property values is present in the directory.",
            ),
            None,
            "c".into(),
            "RoleManagement.ReadWrite.Directory",
        );
        assert!(err.is_already_exists(), "{err:?}");
    }

    #[test]
    fn invalid_object_identifier_is_a_bad_request() {
        let err = classify(
            400,
            &body("Request_BadRequest", "Invalid object identifier 'x'."),
            None,
            "c".into(),
            "Application.Read.All",
        );
        assert!(matches!(err, GraphError::BadRequest(_)), "{err:?}");
    }

    #[test]
    fn forbidden_names_the_missing_permission() {
        let err = classify(
            403,
            &body(
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
            Some("r-1".into()),
            "c-1".into(),
            "AppRoleAssignment.ReadWrite.All",
        );
        let text = err.to_string();
        assert!(text.contains("AppRoleAssignment.ReadWrite.All"), "{text}");
        assert!(text.contains("request-id r-1"), "{text}");
    }

    #[test]
    fn a_missing_principal_in_a_role_assignment_is_a_missing_reference() {
        let principal = "3f2a6b1c-0d4e-4f5a-9b8c-7d6e5f4a3b2c";
        let err = classify(
            400,
            &body("Request_BadRequest", &format!("Resource '{principal}' does not exist or one of its queried reference-property objects are not present.")),
            None,
            "c".into(),
            "RoleManagement.ReadWrite.Directory",
        );
        assert!(err.is_missing_reference(principal), "{err:?}");
    }

    #[test]
    fn a_missing_role_definition_is_not_a_missing_principal() {
        let err = classify(
            400,
            &body(
                "Request_BadRequest",
                "The role definition 'fe930be7' does not exist.",
            ),
            None,
            "c".into(),
            "RoleManagement.ReadWrite.Directory",
        );
        assert!(!err.is_missing_reference("3f2a6b1c-0d4e-4f5a-9b8c-7d6e5f4a3b2c"));
    }

    #[test]
    fn html_gateway_answers_keep_their_text() {
        let err = classify(
            502,
            b"<html>Bad gateway</html>",
            None,
            "c".into(),
            "Application.Read.All",
        );
        assert!(err.to_string().contains("Bad gateway"), "{err}");
    }
}
