//! Properties of reading context list import IDs, by id or by name.

use proptest::prelude::*;

use super::ImportId;
use crate::test_strategies::{config, id_text};

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn context_list_import_ids_parse_or_show_both_forms(text in id_text()) {
        match text.parse::<ImportId>() {
            Ok(id) => prop_assert_eq!(id.to_string().parse::<ImportId>(), Ok(id)),
            Err(err) => prop_assert!(err.to_string().contains("name:<name>"), "{err}"),
        }
    }

    #[test]
    fn context_list_import_ids_by_name_round_trip(name in ".{0,40}") {
        prop_assume!(!name.trim().is_empty());
        let id = ImportId::Name(name);
        prop_assert_eq!(id.to_string().parse(), Ok(id));
    }

    #[test]
    fn context_list_import_ids_by_id_round_trip(id in "[A-Za-z0-9_.-][A-Za-z0-9_.:-]{0,40}") {
        // Entry ids are GUIDs; text that starts with `name:` is a name.
        prop_assume!(!id.starts_with("name:"));
        let id = ImportId::Id(id);
        prop_assert_eq!(id.to_string().parse(), Ok(id));
    }
}
