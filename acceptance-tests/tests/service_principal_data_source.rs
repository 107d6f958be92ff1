//! `expel_service_principal` end to end: terraform → provider → azure_identity → Entra token
//! endpoint → Microsoft Graph, with every credential kind the sandbox serves.

use expel_acceptance_tests::harness::{Credentials, Target, Workspace};

const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

fn lookup_graph_config() -> String {
    format!(
        r#"
provider "expel" {{}}

data "expel_service_principal" "graph" {{
  client_id = "{GRAPH_APP_ID}"
}}

output "object_id" {{
  value = data.expel_service_principal.graph.object_id
}}

output "display_name" {{
  value = data.expel_service_principal.graph.display_name
}}
"#
    )
}

/// Applies the Graph lookup with `credentials` and checks the object id against the target.
fn graph_lookup_succeeds_with(credentials: Credentials) {
    let target = Target::from_env();
    if !target.supports(credentials) {
        return;
    }
    let workspace = Workspace::new(target.environment(credentials));
    workspace.config(&lookup_graph_config());
    workspace.init();
    workspace.apply();
    let object_id = workspace.output("object_id");
    assert!(
        object_id
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()),
        "{object_id}"
    );
    if let Some(sandbox) = target.sandbox() {
        assert_eq!(
            object_id,
            sandbox.seed().graph_service_principal_id.as_str()
        );
        assert_eq!(workspace.output("display_name"), "Microsoft Graph");
    }
    workspace.assert_plan_empty();
}

#[test]
fn client_secret_signs_in() {
    graph_lookup_succeeds_with(Credentials::Secret);
}

#[test]
fn pem_certificate_signs_in() {
    graph_lookup_succeeds_with(Credentials::CertificatePem);
}

#[test]
fn pfx_certificate_with_password_signs_in() {
    graph_lookup_succeeds_with(Credentials::CertificatePfx);
}

#[test]
fn inline_oidc_token_signs_in() {
    graph_lookup_succeeds_with(Credentials::OidcToken);
}

#[test]
fn oidc_token_file_signs_in() {
    graph_lookup_succeeds_with(Credentials::OidcTokenFile);
}

#[test]
fn lookup_by_display_name_returns_granted_app_roles() {
    let target = Target::from_env();
    let env = target.environment(Credentials::Secret);
    // The provider's own identity, which holds the Graph permissions it runs with.
    let own_client_id = env
        .iter()
        .find(|(k, _)| k == "ARM_CLIENT_ID")
        .map(|(_, v)| v.clone())
        .expect("ARM_CLIENT_ID");
    let workspace = Workspace::new(env);
    workspace.config(&format!(
        r#"
provider "expel" {{}}

data "expel_service_principal" "me" {{
  client_id = "{client_id}"
}}

data "expel_service_principal" "by_name" {{
  display_name = data.expel_service_principal.me.display_name
}}

output "same" {{
  value = data.expel_service_principal.by_name.object_id == data.expel_service_principal.me.object_id
}}

output "permissions" {{
  value = sort([for r in data.expel_service_principal.me.app_roles : r.value])
}}
"#,
        client_id = own_client_id
    ));
    workspace.init();
    workspace.apply();
    assert_eq!(workspace.output("same"), true);
    let permissions = workspace.output("permissions");
    for expected in [
        "AppRoleAssignment.ReadWrite.All",
        "RoleManagement.ReadWrite.Directory",
    ] {
        assert!(
            permissions
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == expected),
            "{expected} missing from {permissions}"
        );
    }
}

#[test]
fn wrong_secret_fails_with_the_entra_error_and_what_to_check() {
    let target = Target::from_env();
    let mut workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.set_env("ARM_CLIENT_SECRET", "definitely-not-the-secret");
    workspace.config(&lookup_graph_config());
    workspace.init();
    let failure = workspace.apply_fails().text();
    assert!(failure.contains("AADSTS7000215"), "{failure}");
    assert!(failure.contains("ARM_CLIENT_SECRET"), "{failure}");
    assert!(
        !failure.contains("definitely-not-the-secret"),
        "the secret leaked:\n{failure}"
    );
}

#[test]
fn missing_credentials_name_what_to_set() {
    let target = Target::from_env();
    let workspace = Workspace::new(target.environment(Credentials::None));
    workspace.config(&lookup_graph_config());
    workspace.init();
    let failure = workspace.apply_fails().text();
    assert!(
        failure.contains("No Microsoft Entra credential is configured"),
        "{failure}"
    );
    for variable in [
        "ARM_CLIENT_SECRET",
        "ARM_CLIENT_CERTIFICATE_PATH",
        "ARM_TENANT_ID",
    ] {
        assert!(
            failure.contains(variable),
            "{variable} not named:\n{failure}"
        );
    }
}

#[test]
fn secret_and_certificate_together_are_rejected_as_ambiguous() {
    let target = Target::from_env();
    let Some(sandbox) = target.sandbox_only("uses the sandbox's certificate file") else {
        return;
    };
    let mut workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.set_env(
        "ARM_CLIENT_CERTIFICATE_PATH",
        &sandbox.seed().certificate_pem_path.display().to_string(),
    );
    workspace.config(&lookup_graph_config());
    workspace.init();
    let failure = workspace.apply_fails().text();
    assert!(
        failure.contains("More than one Microsoft Entra credential"),
        "{failure}"
    );
    assert!(
        failure.contains("ARM_CLIENT_SECRET") && failure.contains("ARM_CLIENT_CERTIFICATE_PATH"),
        "{failure}"
    );
}

#[test]
fn unreadable_certificate_is_named_at_configure() {
    let target = Target::from_env();
    let mut workspace = Workspace::new(target.environment(Credentials::CertificatePem));
    workspace.set_env("ARM_CLIENT_CERTIFICATE_PATH", "/nonexistent/expel.pem");
    workspace.config(&lookup_graph_config());
    workspace.init();
    let failure = workspace.apply_fails().text();
    assert!(failure.contains("/nonexistent/expel.pem"), "{failure}");
    assert!(failure.contains("client_certificate_path"), "{failure}");
}

#[test]
fn plain_http_endpoint_off_loopback_is_rejected() {
    let target = Target::from_env();
    let mut workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.set_env("EXPEL_GRAPH_ENDPOINT", "http://graph.example.com");
    workspace.config(&lookup_graph_config());
    workspace.init();
    let failure = workspace.apply_fails().text();
    assert!(
        failure.contains("graph_endpoint must use https"),
        "{failure}"
    );
    assert!(failure.contains("EXPEL_GRAPH_ENDPOINT"), "{failure}");
}

#[test]
fn unknown_client_id_is_an_error_on_the_attribute() {
    let target = Target::from_env();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(
        r#"
provider "expel" {}

data "expel_service_principal" "nobody" {
  client_id = "0badc0de-0000-4000-8000-000000000000"
}
"#,
    );
    workspace.init();
    let failure = workspace.apply_fails().text();
    assert!(
        failure
            .contains("No service principal with client_id 0badc0de-0000-4000-8000-000000000000"),
        "{failure}"
    );
    assert!(failure.contains("client_id"), "{failure}");
}

#[test]
fn malformed_client_id_fails_at_validate_before_any_call() {
    let target = Target::from_env();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(
        r#"
provider "expel" {}

data "expel_service_principal" "bad" {
  client_id = "not-a-guid"
}
"#,
    );
    workspace.init();
    let outcome = workspace.run(&["validate", "-no-color"]);
    assert_ne!(outcome.code, 0, "{}", outcome.text());
    assert!(
        outcome.text().contains("client_id must be a GUID"),
        "{}",
        outcome.text()
    );
    if let Some(sandbox) = target.sandbox() {
        assert_eq!(
            sandbox.stats().graph_total(),
            0,
            "validate must not call Graph"
        );
    }
}

#[test]
fn missing_read_permission_is_named() {
    let target = Target::from_env();
    let Some(sandbox) =
        target.sandbox_only("revokes a Graph permission of the provider's identity")
    else {
        return;
    };
    sandbox.revoke_provider_permission("Application.ReadWrite.All");
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&lookup_graph_config());
    workspace.init();
    let failure = workspace.apply_fails().text();
    assert!(failure.contains("Application.Read.All"), "{failure}");
    assert!(failure.contains("admin consent"), "{failure}");
}

#[test]
fn a_token_expiring_mid_apply_is_refreshed_once_and_the_apply_succeeds() {
    let target = Target::from_env_with(expel_acceptance_tests::sandbox::SandboxConfig {
        faults: expel_acceptance_tests::sandbox::Faults {
            token_lifetime_seconds: Some(1),
            latency_ms: (200, 300),
            ..Default::default()
        },
        ..Default::default()
    });
    let Some(sandbox) = target.sandbox_only("refuses tokens a second after issuing them") else {
        return;
    };
    let seed = sandbox.seed().clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    // Four lookups in a chain, each several requests of at least 200 ms: the first token
    // (valid for one second) is guaranteed to expire part way.
    let chain: String = (0..4)
        .map(|n| {
            let after = if n == 0 { String::new() } else { format!("\n  depends_on = [data.expel_service_principal.me{}]", n - 1) };
            format!("\ndata \"expel_service_principal\" \"me{n}\" {{\n  client_id = \"{}\"{after}\n}}\n", seed.client_id)
        })
        .collect();
    workspace.config(&format!("provider \"expel\" {{}}\n{chain}"));
    workspace.init();
    sandbox.reset_stats();
    workspace.apply();
    let stats = sandbox.stats();
    assert!(
        stats.count("POST /{tenant}/oauth2/v2.0/token") >= 2,
        "the expired token was replaced: {stats:?}"
    );
}
