//! Properties of reading role assignment import IDs.

use proptest::prelude::*;

use super::{ImportId, ImportIdError};
use crate::test_strategies::{config, id_text};

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn role_assignment_import_ids_parse_or_show_the_expected_form(text in id_text()) {
        match text.parse::<ImportId>() {
            Ok(id) => prop_assert_eq!(id.to_string().parse::<ImportId>(), Ok(id)),
            Err(err) => prop_assert!(err.to_string().contains("roleAssignments/<id>"), "{err}"),
        }
    }

    #[test]
    fn role_assignment_import_ids_in_either_form_round_trip(
        id in "[A-Za-z0-9_-]{1,80}",
        azuread_form in any::<bool>(),
        padding in "[ \t]{0,2}",
    ) {
        let prefix = if azuread_form { "/roleManagement/directory/roleAssignments/" } else { "" };
        let parsed: ImportId = format!("{padding}{prefix}{id}{padding}")
            .parse()
            .map_err(|err: ImportIdError| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(parsed.to_string(), id);
        prop_assert_eq!(parsed.to_string().parse(), Ok(parsed));
    }
}
