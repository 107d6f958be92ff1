//! The embedded sandbox speaks the real APIs' shapes: token endpoint, Microsoft Graph and
//! Workbench, checked with plain HTTP requests against a freshly started sandbox. One
//! behaviour per test; each test owns its sandbox.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use expel_acceptance_tests::sandbox::{Faults, Sandbox, SandboxConfig};
use openssl::hash::MessageDigest;
use openssl::pkcs12::Pkcs12;
use openssl::sign::Signer;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
const USER_READ_WRITE_ALL: &str = "741f803b-c850-494e-b5df-cde7c675a1ca";
const APPLICATION_READ_WRITE_ALL: &str = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9";
const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const SECURITY_READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";

/// A started sandbox and one HTTP client for the test.
struct Api {
    sandbox: Sandbox,
    http: Client,
}

impl Api {
    fn start(config: SandboxConfig) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            sandbox: Sandbox::start(config).expect("sandbox starts"),
            http: Client::new(),
        }
    }

    fn with_defaults() -> Self {
        Self::start(SandboxConfig::default())
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.sandbox.url())
        }
    }

    fn token_url(&self) -> String {
        self.url(&format!(
            "/{}/oauth2/v2.0/token",
            self.sandbox.seed().tenant_id
        ))
    }

    fn graph_scope(&self) -> String {
        format!("{}/.default", self.sandbox.url())
    }

    async fn request_token(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.token_url())
            .form(form)
            .send()
            .await
            .expect("token endpoint answers")
    }

    /// A Graph token for the provider's identity, by client secret.
    async fn graph_token(&self) -> String {
        let seed = self.sandbox.seed();
        let scope = self.graph_scope();
        let response = self
            .request_token(&[
                ("grant_type", "client_credentials"),
                ("client_id", &seed.client_id),
                ("client_secret", &seed.client_secret),
                ("scope", &scope),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_of(response).await;
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    fn graph(&self, token: &str, method: Method, path_or_url: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path_or_url))
            .bearer_auth(token)
    }

    async fn graph_get(&self, token: &str, path_or_url: &str) -> Response {
        self.graph(token, Method::GET, path_or_url)
            .send()
            .await
            .expect("graph answers")
    }

    async fn graph_post(&self, token: &str, path: &str, body: Value) -> Response {
        self.graph(token, Method::POST, path)
            .json(&body)
            .send()
            .await
            .expect("graph answers")
    }

    /// A Workbench request with the single-organization API key.
    fn workbench(&self, method: Method, path_or_url: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path_or_url))
            .bearer_auth(&self.sandbox.seed().api_key)
    }

    async fn workbench_send(&self, method: Method, path_or_url: &str) -> Response {
        self.workbench(method, path_or_url)
            .send()
            .await
            .expect("workbench answers")
    }
}

async fn json_of(response: Response) -> Value {
    response.json().await.expect("a JSON body")
}

fn context_list(name: &str) -> Value {
    json!({"data": {"type": "context_variables", "attributes": {
        "name": name,
        "context_type": "email_address",
        "value_type": "string",
        "is_array": true,
        "value": ["quarantine@contoso.example"],
    }}})
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[tokio::test]
async fn token_by_client_secret_is_a_bearer_token_for_graph() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let path = format!(
        "/v1.0/servicePrincipals/{}",
        api.sandbox.seed().graph_service_principal_id
    );
    let sp = api.graph_get(&token, &path).await;
    assert_eq!(sp.status(), StatusCode::OK);
    assert_eq!(json_of(sp).await["appId"], GRAPH_APP_ID);
}

#[tokio::test]
async fn wrong_client_secret_is_aadsts7000215() {
    let api = Api::with_defaults();
    let scope = api.graph_scope();
    let response = api
        .request_token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &api.sandbox.seed().client_id),
            ("client_secret", "not-the-secret"),
            ("scope", &scope),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body = json_of(response).await;
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], json!([7000215]));
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with("AADSTS7000215: Invalid client secret provided."),
        "{description}"
    );
}

#[tokio::test]
async fn certificate_assertion_signed_like_azure_identity_is_accepted() {
    let api = Api::with_defaults();
    let seed = api.sandbox.seed();
    let pfx = std::fs::read(&seed.certificate_pfx_path).expect("PFX file");
    let parsed = Pkcs12::from_der(&pfx)
        .and_then(|pkcs12| pkcs12.parse2(&seed.certificate_password))
        .expect("PFX opens with the seeded password");
    let (key, cert) = (parsed.pkey.expect("key"), parsed.cert.expect("cert"));

    // As azure_identity does it: padded base64url parts, a standard-base64 SHA-1 `x5t`,
    // and an https `aud` (it insists on https authority hosts).
    let thumbprint = STANDARD.encode(cert.digest(MessageDigest::sha1()).expect("digest"));
    let header = format!(r#"{{"alg":"RS256","typ":"JWT","x5t":"{thumbprint}"}}"#);
    let now = unix_now();
    let claims = json!({
        "aud": api.token_url().replacen("http://", "https://", 1),
        "iss": seed.client_id,
        "sub": seed.client_id,
        "jti": "7d1e3c2a-5b6f-4e8d-9a0b-1c2d3e4f5a6b",
        "nbf": now,
        "exp": now + 600,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE.encode(header),
        URL_SAFE.encode(claims.to_string())
    );
    let mut signer = Signer::new(MessageDigest::sha256(), &key).expect("signer");
    let signature = signer
        .sign_oneshot_to_vec(signing_input.as_bytes())
        .expect("signature");
    let assertion = format!("{signing_input}.{}", URL_SAFE.encode(signature));

    let scope = api.graph_scope();
    let response = api
        .request_token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &seed.client_id),
            ("scope", &scope),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_of(response).await["token_type"], "Bearer");
}

#[tokio::test]
async fn federated_oidc_assertion_is_accepted() {
    let api = Api::with_defaults();
    let seed = api.sandbox.seed();
    let assertion = api.sandbox.mint_oidc_token(&seed.oidc_subject);
    let scope = api.graph_scope();
    let response = api
        .request_token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &seed.client_id),
            ("scope", &scope),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(json_of(response).await["access_token"].is_string());
}

#[tokio::test]
async fn graph_without_a_token_is_401_invalid_authentication_token() {
    let api = Api::with_defaults();
    let request_id = "3f1c2b4a-0000-4000-8000-000000000001";
    let response = api
        .http
        .get(api.url("/v1.0/servicePrincipals"))
        .header("client-request-id", request_id)
        .send()
        .await
        .expect("graph answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let echoed = response
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok());
    assert_eq!(echoed, Some(request_id));
    let body = json_of(response).await;
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert!(body["error"]["innerError"]["request-id"].is_string());
}

#[tokio::test]
async fn paging_follows_next_link_across_three_pages() {
    let api = Api::start(SandboxConfig {
        page_size: 2,
        ..SandboxConfig::default()
    });
    let token = api.graph_token().await;
    let all = json_of(
        api.graph_get(&token, "/v1.0/servicePrincipals?$top=999")
            .await,
    )
    .await;
    let total = all["value"].as_array().map_or(0, Vec::len);
    assert!(total >= 5, "the seed has at least five service principals");

    let mut next = Some(api.url("/v1.0/servicePrincipals"));
    let (mut pages, mut ids) = (0, Vec::new());
    while let Some(url) = next {
        let page = json_of(api.graph_get(&token, &url).await).await;
        let value = page["value"].as_array().cloned().unwrap_or_default();
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert_eq!(value.len(), 2, "full pages until the last");
            assert!(link.contains("skiptoken"), "{link}");
        }
        ids.extend(
            value
                .iter()
                .filter_map(|sp| sp["id"].as_str().map(str::to_owned)),
        );
        pages += 1;
    }
    assert_eq!(pages, total.div_ceil(2));
    assert!(pages >= 3);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "every object exactly once");
}

#[tokio::test]
async fn filter_values_with_a_doubled_quote_match_and_a_lone_quote_is_400() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let seed = api.sandbox.seed();
    let application = format!("/v1.0/applications/{}", seed.custom_app_object_id);
    let renamed = api
        .graph(&token, Method::PATCH, &application)
        .json(&json!({"displayName": "Contoso's Expel Integration"}))
        .send()
        .await
        .expect("graph answers");
    assert_eq!(renamed.status(), StatusCode::NO_CONTENT);

    let found = api
        .graph(&token, Method::GET, "/v1.0/applications")
        .query(&[("$filter", "displayName eq 'Contoso''s Expel Integration'")])
        .send()
        .await
        .expect("graph answers");
    assert_eq!(found.status(), StatusCode::OK);
    let found = json_of(found).await;
    assert_eq!(found["value"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        found["value"][0]["appId"].as_str(),
        Some(seed.custom_app_client_id.as_str())
    );

    let malformed = api
        .graph(&token, Method::GET, "/v1.0/applications")
        .query(&[("$filter", "displayName eq 'Contoso's Expel Integration'")])
        .send()
        .await
        .expect("graph answers");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn duplicate_grant_is_400_permission_already_exists() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let seed = api.sandbox.seed();
    let path = format!(
        "/v1.0/servicePrincipals/{}/appRoleAssignedTo",
        seed.graph_service_principal_id
    );
    let grant = json!({
        "principalId": seed.expel_app_service_principal_id,
        "resourceId": seed.graph_service_principal_id,
        "appRoleId": USER_READ_WRITE_ALL,
    });
    let first = api.graph_post(&token, &path, grant.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(json_of(first).await["appRoleId"], USER_READ_WRITE_ALL);

    let second = api.graph_post(&token, &path, grant).await;
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    let body = json_of(second).await;
    assert_eq!(body["error"]["code"], "Request_BadRequest");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Permission being assigned already exists on the object"),
        "{message}"
    );
}

#[tokio::test]
async fn grants_can_be_found_by_resource_id_but_not_by_app_role_id() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let seed = api.sandbox.seed();
    let path = format!(
        "/v1.0/servicePrincipals/{}/appRoleAssignments",
        seed.provider_service_principal_id
    );
    let by_resource = api
        .graph(&token, Method::GET, &path)
        .query(&[(
            "$filter",
            format!("resourceId eq {}", seed.graph_service_principal_id),
        )])
        .send()
        .await
        .expect("graph answers");
    assert_eq!(by_resource.status(), StatusCode::OK);
    let body = json_of(by_resource).await;
    let roles: Vec<&str> = body["value"]
        .as_array()
        .map(|grants| {
            grants
                .iter()
                .filter_map(|g| g["appRoleId"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(roles.contains(&APPLICATION_READ_WRITE_ALL), "{roles:?}");

    let by_role = api
        .graph(&token, Method::GET, &path)
        .query(&[(
            "$filter",
            format!("appRoleId eq {APPLICATION_READ_WRITE_ALL}"),
        )])
        .send()
        .await
        .expect("graph answers");
    assert_eq!(by_role.status(), StatusCode::BAD_REQUEST);
    let body = json_of(by_role).await;
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Invalid filter clause"), "{message}");
}

#[tokio::test]
async fn malformed_object_id_is_400_invalid_object_identifier() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let response = api
        .graph_get(&token, "/v1.0/servicePrincipals/not-a-guid")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_of(response).await;
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Invalid object identifier 'not-a-guid'"),
        "{message}"
    );
}

#[tokio::test]
async fn missing_grant_permission_is_403_authorization_request_denied() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let revoked = api
        .http
        .post(api.url(
            "/_sandbox/admin/revoke-provider-permission?value=AppRoleAssignment.ReadWrite.All",
        ))
        .send()
        .await
        .expect("admin answers");
    assert!(revoked.status().is_success());

    let seed = api.sandbox.seed();
    let path = format!(
        "/v1.0/servicePrincipals/{}/appRoleAssignedTo",
        seed.graph_service_principal_id
    );
    let grant = json!({
        "principalId": seed.expel_app_service_principal_id,
        "resourceId": seed.graph_service_principal_id,
        "appRoleId": USER_READ_WRITE_ALL,
    });
    let response = api.graph_post(&token, &path, grant).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_of(response).await["error"]["code"],
        "Authorization_RequestDenied"
    );
}

#[tokio::test]
async fn replication_lag_hides_a_new_role_assignment_then_shows_it() {
    let api = Api::start(SandboxConfig {
        faults: Faults {
            replication_lag_ms: 400,
            retry_after_seconds: 1,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let token = api.graph_token().await;
    let assignment = json!({
        "roleDefinitionId": SECURITY_READER,
        "principalId": api.sandbox.seed().expel_app_service_principal_id,
        "directoryScopeId": "/",
    });
    let created = api
        .graph_post(
            &token,
            "/v1.0/roleManagement/directory/roleAssignments",
            assignment,
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = json_of(created).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/v1.0/roleManagement/directory/roleAssignments/{id}");

    let early = api.graph_get(&token, &path).await;
    assert_eq!(early.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_of(early).await["error"]["code"],
        "Request_ResourceNotFound"
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    let late = api.graph_get(&token, &path).await;
    assert_eq!(late.status(), StatusCode::OK);
    assert_eq!(json_of(late).await["roleDefinitionId"], SECURITY_READER);
}

#[tokio::test]
async fn duplicate_role_assignment_is_400_conflicting_object() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let assignment = json!({
        "roleDefinitionId": USER_ADMINISTRATOR,
        "principalId": api.sandbox.seed().expel_app_service_principal_id,
        "directoryScopeId": "/",
    });
    let path = "/v1.0/roleManagement/directory/roleAssignments";
    let first = api.graph_post(&token, path, assignment.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = api.graph_post(&token, path, assignment).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let body = json_of(again).await;
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("A conflicting object with one or more of the specified property values is present in the directory."),
        "{message}"
    );
}

#[tokio::test]
async fn throttled_graph_requests_are_429_with_retry_after() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    api.sandbox.set_faults(Faults {
        throttle_percent: 100,
        retry_after_seconds: 7,
        ..Faults::default()
    });
    let response = api.graph_get(&token, "/v1.0/servicePrincipals").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok());
    assert_eq!(retry_after, Some("7"));
    assert!(json_of(response).await["error"]["code"].is_string());
}

#[tokio::test]
async fn reset_fault_drops_the_connection_without_a_response() {
    let api = Api::with_defaults();
    api.sandbox.set_faults(Faults {
        reset_percent: 100,
        retry_after_seconds: 1,
        ..Faults::default()
    });
    let result = api
        .workbench(Method::GET, "/api/v2/context_variables")
        .send()
        .await;
    assert!(result.is_err(), "expected no HTTP response, got {result:?}");
}

#[tokio::test]
async fn expired_token_is_401_on_graph() {
    let api = Api::start(SandboxConfig {
        faults: Faults {
            token_lifetime_seconds: Some(1),
            retry_after_seconds: 1,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let token = api.graph_token().await;
    let path = format!(
        "/v1.0/servicePrincipals/{}",
        api.sandbox.seed().graph_service_principal_id
    );
    assert_eq!(api.graph_get(&token, &path).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let expired = api.graph_get(&token, &path).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        json_of(expired).await["error"]["code"],
        "InvalidAuthenticationToken"
    );
}

#[tokio::test]
async fn workbench_context_variable_crud() {
    let api = Api::with_defaults();
    let created = api
        .workbench(Method::POST, "/api/v2/context_variables")
        .json(&context_list("Never remove"))
        .send()
        .await
        .expect("workbench answers");
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = json_of(created).await;
    let id = created["data"]["id"].as_str().expect("id").to_owned();
    assert_eq!(created["data"]["type"], "context_variables");
    assert_eq!(
        created["data"]["relationships"]["organization"]["data"]["id"].as_str(),
        Some(api.sandbox.seed().organization_id.as_str())
    );

    let path = format!("/api/v2/context_variables/{id}");
    let values = json!(["a@contoso.example", "b@contoso.example"]);
    let updated = api
        .workbench(Method::PATCH, &path)
        .json(
            &json!({"id": id, "data": {"type": "context_variables", "id": id,
            "attributes": {"value": values}}}),
        )
        .send()
        .await
        .expect("workbench answers");
    assert_eq!(updated.status(), StatusCode::OK);
    let read = json_of(api.workbench_send(Method::GET, &path).await).await;
    assert_eq!(read["data"]["attributes"]["value"], values);

    let immutable = api
        .workbench(Method::PATCH, &path)
        .json(&json!({"data": {"type": "context_variables", "id": id,
            "attributes": {"context_type": "username"}}}))
        .send()
        .await
        .expect("workbench answers");
    assert!(
        matches!(immutable.status().as_u16(), 400 | 422),
        "{}",
        immutable.status()
    );

    let deleted = api.workbench_send(Method::DELETE, &path).await;
    assert!(deleted.status().is_success());
    let gone = api.workbench_send(Method::GET, &path).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn workbench_duplicate_name_is_409() {
    let api = Api::with_defaults();
    let create = || {
        api.workbench(Method::POST, "/api/v2/context_variables")
            .header("content-type", "application/vnd.api+json")
            .body(context_list("Always reset").to_string())
            .send()
    };
    let first = create().await.expect("workbench answers");
    assert_eq!(first.status(), StatusCode::CREATED);
    let duplicate = create().await.expect("workbench answers");
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let body = json_of(duplicate).await;
    let detail = body["errors"][0]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("name has already been taken"), "{detail}");
}

#[tokio::test]
async fn workbench_multi_org_key_must_name_the_organization() {
    let api = Api::with_defaults();
    let response = api
        .http
        .post(api.url("/api/v2/context_variables"))
        .bearer_auth(&api.sandbox.seed().multi_org_api_key)
        .json(&context_list("Never reset"))
        .send()
        .await
        .expect("workbench answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_of(response).await;
    let detail = body["errors"][0]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("organization"), "{detail}");
}

#[tokio::test]
async fn workbench_paging_follows_links_next() {
    let api = Api::start(SandboxConfig {
        page_size: 2,
        ..SandboxConfig::default()
    });
    for n in 0..5 {
        let created = api
            .workbench(Method::POST, "/api/v2/context_variables")
            .json(&context_list(&format!("List {n}")))
            .send()
            .await
            .expect("workbench answers");
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let mut next = Some(format!(
        "/api/v2/context_variables?filter[organization][id]={}",
        api.sandbox.seed().organization_id
    ));
    let (mut pages, mut names, mut total) = (0, Vec::new(), 0);
    while let Some(link) = next {
        let page = json_of(api.workbench_send(Method::GET, &link).await).await;
        total = page["meta"]["page"]["total"]
            .as_u64()
            .expect("meta.page.total");
        let data = page["data"].as_array().cloned().unwrap_or_default();
        names.extend(
            data.iter()
                .filter_map(|v| v["attributes"]["name"].as_str().map(str::to_owned)),
        );
        next = page["links"]["next"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert!(total >= 5);
    assert_eq!(names.len() as u64, total);
    assert_eq!(pages, total.div_ceil(2));
    assert!((0..5).all(|n| names.contains(&format!("List {n}"))));
}

#[tokio::test]
async fn stats_count_requests_by_route_template() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    api.sandbox.reset_stats();
    let seed = api.sandbox.seed();
    for id in [
        &seed.graph_service_principal_id,
        &seed.exchange_service_principal_id,
    ] {
        let path = format!("/v1.0/servicePrincipals/{id}");
        assert_eq!(api.graph_get(&token, &path).await.status(), StatusCode::OK);
    }
    let listed = api
        .workbench_send(Method::GET, "/api/v2/context_variables")
        .await;
    assert_eq!(listed.status(), StatusCode::OK);
    let _ = api.graph_token().await;

    let stats = api.sandbox.stats();
    assert_eq!(stats.count("GET /v1.0/servicePrincipals/{id}"), 2);
    assert_eq!(stats.count("GET /api/v2/context_variables"), 1);
    assert_eq!(stats.count("POST /{tenant}/oauth2/v2.0/token"), 1);
    assert_eq!(stats.graph_total(), 2);
    assert_eq!(stats.total(), 4);
}

#[tokio::test]
async fn issued_access_tokens_and_every_request_uri_are_recorded() {
    let api = Api::with_defaults();
    let first = api.graph_token().await;
    let second = api.graph_token().await;
    assert_eq!(api.sandbox.issued_access_tokens(), vec![first, second]);

    let rejected = api
        .request_token(&[("grant_type", "client_credentials")])
        .await;
    assert_eq!(rejected.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        api.sandbox.issued_access_tokens().len(),
        2,
        "a refused token request issues nothing"
    );

    let query = "/v1.0/servicePrincipals?$filter=appId%20eq%20%27x%27";
    let _ = api.graph_get("not-a-token", query).await;
    let unrouted = api.workbench_send(Method::GET, "/nowhere?probe=1").await;
    assert_eq!(unrouted.status(), StatusCode::NOT_FOUND);

    let token_path = format!("/{}/oauth2/v2.0/token", api.sandbox.seed().tenant_id);
    assert_eq!(
        api.sandbox.request_uris(),
        vec![
            token_path.clone(),
            token_path.clone(),
            token_path,
            query.to_owned(),
            "/nowhere?probe=1".to_owned(),
        ]
    );
}

async fn error_code_of(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body = json_of(response).await;
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn role_definitions_cannot_be_filtered_by_template_id_but_are_read_by_it() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let template = "fe930be7-5e62-47db-91af-98c3a49a38b1";
    let filtered = api
        .graph(
            &token,
            Method::GET,
            "/v1.0/roleManagement/directory/roleDefinitions",
        )
        .query(&[("$filter", format!("templateId eq '{template}'"))])
        .send()
        .await
        .expect("graph answers");
    assert_eq!(
        error_code_of(filtered).await,
        (
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery".to_owned()
        )
    );
    let read = api
        .graph(
            &token,
            Method::GET,
            &format!("/v1.0/roleManagement/directory/roleDefinitions/{template}"),
        )
        .send()
        .await
        .expect("graph answers");
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(json_of(read).await["displayName"], "User Administrator");
}

#[tokio::test]
async fn string_properties_refuse_unquoted_literals() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let principal = api.sandbox.seed().expel_app_service_principal_id.clone();
    let unquoted = api
        .graph(
            &token,
            Method::GET,
            "/v1.0/roleManagement/directory/roleAssignments",
        )
        .query(&[("$filter", format!("principalId eq {principal}"))])
        .send()
        .await
        .expect("graph answers");
    assert_eq!(unquoted.status(), StatusCode::BAD_REQUEST);
    let quoted = api
        .graph(
            &token,
            Method::GET,
            "/v1.0/roleManagement/directory/roleAssignments",
        )
        .query(&[("$filter", format!("principalId eq '{principal}'"))])
        .send()
        .await
        .expect("graph answers");
    assert_eq!(quoted.status(), StatusCode::OK);
}

#[tokio::test]
async fn undocumented_filter_properties_are_refused() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let seed = api.sandbox.seed();
    let grants = api
        .graph(
            &token,
            Method::GET,
            &format!(
                "/v1.0/servicePrincipals/{}/appRoleAssignments",
                seed.provider_service_principal_id
            ),
        )
        .query(&[(
            "$filter",
            "appRoleId eq 741f803b-c850-494e-b5df-cde7c675a1ca",
        )])
        .send()
        .await
        .expect("graph answers");
    assert_eq!(
        error_code_of(grants).await,
        (
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery".to_owned()
        )
    );
}

#[tokio::test]
async fn grant_ids_are_base64url_like_graphs() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let seed = api.sandbox.seed();
    let listed = api
        .graph(
            &token,
            Method::GET,
            &format!(
                "/v1.0/servicePrincipals/{}/appRoleAssignments",
                seed.provider_service_principal_id
            ),
        )
        .send()
        .await
        .expect("graph answers");
    let listed = json_of(listed).await;
    let ids: Vec<&str> = listed["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["id"].as_str())
        .collect();
    assert!(!ids.is_empty());
    for id in ids {
        assert_eq!(id.len(), 43, "{id}");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id)
            .expect("base64url");
        let principal = uuid::Uuid::from_slice_le(&bytes[..16]).unwrap();
        assert_eq!(principal.to_string(), seed.provider_service_principal_id);
    }
}

#[tokio::test]
async fn writes_naming_a_principal_that_is_still_replicating_get_404() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let seed = api.sandbox.seed().clone();
    let app = expel_acceptance_tests::sandbox::world::CustomApp {
        client_id: uuid::Uuid::new_v4().to_string(),
        object_id: String::new(),
        service_principal_id: uuid::Uuid::new_v4().to_string(),
    };
    api.sandbox.with_world(|world| {
        world.add_app_replicating(&app, "Fresh app", None, Duration::from_secs(60))
    });
    let assign = api
        .graph(&token, Method::POST, "/v1.0/roleManagement/directory/roleAssignments")
        .json(&json!({"roleDefinitionId": "fe930be7-5e62-47db-91af-98c3a49a38b1", "principalId": app.service_principal_id, "directoryScopeId": "/"}))
        .send()
        .await
        .expect("graph answers");
    assert_eq!(
        error_code_of(assign).await,
        (StatusCode::NOT_FOUND, "Request_ResourceNotFound".to_owned())
    );
    let grant = api
        .graph(
            &token,
            Method::POST,
            &format!(
                "/v1.0/servicePrincipals/{}/appRoleAssignedTo",
                seed.graph_service_principal_id
            ),
        )
        .json(&json!({"principalId": app.service_principal_id, "resourceId": seed.graph_service_principal_id, "appRoleId": "741f803b-c850-494e-b5df-cde7c675a1ca"}))
        .send()
        .await
        .expect("graph answers");
    assert_eq!(grant.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reads_of_a_registration_serve_the_old_list_while_replicas_are_stale() {
    let api = Api::start(SandboxConfig {
        faults: Faults {
            stale_read_ms: 60_000,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let token = api.graph_token().await;
    let application = format!(
        "/v1.0/applications/{}",
        api.sandbox.seed().custom_app_object_id
    );
    let patched = api
        .graph(&token, Method::PATCH, &application)
        .json(&json!({"requiredResourceAccess": []}))
        .send()
        .await
        .expect("graph answers");
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    let read = api
        .graph(&token, Method::GET, &application)
        .send()
        .await
        .expect("graph answers");
    let read = json_of(read).await;
    assert_eq!(
        read["requiredResourceAccess"].as_array().map(Vec::len),
        Some(1),
        "the seeded scope is still served: {read}"
    );
}

// The directory the readiness checks read (users, memberOf, organization, the registration
// report, $batch).

impl Api {
    /// Grants the provider's identity more Graph permissions, as an administrator would.
    fn grant_provider(&self, permissions: &[&str]) {
        let provider = self.sandbox.seed().provider_service_principal_id.clone();
        self.sandbox.with_world(|world| {
            for permission in permissions {
                world.seed_grant(&provider, permission);
            }
        });
    }
}

#[tokio::test]
async fn users_answer_their_default_properties_unless_select_names_more() {
    let api = Api::with_defaults();
    api.grant_provider(&["User.Read.All"]);
    let token = api.graph_token().await;
    let plain = json_of(
        api.graph_get(
            &token,
            "/v1.0/users?$filter=userPrincipalName%20eq%20%27ADMIN@contoso.com%27",
        )
        .await,
    )
    .await;
    let admin = &plain["value"][0];
    assert_eq!(admin["userPrincipalName"], "admin@contoso.com", "{plain}");
    assert!(
        admin.get("accountEnabled").is_none(),
        "not in the default set: {admin}"
    );
    let selected = json_of(
        api.graph_get(
            &token,
            "/v1.0/users?$filter=mail%20eq%20%27frank@contoso.com%27&$select=id,accountEnabled,userType,onPremisesSyncEnabled",
        )
        .await,
    )
    .await;
    let frank = &selected["value"][0];
    assert_eq!(frank["accountEnabled"], true, "{selected}");
    assert_eq!(frank["userType"], "Member");
    assert!(frank.get("displayName").is_none(), "{frank}");
}

#[tokio::test]
async fn users_need_a_user_read_permission() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let response = api.graph_get(&token, "/v1.0/users").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_of(response).await["error"]["code"],
        "Authorization_RequestDenied"
    );
}

#[tokio::test]
async fn member_of_hides_group_properties_without_a_group_permission() {
    let api = Api::with_defaults();
    api.grant_provider(&["User.Read.All"]);
    let id = api
        .sandbox
        .with_world(|w| w.directory.user_id("tier0.ops@contoso.com"))
        .unwrap();
    let path = format!("/v1.0/users/{id}/memberOf?$select=id,displayName,isAssignableToRole");
    let token = api.graph_token().await;
    let limited = json_of(api.graph_get(&token, &path).await).await;
    assert_eq!(limited["value"][0]["@odata.type"], "#microsoft.graph.group");
    assert!(
        limited["value"][0]["isAssignableToRole"].is_null(),
        "{limited}"
    );
    api.grant_provider(&["GroupMember.Read.All"]);
    let full = json_of(api.graph_get(&token, &path).await).await;
    assert_eq!(full["value"][0]["isAssignableToRole"], true, "{full}");
    assert_eq!(full["value"][0]["displayName"], "Tier 0 Operators");
}

#[tokio::test]
async fn organization_shows_the_switchable_hybrid_flag() {
    let api = Api::with_defaults();
    let token = api.graph_token().await;
    let path = "/v1.0/organization?$select=id,onPremisesSyncEnabled,onPremisesLastSyncDateTime";
    assert_eq!(
        api.graph_get(&token, path).await.status(),
        StatusCode::FORBIDDEN
    );
    api.grant_provider(&["Organization.Read.All"]);
    let cloud = json_of(api.graph_get(&token, path).await).await;
    assert!(
        cloud["value"][0]["onPremisesSyncEnabled"].is_null(),
        "{cloud}"
    );
    api.sandbox
        .with_world(|w| w.directory.on_premises_sync_enabled = Some(true));
    let hybrid = json_of(api.graph_get(&token, path).await).await;
    assert_eq!(
        hybrid["value"][0]["onPremisesSyncEnabled"], true,
        "{hybrid}"
    );
    assert_eq!(
        hybrid["value"][0]["id"],
        api.sandbox.seed().tenant_id.as_str()
    );
}

#[tokio::test]
async fn registration_report_filters_booleans_pages_and_refuses_without_permission_or_licence() {
    let api = Api::start(SandboxConfig {
        page_size: 2,
        ..SandboxConfig::default()
    });
    let token = api.graph_token().await;
    let path = "/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=isMfaRegistered%20eq%20false";
    let denied = api.graph_get(&token, path).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_of(denied).await["error"]["code"],
        "Authorization_RequestDenied"
    );
    api.grant_provider(&["AuditLog.Read.All"]);
    // frank, grace (email only is not MFA) and the guest; the disabled user is not covered.
    let mut rows = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(url) = next {
        let page = json_of(api.graph_get(&token, &url).await).await;
        rows.extend(page["value"].as_array().unwrap().iter().cloned());
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    let mut names: Vec<&str> = rows
        .iter()
        .map(|r| r["userPrincipalName"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "frank@contoso.com",
            "grace@contoso.com",
            "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com"
        ]
    );
    let undocumented = api
        .graph_get(
            &token,
            "/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=userType%20eq%20%27member%27",
        )
        .await;
    assert_eq!(undocumented.status(), StatusCode::BAD_REQUEST);
    api.sandbox
        .with_world(|w| w.directory.premium_licence = false);
    let unlicensed = api.graph_get(&token, path).await;
    assert_eq!(unlicensed.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_of(unlicensed).await["error"]["code"],
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    );
}

#[tokio::test]
async fn batch_answers_each_request_as_if_sent_alone_and_refuses_more_than_20() {
    let api = Api::with_defaults();
    api.grant_provider(&["User.Read.All"]);
    let token = api.graph_token().await;
    let admin = api
        .sandbox
        .with_world(|w| w.directory.user_id("admin@contoso.com"))
        .unwrap();
    let answer = api
        .graph_post(
            &token,
            "/v1.0/$batch",
            json!({"requests": [
                {"id": "1", "method": "GET", "url": "/users?$filter=userPrincipalName%20eq%20%27bob@contoso.com%27"},
                {"id": "2", "method": "GET", "url": format!("/roleManagement/directory/roleAssignments?$filter=principalId%20eq%20%27{admin}%27")},
                {"id": "3", "method": "GET", "url": "/organization"},
            ]}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body = json_of(answer).await;
    let by_id = |id: &str| {
        body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(
        by_id("1")["body"]["value"][0]["userPrincipalName"],
        "bob@contoso.com"
    );
    assert_eq!(by_id("2")["status"], 200);
    assert_eq!(
        by_id("2")["body"]["value"][0]["roleDefinitionId"],
        "62e90394-69f5-4237-9190-012177145e10"
    );
    assert_eq!(by_id("3")["status"], 403, "no Organization.Read.All");
    assert_eq!(api.sandbox.stats().count("POST /v1.0/$batch"), 1);
    let too_many: Vec<Value> = (0..21)
        .map(|n| json!({"id": n.to_string(), "method": "GET", "url": "/users"}))
        .collect();
    let refused = api
        .graph_post(&token, "/v1.0/$batch", json!({ "requests": too_many }))
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}

/// The organization's setting of `action_type`, found by filter.
async fn remediation_setting(api: &Api, action_type: &str) -> Value {
    let org = &api.sandbox.seed().organization_id;
    let response = api
        .workbench_send(
            Method::GET,
            &format!("/api/v2/remediation_action_settings?filter[action_type]={action_type}&filter[organization][id]={org}"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_of(response).await;
    let data = body["data"].as_array().expect("data").clone();
    assert_eq!(
        data.len(),
        1,
        "one setting per organization and action type: {body}"
    );
    data[0].clone()
}

#[tokio::test]
async fn remediation_settings_are_seeded_per_organization_and_only_patched() {
    let api = Api::with_defaults();
    let setting = remediation_setting(&api, "RESET_CREDENTIALS_O365").await;
    assert_eq!(setting["attributes"]["automate_opt_in"], false);
    assert_eq!(
        setting["relationships"]["organization"]["data"]["id"],
        api.sandbox.seed().organization_id.as_str()
    );
    let id = setting["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v2/remediation_action_settings/{id}");

    let created = api
        .workbench(Method::POST, "/api/v2/remediation_action_settings")
        .json(&json!({"data": {"type": "remediation_action_settings", "attributes": {"action_type": "RESET_CREDENTIALS_O365"}}}))
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(json_of(created).await["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("PATCH"));

    let opt_in = |attributes: Value| {
        api.workbench(Method::PATCH, &path)
            .json(&json!({"id": id, "data": {"type": "remediation_action_settings", "id": id, "attributes": attributes}}))
            .send()
    };
    let without_agreement = opt_in(json!({"automate_opt_in": true})).await.unwrap();
    assert_eq!(without_agreement.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let immutable = opt_in(json!({"action_type": "REMOVE_MALICIOUS_EMAIL"}))
        .await
        .unwrap();
    assert_eq!(immutable.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let opted_in = opt_in(json!({"automate_opt_in": true, "automate_opt_in_agreement_version": "V1", "automate_list_type": "DENY"}))
        .await
        .unwrap();
    assert_eq!(opted_in.status(), StatusCode::OK);
    let body = json_of(opted_in).await;
    assert_eq!(body["data"]["attributes"]["automate_list_type"], "DENY");
    assert!(
        body["data"]["attributes"]["automate_opt_in_at"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn security_devices_include_their_vendor_and_page_via_links_next() {
    let api = Api::start(SandboxConfig {
        page_size: 1,
        ..SandboxConfig::default()
    });
    let mut next = Some("/api/v2/security_devices?include=vendor".to_owned());
    let mut devices = Vec::new();
    let mut vendors = Vec::new();
    while let Some(url) = next.take() {
        let body = json_of(api.workbench_send(Method::GET, &url).await).await;
        devices.extend(body["data"].as_array().cloned().unwrap_or_default());
        vendors.extend(body["included"].as_array().cloned().unwrap_or_default());
        next = body["links"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(
        devices.len(),
        2,
        "the single-organization key sees its two devices"
    );
    let microsoft = devices
        .iter()
        .find(|d| d["attributes"]["device_type"] == "CLOUD")
        .expect("a cloud device");
    let vendor_id = &microsoft["relationships"]["vendor"]["data"]["id"];
    let vendor = vendors
        .iter()
        .find(|v| &v["id"] == vendor_id)
        .expect("its vendor included");
    assert_eq!(vendor["type"], "vendors");
    assert_eq!(vendor["attributes"]["display_name"], "Microsoft 365");
}

#[tokio::test]
async fn a_list_is_linked_through_a_context_label_and_a_list_source() {
    let api = Api::with_defaults();
    let created = api
        .workbench(Method::POST, "/api/v2/context_variables")
        .json(&context_list("Never remove"))
        .send()
        .await
        .unwrap();
    let variable = json_of(created).await["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let setting = remediation_setting(&api, "REMOVE_MALICIOUS_EMAIL").await;
    let setting_id = setting["id"].as_str().unwrap().to_owned();
    let label = api
        .workbench(Method::POST, "/api/v2/context_labels")
        .json(&json!({"data": {"type": "context_labels",
            "attributes": {"title": "Never remove", "definition": {"context_variable_id": variable}},
            "relationships": {"context_variables": {"data": [{"type": "context_variables", "id": variable}]}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(label.status(), StatusCode::CREATED);
    let label_id = json_of(label).await["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let source = json!({"data": {"type": "remediation_action_setting_list_sources",
        "attributes": {"source_type": "CONTEXT_LABEL"},
        "relationships": {
            "remediation_action_setting": {"data": {"type": "remediation_action_settings", "id": setting_id}},
            "context_label": {"data": {"type": "context_labels", "id": label_id}}}}});
    let post = || {
        api.workbench(
            Method::POST,
            "/api/v2/remediation_action_setting_list_sources",
        )
        .json(&source)
        .send()
    };
    let linked = post().await.unwrap();
    assert_eq!(linked.status(), StatusCode::CREATED);
    let source_id = json_of(linked).await["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        post().await.unwrap().status(),
        StatusCode::CONFLICT,
        "linked once"
    );

    let listed = json_of(
        api.workbench_send(
            Method::GET,
            &format!("/api/v2/remediation_action_setting_list_sources?filter[remediation_action_setting][id]={setting_id}&include=context_label"),
        )
        .await,
    )
    .await;
    assert_eq!(listed["data"][0]["id"], source_id.as_str());
    assert_eq!(
        listed["included"][0]["relationships"]["context_variables"]["data"][0]["id"],
        variable.as_str()
    );

    let label_path = format!("/api/v2/context_labels/{label_id}");
    assert_eq!(
        api.workbench_send(Method::DELETE, &label_path)
            .await
            .status(),
        StatusCode::CONFLICT,
        "a label in use stays"
    );
    let source_path = format!("/api/v2/remediation_action_setting_list_sources/{source_id}");
    assert_eq!(
        api.workbench_send(Method::DELETE, &source_path)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.workbench_send(Method::DELETE, &label_path)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn every_workbench_write_of_a_key_without_organization_admin_is_403() {
    let api = Api::with_defaults();
    let setting = remediation_setting(&api, "RESET_CREDENTIALS_O365").await;
    let id = setting["id"].as_str().unwrap();
    let analyst = &api.sandbox.seed().analyst_api_key;
    let read = api
        .http
        .get(api.url(&format!("/api/v2/remediation_action_settings/{id}")))
        .bearer_auth(analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK, "reads are allowed");
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/api/v2/remediation_action_settings/{id}"),
            json!({"data": {"type": "remediation_action_settings", "id": id, "attributes": {"automate_opt_in": false}}}),
        ),
        (
            Method::POST,
            "/api/v2/context_variables".to_owned(),
            context_list("Never remove"),
        ),
        (
            Method::POST,
            "/api/v2/context_labels".to_owned(),
            json!({"data": {"type": "context_labels"}}),
        ),
    ] {
        let response = api
            .http
            .request(method.clone(), api.url(&path))
            .bearer_auth(analyst)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let detail = json_of(response).await["errors"][0]["detail"].clone();
        assert!(
            detail.as_str().unwrap().contains("organization_admin"),
            "{detail}"
        );
    }
}
