//! The directory the readiness checks read: users (`/users` with its `$filter` and `$select`),
//! their group memberships (`/users/{id}/memberOf`), the organization's hybrid flag, the MFA
//! registration report, and JSON `$batch` — written from the reference sheet
//! (shared/reference/readiness-api.md), with Graph's permission and licence refusals.
//!
//! The seeded tenant is a small "Contoso": privileged users, a member of a role-assignable
//! group, users without MFA, a guest and a disabled user. Tests switch the hybrid flag and the
//! licence, register MFA, and add thousands of users through [`World`] methods.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use tower::ServiceExt;

use super::graph::{caller, collection, denied, require};
use super::odata::{error, ok, parse_filter};
use super::world::{
    guid, timestamp, Life, RoleAssignment, ServicePrincipal, World, BUILT_IN_ROLES,
};
use super::Shared;

/// appId of Microsoft's app whose service principal the v1.0 message trace API needs.
pub const MESSAGE_TRACE_APP_ID: &str = "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373";

/// Reading users.
const USERS_READ: &[&str] = &["User.Read.All", "User.ReadWrite.All", "Directory.Read.All"];
/// Reading groups in full (without one, `memberOf` answers ids and types only).
const GROUPS_READ: &[&str] = &[
    "GroupMember.Read.All",
    "Group.Read.All",
    "Directory.Read.All",
];
/// Reading the organization.
const ORGANIZATION_READ: &[&str] = &["Organization.Read.All", "Directory.Read.All"];
/// The registration reports (Reports.Read.All is not enough).
const REPORTS_READ: &[&str] = &["AuditLog.Read.All"];

/// Properties `/users` returns when `$select` names none.
const DEFAULT_USER_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "givenName",
    "surname",
    "jobTitle",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "businessPhones",
];

/// The boolean properties of `userRegistrationDetails` documented as filterable with `eq`.
const REPORT_FILTERS: &[&str] = &[
    "isAdmin",
    "isMfaRegistered",
    "isMfaCapable",
    "isSsprRegistered",
    "isSsprEnabled",
    "isSsprCapable",
    "isPasswordlessCapable",
];

/// A user.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub display_name: String,
    pub account_enabled: bool,
    /// `Member` or `Guest`.
    pub user_type: String,
    pub on_premises_sync_enabled: Option<bool>,
    /// Methods registered; MFA is registered when any strong method is.
    pub methods: Vec<String>,
}

impl User {
    fn mfa_registered(&self) -> bool {
        self.methods.iter().any(|m| m != "email")
    }
}

/// A security group.
#[derive(Clone, Debug)]
pub struct Group {
    pub id: String,
    pub display_name: String,
    pub is_assignable_to_role: bool,
    /// Member user ids.
    pub members: Vec<String>,
}

/// Users, groups, user role assignments, registration state and the organization.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    /// Directory roles of users (service principals' are in `World::role_assignments`).
    pub role_assignments: Vec<RoleAssignment>,
    /// `true` when synchronised from on-premises, `false` when it once was, `None` when never.
    pub on_premises_sync_enabled: Option<bool>,
    /// Whether the tenant has Entra ID P1 or P2 (the registration reports need it).
    pub premium_licence: bool,
}

fn template(role: &str) -> String {
    BUILT_IN_ROLES
        .iter()
        .find(|(name, _)| *name == role)
        .map(|(_, id)| (*id).to_owned())
        .unwrap_or_else(|| panic!("the sandbox has no built-in role {role}"))
}

impl Directory {
    /// Contoso: privileged users, a role-assignable group, two users without MFA, a guest
    /// and a disabled user; cloud-only, with an Entra ID P1 licence.
    pub fn seeded() -> Self {
        let mut directory = Directory {
            premium_licence: true,
            ..Directory::default()
        };
        let strong = || {
            vec![
                "microsoftAuthenticatorPush".to_owned(),
                "mobilePhone".to_owned(),
            ]
        };
        for (name, methods) in [
            ("admin", strong()),
            ("helpdesk", strong()),
            ("exchange.admin", strong()),
            ("tier0.ops", strong()),
            ("alice", strong()),
            ("bob", strong()),
            ("carol", strong()),
            ("dave", strong()),
            ("frank", Vec::new()),
            ("grace", vec!["email".to_owned()]),
        ] {
            directory.add_user(&format!("{name}@contoso.com"), true, "Member", methods);
        }
        directory.add_user(
            "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            true,
            "Guest",
            Vec::new(),
        );
        directory.add_user("former@contoso.com", false, "Member", Vec::new());
        directory.assign("admin@contoso.com", "Global Administrator");
        directory.assign("helpdesk@contoso.com", "Helpdesk Administrator");
        directory.assign("exchange.admin@contoso.com", "Exchange Administrator");
        let tier0 = directory.user_id("tier0.ops@contoso.com");
        let carol = directory.user_id("carol@contoso.com");
        directory.groups.push(Group {
            id: guid(),
            display_name: "Tier 0 Operators".into(),
            is_assignable_to_role: true,
            members: tier0.into_iter().collect(),
        });
        directory.groups.push(Group {
            id: guid(),
            display_name: "Sales".into(),
            is_assignable_to_role: false,
            members: carol.into_iter().collect(),
        });
        directory
    }

    /// Adds a user; returns its id.
    pub fn add_user(
        &mut self,
        upn: &str,
        enabled: bool,
        user_type: &str,
        methods: Vec<String>,
    ) -> String {
        let id = guid();
        let local = upn.split('@').next().unwrap_or(upn).to_owned();
        self.users.push(User {
            id: id.clone(),
            user_principal_name: upn.to_owned(),
            mail: (user_type == "Member").then(|| upn.to_owned()),
            display_name: local,
            account_enabled: enabled,
            user_type: user_type.to_owned(),
            on_premises_sync_enabled: None,
            methods,
        });
        id
    }

    /// The id of the user signing in as `upn`.
    pub fn user_id(&self, upn: &str) -> Option<String> {
        self.users
            .iter()
            .find(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
            .map(|u| u.id.clone())
    }

    /// Assigns a built-in directory role to a user at `/`.
    pub fn assign(&mut self, upn: &str, role: &str) {
        let principal = self.user_id(upn).unwrap_or_else(|| panic!("no user {upn}"));
        self.role_assignments.push(RoleAssignment {
            id: format!("{}-u", guid()),
            role_definition_id: template(role),
            principal_id: principal,
            directory_scope_id: "/".into(),
            life: Life::now(),
        });
    }

    /// Registers MFA (or removes every method) for a user.
    pub fn set_mfa(&mut self, upn: &str, registered: bool) {
        if let Some(user) = self
            .users
            .iter_mut()
            .find(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
        {
            user.methods = if registered {
                vec!["microsoftAuthenticatorPush".into()]
            } else {
                Vec::new()
            };
        }
    }

    /// Adds `count` enabled member users `user00000@contoso.com`…, every `without_mfa`-th
    /// one without MFA (never, for 0).
    pub fn add_bulk_users(&mut self, count: usize, without_mfa: usize) {
        self.users.reserve(count);
        for n in 0..count {
            let methods = if without_mfa > 0 && n % without_mfa == 0 {
                Vec::new()
            } else {
                vec!["softwareOneTimePasscode".to_owned()]
            };
            self.add_user(&format!("user{n:05}@contoso.com"), true, "Member", methods);
        }
    }

    /// Whether the user holds any directory role.
    fn is_admin(&self, id: &str) -> bool {
        self.role_assignments
            .iter()
            .any(|r| r.principal_id == id && r.life.exists())
    }
}

impl World {
    /// Provisions the service principal of Microsoft's message trace app, as the tenant shows
    /// once the v1.0 message trace API is set up.
    pub fn provision_message_trace(&mut self) {
        if self.sp_by_app(MESSAGE_TRACE_APP_ID).is_none() {
            self.service_principals.push(ServicePrincipal {
                id: guid(),
                app_id: MESSAGE_TRACE_APP_ID.into(),
                display_name: "Microsoft Exchange Online Message Trace".into(),
                app_roles: Vec::new(),
                life: Life::now(),
            });
        }
    }
}

/// The directory routes, `$batch` included.
pub fn routes() -> Router<Shared> {
    reads().route("/v1.0/$batch", post(batch))
}

fn reads() -> Router<Shared> {
    Router::new()
        .route("/v1.0/users", get(list_users))
        .route("/v1.0/users/{id}/memberOf", get(member_of))
        .route("/v1.0/organization", get(organization))
        .route(
            "/v1.0/reports/authenticationMethods/userRegistrationDetails",
            get(registration_details),
        )
}

type Q = Query<Vec<(String, String)>>;

fn bad_filter(message: &str, headers: &HeaderMap) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        message,
        headers,
    )
}

/// Keeps the `$select`ed properties (or the default set) of a full object.
fn selected(full: Value, query: &[(String, String)], default: &[&str]) -> Value {
    let wanted: Vec<String> = match query.iter().find(|(k, _)| k == "$select") {
        Some((_, list)) => list.split(',').map(|p| p.trim().to_owned()).collect(),
        None => default.iter().map(|p| (*p).to_owned()).collect(),
    };
    let Value::Object(all) = full else {
        return full;
    };
    let mut kept = Map::new();
    for (name, value) in all {
        if name == "id" || name.starts_with("@odata") || wanted.contains(&name) {
            kept.insert(name, value);
        }
    }
    Value::Object(kept)
}

fn user_json(u: &User) -> Value {
    json!({
        "id": u.id,
        "displayName": u.display_name,
        "userPrincipalName": u.user_principal_name,
        "mail": u.mail,
        "givenName": null, "surname": null, "jobTitle": null, "mobilePhone": null,
        "officeLocation": null, "preferredLanguage": null, "businessPhones": [],
        "accountEnabled": u.account_enabled,
        "userType": u.user_type,
        "onPremisesSyncEnabled": u.on_premises_sync_enabled,
    })
}

async fn list_users(State(shared): State<Shared>, headers: HeaderMap, Query(query): Q) -> Response {
    if let Err(r) = require(&shared, &headers, USERS_READ) {
        return r;
    }
    let filter = match query.iter().find(|(k, _)| k == "$filter") {
        Some((_, f)) => match parse_filter(f) {
            Ok(eq) if ["userPrincipalName", "mail", "id"].contains(&eq.property.as_str()) => {
                Some(eq)
            }
            Ok(eq) => {
                return bad_filter(
                    &format!("Unsupported or invalid query filter clause specified for property '{}' of resource 'User'.", eq.property),
                    &headers,
                )
            }
            Err(m) => return bad_filter(&m, &headers),
        },
        None => None,
    };
    let items: Vec<Value> = {
        let world = shared.lock();
        world
            .directory
            .users
            .iter()
            .filter(|u| match &filter {
                Some(f) if f.property == "userPrincipalName" => {
                    u.user_principal_name.eq_ignore_ascii_case(&f.value)
                }
                Some(f) if f.property == "mail" => u
                    .mail
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(&f.value)),
                Some(f) => u.id.eq_ignore_ascii_case(&f.value),
                None => true,
            })
            .map(|u| selected(user_json(u), &query, DEFAULT_USER_PROPERTIES))
            .collect()
    };
    collection(&shared, items, &query, "users", "users", &headers)
}

async fn member_of(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Q,
) -> Response {
    let permissions = match caller(&shared, &headers) {
        Ok((_, permissions)) => permissions,
        Err(r) => return r,
    };
    if !permissions.iter().any(|p| USERS_READ.contains(&p.as_str())) {
        return denied(&headers);
    }
    // Without a permission that reads groups, Graph still answers, with ids and types only.
    let full = permissions
        .iter()
        .any(|p| GROUPS_READ.contains(&p.as_str()));
    let items: Vec<Value> = {
        let world = shared.lock();
        if !world
            .directory
            .users
            .iter()
            .any(|u| u.id.eq_ignore_ascii_case(&id))
        {
            return super::odata::not_found(&id, &headers);
        }
        world
            .directory
            .groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m.eq_ignore_ascii_case(&id)))
            .map(|g| {
                if full {
                    selected(
                        json!({
                            "@odata.type": "#microsoft.graph.group",
                            "id": g.id,
                            "displayName": g.display_name,
                            "isAssignableToRole": g.is_assignable_to_role,
                            "securityEnabled": true,
                            "mailEnabled": false,
                        }),
                        &query,
                        &["displayName", "isAssignableToRole", "securityEnabled", "mailEnabled"],
                    )
                } else {
                    json!({"@odata.type": "#microsoft.graph.group", "id": g.id, "displayName": null, "isAssignableToRole": null})
                }
            })
            .collect()
    };
    collection(
        &shared,
        items,
        &query,
        &format!("users/{id}/memberOf"),
        "directoryObjects",
        &headers,
    )
}

async fn organization(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Q,
) -> Response {
    if let Err(r) = require(&shared, &headers, ORGANIZATION_READ) {
        return r;
    }
    let sync = shared.lock().directory.on_premises_sync_enabled;
    let last = sync.map(|_| timestamp());
    let org = json!({
        "id": shared.seed.tenant_id,
        "displayName": "Contoso",
        "onPremisesSyncEnabled": sync,
        "onPremisesLastSyncDateTime": last,
    });
    let item = selected(
        org,
        &query,
        &[
            "displayName",
            "onPremisesSyncEnabled",
            "onPremisesLastSyncDateTime",
        ],
    );
    collection(
        &shared,
        vec![item],
        &query,
        "organization",
        "organization",
        &headers,
    )
}

/// `<property> eq true|false`, on a documented boolean of the report.
fn report_filter(filter: &str) -> Result<(String, bool), String> {
    let mut words = filter.split_whitespace();
    let (Some(property), Some("eq"), Some(value), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err("Invalid filter clause".into());
    };
    if !REPORT_FILTERS.contains(&property) {
        return Err(format!("Unsupported or invalid query filter clause specified for property '{property}' of resource 'userRegistrationDetails'."));
    }
    match value {
        "true" => Ok((property.to_owned(), true)),
        "false" => Ok((property.to_owned(), false)),
        _ => Err(format!(
            "Invalid filter clause: '{value}' is not a boolean literal"
        )),
    }
}

async fn registration_details(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Q,
) -> Response {
    if let Err(r) = require(&shared, &headers, REPORTS_READ) {
        return r;
    }
    let filter = match query.iter().find(|(k, _)| k == "$filter") {
        Some((_, f)) => match report_filter(f) {
            Ok(f) => Some(f),
            Err(m) => return bad_filter(&m, &headers),
        },
        None => None,
    };
    let items: Vec<Value> = {
        let world = shared.lock();
        let directory = &world.directory;
        if !directory.premium_licence {
            return error(
                StatusCode::FORBIDDEN,
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "Tenant is not a B2C tenant and doesn't have premium license",
                &headers,
            );
        }
        let updated = timestamp();
        directory
            .users
            .iter()
            // Disabled users are not covered by the report.
            .filter(|u| u.account_enabled)
            .map(|u| {
                let mfa = u.mfa_registered();
                json!({
                    "id": u.id,
                    "userPrincipalName": u.user_principal_name,
                    "userDisplayName": u.display_name,
                    "userType": u.user_type.to_ascii_lowercase(),
                    "isAdmin": directory.is_admin(&u.id),
                    "isMfaRegistered": mfa,
                    "isMfaCapable": mfa,
                    "isSsprRegistered": mfa,
                    "isSsprEnabled": true,
                    "isSsprCapable": mfa,
                    "isPasswordlessCapable": false,
                    "methodsRegistered": u.methods,
                    "lastUpdatedDateTime": updated,
                })
            })
            .filter(|row| match &filter {
                Some((property, value)) => row[property.as_str()] == *value,
                None => true,
            })
            .collect()
    };
    collection(
        &shared,
        items,
        &query,
        "reports/authenticationMethods/userRegistrationDetails",
        "reports/authenticationMethods/userRegistrationDetails",
        &headers,
    )
}

/// `POST /$batch`: up to 20 requests, each answered as if sent alone (same token). The
/// inner requests pass neither the fault layer nor the counts: stats count HTTP requests, and
/// faults hit the batch call as a whole (real Graph may also throttle single items).
async fn batch(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if let Err(r) = caller(&shared, &headers) {
        return r;
    }
    let Some(requests) = body
        .as_ref()
        .and_then(|Json(b)| b["requests"].as_array().cloned())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid batch payload format.",
            &headers,
        );
    };
    if requests.is_empty() || requests.len() > 20 {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Number of batch request steps exceeds the maximum value of 20.",
            &headers,
        );
    }
    let mut ids = std::collections::HashSet::new();
    if !requests
        .iter()
        .all(|r| r["id"].as_str().is_some_and(|id| ids.insert(id.to_owned())))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Batch request ids must be present and unique.",
            &headers,
        );
    }
    let router = super::graph::routes()
        .merge(reads())
        .with_state(shared.clone());
    let mut responses = Vec::with_capacity(requests.len());
    for request in &requests {
        let id = request["id"].as_str().unwrap_or_default().to_owned();
        let method = request["method"].as_str().unwrap_or_default();
        let url = request["url"].as_str().unwrap_or_default();
        if method != "GET" || !url.starts_with('/') {
            responses.push(json!({"id": id, "status": 400, "headers": {"Content-Type": "application/json"}, "body": {"error": {"code": "BadRequest", "message": "The sandbox batches GET requests with relative URLs only."}}}));
            continue;
        }
        let mut inner = Request::builder().method("GET").uri(format!("/v1.0{url}"));
        for name in ["authorization", "client-request-id"] {
            if let Some(value) = headers.get(name) {
                inner = inner.header(name, value);
            }
        }
        let Ok(inner) = inner.body(Body::empty()) else {
            responses.push(json!({"id": id, "status": 400, "body": {"error": {"code": "BadRequest", "message": "Invalid request URL."}}}));
            continue;
        };
        let answer = match router.clone().oneshot(inner).await {
            Ok(answer) => answer,
            Err(never) => match never {},
        };
        let status = answer.status().as_u16();
        let request_id = answer
            .headers()
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        responses.push(json!({
            "id": id,
            "status": status,
            "headers": {"Content-Type": "application/json", "request-id": request_id},
            "body": body,
        }));
    }
    ok(StatusCode::OK, json!({ "responses": responses }), &headers)
}
