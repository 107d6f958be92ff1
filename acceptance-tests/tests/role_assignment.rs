//! `expel_role_assignment` end to end against the embedded sandbox (or a real tenant with
//! TF_ACC=1): apply, empty plan, import, out-of-band deletion, destroy. Each test assigns
//! roles to an app of its own, made through Graph and deleted afterwards, and checks the
//! tenant through Graph.

use expel_acceptance_tests::harness::{Credentials, Target, Workspace};
use expel_acceptance_tests::sandbox::{Faults, SandboxConfig};
use reqwest::Method;

const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const SECURITY_READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";

/// An assignment naming its role by display name (`role`).
fn assignment(name: &str, principal: &str, role: &str) -> String {
    assignment_with(name, principal, "role", role)
}

/// An assignment naming its role by template id (`role_definition_id`).
fn assignment_by_id(name: &str, principal: &str, template_id: &str) -> String {
    assignment_with(name, principal, "role_definition_id", template_id)
}

fn assignment_with(name: &str, principal: &str, attribute: &str, value: &str) -> String {
    format!(
        r#"
resource "expel_role_assignment" "{name}" {{
  principal_id = "{principal}"
  {attribute} = "{value}"
}}
"#
    )
}

fn config(blocks: &[String]) -> String {
    format!("provider \"expel\" {{}}\n{}", blocks.concat())
}

/// Role assignments of `principal` in the tenant, read through Graph once what was just
/// written has replicated (lists lag behind creates and deletes).
fn assignments_of(target: &Target, principal: &str) -> Vec<serde_json::Value> {
    target.settle();
    target
        .api()
        .expect("the test made its app through the same access")
        .role_assignments_of(principal)
        .expect("list the principal's role assignments")
}

/// Assigns `role` to `principal` from a workspace of its own, as someone else's apply would,
/// and returns the assignment id once it has replicated (for importing it elsewhere).
fn applied_elsewhere(target: &Target, principal: &str, role: &str) -> String {
    let creator = Workspace::applied(
        target.environment(Credentials::Secret),
        &config(&[assignment("elsewhere", principal, role)]),
    );
    let id = creator.resource("expel_role_assignment.elsewhere")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    target.settle();
    id
}

/// The full step list for both roles on one service principal of a new app.
fn both_roles_lifecycle(kind: &str) {
    let target = Target::from_env();
    let Some(app) = target.new_app(kind) else {
        return;
    };
    let principal = app.service_principal_id.clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[
        assignment("user_administrator", &principal, "User Administrator"),
        assignment("security_reader", &principal, "Security Reader"),
    ]));
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();
    assert_eq!(assignments_of(&target, &principal).len(), 2);
    let admin = workspace.resource("expel_role_assignment.user_administrator");
    assert_eq!(admin["role_definition_id"], USER_ADMINISTRATOR);
    assert_eq!(admin["directory_scope_id"], "/");
    assert_eq!(
        workspace.resource("expel_role_assignment.security_reader")["role_definition_id"],
        SECURITY_READER
    );

    let id = admin["id"].as_str().unwrap().to_owned();
    workspace.assert_import_matches("expel_role_assignment.user_administrator", &id);

    // Deleted out of band: refresh drops it and the plan re-creates it.
    target
        .api()
        .expect("api")
        .graph(
            Method::DELETE,
            &format!("roleManagement/directory/roleAssignments/{id}"),
            None,
        )
        .expect("delete the assignment out of band");
    target.settle();
    let plan = workspace.assert_plan_changes().text();
    assert!(
        plan.contains("expel_role_assignment.user_administrator will be created"),
        "{plan}"
    );
    workspace.apply();
    workspace.assert_plan_empty();
    assert_eq!(assignments_of(&target, &principal).len(), 2);

    workspace.destroy();
    assert!(
        assignments_of(&target, &principal).is_empty(),
        "destroy left assignments behind"
    );
}

#[test]
fn both_roles_on_the_expel_app_live_through_the_full_lifecycle() {
    // Expel's app is multi-tenant: in the tenant it is a service principal like any other.
    both_roles_lifecycle("expel-app stand-in");
}

#[test]
fn both_roles_on_a_custom_app_live_through_the_full_lifecycle() {
    both_roles_lifecycle("custom app");
}

#[test]
fn role_by_template_id_fills_in_the_name_and_plans_empty() {
    let target = Target::from_env();
    let Some(app) = target.new_app("role assignment") else {
        return;
    };
    let principal = app.service_principal_id.clone();
    let workspace = Workspace::applied(
        target.environment(Credentials::Secret),
        &config(&[assignment_by_id("reader", &principal, SECURITY_READER)]),
    );
    workspace.assert_plan_empty();
    let reader = workspace.resource("expel_role_assignment.reader");
    assert_eq!(reader["role"], "Security Reader");
    assert_eq!(reader["role_definition_id"], SECURITY_READER);
    assert_eq!(assignments_of(&target, &principal).len(), 1);
}

#[test]
fn switching_between_the_two_forms_of_one_role_is_not_a_replacement() {
    let target = Target::from_env();
    let Some(app) = target.new_app("role assignment") else {
        return;
    };
    let principal = app.service_principal_id.clone();
    let workspace = Workspace::applied(
        target.environment(Credentials::Secret),
        &config(&[assignment("reader", &principal, "Security Reader")]),
    );
    let id = workspace.resource("expel_role_assignment.reader")["id"].clone();

    // The other form of the same role: both attributes are in state already.
    workspace.config(&config(&[assignment_by_id(
        "reader",
        &principal,
        SECURITY_READER,
    )]));
    workspace.assert_plan_empty();

    // The name in another letter case: planned as written, an update that sends nothing.
    workspace.config(&config(&[assignment(
        "reader",
        &principal,
        "security reader",
    )]));
    let plan = workspace.assert_plan_changes().text();
    assert!(!plan.contains("must be replaced"), "{plan}");
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    workspace.apply();
    workspace.assert_plan_empty();

    // And back to the template id.
    workspace.config(&config(&[assignment_by_id(
        "reader",
        &principal,
        SECURITY_READER,
    )]));
    workspace.assert_plan_empty();
    assert_eq!(workspace.resource("expel_role_assignment.reader")["id"], id);
    assert_eq!(assignments_of(&target, &principal).len(), 1);
}

#[test]
fn cli_import_plans_empty_with_either_form() {
    let target = Target::from_env();
    let Some(app) = target.new_app("role assignment") else {
        return;
    };
    let principal = app.service_principal_id.clone();
    let env = target.environment(Credentials::Secret);
    let id = applied_elsewhere(&target, &principal, "Security Reader");

    for (form, block) in [
        (
            "role_definition_id",
            assignment_by_id("imported", &principal, SECURITY_READER),
        ),
        (
            "role",
            assignment("imported", &principal, "Security Reader"),
        ),
    ] {
        let importer = Workspace::new(env.clone());
        importer.config(&config(&[block]));
        importer.init();
        importer.import("expel_role_assignment.imported", &id);
        let imported = importer.resource("expel_role_assignment.imported");
        assert_eq!(imported["role"], "Security Reader", "by {form}");
        assert_eq!(imported["role_definition_id"], SECURITY_READER, "by {form}");
        importer.assert_plan_empty();
    }
}

#[test]
fn changing_the_role_forces_replacement() {
    let target = Target::from_env();
    let Some(app) = target.new_app("role assignment") else {
        return;
    };
    let principal = app.service_principal_id.clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[assignment(
        "role",
        &principal,
        "Security Reader",
    )]));
    workspace.init();
    workspace.apply();
    workspace.config(&config(&[assignment(
        "role",
        &principal,
        "User Administrator",
    )]));
    let plan = workspace.assert_plan_changes().text();
    assert!(plan.contains("# forces replacement"), "{plan}");
    workspace.apply();
    let roles: Vec<_> = assignments_of(&target, &principal)
        .iter()
        .map(|a| a["roleDefinitionId"].clone())
        .collect();
    assert_eq!(roles, vec![serde_json::json!(USER_ADMINISTRATOR)]);
}

#[test]
fn changing_the_role_by_template_id_or_into_the_other_form_forces_replacement() {
    let target = Target::from_env();
    let Some(app) = target.new_app("role assignment") else {
        return;
    };
    let principal = app.service_principal_id.clone();
    let workspace = Workspace::applied(
        target.environment(Credentials::Secret),
        &config(&[assignment_by_id("role", &principal, SECURITY_READER)]),
    );
    for changed in [
        assignment_by_id("role", &principal, USER_ADMINISTRATOR),
        assignment("role", &principal, "User Administrator"),
    ] {
        workspace.config(&config(&[changed]));
        let plan = workspace.assert_plan_changes().text();
        assert!(plan.contains("# forces replacement"), "{plan}");
    }
    workspace.apply();
    workspace.assert_plan_empty();
    let roles: Vec<_> = assignments_of(&target, &principal)
        .iter()
        .map(|a| a["roleDefinitionId"].clone())
        .collect();
    assert_eq!(roles, vec![serde_json::json!(USER_ADMINISTRATOR)]);
}

#[test]
fn an_existing_identical_assignment_is_adopted() {
    let target = Target::from_env();
    let Some(app) = target.new_app("role assignment") else {
        return;
    };
    let principal = app.service_principal_id.clone();
    // Made by hand in the portal before terraform knew of it.
    let existing = target
        .api()
        .expect("api")
        .assign_role(&principal, USER_ADMINISTRATOR)
        .expect("assign the role by hand");
    target.settle();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[assignment(
        "admin",
        &principal,
        "User Administrator",
    )]));
    workspace.init();
    workspace.apply();
    assert_eq!(
        workspace.resource("expel_role_assignment.admin")["id"],
        existing.as_str()
    );
    assert_eq!(
        assignments_of(&target, &principal).len(),
        1,
        "no duplicate was created"
    );
    workspace.assert_plan_empty();
}

#[test]
fn unknown_role_fails_at_plan_on_the_attribute() {
    let target = Target::from_env();
    let Some(app) = target.new_app("role assignment") else {
        return;
    };
    let principal = app.service_principal_id.clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[assignment(
        "bad",
        &principal,
        "User Adminstrator",
    )]));
    workspace.init();
    let outcome = workspace.run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(outcome.code, 0);
    let text = outcome.text();
    assert!(
        text.contains("Unknown directory role \"User Adminstrator\""),
        "{text}"
    );
    assert!(text.contains("role"), "{text}");
    assert!(assignments_of(&target, &principal).is_empty());
}

#[test]
fn bad_principal_ids_fail_before_any_write() {
    let target = Target::from_env();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[assignment(
        "malformed",
        "expel-app",
        "User Administrator",
    )]));
    workspace.init();
    let malformed = workspace.run(&["validate", "-no-color"]);
    assert!(
        malformed.text().contains("principal_id must be a GUID"),
        "{}",
        malformed.text()
    );

    workspace.config(&config(&[assignment(
        "missing",
        "0badc0de-0000-4000-8000-000000000000",
        "User Administrator",
    )]));
    let missing = workspace.run(&["plan", "-no-color", "-input=false"]);
    assert!(
        missing
            .text()
            .contains("No service principal with object id 0badc0de-0000-4000-8000-000000000000"),
        "{}",
        missing.text()
    );
    if let Some(sandbox) = target.sandbox() {
        assert_eq!(
            sandbox
                .stats()
                .count("POST /v1.0/roleManagement/directory/roleAssignments"),
            0
        );
    }
}

#[test]
fn replication_lag_after_create_does_not_drop_the_assignment() {
    let target = Target::from_env_with(SandboxConfig {
        faults: Faults {
            replication_lag_ms: 3_000,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    // A real tenant lags by itself.
    let Some(app) = target.new_app("lagging tenant") else {
        return;
    };
    let principal = app.service_principal_id.clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&config(&[assignment(
        "admin",
        &principal,
        "User Administrator",
    )]));
    workspace.init();
    workspace.apply();
    // Refresh right away: Graph still answers 404 for the new assignment.
    workspace.assert_plan_empty();
    assert_eq!(assignments_of(&target, &principal).len(), 1);
}

#[test]
fn import_blocks_generate_a_config_that_plans_empty() {
    let target = Target::from_env();
    let Some(app) = target.new_app("role assignment") else {
        return;
    };
    let principal = app.service_principal_id.clone();
    let env = target.environment(Credentials::Secret);
    let id = applied_elsewhere(&target, &principal, "User Administrator");
    let generated =
        Workspace::import_with_generated_config(env, &[("expel_role_assignment.imported", &id)]);
    // Both forms of the role are written, and that configuration plans empty too.
    assert!(
        generated.contains("User Administrator") && generated.contains(USER_ADMINISTRATOR),
        "{generated}"
    );
}

#[test]
fn request_budget_is_two_per_create_and_one_per_refresh() {
    let target = Target::from_env();
    let Some(sandbox) = target.sandbox_only("counts requests") else {
        return;
    };
    let seed = sandbox.seed().clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    let blocks = [
        assignment(
            "a",
            &seed.expel_app_service_principal_id,
            "User Administrator",
        ),
        assignment("b", &seed.expel_app_service_principal_id, "Security Reader"),
        assignment(
            "c",
            &seed.custom_app_service_principal_id,
            "User Administrator",
        ),
        assignment(
            "d",
            &seed.custom_app_service_principal_id,
            "Security Reader",
        ),
    ];
    workspace.config(&config(&blocks));
    workspace.init();
    sandbox.reset_stats();
    workspace.apply();
    let stats = sandbox.stats();
    // `terraform apply` starts the provider twice (plan, then apply); each process looks a
    // role or a principal up once, however many resources share it.
    let roles = stats.count("GET /v1.0/roleManagement/directory/roleDefinitions");
    let principals = stats.count("GET /v1.0/servicePrincipals/{id}");
    assert!(roles <= 2 * 2, "role lookups are shared: {stats:?}");
    assert!(
        principals <= 2 * 2,
        "principal checks are shared: {stats:?}"
    );
    assert_eq!(
        stats.count("POST /v1.0/roleManagement/directory/roleAssignments"),
        4
    );
    let per_resource = (stats.graph_total() - roles - principals) as f64 / 4.0;
    assert!(
        per_resource <= 2.0,
        "{per_resource} Graph requests per created assignment: {stats:?}"
    );

    sandbox.reset_stats();
    workspace.ok(&["plan", "-refresh-only", "-no-color", "-input=false"]);
    let stats = sandbox.stats();
    assert_eq!(
        stats.graph_total(),
        4,
        "one read per assignment on refresh: {stats:?}"
    );
}
