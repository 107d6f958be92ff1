//! Graph's wire conventions: `$filter` parsing, `@odata.nextLink` paging and error bodies.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Value};

/// One `$filter` clause the sandbox understands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eq {
    /// Property name.
    pub property: String,
    /// Value (unquoted).
    pub value: String,
    /// Whether the value was a quoted string literal.
    pub quoted: bool,
}

/// Parses `<property> eq '<value>'` (quotes doubled inside) or `<property> eq <guid>`.
pub fn parse_filter(filter: &str) -> Result<Eq, String> {
    let filter = filter.trim();
    let (property, rest) = filter.split_once(' ').ok_or("Invalid filter clause")?;
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix("eq ")
        .ok_or("Invalid filter clause: only 'eq' is supported")?
        .trim();
    if let Some(inner) = rest.strip_prefix('\'') {
        let inner = inner
            .strip_suffix('\'')
            .ok_or("Invalid filter clause: unterminated string literal")?;
        // Inside a literal every quote must be doubled.
        let mut value = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' && chars.next() != Some('\'') {
                return Err("Invalid filter clause: syntax error in string literal".into());
            }
            value.push(c);
        }
        Ok(Eq {
            property: property.into(),
            value,
            quoted: true,
        })
    } else if uuid::Uuid::parse_str(rest).is_ok() {
        Ok(Eq {
            property: property.into(),
            value: rest.into(),
            quoted: false,
        })
    } else {
        Err(format!(
            "Invalid filter clause: '{rest}' is not a valid literal"
        ))
    }
}

/// A Graph error answer.
pub fn error(status: StatusCode, code: &str, message: &str, request: &HeaderMap) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = request
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": super::world::timestamp(),
                "request-id": request_id,
                "client-request-id": client_request_id,
            }
        }
    });
    with_ids(
        (status, axum::Json(body)).into_response(),
        &request_id,
        &client_request_id,
    )
}

/// Adds the `request-id` and echoed `client-request-id` headers Graph sends.
pub fn with_ids(mut response: Response, request_id: &str, client_request_id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(client_request_id) {
        response.headers_mut().insert("client-request-id", v);
    }
    response
}

/// A Graph success answer with the standard ids.
pub fn ok(status: StatusCode, body: Value, request: &HeaderMap) -> Response {
    let client_request_id = request
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    with_ids(
        (status, axum::Json(body)).into_response(),
        &uuid::Uuid::new_v4().to_string(),
        &client_request_id,
    )
}

/// 204 with the standard ids.
pub fn no_content(request: &HeaderMap) -> Response {
    let client_request_id = request
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    with_ids(
        StatusCode::NO_CONTENT.into_response(),
        &uuid::Uuid::new_v4().to_string(),
        &client_request_id,
    )
}

/// 400 for a malformed object id.
pub fn invalid_id(id: &str, request: &HeaderMap) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        &format!("Invalid object identifier '{id}'."),
        request,
    )
}

/// 404 for a missing object.
pub fn not_found(id: &str, request: &HeaderMap) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        request,
    )
}

fn encode_skiptoken(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode_skiptoken(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

/// One page of a collection: `value`, `@odata.context`, and `@odata.nextLink` when more remain.
/// `self_url` is the absolute URL of this request without `$skiptoken`.
pub fn page(
    items: Vec<Value>,
    query: &[(String, String)],
    page_size: usize,
    self_url: &str,
    context: &str,
    request: &HeaderMap,
) -> Response {
    let offset = match query.iter().find(|(k, _)| k == "$skiptoken") {
        Some((_, token)) => match decode_skiptoken(token) {
            Some(offset) => offset,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    "Invalid $skiptoken.",
                    request,
                )
            }
        },
        None => 0,
    };
    let size = match query.iter().find(|(k, _)| k == "$top") {
        Some((_, top)) => match top.parse::<usize>() {
            Ok(top) if (1..=999).contains(&top) => top,
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    "Invalid value for $top.",
                    request,
                )
            }
        },
        None => page_size,
    };
    let total = items.len();
    let end = (offset + size).min(total);
    let value: Vec<Value> = items.into_iter().skip(offset).take(size).collect();
    let mut body = json!({ "@odata.context": context, "value": value });
    if end < total {
        let mut url = url::Url::parse(self_url).expect("the sandbox builds absolute URLs");
        {
            let mut pairs = url.query_pairs_mut();
            pairs.clear();
            for (k, v) in query.iter().filter(|(k, _)| k != "$skiptoken") {
                pairs.append_pair(k, v);
            }
            pairs.append_pair("$skiptoken", &encode_skiptoken(end));
        }
        body["@odata.nextLink"] = json!(url.to_string());
    }
    ok(StatusCode::OK, body, request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_literals_undouble_quotes() {
        let eq = parse_filter("displayName eq 'Bob''s app'").unwrap();
        assert_eq!(
            eq,
            Eq {
                property: "displayName".into(),
                value: "Bob's app".into(),
                quoted: true
            }
        );
    }

    #[test]
    fn lone_quotes_inside_literals_are_rejected() {
        assert!(parse_filter("displayName eq 'Bob's app'").is_err());
    }

    #[test]
    fn unquoted_guids_are_accepted() {
        let eq = parse_filter("resourceId eq 6b7d8c1e-0f6a-4f53-9b8e-0c2f3a4b5c6d").unwrap();
        assert!(!eq.quoted);
    }

    #[test]
    fn other_operators_are_rejected() {
        assert!(parse_filter("displayName ne 'x'").is_err());
        assert!(parse_filter("startswith(displayName,'x')").is_err());
    }

    #[test]
    fn skiptokens_round_trip() {
        assert_eq!(decode_skiptoken(&encode_skiptoken(42)), Some(42));
        assert_eq!(decode_skiptoken("garbage!"), None);
    }
}
