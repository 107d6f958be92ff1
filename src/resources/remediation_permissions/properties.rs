//! Properties of reading remediation permissions import IDs.

use proptest::prelude::*;
use proptest::sample::select;

use super::{ImportId, ImportIdError};
use crate::remediation::{ApplicationType, Remediation};
use crate::test_strategies::{config, id_text};

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn remediation_permissions_import_ids_parse_or_show_the_expected_form(text in id_text()) {
        match text.parse::<ImportId>() {
            Ok(id) => prop_assert_eq!(id.to_string().parse::<ImportId>(), Ok(id)),
            Err(err) => prop_assert!(
                err.to_string().contains("<service_principal_id>/<remediation>[/custom]"),
                "{err}"
            ),
        }
    }

    #[test]
    fn remediation_permissions_import_ids_round_trip(
        service_principal in any::<u128>(),
        remediation in select(Remediation::ALL.to_vec()),
        application_type in select(vec![ApplicationType::Expel, ApplicationType::Custom]),
    ) {
        let id = ImportId {
            service_principal_id: uuid::Uuid::from_u128(service_principal).hyphenated().to_string(),
            remediation,
            application_type,
        };
        prop_assert_eq!(id.to_string().parse(), Ok(id));
    }

    #[test]
    fn remediation_permissions_import_ids_take_any_spelling_of_the_guid(
        service_principal in any::<u128>(),
        spelling in 0..4usize,
        remediation in select(Remediation::ALL.to_vec()),
    ) {
        let guid = uuid::Uuid::from_u128(service_principal);
        let spelled = match spelling {
            0 => guid.hyphenated().to_string().to_uppercase(),
            1 => guid.simple().to_string(),
            2 => guid.braced().to_string(),
            _ => guid.hyphenated().to_string(),
        };
        let id: ImportId = format!("{spelled}/{remediation}")
            .parse()
            .map_err(|err: ImportIdError| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(id.service_principal_id, guid.hyphenated().to_string());
        prop_assert_eq!(id.remediation, remediation);
        prop_assert_eq!(id.application_type, ApplicationType::Expel);
    }
}
