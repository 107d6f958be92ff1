//! The Graph client against a scripted local server: retries, paging, errors, tokens.

mod common;

use common::{quick_retry, Reply, ScriptedServer, TOKEN};
use serde_json::json;
use terraform_provider_expel::graph::{Consistency, GraphError};

fn sp(id: &str) -> serde_json::Value {
    json!({"id": id, "appId": "00000003-0000-0000-c000-000000000000", "displayName": "Microsoft Graph", "appRoles": []})
}

fn not_found() -> Reply {
    Reply::json(
        404,
        json!({"error": {"code": "Request_ResourceNotFound", "message": "Resource 'x' does not exist or one of its queried reference-property objects are not present."}}),
    )
}

#[tokio::test]
async fn throttled_request_waits_for_retry_after_then_succeeds() {
    let server = ScriptedServer::start(|_, index| match index {
        0 => Reply::json(
            429,
            json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
        )
        .header("Retry-After", "1"),
        _ => Reply::json(200, sp("a")),
    })
    .await;
    let graph = server.graph(quick_retry());
    let found = graph
        .get_service_principal("a", Consistency::IMMEDIATE)
        .await
        .expect("retried after 429");
    assert_eq!(found.expect("found").id, "a");
    let requests = server.api_requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at.duration_since(requests[0].at);
    assert!(
        waited >= std::time::Duration::from_secs(1),
        "retried after only {waited:?}"
    );
}

#[tokio::test]
async fn bad_request_is_not_retried() {
    let server = ScriptedServer::start(|_, _| {
        Reply::json(400, json!({"error": {"code": "Request_BadRequest", "message": "Invalid object identifier 'zzz'."}}))
    })
    .await;
    let err = server
        .graph(quick_retry())
        .get_service_principal("zzz", Consistency::IMMEDIATE)
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::BadRequest(_)), "{err:?}");
    assert_eq!(server.api_requests().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let server = ScriptedServer::start(|_, index| {
        if index < 2 {
            Reply::json(
                503,
                json!({"error": {"code": "serviceNotAvailable", "message": "try later"}}),
            )
        } else {
            Reply::json(200, sp("a"))
        }
    })
    .await;
    server
        .graph(quick_retry())
        .get_service_principal("a", Consistency::IMMEDIATE)
        .await
        .expect("succeeds on the third attempt");
    assert_eq!(server.api_requests().len(), 3);
}

#[tokio::test]
async fn persistent_server_errors_stop_at_the_attempt_limit() {
    let server = ScriptedServer::start(|_, _| {
        Reply::json(
            502,
            json!({"error": {"code": "x", "message": "bad gateway"}}),
        )
    })
    .await;
    let err = server
        .graph(quick_retry())
        .get_service_principal("a", Consistency::IMMEDIATE)
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Transient(_)), "{err:?}");
    assert_eq!(server.api_requests().len(), 5);
}

#[tokio::test]
async fn paging_follows_next_links_across_pages() {
    let server = ScriptedServer::start(|seen, _| {
        let base = format!("http://{}", seen.headers["host"].to_str().unwrap());
        let page = if seen.path_and_query.contains("skiptoken=2") {
            2
        } else if seen.path_and_query.contains("skiptoken=1") {
            1
        } else {
            0
        };
        let mut body = json!({"value": [sp(&format!("sp-{page}-a")), sp(&format!("sp-{page}-b"))]});
        if page < 2 {
            body["@odata.nextLink"] = json!(format!(
                "{base}/v1.0/servicePrincipals?$skiptoken={}",
                page + 1
            ));
        }
        Reply::json(200, body)
    })
    .await;
    let found = server
        .graph(quick_retry())
        .find_service_principals_by_display_name("Microsoft Graph")
        .await
        .unwrap();
    let ids: Vec<_> = found.iter().map(|sp| sp.id.as_str()).collect();
    assert_eq!(
        ids,
        ["sp-0-a", "sp-0-b", "sp-1-a", "sp-1-b", "sp-2-a", "sp-2-b"]
    );
    assert_eq!(server.api_requests().len(), 3);
}

#[tokio::test]
async fn next_link_to_another_host_is_refused() {
    let server = ScriptedServer::start(|_, _| {
        Reply::json(
            200,
            json!({"value": [], "@odata.nextLink": "https://attacker.example/v1.0/x"}),
        )
    })
    .await;
    let err = server
        .graph(quick_retry())
        .find_service_principals_by_display_name("x")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("leaves the Graph endpoint"),
        "{err}"
    );
}

#[tokio::test]
async fn filter_values_are_quoted_with_doubled_quotes() {
    let server = ScriptedServer::start(|_, _| Reply::json(200, json!({"value": []}))).await;
    server
        .graph(quick_retry())
        .find_service_principals_by_display_name("Bob's app")
        .await
        .unwrap();
    let query = server.api_requests()[0].path_and_query.clone();
    let decoded: String = url::form_urlencoded::parse(query.split_once('?').unwrap().1.as_bytes())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(decoded, "$filter=displayName eq 'Bob''s app'");
}

#[tokio::test]
async fn every_request_carries_the_token_and_its_own_client_request_id() {
    let server = ScriptedServer::start(|_, index| {
        if index == 0 {
            not_found()
        } else {
            Reply::json(200, sp("a"))
        }
    })
    .await;
    let graph = server.graph(quick_retry());
    let _ = graph
        .get_service_principal("a", Consistency::IMMEDIATE)
        .await;
    graph
        .get_service_principal("a", Consistency::IMMEDIATE)
        .await
        .unwrap();
    let requests = server.api_requests();
    let ids: Vec<_> = requests
        .iter()
        .map(|r| r.headers["client-request-id"].to_str().unwrap().to_owned())
        .collect();
    assert_ne!(ids[0], ids[1]);
    assert!(requests
        .iter()
        .all(|r| r.headers["authorization"] == format!("Bearer {TOKEN}").as_str()));
    assert_eq!(server.token_requests().len(), 1, "the token is cached");
}

#[tokio::test]
async fn unauthorized_refreshes_the_token_once() {
    let server = ScriptedServer::start(|_, _| {
        Reply::json(401, json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}}))
    })
    .await;
    let err = server
        .graph(quick_retry())
        .get_service_principal("a", Consistency::IMMEDIATE)
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Unauthorized(_)), "{err:?}");
    assert_eq!(
        server.api_requests().len(),
        2,
        "one retry with a fresh token"
    );
    assert_eq!(server.token_requests().len(), 2, "a new token was fetched");
}

#[tokio::test]
async fn forbidden_names_the_permission_the_call_needs() {
    let server = ScriptedServer::start(|_, _| {
        Reply::json(403, json!({"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}}))
    })
    .await;
    let err = server
        .graph(quick_retry())
        .grant_app_role("p", "r", "role")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("AppRoleAssignment.ReadWrite.All"),
        "{err}"
    );
}

#[tokio::test]
async fn delete_of_a_missing_object_is_done() {
    let server = ScriptedServer::start(|_, _| not_found()).await;
    server
        .graph(quick_retry())
        .delete_role_assignment("gone")
        .await
        .expect("404 on delete is success");
}

#[tokio::test]
async fn a_server_error_with_retry_after_is_retried_after_that_wait() {
    let server = ScriptedServer::start(|_, n| match n {
        0 => Reply::json(
            503,
            json!({"error": {"code": "serviceNotAvailable", "message": "busy"}}),
        )
        .header("Retry-After", "1"),
        _ => Reply::json(200, sp("a")),
    })
    .await;
    server
        .graph(quick_retry())
        .get_service_principal("a", Consistency::IMMEDIATE)
        .await
        .expect("retried after 503");
    let requests = server.api_requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at.duration_since(requests[0].at);
    assert!(
        waited >= std::time::Duration::from_millis(950),
        "{waited:?}"
    );
}

#[tokio::test]
async fn a_429_holds_back_every_request_to_its_route_until_retry_after_passes() {
    let server = ScriptedServer::start(|_, n| match n {
        0 => Reply::json(
            429,
            json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
        )
        .header("Retry-After", "1"),
        _ => Reply::json(200, json!({"value": []})),
    })
    .await;
    let graph = server.graph(quick_retry());
    let first = {
        let graph = graph.clone();
        tokio::spawn(async move {
            graph
                .find_application_by_app_id("a", Consistency::IMMEDIATE)
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Another resource looks up another app on the same route while the first is held.
    graph
        .find_application_by_app_id("b", Consistency::IMMEDIATE)
        .await
        .unwrap();
    first.await.unwrap().unwrap();
    let requests = server.api_requests();
    assert_eq!(requests.len(), 3);
    for later in &requests[1..] {
        let after = later.at.duration_since(requests[0].at);
        assert!(
            after >= std::time::Duration::from_millis(950),
            "a request went out {after:?} after the 429"
        );
    }
}

#[tokio::test]
async fn a_grant_for_a_principal_that_is_still_replicating_is_sent_again_until_it_lands() {
    let server = ScriptedServer::start(|_, n| match n {
        0 | 1 => not_found(),
        _ => Reply::json(
            201,
            json!({"id": "41W1zT6z1U-kJxf62svfp1HFE8pMZhxDun-ThPczmJE", "appRoleId": "r", "principalId": "p", "resourceId": "g"}),
        ),
    })
    .await;
    let grant = server
        .graph(quick_retry())
        .grant_app_role("p", "g", "r")
        .await
        .expect("granted once the principal replicated");
    assert_eq!(grant.id, "41W1zT6z1U-kJxf62svfp1HFE8pMZhxDun-ThPczmJE");
    assert_eq!(server.api_requests().len(), 3);
}

#[tokio::test]
async fn a_role_is_read_by_its_template_id_not_filtered_by_it() {
    let template = "fe930be7-5e62-47db-91af-98c3a49a38b1";
    let server = ScriptedServer::start(move |_, _| {
        Reply::json(
            200,
            json!({"id": template, "templateId": template, "displayName": "User Administrator"}),
        )
    })
    .await;
    let role = server
        .graph(quick_retry())
        .get_role_definition(template)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(role.display_name, "User Administrator");
    assert_eq!(
        server.api_requests()[0].path_and_query,
        format!("/v1.0/roleManagement/directory/roleDefinitions/{template}")
    );
}

#[tokio::test]
async fn path_segments_are_percent_encoded() {
    let server = ScriptedServer::start(|_, _| not_found()).await;
    let found = server
        .graph(quick_retry())
        .get_service_principal("a b/c", Consistency::IMMEDIATE)
        .await
        .unwrap();
    assert!(found.is_none());
    assert_eq!(
        server.api_requests()[0].path_and_query,
        "/v1.0/servicePrincipals/a%20b%2Fc"
    );
}

#[tokio::test]
async fn filters_encode_spaces_as_percent_20() {
    let server = ScriptedServer::start(|_, _| Reply::json(200, json!({"value": []}))).await;
    server
        .graph(quick_retry())
        .find_service_principal_by_app_id("x", Consistency::IMMEDIATE)
        .await
        .unwrap();
    let query = server.api_requests()[0].path_and_query.clone();
    assert!(query.contains("appId%20eq%20%27x%27"), "{query}");
    assert!(!query.contains('+'), "{query}");
}
