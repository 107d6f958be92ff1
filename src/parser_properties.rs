//! Property tests over the resources' parsers of untrusted input: import IDs, context list
//! values and timeout settings. The API answers, headers and files have theirs beside their
//! parsers (the `properties` test modules); the generators are in [`crate::test_strategies`],
//! which says what the properties are for.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use proptest::sample::select;

use crate::framework::timeouts;
use crate::remediation::{ApplicationType, Remediation};
use crate::resources::context_values;
use crate::resources::{context_list, remediation_permissions, role_assignment};
use crate::test_strategies::{config, guid, text};
use crate::workbench::ContextType;

/// Import-ID-like text: pieces of valid IDs, separators and noise.
fn id_text() -> BoxedStrategy<String> {
    let piece = prop_oneof![
        guid().prop_map(|v| v.as_str().unwrap_or_default().to_owned()),
        select(&[
            "reset_credentials",
            "remove_malicious_email",
            "custom",
            "expel",
            "name:",
            "/roleManagement/directory/roleAssignments/",
            "/",
            " ",
            "\t",
            "",
        ])
        .prop_map(str::to_owned),
        text(),
    ];
    prop::collection::vec(piece, 0..5)
        .prop_map(|pieces| pieces.concat())
        .boxed()
}

/// Host names of two to four labels. None has `--`: `xn--` labels are IDNs, which URLs
/// check further.
fn host_name() -> BoxedStrategy<String> {
    prop::collection::vec("[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}", 2..5)
        .prop_map(|labels| labels.join("."))
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Import IDs and context list values
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn role_assignment_import_ids_parse_or_show_the_expected_form(text in id_text()) {
        match text.parse::<role_assignment::ImportId>() {
            Ok(id) => prop_assert_eq!(id.to_string().parse::<role_assignment::ImportId>(), Ok(id)),
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
        let parsed: role_assignment::ImportId = format!("{padding}{prefix}{id}{padding}")
            .parse()
            .map_err(|err: role_assignment::ImportIdError| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(parsed.to_string(), id);
        prop_assert_eq!(parsed.to_string().parse(), Ok(parsed));
    }

    #[test]
    fn remediation_permissions_import_ids_parse_or_show_the_expected_form(text in id_text()) {
        match text.parse::<remediation_permissions::ImportId>() {
            Ok(id) => {
                prop_assert_eq!(id.to_string().parse::<remediation_permissions::ImportId>(), Ok(id))
            }
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
        let id = remediation_permissions::ImportId {
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
        let id: remediation_permissions::ImportId = format!("{spelled}/{remediation}")
            .parse()
            .map_err(|err: remediation_permissions::ImportIdError| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(id.service_principal_id, guid.hyphenated().to_string());
        prop_assert_eq!(id.remediation, remediation);
        prop_assert_eq!(id.application_type, ApplicationType::Expel);
    }

    #[test]
    fn context_list_import_ids_parse_or_show_both_forms(text in id_text()) {
        match text.parse::<context_list::ImportId>() {
            Ok(id) => prop_assert_eq!(id.to_string().parse::<context_list::ImportId>(), Ok(id)),
            Err(err) => prop_assert!(err.to_string().contains("name:<name>"), "{err}"),
        }
    }

    #[test]
    fn context_list_import_ids_by_name_round_trip(name in ".{0,40}") {
        prop_assume!(!name.trim().is_empty());
        let id = context_list::ImportId::Name(name);
        prop_assert_eq!(id.to_string().parse(), Ok(id));
    }

    #[test]
    fn context_list_import_ids_by_id_round_trip(id in "[A-Za-z0-9_.-][A-Za-z0-9_.:-]{0,40}") {
        // Entry ids are GUIDs; text that starts with `name:` is a name.
        prop_assume!(!id.starts_with("name:"));
        let id = context_list::ImportId::Id(id);
        prop_assert_eq!(id.to_string().parse(), Ok(id));
    }

    #[test]
    fn context_types_parse_only_from_their_own_names(text in prop_oneof![
        select(ContextType::ALL.to_vec()).prop_map(|t| t.as_str().to_owned()),
        text(),
    ]) {
        match text.parse::<ContextType>() {
            Ok(t) => prop_assert_eq!(t.as_str(), text),
            Err(err) => prop_assert!(err.contains("email_address"), "{err}"),
        }
    }

    #[test]
    fn context_values_are_checked_without_panicking_and_errors_name_the_value(
        context_type in select(ContextType::ALL.to_vec()),
        value in prop_oneof![text(), id_text(), "[0-9a-fA-F.:/@*-]{0,140}"],
        other in text(),
    ) {
        if let Err(err) = context_values::check(context_type, &value) {
            prop_assert!(err.starts_with(&format!("{value:?} is not ")), "{err}");
        }
        prop_assert!(context_values::same_value(context_type, &value, &value));
        let _ = context_values::same_value(context_type, &value, &other);
        let _ = context_values::duplicates(context_type, &[&value, &other, &value.to_uppercase()]);
    }

    #[test]
    fn addresses_ports_and_hashes_in_their_usual_forms_pass_their_checks(
        v4 in any::<u32>(),
        v6 in any::<u128>(),
        v4_prefix in 0u8..=32,
        v6_prefix in 0u8..=128,
        port in 1u16..,
        hash in prop_oneof!["[0-9a-f]{32}", "[0-9A-F]{40}", "[0-9a-f]{64}", "[0-9a-f]{128}"],
        host in host_name(),
    ) {
        let v4 = Ipv4Addr::from(v4);
        let v6 = Ipv6Addr::from(v6);
        let passes =
            |t: ContextType, v: &str| context_values::check(t, v).map_err(TestCaseError::fail);
        passes(ContextType::IpAddress, &v4.to_string())?;
        passes(ContextType::IpAddress, &v6.to_string())?;
        passes(ContextType::CidrBlock, &format!("{v4}/{v4_prefix}"))?;
        passes(ContextType::CidrBlock, &format!("{v6}/{v6_prefix}"))?;
        passes(ContextType::Port, &port.to_string())?;
        passes(ContextType::FileHash, &hash)?;
        passes(ContextType::Hostname, &host)?;
        passes(ContextType::Domain, &host)?;
        passes(ContextType::EmailAddress, &format!("quarantine@{host}"))?;
        passes(ContextType::Url, &format!("https://{host}.test/login"))?;
        let too_long = format!("{v4}/{}", v4_prefix + 33);
        let refused = context_values::check(ContextType::CidrBlock, &too_long).is_err();
        prop_assert!(refused, "{}", too_long);
    }

    #[test]
    fn timeout_settings_of_any_text_give_a_positive_limit_or_name_the_setting(
        setting in prop_oneof![text(), "[0-9]{1,6}(ns|us|ms|s|m|h)([0-9]{1,3}(m|s))?"],
    ) {
        let block = tf_provider::value::Value::Value(timeouts::Timeouts {
            update: tf_provider::value::Value::Value(setting.clone()),
            ..Default::default()
        });
        let mut diags = tf_provider::Diagnostics::default();
        match timeouts::limit(&block, timeouts::Operation::Update, &mut diags) {
            Some(limit) => prop_assert!(!limit.is_zero() && diags.errors.is_empty()),
            None => {
                prop_assert_eq!(diags.errors.len(), 1);
                prop_assert!(diags.errors[0].summary.contains("timeouts.update"), "{:?}", diags.errors[0]);
            }
        }
    }
}
