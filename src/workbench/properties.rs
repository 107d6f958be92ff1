//! Properties of reading Workbench answers: documents, resources and their next links.

use std::sync::LazyLock;

use proptest::prelude::*;
use secrecy::SecretString;
use url::Url;

use super::types::Resource;
use super::{decode, Document, WorkbenchClient, WorkbenchError};
use crate::http::RetryPolicy;
use crate::test_strategies::{config, link, origin_of, wire, workbench_answer, WORKBENCH_URL};

static WORKBENCH: LazyLock<WorkbenchClient> = LazyLock::new(|| {
    let http = crate::http::client().expect("an HTTP client");
    let url = Url::parse(WORKBENCH_URL).expect("a URL");
    WorkbenchClient::new(
        http,
        &url,
        SecretString::from("not-a-key".to_owned()),
        None,
        RetryPolicy::default(),
    )
    .expect("an https URL is a base")
});

/// The page a Workbench next link is read from.
fn workbench_page() -> Url {
    Url::parse(&format!(
        "{WORKBENCH_URL}/api/v2/context_variables?page[limit]=500"
    ))
    .expect("a URL")
}

/// A Workbench next link is followed only on the Workbench URL; a refusal says why.
fn check_workbench_next_link(link: &str) -> Result<(), TestCaseError> {
    match WORKBENCH.same_origin(&workbench_page(), link) {
        Ok(url) => prop_assert_eq!(url.origin(), origin_of(WORKBENCH_URL), "{}", link),
        Err(err) => prop_assert!(err.to_string().contains("links.next"), "{err}"),
    }
    Ok(())
}

fn workbench_decodes_or_says_why<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<Option<Document<T>>, TestCaseError> {
    match decode::<Document<T>>(bytes) {
        Ok(document) => Ok(Some(document)),
        Err(err) => {
            prop_assert!(matches!(err, WorkbenchError::Unexpected(_)), "{err:?}");
            prop_assert!(
                err.to_string().contains("could not decode the answer"),
                "{err}"
            );
            Ok(None)
        }
    }
}

/// Reading a resource as a context list gives one or an error with a message.
fn reads_as_context_list_or_says_why(resource: Resource) -> Result<(), TestCaseError> {
    let _ = resource.related_id("organization");
    let organization = Resource {
        kind: resource.kind.clone(),
        id: resource.id.clone(),
        attributes: resource.attributes.clone(),
        relationships: resource.relationships.clone(),
    }
    .into_organization();
    prop_assert_eq!(&organization.id, &resource.id);
    if let Err(message) = resource.into_context_list() {
        prop_assert!(!message.is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn workbench_answers_of_any_shape_decode_or_fail_with_a_message(
        bytes in wire(workbench_answer()),
    ) {
        if let Some(document) = workbench_decodes_or_says_why::<Resource>(&bytes)? {
            if let Some(link) = &document.links.next {
                check_workbench_next_link(link)?;
            }
            reads_as_context_list_or_says_why(document.data)?;
        }
        if let Some(document) = workbench_decodes_or_says_why::<Vec<Resource>>(&bytes)? {
            if let Some(link) = &document.links.next {
                check_workbench_next_link(link)?;
            }
            for resource in document.data {
                reads_as_context_list_or_says_why(resource)?;
            }
        }
    }

    #[test]
    fn workbench_next_links_are_followed_only_on_the_workbench_url(link in link(WORKBENCH_URL)) {
        check_workbench_next_link(&link)?;
    }

    #[test]
    fn workbench_relative_next_links_are_followed(path in "[a-zA-Z0-9/._=&%\\[\\]-]{0,40}") {
        let link = format!("/api/v2/context_variables?{path}");
        let next = WORKBENCH.same_origin(&workbench_page(), &link);
        prop_assert!(next.is_ok(), "{:?}", next);
    }

    #[test]
    fn workbench_next_links_to_another_origin_are_refused(
        link in prop_oneof![
            "[a-z]{1,8}".prop_map(|host| format!("https://{host}.other.test/api/v2")),
            "[a-z]{1,8}".prop_map(|host| format!("//{host}.other.test/api/v2")),
            "[a-z/]{0,20}".prop_map(|path| format!("http://workbench.example.test/{path}")),
            "[a-z/]{0,20}".prop_map(|path| format!("https://workbench.example.test:8443/{path}")),
        ]
    ) {
        prop_assert!(WORKBENCH.same_origin(&workbench_page(), &link).is_err(), "{}", link);
    }
}
