//! Properties of checking and comparing context list values.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use proptest::sample::select;

use super::{check, duplicates, same_value};
use crate::test_strategies::{config, id_text, text};
use crate::workbench::ContextType;

/// Host names of two to four labels. None has `--`: `xn--` labels are IDNs, which URLs
/// check further.
fn host_name() -> BoxedStrategy<String> {
    prop::collection::vec("[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}", 2..5)
        .prop_map(|labels| labels.join("."))
        .boxed()
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn context_values_are_checked_without_panicking_and_errors_name_the_value(
        context_type in select(ContextType::ALL.to_vec()),
        value in prop_oneof![text(), id_text(), "[0-9a-fA-F.:/@*-]{0,140}"],
        other in text(),
    ) {
        if let Err(err) = check(context_type, &value) {
            prop_assert!(err.to_string().starts_with(&format!("{value:?} is not ")), "{err}");
        }
        prop_assert!(same_value(context_type, &value, &value));
        let _ = same_value(context_type, &value, &other);
        let _ = duplicates(context_type, &[&value, &other, &value.to_uppercase()]);
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
        let passes = |t: ContextType, v: &str| check(t, v).map_err(|err| TestCaseError::fail(err.to_string()));
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
        let refused = check(ContextType::CidrBlock, &too_long).is_err();
        prop_assert!(refused, "{}", too_long);
    }
}
