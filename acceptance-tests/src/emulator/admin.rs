//! Routes for tests and people, outside the fault layer: stats, faults, state, seed, the OIDC
//! issuer and out-of-band changes.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::world::{EXCHANGE_APP_ID, GRAPH_APP_ID};
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
