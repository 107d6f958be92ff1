//! The Workbench client against a scripted local server: auth, paging, errors.

mod common;

use common::{quick_retry, Reply, ScriptedServer};
use secrecy::SecretString;
use serde_json::json;
use terraform_provider_expel::workbench::{
    ContextListSpec, ContextType, WorkbenchClient, WorkbenchError,
};

const KEY: &str = "key-123";

fn client(server: &ScriptedServer, org: Option<&str>) -> WorkbenchClient {
    WorkbenchClient::new(
        terraform_provider_expel::http::client().unwrap(),
        &server.url,
        SecretString::from(KEY.to_string()),
        org.map(str::to_owned),
        quick_retry(),
    )
    .unwrap()
}

fn variable(id: &str, name: &str) -> serde_json::Value {
    json!({"type": "context_variables", "id": id, "attributes": {"name": name, "context_type": "email_address", "value_type": "string", "is_array": true, "value": ["a@example.com"]}})
}

#[tokio::test]
async fn paging_follows_relative_next_links() {
    let server = ScriptedServer::start(|seen, _| {
        let offset = if seen.path_and_query.contains("page%5Boffset%5D=2") || seen.path_and_query.contains("page[offset]=2") { 2 } else { 0 };
        let mut body = json!({"data": [variable(&format!("v{offset}"), "a"), variable(&format!("v{}", offset + 1), "b")], "meta": {"page": {"total": 4}}});
        if offset == 0 {
            body["links"] = json!({"next": "/api/v2/context_variables?page[limit]=2&page[offset]=2"});
        }
        Reply::json(200, body)
    })
    .await;
    let lists = client(&server, None).list_context_lists().await.unwrap();
    assert_eq!(
        lists.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
        ["v0", "v1", "v2", "v3"]
    );
    assert_eq!(server.api_requests().len(), 2);
}

#[tokio::test]
async fn the_api_key_is_the_bearer_token() {
    let server = ScriptedServer::start(|_, _| Reply::json(200, json!({"data": []}))).await;
    client(&server, None).list_organizations().await.unwrap();
    assert_eq!(
        server.api_requests()[0].headers["authorization"],
        format!("Bearer {KEY}").as_str()
    );
}

#[tokio::test]
async fn configured_organization_filters_lists_and_owns_creations() {
    let server = ScriptedServer::start(|seen, _| {
        if seen.method == "POST" {
            Reply::json(201, json!({"data": variable("new", "Never reset")}))
        } else {
            Reply::json(200, json!({"data": []}))
        }
    })
    .await;
    let wb = client(&server, Some("org-9"));
    wb.list_context_lists().await.unwrap();
    wb.create_context_list(&ContextListSpec {
        name: "Never reset".into(),
        description: None,
        context_type: ContextType::EmailAddress,
        values: vec!["a@example.com".into()],
    })
    .await
    .unwrap();
    let requests = server.api_requests();
    let query = url::form_urlencoded::parse(
        requests[0]
            .path_and_query
            .split_once('?')
            .unwrap()
            .1
            .as_bytes(),
    )
    .map(|(k, v)| format!("{k}={v}"))
    .collect::<Vec<_>>();
    assert!(
        query.contains(&"filter[organization][id]=org-9".to_owned()),
        "{query:?}"
    );
    let body: serde_json::Value = serde_json::from_str(&requests[1].body).unwrap();
    assert_eq!(
        body["data"]["relationships"]["organization"]["data"]["id"],
        "org-9"
    );
}

#[tokio::test]
async fn duplicate_name_is_a_conflict() {
    let server = ScriptedServer::start(|_, _| {
        Reply::json(409, json!({"errors": [{"status": "409", "title": "Conflict", "detail": "name has already been taken"}]}))
    })
    .await;
    let err = client(&server, None)
        .create_context_list(&ContextListSpec {
            name: "x".into(),
            description: None,
            context_type: ContextType::Other,
            values: vec![],
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, WorkbenchError::Conflict(ref m) if m.contains("already been taken")),
        "{err:?}"
    );
    assert_eq!(server.api_requests().len(), 1);
}

#[tokio::test]
async fn throttling_is_retried() {
    let server = ScriptedServer::start(|_, index| {
        if index == 0 {
            Reply::json(
                429,
                json!({"errors": [{"status": "429", "detail": "rate limited"}]}),
            )
            .header("Retry-After", "0")
        } else {
            Reply::json(200, json!({"data": variable("v", "n")}))
        }
    })
    .await;
    let list = client(&server, None).get_context_list("v").await.unwrap();
    assert_eq!(list.name, "n");
    assert_eq!(server.api_requests().len(), 2);
}

#[tokio::test]
async fn missing_list_is_not_found_and_delete_of_it_is_done() {
    let server = ScriptedServer::start(|_, _| {
        Reply::json(
            404,
            json!({"errors": [{"status": "404", "detail": "not found"}]}),
        )
    })
    .await;
    let wb = client(&server, None);
    assert!(wb
        .get_context_list("gone")
        .await
        .unwrap_err()
        .is_not_found());
    wb.delete_context_list("gone").await.unwrap();
}

#[tokio::test]
async fn a_list_source_whose_first_answer_was_lost_is_found_and_adopted() {
    // The label is made; the list source POST had landed before, so Workbench says conflict.
    let server = ScriptedServer::start(|seen, _| match (seen.method.as_str(), seen.path_and_query.as_str()) {
        ("POST", path) if path.starts_with("/api/v2/context_labels") => Reply::json(
            201,
            json!({"data": {"type": "context_labels", "id": "label-1", "attributes": {"title": "Never reset"}}}),
        ),
        ("GET", path) if path.starts_with("/api/v2/context_labels") => {
            Reply::json(200, json!({"data": []}))
        }
        ("POST", _) => Reply::json(
            409,
            json!({"errors": [{"status": "409", "title": "Conflict", "detail": "the context label is already a list source of this setting"}]}),
        ),
        _ => Reply::json(
            200,
            json!({
                "data": [{"type": "remediation_action_setting_list_sources", "id": "source-1",
                    "attributes": {"source_type": "CONTEXT_LABEL"},
                    "relationships": {
                        "remediation_action_setting": {"data": {"type": "remediation_action_settings", "id": "setting-1"}},
                        "context_label": {"data": {"type": "context_labels", "id": "label-1"}},
                    }}],
                "included": [{"type": "context_labels", "id": "label-1", "attributes": {"title": "Never reset", "definition": {"context_variable_id": "list-1"}},
                    "relationships": {"context_variables": {"data": [{"type": "context_variables", "id": "list-1"}]}}}],
            }),
        ),
    })
    .await;
    let link = client(&server, None)
        .link_list("setting-1", "list-1", "Never reset")
        .await
        .expect("the landed list source is adopted");
    assert_eq!(link.source_id, "source-1");
    assert_eq!(link.label_id.as_deref(), Some("label-1"));
    let deletes = server
        .api_requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 0, "the label of an adopted link is kept");
}
