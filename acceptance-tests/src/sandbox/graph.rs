//! The Microsoft Graph v1.0 subset: service principals, app role assignments, applications,
//! directory role definitions and assignments — with Graph's ids, errors, paging, permission
//! checks and replication lag.

use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::odata::{self, error, invalid_id, not_found, ok, page, parse_filter};
use super::world::{
    grant_id, secret, timestamp, Grant, Life, RoleAssignment, ServicePrincipal, World,
    BUILT_IN_ROLES,
};
use super::Shared;

type Q = Query<Vec<(String, String)>>;

/// The Graph routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/v1.0/servicePrincipals",
            get(list_service_principals).post(create_service_principal),
        )
        .route(
            "/v1.0/servicePrincipals/{id}",
            get(get_service_principal).delete(delete_service_principal),
        )
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
            get(list_assigned_to).post(grant),
        )
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo/{assignment}",
            axum::routing::delete(revoke),
        )
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignments",
            get(list_assignments),
        )
        .route(
            "/v1.0/applications",
            get(list_applications).post(create_application),
        )
        .route(
            "/v1.0/applications/{id}",
            get(get_application)
                .patch(patch_application)
                .delete(delete_application),
        )
        .route(
            "/v1.0/roleManagement/directory/roleDefinitions",
            get(list_role_definitions),
        )
        .route(
            "/v1.0/roleManagement/directory/roleDefinitions/{id}",
            get(get_role_definition),
        )
        .route(
            "/v1.0/roleManagement/directory/roleAssignments",
            get(list_role_assignments).post(create_role_assignment),
        )
        .route(
            "/v1.0/roleManagement/directory/roleAssignments/{id}",
            get(get_role_assignment).delete(delete_role_assignment),
        )
}

const READ: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
];
const GRANT: &[&str] = &["AppRoleAssignment.ReadWrite.All"];
const ROLES_READ: &[&str] = &[
    "RoleManagement.ReadWrite.Directory",
    "RoleManagement.Read.Directory",
    "Directory.Read.All",
];
const ROLES_WRITE: &[&str] = &["RoleManagement.ReadWrite.Directory"];
/// Creating and deleting app registrations and service principals.
const APPS_WRITE: &[&str] = &["Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"];

pub(super) fn denied(headers: &HeaderMap) -> Response {
    error(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
        headers,
    )
}

/// Authenticates the bearer token; returns the caller's appId and its Graph permissions.
pub(super) fn caller(
    shared: &Shared,
    headers: &HeaderMap,
) -> Result<(String, Vec<String>), Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Access token is empty.",
                headers,
            )
        })?;
    let world = shared.lock();
    let issued = world.tokens.get(token).ok_or_else(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "IDX14100: JWT is not well formed.",
            headers,
        )
    })?;
    if Instant::now() >= issued.expires_at {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Lifetime validation failed, the token is expired.",
            headers,
        ));
    }
    let app = issued.app_id.clone();
    let permissions = world.graph_permissions_of(&app);
    Ok((app, permissions))
}

pub(super) fn require(
    shared: &Shared,
    headers: &HeaderMap,
    any_of: &[&str],
) -> Result<String, Response> {
    let (app, permissions) = caller(shared, headers)?;
    if permissions.iter().any(|p| any_of.contains(&p.as_str())) {
        Ok(app)
    } else {
        Err(denied(headers))
    }
}

/// `require`, then a 400 for an object id that is not a GUID (Graph checks in that order).
fn require_with_id(
    shared: &Shared,
    headers: &HeaderMap,
    any_of: &[&str],
    id: &str,
) -> Result<(), Response> {
    require(shared, headers, any_of)?;
    if valid_guid(id) {
        Ok(())
    } else {
        Err(invalid_id(id, headers))
    }
}

/// How a filterable property's literal is written: strings single-quoted, GUID-typed
/// properties (Edm.Guid) bare.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Literal {
    Text,
    Guid,
}

/// The filterable properties of an app role assignment, in either list of them.
const GRANT_FILTERS: &[(&str, Literal)] = &[
    ("resourceId", Literal::Guid),
    ("principalDisplayName", Literal::Text),
];

/// The one `$filter` clause of a list call, checked against the properties Microsoft's Graph
/// reference documents as filterable for it (`resource` names the type in the error).
fn single_filter(
    query: &[(String, String)],
    documented: &[(&str, Literal)],
    resource: &str,
    headers: &HeaderMap,
) -> Result<Option<odata::Eq>, Response> {
    let Some((_, filter)) = query.iter().find(|(k, _)| k == "$filter") else {
        return Ok(None);
    };
    let eq = parse_filter(filter).map_err(|m| {
        error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            &m,
            headers,
        )
    })?;
    let Some((_, literal)) = documented.iter().find(|(name, _)| *name == eq.property) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            &format!(
                "Invalid filter clause: Unsupported or invalid query filter clause specified for property '{}' of resource '{resource}'.",
                eq.property
            ),
            headers,
        ));
    };
    let well_typed = match literal {
        Literal::Text => eq.quoted,
        Literal::Guid => !eq.quoted,
    };
    if !well_typed {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            &format!(
                "Invalid filter clause: the literal for '{}' must be {}.",
                eq.property,
                if *literal == Literal::Guid {
                    "an unquoted GUID"
                } else {
                    "a single-quoted string"
                }
            ),
            headers,
        ));
    }
    Ok(Some(eq))
}

/// A page of a collection at `path` (relative to `/v1.0/`), with its `@odata.context`.
pub(super) fn collection(
    shared: &Shared,
    items: Vec<Value>,
    query: &[(String, String)],
    path: &str,
    context: &str,
    headers: &HeaderMap,
) -> Response {
    page(
        items,
        query,
        shared.page_size,
        &format!("{}/v1.0/{path}", shared.url),
        &format!("{}/v1.0/$metadata#{context}", shared.url),
        headers,
    )
}

fn valid_guid(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

fn sp_json(sp: &ServicePrincipal) -> Value {
    json!({
        "id": sp.id,
        "appId": sp.app_id,
        "displayName": sp.display_name,
        "servicePrincipalType": "Application",
        "accountEnabled": true,
        "appRoles": sp.app_roles.iter().map(|r| json!({
            "id": r.id, "value": r.value, "displayName": r.value, "description": r.value,
            "allowedMemberTypes": ["Application"], "isEnabled": true, "origin": "Application"
        })).collect::<Vec<_>>(),
    })
}

fn grant_json(world: &World, g: &Grant) -> Value {
    let principal = world
        .service_principals
        .iter()
        .find(|s| s.id == g.principal_id);
    let resource = world
        .service_principals
        .iter()
        .find(|s| s.id == g.resource_id);
    json!({
        "id": g.id,
        "appRoleId": g.app_role_id,
        "principalId": g.principal_id,
        "principalDisplayName": principal.map(|p| p.display_name.clone()),
        "principalType": "ServicePrincipal",
        "resourceId": g.resource_id,
        "resourceDisplayName": resource.map(|r| r.display_name.clone()),
        "createdDateTime": g.created,
        "deletedDateTime": null,
    })
}

fn role_assignment_json(r: &RoleAssignment) -> Value {
    json!({"id": r.id, "roleDefinitionId": r.role_definition_id, "principalId": r.principal_id, "directoryScopeId": r.directory_scope_id})
}

fn role_definition_json((name, template): &(&str, &str)) -> Value {
    json!({"id": template, "templateId": template, "displayName": name, "isBuiltIn": true, "isEnabled": true, "description": name})
}

async fn list_service_principals(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Q,
) -> Response {
    if let Err(r) = require(&shared, &headers, READ) {
        return r;
    }
    let documented = [("appId", Literal::Text), ("displayName", Literal::Text)];
    let filter = match single_filter(&query, &documented, "ServicePrincipal", &headers) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let lag = shared.lag();
    let items: Vec<Value> = {
        let world = shared.lock();
        world
            .service_principals
            .iter()
            .filter(|sp| sp.life.listed(lag))
            .filter(|sp| match &filter {
                Some(f) if f.property == "appId" => sp.app_id.eq_ignore_ascii_case(&f.value),
                Some(f) => sp.display_name.eq_ignore_ascii_case(&f.value),
                None => true,
            })
            .map(sp_json)
            .collect()
    };
    collection(
        &shared,
        items,
        &query,
        "servicePrincipals",
        "servicePrincipals",
        &headers,
    )
}

async fn get_service_principal(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_with_id(&shared, &headers, READ, &id) {
        return r;
    }
    let world = shared.lock();
    match world
        .service_principals
        .iter()
        .find(|sp| sp.id.eq_ignore_ascii_case(&id) && sp.life.readable())
    {
        Some(sp) => {
            let mut body = sp_json(sp);
            body["@odata.context"] = json!(format!(
                "{}/v1.0/$metadata#servicePrincipals/$entity",
                shared.url
            ));
            ok(StatusCode::OK, body, &headers)
        }
        None => not_found(&id, &headers),
    }
}

/// The grants a service principal holds as the resource (`appRoleAssignedTo`) or as the
/// client (`appRoleAssignments`).
#[derive(Clone, Copy)]
enum GrantSide {
    Resource,
    Principal,
}

impl GrantSide {
    fn relation(self) -> &'static str {
        match self {
            GrantSide::Resource => "appRoleAssignedTo",
            GrantSide::Principal => "appRoleAssignments",
        }
    }

    fn holds(self, grant: &Grant, id: &str) -> bool {
        match self {
            GrantSide::Resource => grant.resource_id.eq_ignore_ascii_case(id),
            GrantSide::Principal => grant.principal_id.eq_ignore_ascii_case(id),
        }
    }
}

async fn list_assigned_to(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Q,
) -> Response {
    list_grants(&shared, &headers, &id, &query, GrantSide::Resource)
}

async fn list_assignments(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Q,
) -> Response {
    list_grants(&shared, &headers, &id, &query, GrantSide::Principal)
}

/// The grants on `side` of the service principal `id`, with the documented filters.
fn list_grants(
    shared: &Shared,
    headers: &HeaderMap,
    id: &str,
    query: &[(String, String)],
    side: GrantSide,
) -> Response {
    if let Err(r) = require_with_id(shared, headers, READ, id) {
        return r;
    }
    let filter = match single_filter(query, GRANT_FILTERS, "AppRoleAssignment", headers) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let lag = shared.lag();
    let items = {
        let world = shared.lock();
        if !world
            .service_principals
            .iter()
            .any(|sp| sp.id.eq_ignore_ascii_case(id) && sp.life.readable())
        {
            return not_found(id, headers);
        }
        world
            .grants
            .iter()
            .filter(|g| side.holds(g, id) && g.life.listed(lag))
            .filter(|g| grant_matches(&world, g, filter.as_ref()))
            .map(|g| grant_json(&world, g))
            .collect()
    };
    let relation = side.relation();
    collection(
        shared,
        items,
        query,
        &format!("servicePrincipals/{id}/{relation}"),
        &format!("servicePrincipals('{id}')/{relation}"),
        headers,
    )
}

fn grant_matches(world: &World, g: &Grant, filter: Option<&odata::Eq>) -> bool {
    match filter {
        Some(f) if f.property == "resourceId" => g.resource_id.eq_ignore_ascii_case(&f.value),
        Some(f) => world
            .sp(&g.principal_id)
            .is_some_and(|p| p.display_name.eq_ignore_ascii_case(&f.value)),
        None => true,
    }
}

/// A 404 for a referenced principal that exists but has not replicated yet, as Graph answers
/// writes that name an object created moments ago.
fn lagging(world: &World, principal: &str, headers: &HeaderMap) -> Option<Response> {
    world
        .sp(principal)
        .filter(|sp| !sp.life.readable())
        .map(|_| not_found(principal, headers))
}

async fn grant(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    if let Err(r) = require_with_id(&shared, &headers, GRANT, &id) {
        return r;
    }
    let Some(Json(body)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Write requests are only supported on JSON bodies.",
            &headers,
        );
    };
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(principal), Some(resource), Some(role)) = (
        field("principalId"),
        field("resourceId"),
        field("appRoleId"),
    ) else {
        return error(StatusCode::BAD_REQUEST, "Request_BadRequest", "One or more properties are invalid: principalId, resourceId and appRoleId are required.", &headers);
    };
    for value in [&principal, &resource, &role] {
        if !valid_guid(value) {
            return invalid_id(value, &headers);
        }
    }
    if !resource.eq_ignore_ascii_case(&id) {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "resourceId must match the service principal in the URL.",
            &headers,
        );
    }
    let lag = shared.lag();
    let mut world = shared.lock();
    let Some(resource_sp) = world.sp(&resource).cloned() else {
        return not_found(&resource, &headers);
    };
    if world.sp(&principal).is_none() {
        return not_found(&principal, &headers);
    }
    if let Some(r) = lagging(&world, &principal, &headers) {
        return r;
    }
    if !resource_sp
        .app_roles
        .iter()
        .any(|r| r.id.eq_ignore_ascii_case(&role))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Permission being assigned was not found on application",
            &headers,
        );
    }
    if world.grants.iter().any(|g| {
        g.life.exists()
            && g.principal_id.eq_ignore_ascii_case(&principal)
            && g.resource_id.eq_ignore_ascii_case(&resource)
            && g.app_role_id.eq_ignore_ascii_case(&role)
    }) {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Permission being assigned already exists on the object",
            &headers,
        );
    }
    let grant = Grant {
        id: grant_id(&principal),
        app_role_id: role.to_ascii_lowercase(),
        principal_id: principal.to_ascii_lowercase(),
        resource_id: resource_sp.id.clone(),
        created: timestamp(),
        life: Life::lagging(lag),
    };
    let mut body = grant_json(&world, &grant);
    body["@odata.context"] = json!(format!(
        "{}/v1.0/$metadata#servicePrincipals('{id}')/appRoleAssignedTo/$entity",
        shared.url
    ));
    world.grants.push(grant);
    ok(StatusCode::CREATED, body, &headers)
}

async fn revoke(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, assignment)): Path<(String, String)>,
) -> Response {
    if let Err(r) = require_with_id(&shared, &headers, GRANT, &id) {
        return r;
    }
    let mut world = shared.lock();
    match world.grants.iter_mut().find(|g| {
        g.id == assignment && g.resource_id.eq_ignore_ascii_case(&id) && g.life.readable()
    }) {
        Some(grant) => {
            grant.life.deleted_at = Some(Instant::now());
            odata::no_content(&headers)
        }
        None => not_found(&assignment, &headers),
    }
}

fn application_json(app: &super::world::Application) -> Value {
    json!({"id": app.id, "appId": app.app_id, "displayName": app.display_name, "signInAudience": "AzureADMyOrg", "requiredResourceAccess": app.replicated_required_resource_access()})
}

async fn list_applications(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Q,
) -> Response {
    if let Err(r) = require(&shared, &headers, READ) {
        return r;
    }
    let documented = [("appId", Literal::Text), ("displayName", Literal::Text)];
    let filter = match single_filter(&query, &documented, "Application", &headers) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let lag = shared.lag();
    let items = {
        let world = shared.lock();
        world
            .applications
            .iter()
            .filter(|a| a.life.listed(lag))
            .filter(|a| match &filter {
                Some(f) if f.property == "appId" => a.app_id.eq_ignore_ascii_case(&f.value),
                Some(f) => a.display_name.eq_ignore_ascii_case(&f.value),
                None => true,
            })
            .map(application_json)
            .collect()
    };
    collection(
        &shared,
        items,
        &query,
        "applications",
        "applications",
        &headers,
    )
}

async fn get_application(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_with_id(&shared, &headers, READ, &id) {
        return r;
    }
    let world = shared.lock();
    match world
        .applications
        .iter()
        .find(|a| a.id.eq_ignore_ascii_case(&id) && a.life.readable())
    {
        Some(app) => ok(StatusCode::OK, application_json(app), &headers),
        None => not_found(&id, &headers),
    }
}

fn valid_required_resource_access(value: &Value) -> bool {
    value.as_array().is_some_and(|entries| {
        entries.iter().all(|e| {
            e["resourceAppId"].as_str().is_some_and(valid_guid)
                && e["resourceAccess"].as_array().is_some_and(|access| {
                    access.iter().all(|a| {
                        a["id"].as_str().is_some_and(valid_guid)
                            && matches!(a["type"].as_str(), Some("Role" | "Scope"))
                    })
                })
        })
    })
}

async fn patch_application(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let (app_id, permissions) = match caller(&shared, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !valid_guid(&id) {
        return invalid_id(&id, &headers);
    }
    let Some(Json(body)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Write requests are only supported on JSON bodies.",
            &headers,
        );
    };
    let stale = shared.stale_reads();
    let mut world = shared.lock();
    let caller_sp = world
        .sp_by_app(&app_id)
        .map(|sp| sp.id.clone())
        .unwrap_or_default();
    let Some(app) = world
        .applications
        .iter_mut()
        .find(|a| a.id.eq_ignore_ascii_case(&id) && a.life.exists())
    else {
        return not_found(&id, &headers);
    };
    let allowed = permissions.iter().any(|p| p == "Application.ReadWrite.All")
        || permissions
            .iter()
            .any(|p| p == "Application.ReadWrite.OwnedBy")
            && app.owners.contains(&caller_sp);
    if !allowed {
        return denied(&headers);
    }
    if let Some(rra) = body.get("requiredResourceAccess") {
        if !valid_required_resource_access(rra) {
            return error(
                StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                "Property requiredResourceAccess has an invalid value.",
                &headers,
            );
        }
        app.replace_required_resource_access(rra.clone(), stale);
    }
    if let Some(name) = body.get("displayName").and_then(Value::as_str) {
        app.display_name = name.to_owned();
    }
    odata::no_content(&headers)
}

async fn list_role_definitions(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Q,
) -> Response {
    if let Err(r) = require(&shared, &headers, ROLES_READ) {
        return r;
    }
    // templateId is not filterable (Graph answers Request_UnsupportedQuery): read by id.
    let documented = [("displayName", Literal::Text), ("id", Literal::Text)];
    let filter = match single_filter(&query, &documented, "UnifiedRoleDefinition", &headers) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let items = BUILT_IN_ROLES
        .iter()
        .filter(|(name, template)| match &filter {
            Some(f) if f.property == "displayName" => name.eq_ignore_ascii_case(&f.value),
            Some(f) => template.eq_ignore_ascii_case(&f.value),
            None => true,
        })
        .map(role_definition_json)
        .collect();
    collection(
        &shared,
        items,
        &query,
        "roleManagement/directory/roleDefinitions",
        "roleManagement/directory/roleDefinitions",
        &headers,
    )
}

async fn get_role_definition(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require(&shared, &headers, ROLES_READ) {
        return r;
    }
    match BUILT_IN_ROLES
        .iter()
        .find(|(_, template)| template.eq_ignore_ascii_case(&id))
    {
        Some(role) => ok(StatusCode::OK, role_definition_json(role), &headers),
        None => not_found(&id, &headers),
    }
}

async fn list_role_assignments(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Q,
) -> Response {
    if let Err(r) = require(&shared, &headers, ROLES_READ) {
        return r;
    }
    let documented = [
        ("principalId", Literal::Text),
        ("roleDefinitionId", Literal::Text),
        ("directoryScopeId", Literal::Text),
    ];
    let filter = match single_filter(&query, &documented, "UnifiedRoleAssignment", &headers) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let lag = shared.lag();
    let items = {
        let world = shared.lock();
        world
            .role_assignments
            .iter()
            .chain(&world.directory.role_assignments)
            .filter(|r| r.life.listed(lag))
            .filter(|r| match &filter {
                Some(f) if f.property == "principalId" => {
                    r.principal_id.eq_ignore_ascii_case(&f.value)
                }
                Some(f) if f.property == "directoryScopeId" => r.directory_scope_id == f.value,
                Some(f) => r.role_definition_id.eq_ignore_ascii_case(&f.value),
                None => true,
            })
            .map(role_assignment_json)
            .collect()
    };
    collection(
        &shared,
        items,
        &query,
        "roleManagement/directory/roleAssignments",
        "roleManagement/directory/roleAssignments",
        &headers,
    )
}

async fn create_role_assignment(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if let Err(r) = require(&shared, &headers, ROLES_WRITE) {
        return r;
    }
    let Some(Json(body)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Write requests are only supported on JSON bodies.",
            &headers,
        );
    };
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(definition), Some(principal), Some(scope)) = (
        field("roleDefinitionId"),
        field("principalId"),
        field("directoryScopeId"),
    ) else {
        return error(StatusCode::BAD_REQUEST, "Request_BadRequest", "One or more properties are invalid: roleDefinitionId, principalId and directoryScopeId are required.", &headers);
    };
    if !valid_guid(&principal) {
        return invalid_id(&principal, &headers);
    }
    if !scope.starts_with('/') {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Invalid directoryScopeId.",
            &headers,
        );
    }
    let Some((_, template)) = BUILT_IN_ROLES
        .iter()
        .find(|(_, t)| t.eq_ignore_ascii_case(&definition))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            &format!("The role definition '{definition}' does not exist."),
            &headers,
        );
    };
    let lag = shared.lag();
    let mut world = shared.lock();
    if world.sp(&principal).is_none() {
        return error(StatusCode::BAD_REQUEST, "Request_BadRequest", &format!("Resource '{principal}' does not exist or one of its queried reference-property objects are not present."), &headers);
    }
    if let Some(r) = lagging(&world, &principal, &headers) {
        return r;
    }
    if world.role_assignments.iter().any(|r| {
        r.life.exists()
            && r.principal_id.eq_ignore_ascii_case(&principal)
            && r.role_definition_id.eq_ignore_ascii_case(template)
            && r.directory_scope_id == scope
    }) {
        return error(StatusCode::BAD_REQUEST, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.", &headers);
    }
    let assignment = RoleAssignment {
        id: format!("{}-1", secret(43).replace(['~', '.'], "_")),
        role_definition_id: (*template).to_owned(),
        principal_id: principal.to_ascii_lowercase(),
        directory_scope_id: scope,
        life: Life::lagging(lag),
    };
    let mut body = role_assignment_json(&assignment);
    body["@odata.context"] = json!(format!(
        "{}/v1.0/$metadata#roleManagement/directory/roleAssignments/$entity",
        shared.url
    ));
    world.role_assignments.push(assignment);
    ok(StatusCode::CREATED, body, &headers)
}

fn valid_assignment_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

async fn get_role_assignment(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require(&shared, &headers, ROLES_READ) {
        return r;
    }
    if !valid_assignment_id(&id) {
        return invalid_id(&id, &headers);
    }
    let world = shared.lock();
    match world
        .role_assignments
        .iter()
        .find(|r| r.id == id && r.life.readable())
    {
        Some(r) => ok(StatusCode::OK, role_assignment_json(r), &headers),
        None => not_found(&id, &headers),
    }
}

async fn delete_role_assignment(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require(&shared, &headers, ROLES_WRITE) {
        return r;
    }
    if !valid_assignment_id(&id) {
        return invalid_id(&id, &headers);
    }
    let mut world = shared.lock();
    match world
        .role_assignments
        .iter_mut()
        .find(|r| r.id == id && r.life.readable())
    {
        Some(r) => {
            r.life.deleted_at = Some(Instant::now());
            odata::no_content(&headers)
        }
        None => not_found(&id, &headers),
    }
}

/// The JSON body of a create and its required string property `name`.
fn body_with(
    body: Option<Json<Value>>,
    name: &str,
    headers: &HeaderMap,
) -> Result<(Value, String), Response> {
    let Some(Json(body)) = body else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Write requests are only supported on JSON bodies.",
            headers,
        ));
    };
    let Some(value) = body.get(name).and_then(Value::as_str).map(str::to_owned) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            &format!("Property {name} is required."),
            headers,
        ));
    };
    Ok((body, value))
}

/// `POST /applications` `{displayName}`: a new registration owned by the caller.
async fn create_application(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    let app_id = match require(&shared, &headers, APPS_WRITE) {
        Ok(app) => app,
        Err(r) => return r,
    };
    let (body, name) = match body_with(body, "displayName", &headers) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let lag = shared.lag();
    let mut world = shared.lock();
    let owner = world
        .sp_by_app(&app_id)
        .map(|sp| sp.id.clone())
        .unwrap_or_default();
    let app = super::world::Application {
        id: super::world::guid(),
        app_id: super::world::guid(),
        display_name: name,
        required_resource_access: body
            .get("requiredResourceAccess")
            .cloned()
            .unwrap_or_else(|| json!([])),
        previous_required_resource_access: None,
        owners: vec![owner],
        life: Life::lagging(lag),
    };
    let answer = application_json(&app);
    world.applications.push(app);
    ok(StatusCode::CREATED, answer, &headers)
}

/// `POST /servicePrincipals` `{appId}`: the service principal of a registration.
async fn create_service_principal(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if let Err(r) = require(&shared, &headers, APPS_WRITE) {
        return r;
    }
    let app_id = match body_with(body, "appId", &headers) {
        Ok((_, app_id)) => app_id,
        Err(r) => return r,
    };
    let app_id = app_id.as_str();
    let lag = shared.lag();
    let mut world = shared.lock();
    let Some(name) = world
        .applications
        .iter()
        .find(|a| a.app_id.eq_ignore_ascii_case(app_id) && a.life.exists())
        .map(|a| a.display_name.clone())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            &format!("The appId '{app_id}' of the service principal does not reference a valid application object."),
            &headers,
        );
    };
    if world.sp_by_app(app_id).is_some() {
        return error(StatusCode::BAD_REQUEST, "Request_MultipleObjectsWithSameKeyValue", "The service principal cannot be created, updated, or restored because the service principal name is already in use.", &headers);
    }
    let sp = ServicePrincipal {
        id: super::world::guid(),
        app_id: app_id.to_ascii_lowercase(),
        display_name: name,
        app_roles: Vec::new(),
        life: Life::lagging(lag),
    };
    let answer = sp_json(&sp);
    world.service_principals.push(sp);
    ok(StatusCode::CREATED, answer, &headers)
}

/// `DELETE /servicePrincipals/{id}`: its grants and directory role assignments go with it.
async fn delete_service_principal(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_with_id(&shared, &headers, APPS_WRITE, &id) {
        return r;
    }
    let mut world = shared.lock();
    if !world.delete_service_principal(&id) {
        return not_found(&id, &headers);
    }
    odata::no_content(&headers)
}

/// `DELETE /applications/{id}`: its service principal goes with it.
async fn delete_application(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_with_id(&shared, &headers, APPS_WRITE, &id) {
        return r;
    }
    let mut world = shared.lock();
    let Some(app) = world
        .applications
        .iter_mut()
        .find(|a| a.id.eq_ignore_ascii_case(&id) && a.life.readable())
    else {
        return not_found(&id, &headers);
    };
    app.life.deleted_at = Some(Instant::now());
    let app_id = app.app_id.clone();
    if let Some(sp) = world.sp_by_app(&app_id).map(|sp| sp.id.clone()) {
        world.delete_service_principal(&sp);
    }
    odata::no_content(&headers)
}
