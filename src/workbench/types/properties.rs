//! Properties of reading Workbench resources as context lists, and context type names.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Value};

use super::{ContextType, Resource};
use crate::test_strategies::{config, text};

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn well_formed_context_variables_read_back_every_value_as_text(
        context_type in select(ContextType::ALL.to_vec()),
        name in ".{0,30}",
        values in prop::collection::vec(
            prop_oneof![
                ".{0,20}".prop_map(Value::String),
                any::<u16>().prop_map(Value::from),
            ],
            0..8,
        ),
        organization in ".{0,20}",
    ) {
        let resource: Resource = serde_json::from_value(json!({
            "type": "context_variables",
            "id": "cv-1",
            "attributes": {"name": name, "context_type": context_type.as_str(), "value": values},
            "relationships": {
                "organization": {"data": {"type": "organizations", "id": organization}},
            },
        }))
        .map_err(|err| TestCaseError::fail(err.to_string()))?;
        let list = resource.into_context_list().map_err(TestCaseError::fail)?;
        let expected: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        prop_assert_eq!(list.values, expected);
        prop_assert_eq!(list.name, name);
        prop_assert_eq!(list.context_type, context_type);
        prop_assert_eq!(list.organization_id, Some(organization));
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn context_types_parse_only_from_their_own_names(text in prop_oneof![
        select(ContextType::ALL.to_vec()).prop_map(|t| t.as_str().to_owned()),
        text(),
    ]) {
        match text.parse::<ContextType>() {
            Ok(t) => prop_assert_eq!(t.as_str(), text),
            Err(err) => prop_assert!(err.to_string().contains("email_address"), "{err}"),
        }
    }
}
