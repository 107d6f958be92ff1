//! Properties of reading identity errors and certificate files.

use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::select;
use secrecy::SecretString;

use super::{describe_identity_error, load_certificate};
use crate::test_strategies::{config, text};

/// The link azure_identity ends its messages with.
const TROUBLESHOOTING: &str = "https://aka.ms/azsdk/rust/identity/troubleshoot";

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn identity_errors_become_one_trimmed_line_without_troubleshooting_links(
        lines in prop::collection::vec(
            prop_oneof![
                "[a-zA-Z0-9 .:,]{0,30}",
                Just(format!("To troubleshoot, visit {TROUBLESHOOTING}")),
                Just(format!("  To troubleshoot, visit {TROUBLESHOOTING}")),
            ],
            0..6,
        ),
        newline in select(&["\n", "\r\n"]),
    ) {
        let described = describe_identity_error(&lines.join(newline));
        prop_assert!(!described.contains('\n') && !described.contains('\r'), "{described:?}");
        prop_assert_eq!(described.trim(), &described);
        prop_assert!(!described.contains("aka.ms"), "{described:?}");
    }

    #[test]
    fn identity_errors_of_any_text_are_described_without_panicking(message in text()) {
        let described = describe_identity_error(&message);
        prop_assert_eq!(described.trim(), &described);
    }
}

/// A certificate file for the properties below, written to a file of its own per test.
fn write_certificate(test: &str, bytes: &[u8]) -> Result<std::path::PathBuf, TestCaseError> {
    let path = std::env::temp_dir().join(format!(
        "terraform-provider-expel-{test}-{}",
        std::process::id()
    ));
    std::fs::write(&path, bytes).map_err(|err| TestCaseError::fail(err.to_string()))?;
    Ok(path)
}

/// The password of [`CERTIFICATES`]' PKCS#12 file and encrypted PEM key.
const CERTIFICATE_PASSWORD: &str = "correct horse";

/// A self-signed certificate and its key as a PKCS#12 file, as PEM with a plain key and as
/// PEM with an encrypted key.
static CERTIFICATES: LazyLock<[Vec<u8>; 3]> = LazyLock::new(|| {
    use openssl::{asn1, ec, hash, nid, pkcs12, pkey, symm, x509};
    let group = ec::EcGroup::from_curve_name(nid::Nid::X9_62_PRIME256V1).expect("P-256");
    let key = pkey::PKey::from_ec_key(ec::EcKey::generate(&group).expect("a key")).expect("a key");
    let mut name = x509::X509NameBuilder::new().expect("a name");
    name.append_entry_by_text("CN", "parser-properties")
        .expect("a name");
    let name = name.build();
    let mut cert = x509::X509Builder::new().expect("a certificate");
    cert.set_version(2).expect("v3");
    cert.set_subject_name(&name).expect("a subject");
    cert.set_issuer_name(&name).expect("an issuer");
    cert.set_pubkey(&key).expect("a public key");
    cert.set_not_before(&asn1::Asn1Time::days_from_now(0).expect("now"))
        .expect("not before");
    cert.set_not_after(&asn1::Asn1Time::days_from_now(1).expect("tomorrow"))
        .expect("not after");
    cert.sign(&key, hash::MessageDigest::sha256())
        .expect("a signature");
    let cert = cert.build();
    let pfx = pkcs12::Pkcs12::builder()
        .name("parser-properties")
        .pkey(&key)
        .cert(&cert)
        .build2(CERTIFICATE_PASSWORD)
        .and_then(|p| p.to_der())
        .expect("a PKCS#12 file");
    let cert_pem = cert.to_pem().expect("PEM");
    let plain_key = key.private_key_to_pem_pkcs8().expect("PEM");
    let encrypted_key = key
        .private_key_to_pem_pkcs8_passphrase(
            symm::Cipher::aes_256_cbc(),
            CERTIFICATE_PASSWORD.as_bytes(),
        )
        .expect("PEM");
    [
        pfx,
        [&cert_pem[..], &plain_key[..]].concat(),
        [&cert_pem[..], &encrypted_key[..]].concat(),
    ]
});

/// Any password, often with a NUL character, sometimes the right one.
fn password() -> BoxedStrategy<Option<String>> {
    prop::option::of(prop_oneof![
        text(),
        (text(), text()).prop_map(|(a, b)| format!("{a}\0{b}")),
        Just(CERTIFICATE_PASSWORD.to_owned()),
        Just(format!("{CERTIFICATE_PASSWORD}\0")),
    ])
    .boxed()
}

proptest! {
    // Each case writes a file and runs OpenSSL's parsers.
    #![proptest_config(config(64))]

    #[test]
    fn certificate_files_of_any_bytes_are_refused_with_a_reason(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            prop::collection::vec(any::<u8>(), 0..512)
                .prop_map(|b| [&[0x30u8, 0x82][..], &b[..]].concat()),
            ".{0,300}".prop_map(|t| {
                format!("-----BEGIN CERTIFICATE-----\n{t}\n-----END CERTIFICATE-----\n")
                    .into_bytes()
            }),
            ".{0,300}".prop_map(|t| {
                format!("-----BEGIN PRIVATE KEY-----\n{t}\n-----END PRIVATE KEY-----\n")
                    .into_bytes()
            }),
        ],
        password in password(),
    ) {
        let path = write_certificate("any-bytes", &bytes)?;
        let loaded = load_certificate(&path, password.map(SecretString::from).as_ref());
        let _ = std::fs::remove_file(&path);
        match loaded {
            Ok(_) => return Err(TestCaseError::fail(format!("{bytes:?} taken for a certificate"))),
            Err(err) => prop_assert!(err.to_string().contains("client_certificate_path"), "{err}"),
        }
    }

    #[test]
    fn certificate_files_open_with_their_password_and_any_other_is_refused_with_a_reason(
        format in 0..3usize,
        password in password(),
    ) {
        let path = write_certificate("any-password", &CERTIFICATES[format])?;
        let loaded = load_certificate(&path, password.clone().map(SecretString::from).as_ref());
        let _ = std::fs::remove_file(&path);
        let plain_pem = format == 1;
        let right = password.as_deref() == Some(CERTIFICATE_PASSWORD);
        match loaded {
            Ok(_) => prop_assert!(right || plain_pem, "opened with {password:?}"),
            Err(err) => {
                prop_assert!(!right, "{err}");
                prop_assert!(err.to_string().contains("client_certificate_path"), "{err}");
            }
        }
    }
}
