//! The Expel Workbench v2 subset: organizations and context variables as JSON:API, with
//! bearer API keys, filters, `page[limit]`/`page[offset]` paging and `links.next`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::world::{guid, timestamp, ContextVariable};
use super::Shared;

const CONTEXT_TYPES: &[&str] = &[
    "cidr_block",
    "domain",
    "email_address",
    "file_hash",
    "hostname",
    "ip_address",
    "other",
    "port",
    "url",
    "username",
];
const VALUE_TYPES: &[&str] = &["cidr_block", "integer", "ip_address", "regex", "string"];
const MAX_PAGE: usize = 1000;

/// The Workbench routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v2/organizations", get(list_organizations))
        .route(
            "/api/v2/context_variables",
            get(list_context_variables).post(create_context_variable),
        )
        .route(
            "/api/v2/context_variables/{id}",
            get(get_context_variable)
                .patch(update_context_variable)
                .delete(delete_context_variable),
        )
}

pub(super) fn errors(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = json!({"errors": [{"status": status.as_u16().to_string(), "title": title, "detail": detail}]});
    (
        status,
        [("content-type", "application/vnd.api+json")],
        body.to_string(),
    )
        .into_response()
}

pub(super) fn document(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("content-type", "application/vnd.api+json")],
        body.to_string(),
    )
        .into_response()
}

/// The organizations the bearer key sees, for a write: 403 unless the key has the
/// organization_admin role.
pub(super) fn organizations_to_manage(
    shared: &Shared,
    headers: &HeaderMap,
) -> Result<Vec<String>, Response> {
    let orgs = organizations_of(shared, headers)?;
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if shared.lock().analyst_api_keys.contains(key) {
        return Err(errors(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "this API key does not have the organization_admin role",
        ));
    }
    Ok(orgs)
}

/// The organizations the bearer key sees.
pub(super) fn organizations_of(
    shared: &Shared,
    headers: &HeaderMap,
) -> Result<Vec<String>, Response> {
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            errors(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "Missing bearer token",
            )
        })?;
    shared
        .lock()
        .api_keys
        .get(key)
        .cloned()
        .ok_or_else(|| errors(StatusCode::UNAUTHORIZED, "Unauthorized", "Invalid API key"))
}

fn variable_json(v: &ContextVariable, base: &str) -> Value {
    json!({
        "type": "context_variables",
        "id": v.id,
        "attributes": v.attributes,
        "links": {"self": format!("{base}/api/v2/context_variables/{}", v.id)},
        "relationships": {
            "organization": {"data": {"type": "organizations", "id": v.organization_id}},
            "context_labels": {"links": {"related": format!("{base}/api/v2/context_variables/{}/context_labels", v.id)}},
        }
    })
}

fn paged(items: Vec<Value>, query: &[(String, String)], shared: &Shared, path: &str) -> Response {
    paged_including(items, |_| Vec::new(), query, shared, path)
}

/// One page of `items`, with what `include` adds for that page in `included`.
pub(super) fn paged_including(
    items: Vec<Value>,
    include: impl FnOnce(&[Value]) -> Vec<Value>,
    query: &[(String, String)],
    shared: &Shared,
    path: &str,
) -> Response {
    let number = |name: &str, default: usize| -> Result<usize, Response> {
        match query.iter().find(|(k, _)| k == name) {
            Some((_, v)) => v.parse().map_err(|_| {
                errors(
                    StatusCode::BAD_REQUEST,
                    "Bad Request",
                    &format!("{name} must be a non-negative integer"),
                )
            }),
            None => Ok(default),
        }
    };
    let limit = match number("page[limit]", shared.page_size) {
        Ok(l) => l.clamp(1, MAX_PAGE),
        Err(r) => return r,
    };
    let offset = match number("page[offset]", 0) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let total = items.len();
    let data: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let mut links = json!({});
    if offset + limit < total {
        // Relative, as Workbench writes it; clients must resolve it against the request.
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in query
            .iter()
            .filter(|(k, _)| k != "page[offset]" && k != "page[limit]")
        {
            next.append_pair(k, v);
        }
        next.append_pair("page[limit]", &limit.to_string());
        next.append_pair("page[offset]", &(offset + limit).to_string());
        links["next"] = json!(format!("{path}?{}", next.finish()));
    }
    let included = include(&data);
    let mut body = json!({"data": data, "links": links, "meta": {"page": {"total": total}}});
    if !included.is_empty() {
        body["included"] = Value::Array(included);
    }
    document(StatusCode::OK, body)
}

async fn list_organizations(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let orgs = match organizations_of(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let items = {
        let world = shared.lock();
        world.organizations.iter().filter(|(id, _)| orgs.contains(id)).map(|(id, name)| json!({"type": "organizations", "id": id, "attributes": {"name": name}})).collect()
    };
    paged(items, &query, &shared, "/api/v2/organizations")
}

async fn list_context_variables(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let orgs = match organizations_of(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let filter = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (name, context_type, org) = (
        filter("filter[name]"),
        filter("filter[context_type]"),
        filter("filter[organization][id]"),
    );
    let items = {
        let world = shared.lock();
        world
            .context_variables
            .iter()
            .filter(|v| orgs.contains(&v.organization_id))
            .filter(|v| org.as_ref().is_none_or(|o| &v.organization_id == o))
            .filter(|v| {
                name.as_ref()
                    .is_none_or(|n| v.attributes["name"] == n.as_str())
            })
            .filter(|v| {
                context_type
                    .as_ref()
                    .is_none_or(|t| v.attributes["context_type"] == t.as_str())
            })
            .map(|v| variable_json(v, &shared.url))
            .collect()
    };
    paged(items, &query, &shared, "/api/v2/context_variables")
}

fn find<'a>(
    variables: &'a [ContextVariable],
    id: &str,
    orgs: &[String],
) -> Option<&'a ContextVariable> {
    variables
        .iter()
        .find(|v| v.id == id && orgs.contains(&v.organization_id))
}

async fn get_context_variable(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let orgs = match organizations_of(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let world = shared.lock();
    match find(&world.context_variables, &id, &orgs) {
        Some(v) => document(
            StatusCode::OK,
            json!({"data": variable_json(v, &shared.url)}),
        ),
        None => errors(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("context_variables {id} not found"),
        ),
    }
}

pub(super) fn parse_body(body: &str) -> Result<Value, Response> {
    serde_json::from_str(body).map_err(|e| {
        errors(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            &format!("malformed JSON: {e}"),
        )
    })
}

/// Checks `value` against `value_type` for a list.
fn check_value(value: &Value, is_array: bool, value_type: &str) -> Result<(), String> {
    let scalar_ok = |v: &Value| match value_type {
        "integer" => v.is_i64() || v.is_u64(),
        _ => v.is_string(),
    };
    match (is_array, value) {
        (true, Value::Array(items)) if items.iter().all(scalar_ok) => Ok(()),
        (true, _) => Err(format!(
            "value must be an array of {value_type} values when is_array is true"
        )),
        (false, v) if scalar_ok(v) || v.is_null() => Ok(()),
        (false, _) => Err(format!("value must be a single {value_type}")),
    }
}

async fn create_context_variable(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let orgs = match organizations_to_manage(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let data = &body["data"];
    if data["type"] != "context_variables" {
        return errors(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "data.type must be context_variables",
        );
    }
    let Some(attributes) = data["attributes"].as_object().cloned() else {
        return errors(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "data.attributes is required",
        );
    };
    let organization = match data["relationships"]["organization"]["data"]["id"].as_str() {
        Some(org) if orgs.iter().any(|o| o == org) => org.to_owned(),
        Some(org) => {
            return errors(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &format!("the API key cannot access organization {org}"),
            )
        }
        None if orgs.len() == 1 => orgs[0].clone(),
        None => return errors(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "this API key sees several organizations: the organization relationship is required",
        ),
    };
    let text = |name: &str| {
        attributes
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let Some(name) = text("name").filter(|n| !n.trim().is_empty()) else {
        return errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            "name is required",
        );
    };
    let context_type = text("context_type").unwrap_or_default();
    if !CONTEXT_TYPES.contains(&context_type.as_str()) {
        return errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            &format!("context_type must be one of {}", CONTEXT_TYPES.join(", ")),
        );
    }
    let value_type = text("value_type").unwrap_or_else(|| "string".into());
    if !VALUE_TYPES.contains(&value_type.as_str()) {
        return errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            &format!("value_type must be one of {}", VALUE_TYPES.join(", ")),
        );
    }
    let is_array = attributes
        .get("is_array")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let value = attributes.get("value").cloned().unwrap_or(Value::Null);
    if let Err(detail) = check_value(&value, is_array, &value_type) {
        return errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            &detail,
        );
    }
    let mut world = shared.lock();
    if world
        .context_variables
        .iter()
        .any(|v| v.organization_id == organization && v.attributes["name"] == name.as_str())
    {
        return errors(
            StatusCode::CONFLICT,
            "Conflict",
            "name has already been taken",
        );
    }
    let now = timestamp();
    let mut stored = Map::new();
    stored.insert("name".into(), json!(name));
    stored.insert(
        "description".into(),
        attributes
            .get("description")
            .cloned()
            .unwrap_or(Value::Null),
    );
    stored.insert("context_type".into(), json!(context_type));
    stored.insert("value_type".into(), json!(value_type));
    stored.insert("is_array".into(), json!(is_array));
    stored.insert("value".into(), value);
    stored.insert(
        "surface_context".into(),
        attributes
            .get("surface_context")
            .cloned()
            .unwrap_or(json!(false)),
    );
    stored.insert("created_at".into(), json!(now));
    stored.insert("updated_at".into(), json!(now));
    let variable = ContextVariable {
        id: guid(),
        organization_id: organization,
        attributes: stored,
    };
    let response = document(
        StatusCode::CREATED,
        json!({"data": variable_json(&variable, &shared.url)}),
    );
    world.context_variables.push(variable);
    response
}

async fn update_context_variable(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let orgs = match organizations_to_manage(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let body_id = body["data"]["id"].as_str().or(body["id"].as_str());
    if body_id.is_some_and(|b| b != id) {
        return errors(
            StatusCode::CONFLICT,
            "Conflict",
            "the id in the body does not match the URL",
        );
    }
    let Some(changes) = body["data"]["attributes"].as_object().cloned() else {
        return errors(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "data.attributes is required",
        );
    };
    for immutable in ["context_type", "value_type", "is_array"] {
        if changes.contains_key(immutable) {
            return errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unprocessable Entity",
                &format!("{immutable} cannot be changed"),
            );
        }
    }
    let mut world = shared.lock();
    let Some(current) = find(&world.context_variables, &id, &orgs).cloned() else {
        return errors(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("context_variables {id} not found"),
        );
    };
    if let Some(name) = changes.get("name") {
        if name.as_str().is_none_or(|n| n.trim().is_empty()) {
            return errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unprocessable Entity",
                "name must not be blank",
            );
        }
        if world.context_variables.iter().any(|v| {
            v.id != id
                && v.organization_id == current.organization_id
                && &v.attributes["name"] == name
        }) {
            return errors(
                StatusCode::CONFLICT,
                "Conflict",
                "name has already been taken",
            );
        }
    }
    if let Some(value) = changes.get("value") {
        let is_array = current.attributes["is_array"].as_bool().unwrap_or(false);
        let value_type = current.attributes["value_type"]
            .as_str()
            .unwrap_or("string");
        if let Err(detail) = check_value(value, is_array, value_type) {
            return errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unprocessable Entity",
                &detail,
            );
        }
    }
    let Some(variable) = world.context_variables.iter_mut().find(|v| v.id == id) else {
        return errors(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("context_variables {id} not found"),
        );
    };
    for (key, value) in changes {
        if matches!(
            key.as_str(),
            "name" | "description" | "value" | "surface_context"
        ) {
            variable.attributes.insert(key, value);
        }
    }
    variable
        .attributes
        .insert("updated_at".into(), json!(timestamp()));
    document(
        StatusCode::OK,
        json!({"data": variable_json(variable, &shared.url)}),
    )
}

async fn delete_context_variable(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let orgs = match organizations_to_manage(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut world = shared.lock();
    if find(&world.context_variables, &id, &orgs).is_none() {
        return errors(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("context_variables {id} not found"),
        );
    }
    world.context_variables.retain(|v| v.id != id);
    StatusCode::NO_CONTENT.into_response()
}
