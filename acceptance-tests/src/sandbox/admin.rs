//! Routes for tests and people, outside the fault layer: stats, faults, state, seed, the OIDC
//! issuer and out-of-band changes.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::world::{CustomApp, EXCHANGE_APP_ID, GRAPH_APP_ID};
use super::{Faults, Shared};

/// The admin routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/_sandbox/stats",
            get(|State(s): State<Shared>| async move { Json(s.stats()) }),
        )
        .route(
            "/_sandbox/stats/reset",
            post(|State(s): State<Shared>| async move {
                s.reset_stats();
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/_sandbox/faults",
            get(|State(s): State<Shared>| async move { Json(s.faults()) }).put(put_faults),
        )
        .route(
            "/_sandbox/state",
            get(|State(s): State<Shared>| async move { Json(s.lock().dump()) }),
        )
        .route(
            "/_sandbox/seed",
            get(|State(s): State<Shared>| async move { Json(s.seed.clone()) }),
        )
        .route("/_sandbox/oidc/token", get(oidc_token))
        .route(
            "/_sandbox/oidc/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .route(
            "/_sandbox/admin/remove-exchange-service-principal",
            post(|State(s): State<Shared>| async move {
                remove_exchange_service_principal(&s);
                StatusCode::NO_CONTENT
            }),
        )
        .route("/_sandbox/admin/revoke-provider-permission", post(revoke))
        .route("/_sandbox/admin/apps", post(create_app))
        .route("/_sandbox/admin/declare", post(declare))
}

/// An app another tool creates while terraform runs (`POST /_sandbox/admin/apps`).
#[derive(Debug, Deserialize)]
struct NewApp {
    client_id: String,
    service_principal_id: String,
    /// Object id of the app registration; none means no registration (a multi-tenant app).
    #[serde(default)]
    object_id: Option<String>,
    #[serde(default = "default_name")]
    name: String,
    /// How long Graph does not see the new objects.
    #[serde(default)]
    lag_ms: u64,
}

fn default_name() -> String {
    "App created during the apply".to_owned()
}

async fn create_app(State(shared): State<Shared>, Json(app): Json<NewApp>) -> Response {
    let ids = [
        Some(&app.client_id),
        Some(&app.service_principal_id),
        app.object_id.as_ref(),
    ];
    if ids
        .into_iter()
        .flatten()
        .any(|id| uuid::Uuid::parse_str(id).is_err())
    {
        return (
            StatusCode::BAD_REQUEST,
            "client_id, service_principal_id and object_id must be GUIDs",
        )
            .into_response();
    }
    let owner = shared.seed.provider_service_principal_id.clone();
    let custom = CustomApp {
        client_id: app.client_id.to_ascii_lowercase(),
        object_id: app
            .object_id
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase(),
        service_principal_id: app.service_principal_id.to_ascii_lowercase(),
    };
    let registration = app.object_id.as_ref().map(|_| owner.as_str());
    shared.lock().add_app_replicating(
        &custom,
        &app.name,
        registration,
        Duration::from_millis(app.lag_ms),
    );
    StatusCode::CREATED.into_response()
}

/// A permission another writer declares on an app registration (`POST /_sandbox/admin/declare`).
#[derive(Debug, Deserialize)]
struct Declaration {
    app_id: String,
    resource_app_id: String,
    id: String,
    #[serde(default = "default_kind", rename = "type")]
    kind: String,
}

fn default_kind() -> String {
    "Role".to_owned()
}

async fn declare(State(shared): State<Shared>, Json(d): Json<Declaration>) -> Response {
    if shared
        .lock()
        .declare_by_hand(&d.app_id, &d.resource_app_id, &d.id, &d.kind)
    {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            "no app registration with that app_id",
        )
            .into_response()
    }
}

async fn put_faults(State(shared): State<Shared>, Json(faults): Json<Faults>) -> Response {
    shared.set_faults(faults);
    StatusCode::NO_CONTENT.into_response()
}

async fn oidc_token(
    State(shared): State<Shared>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let subject = query
        .iter()
        .find(|(k, _)| k == "sub")
        .map_or(shared.seed.oidc_subject.clone(), |(_, v)| v.clone());
    shared.mint_oidc_token(&subject).into_response()
}

async fn openid_configuration(State(shared): State<Shared>) -> Response {
    Json(
        json!({"issuer": shared.oidc_issuer(), "id_token_signing_alg_values_supported": ["RS256"]}),
    )
    .into_response()
}

async fn revoke(
    State(shared): State<Shared>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    match query.iter().find(|(k, _)| k == "value") {
        Some((_, value)) => {
            revoke_provider_permission(&shared, value);
            StatusCode::NO_CONTENT.into_response()
        }
        None => (StatusCode::BAD_REQUEST, "value=<permission> is required").into_response(),
    }
}

/// Deletes the grants of `permission` held by the provider's identity.
pub fn revoke_provider_permission(shared: &Shared, permission: &str) {
    let mut world = shared.lock();
    let Some(graph) = world.sp_by_app(GRAPH_APP_ID).cloned() else {
        return;
    };
    let Some(role) = graph.app_roles.iter().find(|r| r.value == permission) else {
        return;
    };
    let provider = shared.seed.provider_service_principal_id.clone();
    for grant in world
        .grants
        .iter_mut()
        .filter(|g| g.principal_id == provider && g.app_role_id == role.id)
    {
        grant.life.deleted_at = Some(std::time::Instant::now());
    }
}

/// Deletes the Exchange Online service principal.
pub fn remove_exchange_service_principal(shared: &Shared) {
    let mut world = shared.lock();
    for sp in world
        .service_principals
        .iter_mut()
        .filter(|sp| sp.app_id == EXCHANGE_APP_ID)
    {
        sp.life.deleted_at = Some(std::time::Instant::now());
    }
}
