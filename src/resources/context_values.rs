//! Validation and comparison of context list values per context type: parse, don't regex.

use std::net::IpAddr;

use crate::workbench::ContextType;

/// Whether two spellings of a value of this type are the same value.
pub fn same_value(context_type: ContextType, a: &str, b: &str) -> bool {
    if case_insensitive(context_type) {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// Types whose values compare without regard to letter case.
pub fn case_insensitive(context_type: ContextType) -> bool {
    matches!(
        context_type,
        ContextType::EmailAddress
            | ContextType::Username
            | ContextType::Domain
            | ContextType::Hostname
    )
}

fn hostname_ok(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn domain_ok(name: &str) -> bool {
    let name = name.strip_prefix("*.").unwrap_or(name);
    hostname_ok(name) && name.trim_end_matches('.').contains('.')
}

fn email_ok(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && domain_ok(domain)
}

fn cidr_ok(value: &str) -> bool {
    let Some((address, prefix)) = value.split_once('/') else {
        return false;
    };
    let Ok(address) = address.parse::<IpAddr>() else {
        return false;
    };
    let Ok(prefix) = prefix.parse::<u8>() else {
        return false;
    };
    prefix <= if address.is_ipv4() { 32 } else { 128 }
}

/// A value that does not fit its context type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not {expected}")]
pub struct InvalidValue {
    /// The value.
    pub value: String,
    /// What a value of the type looks like.
    pub expected: &'static str,
}

/// Checks one value; the error says what the value should look like.
pub fn check(context_type: ContextType, value: &str) -> Result<(), InvalidValue> {
    let expected = match context_type {
        ContextType::EmailAddress if email_ok(value) => return Ok(()),
        ContextType::EmailAddress => "an email address such as quarantine@contoso.com",
        ContextType::Username
            if !value.is_empty()
                && !value.chars().any(char::is_whitespace)
                && value.len() <= 256 =>
        {
            return Ok(())
        }
        ContextType::Username => {
            "a user name or user principal name without spaces, such as jdoe or jdoe@contoso.com"
        }
        ContextType::Hostname if hostname_ok(value) => return Ok(()),
        ContextType::Hostname => "a host name such as web-01 or web-01.contoso.com",
        ContextType::Domain if domain_ok(value) => return Ok(()),
        ContextType::Domain => "a domain such as contoso.com",
        ContextType::IpAddress if value.parse::<IpAddr>().is_ok() => return Ok(()),
        ContextType::IpAddress => "an IPv4 or IPv6 address such as 192.0.2.10 or 2001:db8::1",
        ContextType::CidrBlock if cidr_ok(value) => return Ok(()),
        ContextType::CidrBlock => "a CIDR block such as 192.0.2.0/24 or 2001:db8::/32",
        ContextType::Url
            if url::Url::parse(value)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some()) =>
        {
            return Ok(())
        }
        ContextType::Url => "an http(s) URL such as https://contoso.com/login",
        ContextType::FileHash
            if matches!(value.len(), 32 | 40 | 64 | 128)
                && value.chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            return Ok(())
        }
        ContextType::FileHash => {
            "an MD5, SHA-1, SHA-256 or SHA-512 hash in hexadecimal (32, 40, 64 or 128 characters)"
        }
        ContextType::Port if value.parse::<u16>().is_ok_and(|p| p > 0) => return Ok(()),
        ContextType::Port => "a port number from 1 to 65535",
        ContextType::Other if !value.trim().is_empty() => return Ok(()),
        ContextType::Other => "a non-empty value",
    };
    Err(InvalidValue {
        value: value.to_owned(),
        expected,
    })
}

/// Pairs of values that are the same value for this type but spelled differently.
pub fn duplicates(context_type: ContextType, values: &[&str]) -> Vec<(String, String)> {
    if !case_insensitive(context_type) {
        return Vec::new();
    }
    let mut seen: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    let mut found = Vec::new();
    for value in values {
        if let Some(first) = seen.insert(value.to_ascii_lowercase(), value) {
            found.push((first.to_owned(), (*value).to_owned()));
        }
    }
    found
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(t: ContextType, v: &str) -> bool {
        check(t, v).is_ok()
    }

    #[test]
    fn email_addresses() {
        assert!(ok(ContextType::EmailAddress, "quarantine@contoso.com"));
        assert!(ok(
            ContextType::EmailAddress,
            "first.last+tag@mail.contoso.co.uk"
        ));
        for bad in [
            "",
            "contoso.com",
            "a@b",
            "a@@contoso.com",
            "a b@contoso.com",
            ".a@contoso.com",
            "a@-contoso.com",
        ] {
            assert!(!ok(ContextType::EmailAddress, bad), "{bad}");
        }
    }

    #[test]
    fn ip_addresses_and_cidr_blocks() {
        assert!(ok(ContextType::IpAddress, "192.0.2.10"));
        assert!(ok(ContextType::IpAddress, "2001:db8::1"));
        assert!(!ok(ContextType::IpAddress, "192.0.2.256"));
        assert!(ok(ContextType::CidrBlock, "192.0.2.0/24"));
        assert!(ok(ContextType::CidrBlock, "2001:db8::/32"));
        for bad in ["192.0.2.0", "192.0.2.0/33", "2001:db8::/129", "x/8"] {
            assert!(!ok(ContextType::CidrBlock, bad), "{bad}");
        }
    }

    #[test]
    fn hosts_domains_and_urls() {
        assert!(ok(ContextType::Hostname, "web-01"));
        assert!(ok(ContextType::Domain, "contoso.com"));
        assert!(ok(ContextType::Domain, "*.contoso.com"));
        assert!(!ok(ContextType::Domain, "contoso"));
        assert!(!ok(ContextType::Hostname, "-web"));
        assert!(ok(ContextType::Url, "https://contoso.com/login"));
        assert!(!ok(ContextType::Url, "ftp://contoso.com"));
        assert!(!ok(ContextType::Url, "contoso.com"));
    }

    #[test]
    fn hashes_ports_usernames_other() {
        assert!(ok(ContextType::FileHash, &"a".repeat(64)));
        assert!(!ok(ContextType::FileHash, &"g".repeat(64)));
        assert!(!ok(ContextType::FileHash, &"a".repeat(63)));
        assert!(ok(ContextType::Port, "443"));
        assert!(!ok(ContextType::Port, "0"));
        assert!(!ok(ContextType::Port, "65536"));
        assert!(ok(ContextType::Username, "jdoe@contoso.com"));
        assert!(!ok(ContextType::Username, "j doe"));
        assert!(!ok(ContextType::Other, "  "));
    }

    #[test]
    fn errors_name_the_value_and_the_expected_form() {
        let err = check(ContextType::Port, "https").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"https\" is not a port number from 1 to 65535"
        );
    }

    #[test]
    fn case_only_differences_are_duplicates_for_case_insensitive_types() {
        assert_eq!(
            duplicates(
                ContextType::EmailAddress,
                &["A@contoso.com", "a@contoso.com"]
            ),
            vec![("A@contoso.com".to_owned(), "a@contoso.com".to_owned())]
        );
        assert!(duplicates(ContextType::FileHash, &["AA", "aa"]).is_empty());
    }

    #[test]
    fn sameness_follows_the_type() {
        assert!(same_value(ContextType::Username, "JDoe", "jdoe"));
        assert!(!same_value(
            ContextType::Url,
            "https://a.com/X",
            "https://a.com/x"
        ));
    }
}
