//! The Workbench v2 subset behind auto remediations: `remediation_action_settings`,
//! `remediation_action_setting_list_sources`, `context_labels` and `security_devices` (with
//! their `vendors`), as JSON:API with filters, `include=`, paging and `links.next`, written
//! from shared/reference/workbench-api.md ("Auto remediation settings").
//!
//! Where the reference leaves a question open, the sandbox takes the conservative reading and
//! says so:
//! - Settings exist per organization and action type from the start and are changed with
//!   PATCH only: a POST answers 405 Method Not Allowed (a JSON:API error body), as a Rails
//!   API that routes no `create` plausibly would.
//! - Opting in (`automate_opt_in: true`) needs `automate_opt_in_agreement_version: "V1"` in
//!   the same request or already recorded (422 otherwise); `automate_opt_in_at` is stamped
//!   when the setting goes from out to in and cleared on opting out. `action_type` and
//!   `automate_opt_in_at` cannot be written (422).
//! - A list source of type `CONTEXT_LABEL` points at a context label of the setting's
//!   organization; a label references context variables through its `context_variables`
//!   relationship and keeps whatever `definition` object it is given. A label still used by
//!   a list source cannot be deleted (409).
//! - Reads need any key of the organization; every write needs an organization_admin key
//!   (403 otherwise).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::workbench::{
    document, errors, organizations_of, organizations_to_manage, paged_including, parse_body,
};
use super::world::{guid, timestamp, ContextLabel, ListSource, World};
use super::Shared;

const SETTINGS: &str = "/api/v2/remediation_action_settings";
const LIST_SOURCES: &str = "/api/v2/remediation_action_setting_list_sources";
const LABELS: &str = "/api/v2/context_labels";
const DEVICES: &str = "/api/v2/security_devices";

/// The routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route(SETTINGS, get(list_settings).post(create_setting))
        .route(
            &format!("{SETTINGS}/{{id}}"),
            get(get_setting).patch(update_setting),
        )
        .route(
            &format!("{SETTINGS}/{{id}}/security_devices"),
            get(devices_of_setting),
        )
        .route(LIST_SOURCES, get(list_sources).post(create_list_source))
        .route(
            &format!("{LIST_SOURCES}/{{id}}"),
            get(get_list_source).delete(delete_list_source),
        )
        .route(LABELS, get(list_labels).post(create_label))
        .route(
            &format!("{LABELS}/{{id}}"),
            get(get_label).delete(delete_label),
        )
        .route(DEVICES, get(list_devices))
        .route(&format!("{DEVICES}/{{id}}"), get(get_device))
}

type Params = Query<Vec<(String, String)>>;

fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn includes(query: &[(String, String)], relation: &str) -> bool {
    param(query, "include").is_some_and(|v| v.split(',').any(|r| r.trim() == relation))
}

fn not_found(kind: &str, id: &str) -> Response {
    errors(
        StatusCode::NOT_FOUND,
        "Not Found",
        &format!("{kind} {id} not found"),
    )
}

fn unprocessable(detail: &str) -> Response {
    errors(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Unprocessable Entity",
        detail,
    )
}

fn to_one(kind: &str, id: Option<&String>) -> Value {
    match id {
        Some(id) => json!({"data": {"type": kind, "id": id}}),
        None => json!({"data": null}),
    }
}

fn to_many(kind: &str, ids: &[String]) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"type": kind, "id": id}))
        .collect();
    json!({ "data": data })
}

fn setting_json(world: &World, id: &str, base: &str) -> Value {
    let Some(s) = world.remediation_settings.iter().find(|s| s.id == id) else {
        return Value::Null;
    };
    let sources: Vec<String> = world
        .list_sources
        .iter()
        .filter(|l| l.setting_id == s.id)
        .map(|l| l.id.clone())
        .collect();
    json!({
        "type": "remediation_action_settings",
        "id": s.id,
        "attributes": s.attributes,
        "links": {"self": format!("{base}{SETTINGS}/{}", s.id)},
        "relationships": {
            "organization": to_one("organizations", Some(&s.organization_id)),
            "security_devices": to_many("security_devices", &s.security_device_ids),
            "remediation_action_setting_list_sources": to_many("remediation_action_setting_list_sources", &sources),
            "context_labels": {"links": {"related": format!("{base}{SETTINGS}/{}/context_labels", s.id)}},
        }
    })
}

fn source_json(s: &ListSource, base: &str) -> Value {
    json!({
        "type": "remediation_action_setting_list_sources",
        "id": s.id,
        "attributes": s.attributes,
        "links": {"self": format!("{base}{LIST_SOURCES}/{}", s.id)},
        "relationships": {
            "remediation_action_setting": to_one("remediation_action_settings", Some(&s.setting_id)),
            "context_label": to_one("context_labels", s.context_label_id.as_ref()),
            "security_device": to_one("security_devices", s.security_device_id.as_ref()),
        }
    })
}

fn label_json(l: &ContextLabel, base: &str) -> Value {
    json!({
        "type": "context_labels",
        "id": l.id,
        "attributes": l.attributes,
        "links": {"self": format!("{base}{LABELS}/{}", l.id)},
        "relationships": {
            "organization": to_one("organizations", Some(&l.organization_id)),
            "context_variables": to_many("context_variables", &l.context_variable_ids),
        }
    })
}

fn device_json(world: &World, id: &str, base: &str) -> Value {
    let Some(d) = world.security_devices.iter().find(|d| d.id == id) else {
        return Value::Null;
    };
    json!({
        "type": "security_devices",
        "id": d.id,
        "attributes": d.attributes,
        "links": {"self": format!("{base}{DEVICES}/{}", d.id)},
        "relationships": {
            "organization": to_one("organizations", Some(&d.organization_id)),
            "vendor": to_one("vendors", Some(&d.vendor_id)),
        }
    })
}

fn vendor_json(world: &World, id: &str) -> Option<Value> {
    let v = world.vendors.iter().find(|v| v.id == id)?;
    Some(json!({"type": "vendors", "id": v.id, "attributes": v.attributes}))
}

/// The organizations a list answers for: those the key sees, narrowed to the one
/// `filter[organization][id]` names, if any (a refused key is the error answer).
fn listed_organizations(
    shared: &Shared,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<Vec<String>, Response> {
    let orgs = organizations_of(shared, headers)?;
    Ok(match param(query, "filter[organization][id]") {
        Some(org) => orgs.into_iter().filter(|o| *o == org).collect(),
        None => orgs,
    })
}

async fn list_settings(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    let orgs = match listed_organizations(&shared, &headers, &query) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let action_type = param(&query, "filter[action_type]");
    let items = {
        let world = shared.lock();
        world
            .remediation_settings
            .iter()
            .filter(|s| orgs.contains(&s.organization_id))
            .filter(|s| action_type.is_none_or(|t| s.attributes["action_type"] == t))
            .map(|s| setting_json(&world, &s.id, &shared.url))
            .collect()
    };
    paged_including(items, |_| Vec::new(), &query, &shared, SETTINGS)
}

async fn create_setting(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = organizations_to_manage(&shared, &headers) {
        return r;
    }
    errors(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
        "remediation_action_settings exist for every organization and action type; change them with PATCH",
    )
}

fn visible_setting(world: &World, id: &str, orgs: &[String]) -> bool {
    world
        .remediation_settings
        .iter()
        .any(|s| s.id == id && orgs.contains(&s.organization_id))
}

async fn get_setting(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let orgs = match organizations_of(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let world = shared.lock();
    if !visible_setting(&world, &id, &orgs) {
        return not_found("remediation_action_settings", &id);
    }
    document(
        StatusCode::OK,
        json!({"data": setting_json(&world, &id, &shared.url)}),
    )
}

async fn devices_of_setting(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    let orgs = match organizations_of(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let items = {
        let world = shared.lock();
        let Some(setting) = world
            .remediation_settings
            .iter()
            .find(|s| s.id == id && orgs.contains(&s.organization_id))
        else {
            return not_found("remediation_action_settings", &id);
        };
        setting
            .security_device_ids
            .iter()
            .map(|d| device_json(&world, d, &shared.url))
            .collect()
    };
    paged_including(
        items,
        |_| Vec::new(),
        &query,
        &shared,
        &format!("{SETTINGS}/{id}/security_devices"),
    )
}

async fn update_setting(
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
    if body["data"]["id"]
        .as_str()
        .or(body["id"].as_str())
        .is_some_and(|b| b != id)
    {
        return errors(
            StatusCode::CONFLICT,
            "Conflict",
            "the id in the body does not match the URL",
        );
    }
    let changes = body["data"]["attributes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let devices = match &body["data"]["relationships"]["security_devices"] {
        Value::Null => None,
        rel => match rel["data"].as_array() {
            Some(items) => Some(
                items
                    .iter()
                    .filter_map(|i| i["id"].as_str().map(str::to_owned))
                    .collect::<Vec<_>>(),
            ),
            None => return unprocessable("relationships.security_devices.data must be an array"),
        },
    };
    let mut world = shared.lock();
    if !visible_setting(&world, &id, &orgs) {
        return not_found("remediation_action_settings", &id);
    }
    let Some(current) = world
        .remediation_settings
        .iter()
        .find(|s| s.id == id)
        .cloned()
    else {
        return not_found("remediation_action_settings", &id);
    };
    for (key, value) in &changes {
        let valid = match key.as_str() {
            "automate_opt_in" => value.is_boolean(),
            "automate_opt_in_agreement_version" => value.is_null() || value == "V1",
            "automate_list_type" => value.is_null() || value == "DENY" || value == "ALLOW",
            "action_type" | "automate_opt_in_at" | "created_at" | "updated_at" => {
                return unprocessable(&format!("{key} cannot be changed"));
            }
            other => return unprocessable(&format!("unknown attribute {other}")),
        };
        if !valid {
            return unprocessable(&format!("{key} has an invalid value {value}"));
        }
    }
    let opting_in = changes.get("automate_opt_in") == Some(&json!(true));
    let agreement = changes
        .get("automate_opt_in_agreement_version")
        .or(current.attributes.get("automate_opt_in_agreement_version"))
        .cloned()
        .unwrap_or(Value::Null);
    if opting_in && agreement != "V1" {
        return unprocessable("automate_opt_in_agreement_version V1 is required to opt in");
    }
    if let Some(devices) = &devices {
        if let Some(bad) = devices.iter().find(|d| {
            !world
                .security_devices
                .iter()
                .any(|s| &s.id == *d && s.organization_id == current.organization_id)
        }) {
            return unprocessable(&format!(
                "security device {bad} is not a device of the organization"
            ));
        }
    }
    let now = timestamp();
    let was_in = current.attributes["automate_opt_in"] == true;
    let Some(setting) = world.remediation_settings.iter_mut().find(|s| s.id == id) else {
        return not_found("remediation_action_settings", &id);
    };
    for (key, value) in changes {
        setting.attributes.insert(key, value);
    }
    let is_in = setting.attributes["automate_opt_in"] == true;
    if is_in && !was_in {
        setting
            .attributes
            .insert("automate_opt_in_at".into(), json!(now));
    } else if !is_in {
        setting
            .attributes
            .insert("automate_opt_in_at".into(), Value::Null);
    }
    if let Some(devices) = devices {
        setting.security_device_ids = devices;
    }
    setting.attributes.insert("updated_at".into(), json!(now));
    document(
        StatusCode::OK,
        json!({"data": setting_json(&world, &id, &shared.url)}),
    )
}

/// The list sources the key may see: those of settings of its organizations.
fn visible_sources<'w>(world: &'w World, orgs: &[String]) -> impl Iterator<Item = &'w ListSource> {
    let settings: Vec<&str> = world
        .remediation_settings
        .iter()
        .filter(|s| orgs.contains(&s.organization_id))
        .map(|s| s.id.as_str())
        .collect();
    world
        .list_sources
        .iter()
        .filter(move |l| settings.contains(&l.setting_id.as_str()))
}

async fn list_sources(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    let orgs = match organizations_of(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let setting = param(&query, "filter[remediation_action_setting][id]");
    let source_type = param(&query, "filter[source_type]");
    let world = shared.lock();
    let items: Vec<Value> = visible_sources(&world, &orgs)
        .filter(|l| setting.is_none_or(|s| l.setting_id == s))
        .filter(|l| source_type.is_none_or(|t| l.attributes["source_type"] == t))
        .map(|l| source_json(l, &shared.url))
        .collect();
    let include_labels = includes(&query, "context_label");
    let included = |page: &[Value]| {
        if !include_labels {
            return Vec::new();
        }
        let mut ids: Vec<&str> = page
            .iter()
            .filter_map(|s| s["relationships"]["context_label"]["data"]["id"].as_str())
            .collect();
        ids.dedup();
        world
            .context_labels
            .iter()
            .filter(|l| ids.contains(&l.id.as_str()))
            .map(|l| label_json(l, &shared.url))
            .collect()
    };
    paged_including(items, included, &query, &shared, LIST_SOURCES)
}

async fn get_list_source(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let orgs = match organizations_of(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let world = shared.lock();
    let found = visible_sources(&world, &orgs).find(|l| l.id == id).cloned();
    match found {
        Some(l) => document(
            StatusCode::OK,
            json!({"data": source_json(&l, &shared.url)}),
        ),
        None => not_found("remediation_action_setting_list_sources", &id),
    }
}

async fn create_list_source(
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
    if data["type"] != "remediation_action_setting_list_sources" {
        return errors(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "data.type must be remediation_action_setting_list_sources",
        );
    }
    let source_type = data["attributes"]["source_type"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let rel = |name: &str| {
        data["relationships"][name]["data"]["id"]
            .as_str()
            .map(str::to_owned)
    };
    let Some(setting_id) = rel("remediation_action_setting") else {
        return unprocessable("the remediation_action_setting relationship is required");
    };
    let mut world = shared.lock();
    let Some(setting) = world
        .remediation_settings
        .iter()
        .find(|s| s.id == setting_id && orgs.contains(&s.organization_id))
        .cloned()
    else {
        return not_found("remediation_action_settings", &setting_id);
    };
    let label = rel("context_label");
    match source_type.as_str() {
        "CONTEXT_LABEL" => {
            let Some(label_id) = &label else {
                return unprocessable(
                    "a CONTEXT_LABEL list source needs the context_label relationship",
                );
            };
            if !world
                .context_labels
                .iter()
                .any(|l| &l.id == label_id && l.organization_id == setting.organization_id)
            {
                return unprocessable(&format!(
                    "context label {label_id} is not a label of the setting's organization"
                ));
            }
            if world.list_sources.iter().any(|l| {
                l.setting_id == setting_id && l.context_label_id.as_ref() == Some(label_id)
            }) {
                return errors(
                    StatusCode::CONFLICT,
                    "Conflict",
                    "the context label is already a list source of this setting",
                );
            }
        }
        "EXTERNAL_TASKABILITIES" => {
            if !data["attributes"]["external_value"].is_object() {
                return unprocessable("an EXTERNAL_TASKABILITIES list source needs external_value");
            }
        }
        _ => return unprocessable("source_type must be CONTEXT_LABEL or EXTERNAL_TASKABILITIES"),
    }
    let now = timestamp();
    let mut attributes = Map::new();
    attributes.insert("source_type".into(), json!(source_type));
    attributes.insert(
        "external_value".into(),
        data["attributes"]["external_value"].clone(),
    );
    attributes.insert("created_at".into(), json!(now));
    attributes.insert("updated_at".into(), json!(now));
    let source = ListSource {
        id: guid(),
        setting_id,
        attributes,
        context_label_id: label,
        security_device_id: rel("security_device"),
    };
    let response = document(
        StatusCode::CREATED,
        json!({"data": source_json(&source, &shared.url)}),
    );
    world.list_sources.push(source);
    response
}

async fn delete_list_source(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let orgs = match organizations_to_manage(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut world = shared.lock();
    if visible_sources(&world, &orgs).all(|l| l.id != id) {
        return not_found("remediation_action_setting_list_sources", &id);
    }
    world.list_sources.retain(|l| l.id != id);
    StatusCode::NO_CONTENT.into_response()
}

async fn list_labels(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    let orgs = match listed_organizations(&shared, &headers, &query) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let title = param(&query, "filter[title]");
    let items = {
        let world = shared.lock();
        world
            .context_labels
            .iter()
            .filter(|l| orgs.contains(&l.organization_id))
            .filter(|l| title.is_none_or(|t| l.attributes["title"] == t))
            .map(|l| label_json(l, &shared.url))
            .collect()
    };
    paged_including(items, |_| Vec::new(), &query, &shared, LABELS)
}

async fn get_label(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let orgs = match organizations_of(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let world = shared.lock();
    match world
        .context_labels
        .iter()
        .find(|l| l.id == id && orgs.contains(&l.organization_id))
    {
        Some(l) => document(StatusCode::OK, json!({"data": label_json(l, &shared.url)})),
        None => not_found("context_labels", &id),
    }
}

async fn create_label(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let orgs = match organizations_to_manage(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let data = &body["data"];
    if data["type"] != "context_labels" {
        return errors(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "data.type must be context_labels",
        );
    }
    let attributes = data["attributes"].as_object().cloned().unwrap_or_default();
    if attributes
        .get("title")
        .and_then(Value::as_str)
        .is_none_or(|t| t.trim().is_empty())
    {
        return unprocessable("title is required");
    }
    if !attributes.get("definition").is_some_and(Value::is_object) {
        return unprocessable("definition must be an object");
    }
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
    let variables: Vec<String> = data["relationships"]["context_variables"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect();
    let mut world = shared.lock();
    if let Some(bad) = variables.iter().find(|v| {
        !world
            .context_variables
            .iter()
            .any(|c| &c.id == *v && c.organization_id == organization)
    }) {
        return unprocessable(&format!(
            "context variable {bad} is not a variable of the organization"
        ));
    }
    let now = timestamp();
    let mut stored = Map::new();
    for key in ["title", "description", "definition"] {
        stored.insert(
            key.into(),
            attributes.get(key).cloned().unwrap_or(Value::Null),
        );
    }
    stored.insert(
        "resolved_definition".into(),
        attributes["definition"].clone(),
    );
    stored.insert("review_status".into(), json!("APPROVED"));
    stored.insert("created_at".into(), json!(now));
    stored.insert("updated_at".into(), json!(now));
    let label = ContextLabel {
        id: guid(),
        organization_id: organization,
        attributes: stored,
        context_variable_ids: variables,
    };
    let response = document(
        StatusCode::CREATED,
        json!({"data": label_json(&label, &shared.url)}),
    );
    world.context_labels.push(label);
    response
}

async fn delete_label(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let orgs = match organizations_to_manage(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut world = shared.lock();
    if !world
        .context_labels
        .iter()
        .any(|l| l.id == id && orgs.contains(&l.organization_id))
    {
        return not_found("context_labels", &id);
    }
    if world
        .list_sources
        .iter()
        .any(|s| s.context_label_id.as_deref() == Some(id.as_str()))
    {
        return errors(
            StatusCode::CONFLICT,
            "Conflict",
            "the context label is used by a remediation list source",
        );
    }
    world.context_labels.retain(|l| l.id != id);
    StatusCode::NO_CONTENT.into_response()
}

async fn list_devices(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    let orgs = match listed_organizations(&shared, &headers, &query) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let name = param(&query, "filter[name]");
    let world = shared.lock();
    let items: Vec<Value> = world
        .security_devices
        .iter()
        .filter(|d| orgs.contains(&d.organization_id))
        .filter(|d| name.is_none_or(|n| d.attributes["name"] == n))
        .map(|d| device_json(&world, &d.id, &shared.url))
        .collect();
    let include_vendor = includes(&query, "vendor");
    let included = |page: &[Value]| {
        if !include_vendor {
            return Vec::new();
        }
        let mut ids: Vec<&str> = page
            .iter()
            .filter_map(|d| d["relationships"]["vendor"]["data"]["id"].as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .filter_map(|id| vendor_json(&world, id))
            .collect()
    };
    paged_including(items, included, &query, &shared, DEVICES)
}

async fn get_device(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let orgs = match organizations_of(&shared, &headers) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let world = shared.lock();
    if !world
        .security_devices
        .iter()
        .any(|d| d.id == id && orgs.contains(&d.organization_id))
    {
        return not_found("security_devices", &id);
    }
    document(
        StatusCode::OK,
        json!({"data": device_json(&world, &id, &shared.url)}),
    )
}
