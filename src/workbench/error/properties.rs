//! Properties of classifying Workbench's error answers, whichever shape their body has.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::{classify, message_of, WorkbenchError};
use crate::test_strategies::{config, not_json, wire, workbench_answer, workbench_error_body};

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn workbench_status_decides_the_error_class_whatever_the_body(
        status in 100u16..=599,
        body in prop_oneof![wire(workbench_answer()), wire(workbench_error_body()), not_json()],
    ) {
        let err = classify(status, &body);
        let shown = err.to_string();
        prop_assert!(!shown.is_empty());
        match status {
            401 => prop_assert!(matches!(err, WorkbenchError::Unauthorized(_)), "{err:?}"),
            403 => prop_assert!(matches!(err, WorkbenchError::Forbidden(_)), "{err:?}"),
            404 => prop_assert!(err.is_not_found(), "{err:?}"),
            409 => prop_assert!(matches!(err, WorkbenchError::Conflict(_)), "{err:?}"),
            400 | 422 => prop_assert!(
                matches!(err, WorkbenchError::BadRequest(_) | WorkbenchError::Conflict(_)),
                "{err:?}"
            ),
            429 => prop_assert!(matches!(err, WorkbenchError::Throttled(_)), "{err:?}"),
            _ => prop_assert!(shown.contains(&format!("HTTP {status}")), "{shown}"),
        }
    }

    #[test]
    fn workbench_json_api_errors_are_reported_by_their_details(
        details in prop::collection::vec(".{0,30}", 1..5),
    ) {
        let errors: Vec<Value> = details
            .iter()
            .map(|detail| json!({"status": "422", "title": "Unprocessable", "detail": detail}))
            .collect();
        let body = json!({ "errors": errors }).to_string();
        prop_assert_eq!(message_of(body.as_bytes()), details.join("; "));
    }

    #[test]
    fn workbench_error_bodies_that_are_not_json_are_kept_as_at_most_300_characters(
        body in not_json(),
    ) {
        let message = message_of(&body);
        prop_assert!(message.chars().count() <= 300);
        prop_assert!(String::from_utf8_lossy(&body).starts_with(&message));
    }
}
