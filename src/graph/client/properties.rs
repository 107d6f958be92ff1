//! Properties of reading Graph answers: decoding, pages and their next links.

use std::sync::{Arc, LazyLock};

use proptest::prelude::*;
use secrecy::SecretString;
use serde_json::{json, Value};
use url::Url;

use super::{decode as decode_graph, GraphClient, Page};
use crate::graph::auth::{Credential, EntraSettings, TokenSource};
use crate::graph::{
    AppRoleAssignment, Application, GraphError, RoleAssignment, RoleDefinition, ServicePrincipal,
};
use crate::http::RetryPolicy;
use crate::test_strategies::{config, graph_answer, link, origin_of, wire, GRAPH_ENDPOINT};

static GRAPH: LazyLock<GraphClient> = LazyLock::new(|| {
    let http = crate::http::client().expect("an HTTP client");
    let settings = EntraSettings {
        tenant_id: Some("00000000-0000-0000-0000-0000000000aa".into()),
        client_id: Some("00000000-0000-0000-0000-0000000000bb".into()),
        credential: Credential::Secret(SecretString::from("not-a-secret".to_owned())),
        authority_host: Url::parse("https://login.example.test").expect("a URL"),
        scope: format!("{GRAPH_ENDPOINT}/.default"),
    };
    let tokens = TokenSource::new(settings, http.clone()).expect("a token source");
    let endpoint = Url::parse(GRAPH_ENDPOINT).expect("a URL");
    GraphClient::new(http, &endpoint, Arc::new(tokens), RetryPolicy::default())
        .expect("an https endpoint is a base")
});

/// A Graph next link is followed only on the Graph endpoint; a refusal says why.
fn check_graph_next_link(link: &str) -> Result<(), TestCaseError> {
    match GRAPH.same_origin(link) {
        Ok(url) => prop_assert_eq!(url.origin(), origin_of(GRAPH_ENDPOINT), "{}", link),
        Err(err) => prop_assert!(err.to_string().contains("@odata.nextLink"), "{err}"),
    }
    Ok(())
}

/// Decoding a Graph answer as `T` gives a `T` or an error saying the answer could not be decoded.
fn decodes_or_says_why<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<Option<T>, TestCaseError> {
    match decode_graph::<T>(bytes) {
        Ok(decoded) => Ok(Some(decoded)),
        Err(err) => {
            prop_assert!(matches!(err, GraphError::Unexpected(_)), "{err:?}");
            prop_assert!(
                err.to_string().contains("could not decode the answer"),
                "{err}"
            );
            Ok(None)
        }
    }
}

fn graph_page_is_followed_safely<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    if let Some(page) = decodes_or_says_why::<Page<T>>(bytes)? {
        if let Some(link) = page.next_link {
            check_graph_next_link(&link)?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn graph_answers_of_any_shape_decode_or_fail_with_a_message(bytes in wire(graph_answer())) {
        graph_page_is_followed_safely::<ServicePrincipal>(&bytes)?;
        graph_page_is_followed_safely::<AppRoleAssignment>(&bytes)?;
        graph_page_is_followed_safely::<Application>(&bytes)?;
        graph_page_is_followed_safely::<RoleDefinition>(&bytes)?;
        graph_page_is_followed_safely::<RoleAssignment>(&bytes)?;
        if let Some(principal) = decodes_or_says_why::<ServicePrincipal>(&bytes)? {
            let _ = principal.app_role("User.ReadWrite.All");
        }
        decodes_or_says_why::<AppRoleAssignment>(&bytes)?;
        decodes_or_says_why::<Application>(&bytes)?;
        decodes_or_says_why::<RoleAssignment>(&bytes)?;
    }

    #[test]
    fn well_formed_graph_pages_keep_every_item_and_the_next_link(
        principals in prop::collection::vec((".{0,20}", ".{0,20}"), 0..8),
        next in prop::option::of(link(GRAPH_ENDPOINT)),
    ) {
        let value: Vec<Value> = principals
            .iter()
            .map(|(id, app_id)| json!({"id": id, "appId": app_id, "appRoles": []}))
            .collect();
        let body = json!({"value": value, "@odata.nextLink": next}).to_string();
        let page: Page<ServicePrincipal> = decode_graph(body.as_bytes())?;
        let read: Vec<(String, String)> =
            page.value.into_iter().map(|p| (p.id, p.app_id)).collect();
        prop_assert_eq!(read, principals);
        prop_assert_eq!(page.next_link, next);
    }

    #[test]
    fn graph_next_links_are_followed_only_on_the_graph_endpoint(link in link(GRAPH_ENDPOINT)) {
        check_graph_next_link(&link)?;
    }

    #[test]
    fn graph_next_links_on_the_endpoint_are_followed(path in "[a-zA-Z0-9/._$=&?%-]{0,40}") {
        let link = format!("{GRAPH_ENDPOINT}/v1.0/{path}");
        prop_assert!(GRAPH.same_origin(&link).is_ok(), "{}", link);
    }

    #[test]
    fn graph_next_links_to_another_scheme_host_or_port_are_refused(
        link in prop_oneof![
            "[a-z]{1,8}".prop_map(|host| format!("https://{host}.other.test/v1.0/users")),
            "[a-z/]{0,20}".prop_map(|path| format!("http://graph.example.test/{path}")),
            "[a-z/]{0,20}".prop_map(|path| format!("https://graph.example.test:8443/{path}")),
            "[a-z/]{0,20}".prop_map(|path| format!("/v1.0/{path}")),
        ]
    ) {
        prop_assert!(GRAPH.same_origin(&link).is_err(), "{}", link);
    }
}
