//! The bad-input catalogue: every invalid configuration, credential and import ID fails with a
//! diagnostic that names the attribute or setting and the fix, carries no backtrace, and —
//! where it can be known at plan time — nothing is written.

use expel_acceptance_tests::harness::{Credentials, Target, Workspace};
use expel_acceptance_tests::sandbox::Seed;

/// How a case changes the environment of the embedded sandbox's secret login.
enum Env {
    Keep,
    Set(&'static str, &'static str),
    /// Set one variable and drop others.
    SetWithout(&'static str, &'static str, &'static [&'static str]),
    Remove(&'static [&'static str]),
    CredentialsNone,
}

/// One invalid input.
struct Case {
    name: &'static str,
    env: Env,
    /// Configuration after the provider block; `{expel}` (Expel's app), `{custom}` (a custom
    /// app) and `{expel_sp}` (a service principal) are replaced by the tenant's ids.
    config: &'static str,
    /// `terraform import <address> <id>` instead of `plan`.
    import: Option<(&'static str, &'static str)>,
    /// Every one of these must appear in the output.
    expect: &'static [&'static str],
}

const ROLE: &str = r#"resource "expel_role_assignment" "r" {
  principal_id = "{expel_sp}"
  role         = "User Administrator"
}"#;

const LIST: &str = r#"resource "expel_context_list" "l" {
  name         = "Never reset"
  context_type = "username"
  values       = ["jdoe"]
}"#;

const SP: &str = r#"data "expel_service_principal" "g" {
  client_id = "00000003-0000-0000-c000-000000000000"
}"#;

/// The tenant's objects the cases name.
struct Fixtures {
    /// Expel's integration app (no registration in the tenant).
    expel: String,
    /// A service principal to assign roles to.
    principal: String,
    /// A custom app (its registration lives in the tenant).
    custom: String,
}

/// `text` with `{expel}`, `{custom}` and `{expel_sp}` replaced by the fixtures.
fn fill(text: &str, fixtures: &Fixtures) -> String {
    text.replace("{expel_sp}", &fixtures.principal)
        .replace("{expel}", &fixtures.expel)
        .replace("{custom}", &fixtures.custom)
}

/// `text` with the sandbox seed's ids, for the cases run against the sandbox only.
fn fill_from_seed(text: &str, seed: &Seed) -> String {
    fill(
        text,
        &Fixtures {
            expel: seed.expel_app_client_id.clone(),
            principal: seed.expel_app_service_principal_id.clone(),
            custom: seed.custom_app_client_id.clone(),
        },
    )
}

fn plan(
    name: &'static str,
    env: Env,
    config: &'static str,
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        env,
        config,
        import: None,
        expect,
    }
}

fn cases() -> Vec<Case> {
    vec![
        plan(
            "malformed tenant",
            Env::Set("ARM_TENANT_ID", "contoso"),
            SP,
            &["tenant_id must be a GUID", "ARM_TENANT_ID"],
        ),
        plan(
            "malformed provider client id",
            Env::Set("ARM_CLIENT_ID", "my-app"),
            SP,
            &["client_id must be a GUID", "ARM_CLIENT_ID"],
        ),
        plan(
            "secret and certificate together",
            Env::Set("ARM_CLIENT_CERTIFICATE_PATH", "/tmp/c.pem"),
            SP,
            &[
                "More than one Microsoft Entra credential",
                "ARM_CLIENT_SECRET",
                "ARM_CLIENT_CERTIFICATE_PATH",
            ],
        ),
        plan(
            "oidc without a token",
            Env::Set("ARM_USE_OIDC", "true"),
            SP,
            &["use_oidc is true but no OIDC token", "ARM_OIDC_TOKEN"],
        ),
        plan(
            "unknown cloud",
            Env::Set("ARM_ENVIRONMENT", "germany"),
            SP,
            &["Unknown environment", "usgovernment"],
        ),
        plan(
            "http graph endpoint off loopback",
            Env::Set("EXPEL_GRAPH_ENDPOINT", "http://graph.example.com"),
            SP,
            &["graph_endpoint must use https", "loopback"],
        ),
        plan(
            "http authority off loopback",
            Env::Set("AZURE_AUTHORITY_HOST", "http://login.example.com"),
            SP,
            &["authority_host must use https"],
        ),
        plan(
            "ftp workbench url",
            Env::Set("EXPEL_WORKBENCH_URL", "ftp://workbench.expel.io"),
            LIST,
            &["workbench_url must use https"],
        ),
        plan(
            "workbench url that is no url",
            Env::Set("EXPEL_WORKBENCH_URL", "workbench"),
            LIST,
            &["workbench_url is not a URL"],
        ),
        plan(
            "boolean variable that is no boolean",
            Env::Set("ARM_USE_MSI", "maybe"),
            SP,
            &["ARM_USE_MSI must be true or false"],
        ),
        plan(
            "secret without client id",
            Env::Remove(&["ARM_CLIENT_ID"]),
            SP,
            &["client_id is required", "ARM_CLIENT_ID"],
        ),
        plan(
            "unreadable certificate",
            Env::SetWithout(
                "ARM_CLIENT_CERTIFICATE_PATH",
                "/nonexistent/c.pfx",
                &["ARM_CLIENT_SECRET"],
            ),
            SP,
            &["/nonexistent/c.pfx", "ARM_CLIENT_CERTIFICATE_PATH"],
        ),
        plan(
            "wrong client secret",
            Env::Set("ARM_CLIENT_SECRET", "wrong"),
            SP,
            &["AADSTS7000215", "ARM_CLIENT_SECRET"],
        ),
        plan(
            "wrong api key",
            Env::Set("EXPEL_API_KEY", "wrong"),
            LIST,
            &["EXPEL_API_KEY", "401"],
        ),
        plan(
            "no api key for a workbench resource",
            Env::Remove(&["EXPEL_API_KEY"]),
            LIST,
            &["No Expel Workbench API key", "EXPEL_API_KEY"],
        ),
        plan(
            "no entra credential for a graph resource",
            Env::CredentialsNone,
            ROLE,
            &[
                "No Microsoft Entra credential is configured",
                "ARM_CLIENT_SECRET",
            ],
        ),
        plan(
            "malformed principal",
            Env::Keep,
            r#"resource "expel_role_assignment" "r" {
  principal_id = "expel-app"
  role         = "User Administrator"
}"#,
            &["principal_id must be a GUID"],
        ),
        plan(
            "unknown role",
            Env::Keep,
            r#"resource "expel_role_assignment" "r" {
  principal_id = "{expel_sp}"
  role         = "Chief Everything Officer"
}"#,
            &["Unknown directory role \"Chief Everything Officer\""],
        ),
        plan(
            "empty role",
            Env::Keep,
            r#"resource "expel_role_assignment" "r" {
  principal_id = "{expel_sp}"
  role         = " "
}"#,
            &["role must not be empty"],
        ),
        plan(
            "template id given as role",
            Env::Keep,
            r#"resource "expel_role_assignment" "r" {
  principal_id = "{expel_sp}"
  role         = "fe930be7-5e62-47db-91af-98c3a49a38b1"
}"#,
            &["role is a template id", "use role_definition_id ="],
        ),
        plan(
            "both role and role_definition_id, naming different roles",
            Env::Keep,
            r#"resource "expel_role_assignment" "r" {
  principal_id       = "{expel_sp}"
  role               = "User Administrator"
  role_definition_id = "5d6b6bb7-de71-4623-b4af-96380a352509"
}"#,
            &[
                "role and role_definition_id name different roles",
                "Set only one of them",
            ],
        ),
        plan(
            "neither role nor role_definition_id",
            Env::Keep,
            r#"resource "expel_role_assignment" "r" {
  principal_id = "{expel_sp}"
}"#,
            &["Set role or role_definition_id"],
        ),
        plan(
            "role_definition_id that is not a GUID",
            Env::Keep,
            r#"resource "expel_role_assignment" "r" {
  principal_id       = "{expel_sp}"
  role_definition_id = "User Administrator"
}"#,
            &[
                "role_definition_id must be a GUID",
                "use the role's template id",
            ],
        ),
        plan(
            "unknown role template id",
            Env::Keep,
            r#"resource "expel_role_assignment" "r" {
  principal_id       = "{expel_sp}"
  role_definition_id = "00000000-0000-4000-8000-000000000001"
}"#,
            &[
                "Unknown directory role \"00000000-0000-4000-8000-000000000001\"",
                "role_definition_id",
            ],
        ),
        plan(
            "relative scope",
            Env::Keep,
            r#"resource "expel_role_assignment" "r" {
  principal_id       = "{expel_sp}"
  role               = "User Administrator"
  directory_scope_id = "administrativeUnits/1"
}"#,
            &["directory_scope_id must start with /"],
        ),
        plan(
            "principal that does not exist",
            Env::Keep,
            r#"resource "expel_role_assignment" "r" {
  principal_id = "0badc0de-0000-4000-8000-000000000000"
  role         = "User Administrator"
}"#,
            &["No service principal with object id 0badc0de-0000-4000-8000-000000000000"],
        ),
        plan(
            "unknown remediation",
            Env::Keep,
            r#"resource "expel_remediation_permissions" "p" {
  client_id   = "{expel}"
  remediation = "reset_password"
}"#,
            &[
                "unknown remediation \"reset_password\"",
                "reset_credentials",
            ],
        ),
        plan(
            "unknown application type",
            Env::Keep,
            r#"resource "expel_remediation_permissions" "p" {
  client_id        = "{expel}"
  remediation      = "reset_credentials"
  application_type = "azure"
}"#,
            &["unknown application_type \"azure\""],
        ),
        plan(
            "malformed remediation client id",
            Env::Keep,
            r#"resource "expel_remediation_permissions" "p" {
  client_id   = "Expel"
  remediation = "reset_credentials"
}"#,
            &["client_id must be a GUID"],
        ),
        plan(
            "app never consented",
            Env::Keep,
            r#"resource "expel_remediation_permissions" "p" {
  client_id   = "0badc0de-0000-4000-8000-000000000000"
  remediation = "reset_credentials"
}"#,
            &[
                "No service principal with client_id 0badc0de-0000-4000-8000-000000000000",
                "consent",
            ],
        ),
        plan(
            "custom type without a registration",
            Env::Keep,
            r#"resource "expel_remediation_permissions" "p" {
  client_id        = "{expel}"
  remediation      = "reset_credentials"
  application_type = "custom"
}"#,
            &[
                "No app registration with client_id",
                "application_type = \"expel\"",
            ],
        ),
        plan(
            "unknown context type",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Macs"
  context_type = "mac_address"
  values       = ["00:11"]
}"#,
            &["unknown context type \"mac_address\""],
        ),
        plan(
            "bad email",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Never remove"
  context_type = "email_address"
  values       = ["quarantine.contoso.com"]
}"#,
            &["\"quarantine.contoso.com\" is not an email address"],
        ),
        plan(
            "bad ip",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Hosts"
  context_type = "ip_address"
  values       = ["10.0.0.256"]
}"#,
            &["\"10.0.0.256\" is not an IPv4 or IPv6 address"],
        ),
        plan(
            "bad cidr",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Nets"
  context_type = "cidr_block"
  values       = ["10.0.0.0/33"]
}"#,
            &["\"10.0.0.0/33\" is not a CIDR block"],
        ),
        plan(
            "bad port",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Ports"
  context_type = "port"
  values       = ["70000"]
}"#,
            &["\"70000\" is not a port number"],
        ),
        plan(
            "bad hash",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Hashes"
  context_type = "file_hash"
  values       = ["xyz"]
}"#,
            &["\"xyz\" is not an MD5"],
        ),
        plan(
            "bad url",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Urls"
  context_type = "url"
  values       = ["contoso.com/login"]
}"#,
            &["\"contoso.com/login\" is not an http(s) URL"],
        ),
        plan(
            "bad domain",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Domains"
  context_type = "domain"
  values       = ["contoso"]
}"#,
            &["\"contoso\" is not a domain"],
        ),
        plan(
            "bad hostname",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Hosts"
  context_type = "hostname"
  values       = ["web_01!"]
}"#,
            &["\"web_01!\" is not a host name"],
        ),
        plan(
            "empty values",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Never reset"
  context_type = "username"
  values       = []
}"#,
            &["values must not be empty"],
        ),
        plan(
            "values equal but for case",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Never reset"
  context_type = "username"
  values       = ["JDoe", "jdoe"]
}"#,
            &["Duplicate value in values"],
        ),
        plan(
            "blank list name",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = ""
  context_type = "username"
  values       = ["jdoe"]
}"#,
            &["name must not be empty"],
        ),
        plan(
            "service principal by id and name",
            Env::Keep,
            r#"data "expel_service_principal" "x" {
  client_id    = "00000003-0000-0000-c000-000000000000"
  display_name = "Microsoft Graph"
}"#,
            &["Set only one of client_id and display_name"],
        ),
        plan(
            "context list data source without id or name",
            Env::Keep,
            r#"data "expel_context_list" "x" {}"#,
            &["Set id or name"],
        ),
        Case {
            name: "role assignment import id with a slash",
            env: Env::Keep,
            config: ROLE,
            import: Some(("expel_role_assignment.r", "a/b")),
            expect: &["is not a role assignment id"],
        },
        Case {
            name: "permissions import id without remediation",
            env: Env::Keep,
            config: r#"resource "expel_remediation_permissions" "p" {
  client_id   = "{expel}"
  remediation = "reset_credentials"
}"#,
            import: Some(("expel_remediation_permissions.p", "{expel_sp}")),
            expect: &["<service_principal_id>/<remediation>[/custom]"],
        },
        Case {
            name: "context list import by empty name",
            env: Env::Keep,
            config: LIST,
            import: Some(("expel_context_list.l", "name:")),
            expect: &["name:<name>"],
        },
        plan(
            "timeout that is not a duration",
            Env::Keep,
            r#"resource "expel_context_list" "l" {
  name         = "Never reset"
  context_type = "username"
  values       = ["jdoe"]
  timeouts {
    create = "5 minutes please"
  }
}"#,
            &["Invalid timeouts.create", "\"1h30m\""],
        ),
    ]
}

#[test]
fn every_bad_input_fails_naming_the_setting_and_the_fix_before_any_write() {
    let target = Target::from_env();
    let (Some(expel), Some(app)) = (target.expel_app_client_id(), target.new_app("bad input"))
    else {
        return;
    };
    let fixtures = Fixtures {
        expel,
        principal: app.service_principal_id.clone(),
        custom: app.client_id.clone(),
    };
    if let Some(sandbox) = target.sandbox() {
        sandbox.reset_stats();
    }
    let base = target.environment(Credentials::Secret);
    let mut workspace = Workspace::new(base.clone());
    workspace.config("provider \"expel\" {}\n");
    workspace.init();
    let cases = cases();
    assert!(cases.len() >= 40, "the catalogue keeps at least 40 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let mut env = match &case.env {
            Env::CredentialsNone => target.environment(Credentials::None),
            _ => base.clone(),
        };
        match &case.env {
            Env::Set(name, value) => {
                env.retain(|(k, _)| k != name);
                env.push((name.to_string(), value.to_string()));
            }
            Env::SetWithout(name, value, without) => {
                env.retain(|(k, _)| k != name && !without.contains(&k.as_str()));
                env.push((name.to_string(), value.to_string()));
            }
            Env::Remove(names) => env.retain(|(k, _)| !names.contains(&k.as_str())),
            Env::Keep | Env::CredentialsNone => {}
        }
        workspace.replace_env(env);
        let fill = |text: &str| fill(text, &fixtures);
        workspace.config(&format!("provider \"expel\" {{}}\n{}\n", fill(case.config)));
        let outcome = match case.import {
            Some((address, id)) => {
                workspace.run(&["import", "-no-color", "-input=false", address, &fill(id)])
            }
            None => workspace.run(&["plan", "-no-color", "-input=false"]),
        };
        let text = outcome.text();
        let missing: Vec<_> = case.expect.iter().filter(|e| !text.contains(**e)).collect();
        let backtrace = text
            .lines()
            .any(|l| l.trim_start().starts_with("at ") && l.contains(".rs:"));
        if outcome.code == 0 || !missing.is_empty() || backtrace {
            failures.push(format!(
                "{}: exit {}, missing {missing:?}, backtrace {backtrace}\n{text}",
                case.name, outcome.code
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n----\n")
    );
    // Nothing was written: the sandbox counts every write; in a tenant, the principal the
    // cases name holds no role and no grant.
    match target.sandbox() {
        Some(sandbox) => {
            let stats = sandbox.stats();
            let writes: u64 = stats
                .requests
                .iter()
                .filter(|(k, _)| {
                    k.starts_with("POST /v1.0")
                        || k.starts_with("PATCH")
                        || k.starts_with("DELETE")
                        || k.starts_with("POST /api")
                })
                .map(|(_, v)| v)
                .sum();
            assert_eq!(writes, 0, "bad input must fail before any write: {stats:?}");
        }
        None => {
            let api = target.api().expect("api");
            assert!(api
                .role_assignments_of(&fixtures.principal)
                .unwrap()
                .is_empty());
            assert!(api.grants_held_by(&fixtures.principal).unwrap().is_empty());
        }
    }
}

/// An identity lacking one Graph permission: where the failure can be known at plan it comes
/// at plan, otherwise the refused write creates nothing; either way the permission is named.
struct MissingPermission {
    /// The application permission taken from the provider's identity.
    revoked: &'static str,
    /// Granted instead, to isolate a write permission from its read counterpart.
    granted: Option<&'static str>,
    config: &'static str,
    /// `apply` when the call that needs the permission is a write.
    command: &'static str,
    expect: &'static [&'static str],
}

fn missing_permissions() -> Vec<MissingPermission> {
    const EXPEL_RESET: &str = r#"resource "expel_remediation_permissions" "p" {
  client_id   = "{expel}"
  remediation = "reset_credentials"
}"#;
    vec![
        MissingPermission {
            revoked: "Application.ReadWrite.All",
            granted: None,
            config: EXPEL_RESET,
            command: "plan",
            expect: &["Application.Read.All", "admin consent"],
        },
        MissingPermission {
            revoked: "AppRoleAssignment.ReadWrite.All",
            granted: None,
            config: EXPEL_RESET,
            command: "apply",
            expect: &["AppRoleAssignment.ReadWrite.All", "admin consent"],
        },
        MissingPermission {
            revoked: "RoleManagement.ReadWrite.Directory",
            granted: None,
            config: ROLE,
            command: "plan",
            expect: &["RoleManagement.ReadWrite.Directory", "admin consent"],
        },
        MissingPermission {
            revoked: "RoleManagement.ReadWrite.Directory",
            granted: Some("RoleManagement.Read.Directory"),
            config: ROLE,
            command: "apply",
            expect: &["RoleManagement.ReadWrite.Directory", "admin consent"],
        },
        MissingPermission {
            revoked: "Application.ReadWrite.All",
            granted: Some("Application.Read.All"),
            config: r#"resource "expel_remediation_permissions" "p" {
  client_id        = "{custom}"
  remediation      = "remove_malicious_email"
  application_type = "custom"
}"#,
            command: "apply",
            expect: &["Application.ReadWrite.All", "admin consent"],
        },
    ]
}

#[test]
fn an_identity_lacking_each_graph_permission_is_told_which_to_grant_and_nothing_is_created() {
    let mut failures = Vec::new();
    for case in missing_permissions() {
        let target = Target::from_env();
        let Some(sandbox) = target.sandbox_only(
            "counts writes in the sandbox and revokes the identity's permissions there",
        ) else {
            return;
        };
        let seed = sandbox.seed().clone();
        sandbox.revoke_provider_permission(case.revoked);
        if let Some(granted) = case.granted {
            sandbox
                .with_world(|world| world.seed_grant(&seed.provider_service_principal_id, granted));
        }
        let before = sandbox.state();
        let workspace = Workspace::new(target.environment(Credentials::Secret));
        let config = fill_from_seed(case.config, &seed);
        workspace.config(&format!("provider \"expel\" {{}}\n{config}\n"));
        workspace.init();
        let outcome = match case.command {
            "apply" => workspace.run(&["apply", "-no-color", "-input=false", "-auto-approve"]),
            _ => workspace.run(&["plan", "-no-color", "-input=false"]),
        };
        let text = outcome.text();
        let missing: Vec<_> = case.expect.iter().filter(|e| !text.contains(**e)).collect();
        let after = sandbox.state();
        let changed: Vec<_> = ["roleAssignments", "applications", "appRoleAssignments"]
            .into_iter()
            .filter(|key| before[key] != after[key])
            .collect();
        outcome.assert_no_backtrace();
        if outcome.code == 0 || !missing.is_empty() || !changed.is_empty() {
            failures.push(format!(
                "without {} ({}): exit {}, missing {missing:?}, changed {changed:?}\n{text}",
                case.revoked, case.command, outcome.code
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n----\n"));
}
