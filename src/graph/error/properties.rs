//! Properties of classifying Graph's error answers.

use proptest::prelude::*;
use serde_json::json;

use super::{classify, GraphError};
use crate::test_strategies::{config, graph_answer, not_json, text, wire};

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn graph_status_decides_the_error_class_whatever_the_body(
        status in 100u16..=599,
        body in prop_oneof![wire(graph_answer()), not_json()],
        request_id in prop::option::of(text()),
        client_request_id in text(),
    ) {
        let permission = "Application.Read.All";
        let err = classify(status, &body, request_id, client_request_id, permission);
        let shown = err.to_string();
        prop_assert!(!shown.is_empty());
        match status {
            404 => prop_assert!(err.is_not_found(), "{err:?}"),
            409 => prop_assert!(err.is_already_exists(), "{err:?}"),
            400 => prop_assert!(
                matches!(err, GraphError::BadRequest(_) | GraphError::AlreadyExists(_)),
                "{err:?}"
            ),
            405 | 422 => prop_assert!(matches!(err, GraphError::BadRequest(_)), "{err:?}"),
            401 => prop_assert!(matches!(err, GraphError::Unauthorized(_)), "{err:?}"),
            403 => prop_assert!(shown.contains(permission), "{shown}"),
            429 => prop_assert!(matches!(err, GraphError::Throttled(_)), "{err:?}"),
            _ => prop_assert!(shown.contains(&format!("HTTP {status}")), "{shown}"),
        }
    }

    #[test]
    fn graph_error_bodies_keep_their_code_and_message(code in text(), message in text()) {
        let body = json!({"error": {"code": code, "message": message, "innerError": {}}});
        let err = classify(
            404,
            body.to_string().as_bytes(),
            None,
            "c".into(),
            "Application.Read.All",
        );
        let GraphError::NotFound(failure) = err else {
            return Err(TestCaseError::fail(format!("{err:?}")));
        };
        if !(code.is_empty() && message.is_empty()) {
            prop_assert_eq!(failure.code, code);
            prop_assert_eq!(failure.message, message);
        }
    }

    #[test]
    fn graph_error_bodies_that_are_not_json_are_kept_as_at_most_300_characters(body in not_json()) {
        let err = classify(404, &body, None, "c".into(), "Application.Read.All");
        let GraphError::NotFound(failure) = err else {
            return Err(TestCaseError::fail(format!("{err:?}")));
        };
        prop_assert!(failure.message.chars().count() <= 300);
        prop_assert!(String::from_utf8_lossy(&body).starts_with(&failure.message));
    }
}
