//! `expel_remediation_readiness` end to end: a ready tenant, each problem and each `unknown`
//! named, a Terraform `check` block that warns, a `precondition` that stops an apply before
//! any write, and the request budget of a 10,000-user tenant.
//!
//! Few terraform runs, several assertions each: CI runs this file three times.

use expel_acceptance_tests::harness::{Credentials, Target, Workspace};
use expel_acceptance_tests::sandbox::world::{Life, RoleAssignment};
use expel_acceptance_tests::sandbox::Sandbox;
use serde_json::{json, Value};

/// The Graph permissions readiness reads with, beyond the provider's own.
const READINESS_PERMISSIONS: [&str; 4] = [
    "User.Read.All",
    "AuditLog.Read.All",
    "GroupMember.Read.All",
    "Organization.Read.All",
];
const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

fn grant_provider(sandbox: &Sandbox, permissions: &[&str]) {
    let provider = sandbox.seed().provider_service_principal_id.clone();
    sandbox.with_world(|world| {
        for permission in permissions {
            world.seed_grant(&provider, permission);
        }
    });
}

/// What an administrator does to make Reset Credentials ready for the Expel app: consent,
/// the role, and MFA for the two users who lacked it.
fn make_ready(sandbox: &Sandbox) {
    let expel = sandbox.seed().expel_app_service_principal_id.clone();
    sandbox.with_world(|world| {
        world.seed_grant(&expel, "User.ReadWrite.All");
        world.role_assignments.push(RoleAssignment {
            id: format!("{}-ready", uuid::Uuid::new_v4()),
            role_definition_id: USER_ADMINISTRATOR.into(),
            principal_id: expel.clone(),
            directory_scope_id: "/".into(),
            life: Life::now(),
        });
        world.directory.set_mfa("frank@contoso.com", true);
        world.directory.set_mfa("grace@contoso.com", true);
    });
}

/// Creates a context list through Workbench's API (not through the provider, so the apply
/// under test makes no write of its own); returns its id.
fn create_list(target: &Target, name: &str, context_type: &str, values: &[&str]) -> String {
    let body = json!({"data": {"type": "context_variables", "attributes": {
        "name": target.name(name),
        "context_type": context_type,
        "value_type": "string",
        "is_array": true,
        "value": values,
    }}});
    let created = target
        .api()
        .expect("Workbench access")
        .create_context_list(body)
        .expect("create the list in Workbench");
    created["data"]["id"].as_str().expect("id").to_owned()
}

/// A readiness data source and an output of all its attributes, both named `name`.
fn readiness(name: &str, remediation: &str, client_id: &str, extra: &str) -> String {
    format!(
        r#"
data "expel_remediation_readiness" "{name}" {{
  remediation = "{remediation}"
  client_id   = "{client_id}"
  {extra}
}}

output "{name}" {{
  value = data.expel_remediation_readiness.{name}
}}
"#
    )
}

/// The `check` entry named `name`.
fn check<'a>(readiness: &'a Value, name: &str) -> &'a Value {
    readiness["check"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no check {name}: {readiness:#}"))
}

fn assert_status(readiness: &Value, name: &str, status: &str, mentions: &[&str]) {
    let found = check(readiness, name);
    assert_eq!(found["status"], status, "{name}: {found:#}");
    let text = format!("{} {}", found["detail"], found["fix"]);
    for word in mentions {
        assert!(
            text.contains(word),
            "{name} does not mention {word:?}: {found:#}"
        );
    }
}

/// Requests the apply sent that change something (token requests and `$batch` reads aside).
fn writes(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .stats()
        .requests
        .into_iter()
        .filter(|(route, _)| !route.starts_with("GET "))
        .filter(|(route, _)| !route.contains("/oauth2/") && !route.contains("/$batch"))
        .map(|(route, n)| format!("{route} ×{n}"))
        .collect()
}

/// Whether the sandbox runs under a fault profile, whose retries blur exact request counts.
fn faults_in_force() -> bool {
    std::env::var("SANDBOX_FAULTS").is_ok_and(|p| !p.trim().is_empty() && p.trim() != "none")
}

#[test]
fn a_ready_tenant_is_ready_with_one_read_per_check_and_no_writes() {
    let target = Target::from_env();
    let Some(sandbox) =
        target.sandbox_only("seeds consent, roles and MFA registrations it then expects")
    else {
        return;
    };
    grant_provider(sandbox, &READINESS_PERMISSIONS);
    make_ready(sandbox);
    let expel = sandbox.seed().expel_app_client_id.clone();
    // Bob and alice hold no role; helpdesk holds one that User Administrator may reset.
    let always = create_list(
        &target,
        "Always reset",
        "username",
        &[
            "alice@contoso.com",
            "Bob@Contoso.com",
            "helpdesk@contoso.com",
        ],
    );
    let never = create_list(
        &target,
        "Never reset",
        "email_address",
        &["admin@contoso.com"],
    );
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&format!(
        "provider \"expel\" {{}}\n{}",
        readiness(
            "reset",
            "reset_credentials",
            &expel,
            &format!("always_list_ids = [\"{always}\"]\n  never_list_ids  = [\"{never}\"]"),
        )
    ));
    workspace.init();
    sandbox.reset_stats();
    workspace.apply();
    let stats = sandbox.stats();
    let reset = workspace.output("reset");
    assert_eq!(reset["ready"], true, "{reset:#}");
    assert_eq!(reset["problems"], json!([]));
    let names: Vec<&str> = reset["check"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "api_permission",
            "directory_role",
            "mfa_registration",
            "password_writeback",
            "workbench_lists",
            "always_list_members"
        ]
    );
    assert_status(&reset, "always_list_members", "ok", &["all 3 users"]);
    assert_eq!(reset["unresettable_accounts"], json!([]));
    assert_eq!(reset["users_without_mfa_count"], 0);
    assert!(
        writes(sandbox).is_empty(),
        "readiness wrote: {:?}",
        writes(sandbox)
    );
    if !faults_in_force() {
        for (route, reads) in [
            (
                "GET /v1.0/reports/authenticationMethods/userRegistrationDetails",
                1,
            ),
            ("GET /v1.0/organization", 1),
            ("GET /v1.0/servicePrincipals/{id}/appRoleAssignments", 1),
            ("GET /v1.0/roleManagement/directory/roleAssignments", 1),
            ("GET /api/v2/context_variables/{id}", 2),
            // Users by name, then their roles and groups.
            ("POST /v1.0/$batch", 2),
        ] {
            assert_eq!(stats.count(route), reads, "{route}: {stats:#?}");
        }
    }
    workspace.assert_plan_empty();
}

#[test]
fn each_problem_and_each_unknown_is_named() {
    let target = Target::from_env();
    let Some(sandbox) = target
        .sandbox_only("switches the tenant's hybrid flag, licence and the provider's permissions")
    else {
        return;
    };
    let seed = sandbox.seed().clone();
    grant_provider(sandbox, &READINESS_PERMISSIONS);
    sandbox.with_world(|w| w.directory.on_premises_sync_enabled = Some(true));
    let always = create_list(
        &target,
        "Always reset",
        "username",
        &[
            "admin@contoso.com",
            "exchange.admin@contoso.com",
            "tier0.ops@contoso.com",
            "helpdesk@contoso.com",
            "nobody@contoso.com",
        ],
    );
    let hosts = create_list(&target, "Never reset", "hostname", &["dc01.contoso.com"]);
    let unknown_list = "00000000-0000-4000-8000-00000000dead";
    let custom_only = create_list(
        &target,
        "Custom always",
        "username",
        &["alice@contoso.com", "tier0.ops@contoso.com"],
    );
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&format!(
        "provider \"expel\" {{}}\n{}{}{}",
        readiness(
            "reset",
            "reset_credentials",
            &seed.expel_app_client_id,
            &format!("always_list_ids = [\"{always}\"]\n  never_list_ids  = [\"{hosts}\", \"{unknown_list}\"]"),
        ),
        readiness("email", "remove_malicious_email", &seed.expel_app_client_id, ""),
        readiness(
            "custom",
            "reset_credentials",
            &seed.custom_app_client_id,
            &format!("always_list_ids = [\"{custom_only}\"]\n  password_writeback_confirmed = true"),
        ),
    ));
    workspace.init();

    // Step 1: every problem, named with its fix.
    workspace.apply();
    let reset = workspace.output("reset");
    assert_eq!(reset["ready"], false);
    assert_status(
        &reset,
        "api_permission",
        "problem",
        &[
            "User.ReadWrite.All",
            "expel_remediation_permissions",
            "application_type = \\\"expel\\\"",
        ],
    );
    assert_status(
        &reset,
        "directory_role",
        "problem",
        &[
            "User Administrator",
            "expel_role_assignment",
            &seed.expel_app_service_principal_id,
        ],
    );
    assert_status(
        &reset,
        "mfa_registration",
        "problem",
        &[
            "2 enabled member users",
            "frank@contoso.com",
            "grace@contoso.com",
        ],
    );
    assert_eq!(
        reset["users_without_mfa_count"], 2,
        "the guest and the disabled user do not count"
    );
    assert_eq!(
        reset["users_without_mfa"],
        json!(["frank@contoso.com", "grace@contoso.com"])
    );
    assert_status(
        &reset,
        "password_writeback",
        "problem",
        &[
            "synchronised from on-premises",
            "password_writeback_confirmed = true",
        ],
    );
    assert_status(
        &reset,
        "workbench_lists",
        "problem",
        &["hostname", unknown_list],
    );
    assert_status(
        &reset,
        "always_list_members",
        "problem",
        &[
            "admin@contoso.com holds Global Administrator",
            "exchange.admin@contoso.com holds Exchange Administrator",
            "tier0.ops@contoso.com is a member of the role-assignable group Tier 0 Operators",
            "nobody@contoso.com",
        ],
    );
    assert_eq!(
        reset["unresettable_accounts"],
        json!([
            "admin@contoso.com",
            "exchange.admin@contoso.com",
            "tier0.ops@contoso.com"
        ])
    );
    let problems = reset["problems"].as_array().unwrap();
    assert_eq!(
        problems.len(),
        6,
        "one sentence per check that is not ok: {problems:#?}"
    );
    assert!(problems.iter().any(|p| p
        .as_str()
        .unwrap()
        .starts_with("mfa_registration: 2 enabled")));

    let email = workspace.output("email");
    assert_status(
        &email,
        "api_permission",
        "problem",
        &["Exchange.ManageAsApp", "before 2026-03-12", "re-consent"],
    );
    assert_status(&email, "directory_role", "problem", &["Security Reader"]);
    assert_status(
        &email,
        "message_trace",
        "unknown",
        &[
            "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373",
            "message_trace_confirmed = true",
        ],
    );
    assert!(email["unresettable_accounts"].is_null() && email["users_without_mfa_count"].is_null());

    let custom = workspace.output("custom");
    assert_status(
        &custom,
        "api_permission",
        "problem",
        &["application_type = \\\"custom\\\""],
    );
    assert_status(
        &custom,
        "password_writeback",
        "ok",
        &["confirmed by password_writeback_confirmed"],
    );

    // Step 2: the checks the provider's identity may not run are unknown, naming what is
    // missing, and the data source still reads.
    sandbox.revoke_provider_permission("AuditLog.Read.All");
    sandbox.revoke_provider_permission("Organization.Read.All");
    sandbox.revoke_provider_permission("GroupMember.Read.All");
    sandbox.with_world(|w| w.provision_message_trace());
    workspace.apply();
    let reset = workspace.output("reset");
    assert_status(
        &reset,
        "mfa_registration",
        "unknown",
        &["AuditLog.Read.All"],
    );
    assert!(reset["users_without_mfa_count"].is_null());
    assert_status(
        &reset,
        "password_writeback",
        "unknown",
        &["Organization.Read.All"],
    );
    assert_status(
        &workspace.output("custom"),
        "always_list_members",
        "unknown",
        &["tier0.ops@contoso.com", "GroupMember.Read.All"],
    );
    assert_status(
        &workspace.output("email"),
        "message_trace",
        "ok",
        &["provisioned"],
    );

    // Step 3: no Entra ID P1 licence for the report, and no User.Read.All for the lists.
    grant_provider(sandbox, &["AuditLog.Read.All"]);
    sandbox.revoke_provider_permission("User.Read.All");
    sandbox.with_world(|w| w.directory.premium_licence = false);
    workspace.apply();
    let reset = workspace.output("reset");
    assert_status(&reset, "mfa_registration", "unknown", &["P1 or P2 licence"]);
    assert_status(&reset, "always_list_members", "unknown", &["User.Read.All"]);
}

/// Configuration for an app with no service principal: not ready in any tenant.
fn gated(target: &Target, client_id: &str, with_resource: bool) -> String {
    let resource = if with_resource {
        format!(
            r#"
resource "expel_context_list" "always" {{
  name         = "{name}"
  context_type = "username"
  values       = ["kiosk@contoso.com"]

  lifecycle {{
    precondition {{
      condition     = data.expel_remediation_readiness.gate.ready
      error_message = join("\n", data.expel_remediation_readiness.gate.problems)
    }}
  }}
}}
"#,
            name = target.name("Gated always")
        )
    } else {
        String::new()
    };
    format!(
        r#"
provider "expel" {{}}

data "expel_remediation_readiness" "gate" {{
  remediation = "reset_credentials"
  client_id   = "{client_id}"
}}

check "reset_credentials_ready" {{
  assert {{
    condition     = data.expel_remediation_readiness.gate.ready
    error_message = join("\n", data.expel_remediation_readiness.gate.problems)
  }}
}}
{resource}"#
    )
}

#[test]
fn a_check_block_warns_and_a_precondition_stops_the_apply_before_any_write() {
    let target = Target::from_env();
    let client_id = uuid::Uuid::new_v4().to_string();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&gated(&target, &client_id, false));
    workspace.init();
    let plan = workspace.ok(&["plan", "-no-color", "-input=false"]).text();
    assert!(
        plan.contains("Warning: Check block assertion failed"),
        "{plan}"
    );
    assert!(
        plan.contains("api_permission: No service principal for client_id")
            && plan.contains(&client_id),
        "{plan}"
    );

    workspace.config(&gated(&target, &client_id, true));
    if let Some(sandbox) = target.sandbox() {
        sandbox.reset_stats();
    }
    let failure = workspace.apply_fails().text();
    assert!(
        failure.contains("Resource precondition failed"),
        "{failure}"
    );
    assert!(
        failure.contains("directory_role: No service principal"),
        "{failure}"
    );
    let lists = target
        .api()
        .expect("Workbench access")
        .context_lists()
        .expect("lists");
    assert!(
        !lists.iter().any(|l| l["attributes"]["name"]
            .as_str()
            .is_some_and(|n| target.named_here(n))),
        "the precondition let a write through"
    );
    if let Some(sandbox) = target.sandbox() {
        assert!(writes(sandbox).is_empty(), "{:?}", writes(sandbox));
    }
}

#[test]
fn request_budget_of_ten_thousand_users_and_200_list_members() {
    let target = Target::from_env();
    let Some(sandbox) = target.sandbox_only("seeds 10,000 users and counts requests") else {
        return;
    };
    grant_provider(sandbox, &READINESS_PERMISSIONS);
    make_ready(sandbox);
    // Every tenth user has no MFA: 1,000 rows of the report.
    sandbox.with_world(|w| w.directory.add_bulk_users(10_000, 10));
    let members: Vec<String> = (0..200)
        .map(|n| format!("user{:05}@contoso.com", n * 7))
        .collect();
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let always = create_list(&target, "Always reset", "username", &refs);
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&format!(
        "provider \"expel\" {{}}\n{}",
        readiness(
            "reset",
            "reset_credentials",
            &sandbox.seed().expel_app_client_id,
            &format!("always_list_ids = [\"{always}\"]"),
        )
    ));
    workspace.init();
    sandbox.reset_stats();
    workspace.apply();
    let stats = sandbox.stats();
    let reset = workspace.output("reset");
    assert_eq!(
        reset["users_without_mfa_count"], 1_000,
        "{}",
        reset["check"]
    );
    assert_eq!(reset["users_without_mfa"].as_array().unwrap().len(), 25);
    assert_status(&reset, "always_list_members", "ok", &["all 200 users"]);
    let graph = stats.graph_total();
    eprintln!(
        "10,000 users, 200 list members: {graph} Graph requests, {} Workbench: {stats:#?}",
        stats.workbench_total()
    );
    // 200 users by name in 10 batches, their roles and groups in 20, 10 report pages (of 100
    // rows, the sandbox's page size), and one read each for the rest.
    assert_eq!(stats.count("POST /v1.0/$batch"), 30, "{stats:#?}");
    assert!(graph <= 50, "{graph} Graph requests: {stats:#?}");
}
