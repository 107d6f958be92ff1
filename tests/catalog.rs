//! The remediation catalog against the embedded sandbox's tenant. The sandbox seeds Microsoft
//! Graph's and Exchange Online's service principals and the built-in directory roles from the
//! API reference, independently of the provider, so an API, permission, app role id or role
//! name the catalog gets wrong fails here instead of in a customer's tenant.

use std::sync::Arc;

use expel_acceptance_tests::sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use terraform_provider_expel::graph::auth::{Credential, EntraSettings, TokenSource};
use terraform_provider_expel::graph::{Consistency, GraphClient, ServicePrincipal};
use terraform_provider_expel::http::RetryPolicy;
use terraform_provider_expel::remediation::Remediation;
use url::Url;

/// A fresh sandbox and a Graph client signed in to it as the provider's seeded identity; the
/// sandbox must outlive the client.
fn sandbox_graph() -> (Sandbox, GraphClient) {
    terraform_provider_expel::http::install_crypto_provider();
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("the sandbox starts");
    let url = Url::parse(&sandbox.url()).expect("the sandbox's URL parses");
    let seed = sandbox.seed();
    let settings = EntraSettings {
        tenant_id: Some(seed.tenant_id.clone()),
        client_id: Some(seed.client_id.clone()),
        credential: Credential::Secret(SecretString::from(seed.client_secret.clone())),
        authority_host: url.clone(),
        scope: format!("{}/.default", sandbox.url()),
    };
    let http = terraform_provider_expel::http::client().expect("an HTTP client");
    let tokens = TokenSource::new(settings, http.clone()).expect("a token source");
    let graph = GraphClient::new(http, &url, Arc::new(tokens), RetryPolicy::default())
        .expect("a Graph client");
    (sandbox, graph)
}

/// The service principal of the API whose permission `remediation` needs.
async fn resource_of(graph: &GraphClient, remediation: Remediation) -> ServicePrincipal {
    graph
        .find_service_principal_by_app_id(remediation.resource_app_id(), Consistency::IMMEDIATE)
        .await
        .expect("Graph answers")
        .unwrap_or_else(|| {
            panic!(
                "{remediation}: the tenant has no service principal for appId {}",
                remediation.resource_app_id()
            )
        })
}

#[tokio::test]
async fn every_remediation_api_has_a_service_principal_named_as_in_the_catalog() {
    let (_sandbox, graph) = sandbox_graph();
    for remediation in Remediation::ALL {
        let resource = resource_of(&graph, remediation).await;
        assert_eq!(
            resource.display_name.as_deref(),
            Some(remediation.resource_name()),
            "{remediation}"
        );
    }
}

#[tokio::test]
async fn every_remediation_permission_is_an_app_role_of_its_api_in_the_sandbox() {
    let (_sandbox, graph) = sandbox_graph();
    for remediation in Remediation::ALL {
        let resource = resource_of(&graph, remediation).await;
        assert!(
            resource.app_role(remediation.permission()).is_some(),
            "{remediation}: {} exposes no application permission {}",
            remediation.resource_name(),
            remediation.permission()
        );
    }
}

#[tokio::test]
async fn every_documented_app_role_id_is_the_id_its_api_exposes() {
    let (_sandbox, graph) = sandbox_graph();
    for remediation in Remediation::ALL {
        let resource = resource_of(&graph, remediation).await;
        let role = resource
            .app_role(remediation.permission())
            .unwrap_or_else(|| panic!("{remediation}: no app role {}", remediation.permission()));
        assert_eq!(
            role.id,
            remediation.documented_app_role_id(),
            "{remediation}: app role id of {}",
            remediation.permission()
        );
    }
}

#[tokio::test]
async fn every_remediation_directory_role_is_a_role_definition_spelled_as_in_the_sandbox() {
    let (_sandbox, graph) = sandbox_graph();
    for remediation in Remediation::ALL {
        let role = graph
            .find_role_definition_by_name(remediation.directory_role())
            .await
            .expect("Graph answers")
            .unwrap_or_else(|| {
                panic!(
                    "{remediation}: no directory role named {:?}",
                    remediation.directory_role()
                )
            });
        // Users pass the catalog's spelling (`required_directory_role`) on to
        // expel_role_assignment and see it in docs: it must be Graph's, case included.
        assert_eq!(
            role.display_name,
            remediation.directory_role(),
            "{remediation}"
        );
    }
}
