//! `expel_remediation_permissions` end to end: admin consent for the Expel app, declaration
//! plus consent for a custom app, adoption, drift, parallel edits of one registration. Each
//! test grants to apps of its own, made through Graph and deleted afterwards (Expel's
//! multi-tenant app is, in a tenant, a service principal like theirs), and checks the tenant
//! through Graph.

use expel_acceptance_tests::harness::{Credentials, Target, TestApp, Workspace};
use expel_acceptance_tests::sandbox::world::GRAPH_APP_ID;
use expel_acceptance_tests::sandbox::{Faults, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};

const USER_READ_WRITE_ALL: &str = "741f803b-c850-494e-b5df-cde7c675a1ca";
const EXCHANGE_MANAGE_AS_APP: &str = "dc50a0fb-09a3-484d-be87-e023b12c6440";
/// The delegated permission seeded on the custom app, which no resource owns.
const SEEDED_SCOPE: &str = "e1fe6dd8-ba31-4d61-89e7-88639da4683d";

fn permissions(name: &str, client_id: &str, remediation: &str, custom: bool) -> String {
    let kind = if custom {
        "\n  application_type = \"custom\""
    } else {
        ""
    };
    format!(
        r#"
resource "expel_remediation_permissions" "{name}" {{
  client_id   = "{client_id}"
  remediation = "{remediation}"{kind}
}}
"#
    )
}

fn config(blocks: &[String]) -> String {
    format!("provider \"expel\" {{}}\n{}", blocks.concat())
}

/// The grants `principal` holds, read through Graph once what was just written has
/// replicated (lists lag behind creates and deletes).
fn grants_held_by(target: &Target, principal: &str) -> Vec<Value> {
    target.settle();
    target
        .api()
        .expect("api")
        .grants_held_by(principal)
        .expect("list the grants")
}

/// The permission ids an app registration declares, read through Graph once what was just
/// written has replicated.
fn declared_ids(target: &Target, app_object_id: &str) -> Vec<String> {
    target.settle();
    target
        .api()
        .expect("api")
        .declared_ids(app_object_id)
        .expect("read the registration")
}

/// The permission ids the sandbox holds for a registration, past any stale replica (the
/// tests' own reads through Graph are served stale too).
fn held_by_sandbox(
    sandbox: &expel_acceptance_tests::sandbox::Sandbox,
    app_object_id: &str,
) -> Vec<String> {
    let state = sandbox.state();
    let app = state["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == app_object_id)
        .cloned()
        .unwrap();
    app["requiredResourceAccess"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["resourceAccess"].as_array().unwrap().clone())
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .collect()
}

/// A custom app of this test's own whose registration already declares a delegated
/// permission by hand ([`SEEDED_SCOPE`]), which no resource owns and every edit must keep.
fn custom_app<'t>(target: &'t Target, name: &str) -> Option<TestApp<'t>> {
    let app = target.new_app(name)?;
    target
        .api()?
        .set_required_resource_access(
            &app.object_id,
            json!([{"resourceAppId": GRAPH_APP_ID, "resourceAccess": [{"id": SEEDED_SCOPE, "type": "Scope"}]}]),
        )
        .expect("declare the hand-made scope");
    target.settle();
    Some(app)
}

#[test]
fn expel_app_gets_both_consents_through_the_full_lifecycle() {
    let target = Target::from_env();
    let Some(expel) = target.new_app("expel-app stand-in") else {
        return;
    };
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[
        permissions("reset", &expel.client_id, "reset_credentials", false),
        permissions("email", &expel.client_id, "remove_malicious_email", false),
    ]));
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();
    let mut roles: Vec<_> = grants_held_by(&target, &expel.service_principal_id)
        .iter()
        .map(|g| g["appRoleId"].as_str().unwrap().to_owned())
        .collect();
    roles.sort();
    assert_eq!(
        roles,
        vec![
            USER_READ_WRITE_ALL.to_owned(),
            EXCHANGE_MANAGE_AS_APP.to_owned()
        ]
    );

    let reset = workspace.resource("expel_remediation_permissions.reset");
    assert_eq!(reset["permission"], "User.ReadWrite.All");
    assert_eq!(reset["required_directory_role"], "User Administrator");
    assert_eq!(
        reset["service_principal_id"],
        expel.service_principal_id.as_str()
    );
    let graph_sp = reset["resource_service_principal_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let graph = target
        .api()
        .unwrap()
        .service_principal_of(GRAPH_APP_ID)
        .unwrap()
        .expect("Microsoft Graph's service principal");
    assert_eq!(graph["id"], graph_sp.as_str());
    assert_eq!(
        workspace.resource("expel_remediation_permissions.email")["required_directory_role"],
        "Security Reader"
    );

    target.settle();
    workspace.assert_import_matches(
        "expel_remediation_permissions.reset",
        &format!("{}/reset_credentials", expel.service_principal_id),
    );
    workspace.assert_import_matches(
        "expel_remediation_permissions.email",
        &format!("{}/remove_malicious_email", expel.service_principal_id),
    );

    // Consent revoked out of band: the plan grants it again.
    let grant_id = reset["app_role_assignment_id"].as_str().unwrap().to_owned();
    target
        .api()
        .unwrap()
        .graph(
            Method::DELETE,
            &format!("servicePrincipals/{graph_sp}/appRoleAssignedTo/{grant_id}"),
            None,
        )
        .expect("revoke the consent out of band");
    target.settle();
    let plan = workspace.assert_plan_changes().text();
    assert!(
        plan.contains("expel_remediation_permissions.reset will be created"),
        "{plan}"
    );
    workspace.apply();
    workspace.assert_plan_empty();

    workspace.destroy();
    assert!(grants_held_by(&target, &expel.service_principal_id).is_empty());
}

#[test]
fn custom_app_declares_and_consents_and_destroy_removes_only_its_own_entries() {
    let target = Target::from_env_with(SandboxConfig {
        // Latency makes the two resources' read-modify-write cycles overlap, as in real runs.
        faults: Faults {
            latency_ms: (100, 250),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let Some(custom) = custom_app(&target, "custom app") else {
        return;
    };
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[
        permissions("reset", &custom.client_id, "reset_credentials", true),
        permissions("email", &custom.client_id, "remove_malicious_email", true),
    ]));
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();
    let mut declared = declared_ids(&target, &custom.object_id);
    declared.sort();
    let mut expected = vec![
        USER_READ_WRITE_ALL.to_owned(),
        EXCHANGE_MANAGE_AS_APP.to_owned(),
        SEEDED_SCOPE.to_owned(),
    ];
    expected.sort();
    assert_eq!(declared, expected, "a parallel edit was lost");
    assert_eq!(
        grants_held_by(&target, &custom.service_principal_id).len(),
        2
    );

    target.settle();
    workspace.assert_import_matches(
        "expel_remediation_permissions.email",
        &format!(
            "{}/remove_malicious_email/custom",
            custom.service_principal_id
        ),
    );
    // Imported, so outside the replication-lag window of a fresh write.
    workspace.assert_import_matches(
        "expel_remediation_permissions.reset",
        &format!("{}/reset_credentials/custom", custom.service_principal_id),
    );

    // Declaration removed in the portal: the plan declares it again.
    let api = target.api().unwrap();
    let mut entries = api.application(&custom.object_id).unwrap()["requiredResourceAccess"].clone();
    for entry in entries.as_array_mut().unwrap() {
        entry["resourceAccess"]
            .as_array_mut()
            .unwrap()
            .retain(|a| a["id"] != USER_READ_WRITE_ALL);
    }
    api.set_required_resource_access(&custom.object_id, entries)
        .unwrap();
    target.settle();
    let plan = workspace.assert_plan_changes().text();
    assert!(
        plan.contains("expel_remediation_permissions.reset will be created"),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 1 to add, 0 to change, 0 to destroy"),
        "only the edited permission is planned: {plan}"
    );
    workspace.apply();
    assert!(declared_ids(&target, &custom.object_id).contains(&USER_READ_WRITE_ALL.to_owned()));

    workspace.destroy();
    assert_eq!(
        declared_ids(&target, &custom.object_id),
        vec![SEEDED_SCOPE.to_owned()],
        "destroy must keep entries it does not own"
    );
    assert!(grants_held_by(&target, &custom.service_principal_id).is_empty());
}

#[test]
fn an_existing_consent_is_adopted() {
    let target = Target::from_env();
    let Some(expel) = target.new_app("expel-app stand-in") else {
        return;
    };
    // Consented by hand in the portal before terraform knew of it.
    let api = target.api().unwrap();
    let graph_sp = api.service_principal_of(GRAPH_APP_ID).unwrap().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let existing = api
        .grant(&expel.service_principal_id, &graph_sp, USER_READ_WRITE_ALL)
        .expect("grant by hand");
    target.settle();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[permissions(
        "reset",
        &expel.client_id,
        "reset_credentials",
        false,
    )]));
    workspace.init();
    workspace.apply();
    assert_eq!(
        workspace.resource("expel_remediation_permissions.reset")["app_role_assignment_id"],
        existing.as_str()
    );
    assert_eq!(
        grants_held_by(&target, &expel.service_principal_id).len(),
        1
    );
    workspace.assert_plan_empty();
}

#[test]
fn tenant_without_exchange_online_gets_an_error_saying_how_to_fix_it() {
    let target = Target::from_env();
    let Some(sandbox) =
        target.sandbox_only("deletes the tenant's Exchange Online service principal")
    else {
        return;
    };
    sandbox.remove_exchange_service_principal();
    target.settle();
    let seed = sandbox.seed().clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[permissions(
        "email",
        &seed.expel_app_client_id,
        "remove_malicious_email",
        false,
    )]));
    workspace.init();
    let text = workspace.run(&["plan", "-no-color", "-input=false"]).text();
    assert!(
        text.contains("Office 365 Exchange Online has no service principal in this tenant"),
        "{text}"
    );
    assert!(
        text.contains("az ad sp create --id 00000002-0000-0ff1-ce00-000000000000"),
        "{text}"
    );
}

#[test]
fn custom_type_on_an_app_without_registration_fails_at_plan() {
    let target = Target::from_env();
    // Expel's own app: its registration lives in Expel's tenant, not in this one.
    let Some(expel_client_id) = target.expel_app_client_id() else {
        return;
    };
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[permissions(
        "reset",
        &expel_client_id,
        "reset_credentials",
        true,
    )]));
    workspace.init();
    let text = workspace.run(&["plan", "-no-color", "-input=false"]).text();
    assert!(
        text.contains("No app registration with client_id"),
        "{text}"
    );
    assert!(text.contains("application_type = \"expel\""), "{text}");
}

#[test]
fn missing_grant_permission_is_named() {
    let target = Target::from_env();
    let Some(sandbox) =
        target.sandbox_only("revokes a Graph permission of the provider's identity")
    else {
        return;
    };
    sandbox.revoke_provider_permission("AppRoleAssignment.ReadWrite.All");
    let seed = sandbox.seed().clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[permissions(
        "reset",
        &seed.expel_app_client_id,
        "reset_credentials",
        false,
    )]));
    workspace.init();
    let text = workspace.apply_fails().text();
    assert!(text.contains("AppRoleAssignment.ReadWrite.All"), "{text}");
}

#[test]
fn permissions_chain_into_role_assignments_in_one_apply() {
    let target = Target::from_env();
    let Some(expel) = target.new_app("expel-app stand-in") else {
        return;
    };
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&format!(
        r#"
provider "expel" {{}}

resource "expel_remediation_permissions" "this" {{
  for_each    = toset(["reset_credentials", "remove_malicious_email"])
  client_id   = "{client}"
  remediation = each.key
}}

resource "expel_role_assignment" "this" {{
  for_each     = expel_remediation_permissions.this
  principal_id = each.value.service_principal_id
  role         = each.value.required_directory_role
}}
"#,
        client = expel.client_id
    ));
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();
    target.settle();
    let roles = target
        .api()
        .unwrap()
        .role_assignments_of(&expel.service_principal_id)
        .unwrap();
    assert_eq!(roles.len(), 2);
}

#[test]
fn replication_lag_after_grant_does_not_drop_it() {
    let target = Target::from_env_with(SandboxConfig {
        faults: Faults {
            replication_lag_ms: 3_000,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let (Some(custom), Some(expel)) = (
        target.new_app("custom app"),
        target.new_app("expel-app stand-in"),
    ) else {
        return;
    };
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[
        permissions("reset", &custom.client_id, "reset_credentials", true),
        permissions("email", &expel.client_id, "remove_malicious_email", false),
    ]));
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();
    assert_eq!(
        grants_held_by(&target, &custom.service_principal_id).len(),
        1
    );
}

#[test]
fn import_blocks_generate_a_config_that_plans_empty() {
    let target = Target::from_env();
    let (Some(custom), Some(expel)) = (
        target.new_app("custom app"),
        target.new_app("expel-app stand-in"),
    ) else {
        return;
    };
    let env = target.environment(Credentials::Secret);
    Workspace::applied(
        env.clone(),
        &config(&[
            permissions("reset", &expel.client_id, "reset_credentials", false),
            permissions("email", &custom.client_id, "remove_malicious_email", true),
        ]),
    );

    let reset_id = format!("{}/reset_credentials", expel.service_principal_id);
    let email_id = format!(
        "{}/remove_malicious_email/custom",
        custom.service_principal_id
    );
    target.settle();
    let generated = Workspace::import_with_generated_config(
        env,
        &[
            ("expel_remediation_permissions.reset", &reset_id),
            ("expel_remediation_permissions.email", &email_id),
        ],
    );
    assert!(
        generated.contains("application_type = \"custom\""),
        "{generated}"
    );
}

#[test]
fn request_budget_shares_lookups_and_grants_in_at_most_two_requests() {
    let target = Target::from_env();
    let Some(sandbox) = target.sandbox_only("counts requests") else {
        return;
    };
    let seed = sandbox.seed().clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[
        permissions(
            "reset",
            &seed.expel_app_client_id,
            "reset_credentials",
            false,
        ),
        permissions(
            "email",
            &seed.expel_app_client_id,
            "remove_malicious_email",
            false,
        ),
    ]));
    workspace.init();
    sandbox.reset_stats();
    workspace.apply();
    let stats = sandbox.stats();
    // Lookups by appId (Graph, Exchange, the Expel app) are shared, once per provider process.
    let lookups = stats.count("GET /v1.0/servicePrincipals");
    assert!(lookups <= 3 * 2, "{stats:?}");
    let grants = stats.count("POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo");
    assert_eq!(grants, 2);
    let per_resource = (stats.graph_total() - lookups) as f64 / 2.0;
    assert!(
        per_resource <= 2.0,
        "{per_resource} requests per grant: {stats:?}"
    );

    sandbox.reset_stats();
    workspace.ok(&["plan", "-refresh-only", "-no-color", "-input=false"]);
    assert_eq!(
        sandbox.stats().graph_total(),
        2,
        "one read per grant on refresh: {:?}",
        sandbox.stats()
    );
}

/// The sandbox's own binary, which provisioners call to change the tenant as another tool
/// would while terraform runs.
const SANDBOX_BIN: &str = env!("CARGO_BIN_EXE_expel-sandbox");

/// How long the app made during the apply stays invisible to Graph.
const NEW_APP_LAG_MS: u64 = 4_000;

#[test]
fn an_app_created_during_the_apply_is_declared_granted_and_assigned_in_one_apply() {
    let target = Target::from_env();
    let Some(sandbox) = target.sandbox_only(
        "creates an app during the apply through the sandbox's admin API (azuread cannot be installed here)",
    ) else {
        return;
    };
    let url = sandbox.url();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    // Like azuread_application + azuread_service_principal: ids unknown at plan, objects
    // seconds old (and not replicated yet) when the provider first uses them.
    workspace.config(&format!(
        r#"
provider "expel" {{}}

resource "terraform_data" "app" {{
  input = {{ client_id = uuid(), service_principal_id = uuid(), object_id = uuid() }}
  lifecycle {{ ignore_changes = [input] }}
  provisioner "local-exec" {{
    command = "{SANDBOX_BIN} create-app --url {url} --client-id ${{self.output.client_id}} --service-principal-id ${{self.output.service_principal_id}} --object-id ${{self.output.object_id}} --lag-ms {NEW_APP_LAG_MS}"
  }}
}}

resource "expel_remediation_permissions" "reset" {{
  client_id        = terraform_data.app.output.client_id
  remediation      = "reset_credentials"
  application_type = "custom"
}}

resource "expel_role_assignment" "admin" {{
  principal_id = terraform_data.app.output.service_principal_id
  role         = "User Administrator"
}}
"#
    ));
    workspace.init();
    sandbox.reset_stats();
    let started = std::time::Instant::now();
    workspace.apply();
    let took = started.elapsed();
    let stats = sandbox.stats();
    eprintln!(
        "apply with a principal made during it ({NEW_APP_LAG_MS} ms lag): {took:?}, {:?}",
        stats.requests
    );
    workspace.assert_plan_empty();

    let principal = workspace.resource("expel_role_assignment.admin")["principal_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let state = sandbox.state();
    let grants: Vec<_> = state["appRoleAssignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["principalId"] == principal.as_str())
        .collect();
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0]["appRoleId"], USER_READ_WRITE_ALL);
    let assignments: Vec<_> = state["roleAssignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["principalId"] == principal.as_str())
        .collect();
    assert_eq!(assignments.len(), 1, "{assignments:?}");
    let object_id = workspace.resource("terraform_data.app")["output"]["object_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(declared_ids(&target, &object_id), vec![USER_READ_WRITE_ALL]);
    assert_eq!(stats.early_total(), 0, "{:?}", stats.early);
}

#[test]
fn another_writers_edit_between_two_declarations_of_one_apply_survives_apply_and_destroy() {
    let target = Target::from_env();
    let Some(sandbox) = target
        .sandbox_only("edits the registration during the apply through the sandbox's admin API")
    else {
        return;
    };
    let seed = sandbox.seed().clone();
    let url = sandbox.url();
    let custom = &seed.custom_app_client_id;
    // User.Read.All, declared in the portal while terraform runs.
    let foreign = "df021288-bdef-4463-88db-98f22de89214";
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&format!(
        r#"
provider "expel" {{}}

resource "expel_remediation_permissions" "reset" {{
  client_id        = "{custom}"
  remediation      = "reset_credentials"
  application_type = "custom"
}}

resource "terraform_data" "portal" {{
  depends_on = [expel_remediation_permissions.reset]
  provisioner "local-exec" {{
    command = "{SANDBOX_BIN} declare --url {url} --app-id {custom} --resource-app-id {graph} --id {foreign}"
  }}
}}

resource "expel_remediation_permissions" "email" {{
  depends_on       = [terraform_data.portal]
  client_id        = "{custom}"
  remediation      = "remove_malicious_email"
  application_type = "custom"
}}
"#,
        graph = expel_acceptance_tests::sandbox::world::GRAPH_APP_ID,
    ));
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();
    let mut declared = declared_ids(&target, &seed.custom_app_object_id);
    declared.sort();
    let mut expected = vec![
        SEEDED_SCOPE.to_owned(),
        USER_READ_WRITE_ALL.to_owned(),
        foreign.to_owned(),
        EXCHANGE_MANAGE_AS_APP.to_owned(),
    ];
    expected.sort();
    assert_eq!(declared, expected);

    workspace.destroy();
    let mut left = declared_ids(&target, &seed.custom_app_object_id);
    left.sort();
    let mut kept = vec![SEEDED_SCOPE.to_owned(), foreign.to_owned()];
    kept.sort();
    assert_eq!(left, kept);
}

#[test]
fn stale_reads_of_the_registration_never_lose_a_parallel_declaration() {
    let target = Target::from_env_with(SandboxConfig {
        faults: Faults {
            // Reads serve the list from before the last PATCH for 3 s, and latency makes the
            // two resources' edits follow each other closely.
            stale_read_ms: 3_000,
            latency_ms: (50, 150),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let Some(sandbox) = target.sandbox_only("serves stale reads of app registrations") else {
        return;
    };
    let seed = sandbox.seed().clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[
        permissions(
            "reset",
            &seed.custom_app_client_id,
            "reset_credentials",
            true,
        ),
        permissions(
            "email",
            &seed.custom_app_client_id,
            "remove_malicious_email",
            true,
        ),
    ]));
    workspace.init();
    workspace.apply();
    let mut declared = held_by_sandbox(sandbox, &seed.custom_app_object_id);
    declared.sort();
    let mut expected = vec![
        SEEDED_SCOPE.to_owned(),
        USER_READ_WRITE_ALL.to_owned(),
        EXCHANGE_MANAGE_AS_APP.to_owned(),
    ];
    expected.sort();
    assert_eq!(declared, expected);
    workspace.assert_plan_empty();
    workspace.destroy();
    assert_eq!(
        held_by_sandbox(sandbox, &seed.custom_app_object_id),
        vec![SEEDED_SCOPE]
    );
}
