//! `timeouts` blocks: an operation that keeps waiting stops at its timeout, says what it was
//! waiting for, loses nothing, and the next run finishes the job. Sandbox only (faults).

use expel_acceptance_tests::harness::{Credentials, Target, Workspace};
use expel_acceptance_tests::sandbox::{Faults, Sandbox};

const ROLE_ASSIGNMENTS: &str = "POST /v1.0/roleManagement/directory/roleAssignments";
const CONTEXT_DELETE: &str = "DELETE /api/v2/context_variables/{id}";
const ROLE_ASSIGNMENT_READ: &str = "GET /v1.0/roleManagement/directory/roleAssignments/{id}";

fn role_assignment(principal: &str, timeouts: &str) -> String {
    format!(
        r#"provider "expel" {{}}

resource "expel_role_assignment" "admin" {{
  principal_id = "{principal}"
  role         = "User Administrator"
{timeouts}
}}
"#
    )
}

fn never_reset(timeouts: &str) -> String {
    format!(
        r#"provider "expel" {{}}

resource "expel_context_list" "never_reset" {{
  name         = "Never reset"
  context_type = "username"
  values       = ["breakglass@contoso.com"]
{timeouts}
}}
"#
    )
}

/// Faults on one route only, so lookups and the other calls go through.
fn on_route(route: &str, faults: Faults) -> Faults {
    Faults {
        only_routes: vec![route.to_owned()],
        ..faults
    }
}

/// Terraform wraps diagnostics at 80 columns: compare text with single spaces.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assignments(sandbox: &Sandbox) -> usize {
    sandbox.state()["roleAssignments"]
        .as_array()
        .map_or(0, |all| {
            all.iter()
                .filter(|a| {
                    a["principalId"] == sandbox.seed().expel_app_service_principal_id.as_str()
                })
                .count()
        })
}

fn lists(sandbox: &Sandbox) -> usize {
    sandbox.state()["contextVariables"]
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn a_create_throttled_past_its_timeout_stops_and_says_what_it_waited_for() {
    let target = Target::from_env();
    let Some(sandbox) = target.sandbox_only("injects faults on one route") else {
        return;
    };
    let principal = sandbox.seed().expel_app_service_principal_id.clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&role_assignment(
        &principal,
        "  timeouts {\n    create = \"3s\"\n  }",
    ));
    workspace.init();
    sandbox.set_faults(on_route(
        ROLE_ASSIGNMENTS,
        Faults {
            throttle_percent: 100,
            retry_after_seconds: 1,
            ..Faults::default()
        },
    ));

    let failed = workspace.apply_fails();

    let text = flat(&failed.text());
    assert!(
        text.contains("expel_role_assignment create timed out after 3s"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "timeouts.create (3s) ran out while waiting for Microsoft Graph to stop throttling {ROLE_ASSIGNMENTS}"
        )),
        "{text}"
    );
    assert!(text.contains("raise timeouts.create"), "{text}");
    let posts = sandbox.stats().count(ROLE_ASSIGNMENTS);
    assert!(
        (2..=6).contains(&posts),
        "retries must go on until the timeout and then stop: {posts} POSTs"
    );

    sandbox.set_faults(Faults::default());
    workspace.apply();
    workspace.assert_plan_empty();
    assert_eq!(assignments(sandbox), 1);
}

#[test]
fn a_refresh_waiting_past_its_timeout_names_the_request() {
    let target = Target::from_env();
    let Some(sandbox) = target.sandbox_only("injects faults on one route") else {
        return;
    };
    let principal = sandbox.seed().expel_app_service_principal_id.clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&role_assignment(
        &principal,
        "  timeouts {\n    read = \"2s\"\n  }",
    ));
    workspace.init();
    workspace.apply();
    // Under a fault profile the new assignment is first invisible: let it replicate, so the
    // only wait left is the slow answer.
    target.settle();
    sandbox.set_faults(on_route(
        ROLE_ASSIGNMENT_READ,
        Faults {
            latency_ms: (8_000, 8_000),
            ..Faults::default()
        },
    ));

    let failed = workspace.run(&["plan", "-no-color", "-input=false"]);

    assert_ne!(failed.code, 0, "{}", failed.text());
    failed.assert_no_backtrace();
    let text = flat(&failed.text());
    assert!(
        text.contains("expel_role_assignment read timed out after 2s"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "waiting for Microsoft Graph to answer {}",
            ROLE_ASSIGNMENT_READ.trim_end_matches("{id}")
        )) && text.contains("(attempt 1)"),
        "{text}"
    );
    sandbox.set_faults(Faults::default());
    workspace.assert_plan_empty();
}

#[test]
fn a_delete_failing_past_its_timeout_keeps_the_list_in_state_until_it_succeeds() {
    let target = Target::from_env();
    let Some(sandbox) = target.sandbox_only("injects faults on one route") else {
        return;
    };
    let workspace = Workspace::new(target.environment(Credentials::None));
    workspace.config(&never_reset("  timeouts {\n    delete = \"2s\"\n  }"));
    workspace.init();
    workspace.apply();
    sandbox.set_faults(on_route(
        CONTEXT_DELETE,
        Faults {
            server_error_percent: 100,
            ..Faults::default()
        },
    ));

    let failed = workspace.run(&["destroy", "-no-color", "-input=false", "-auto-approve"]);

    assert_ne!(failed.code, 0, "{}", failed.text());
    failed.assert_no_backtrace();
    let text = flat(&failed.text());
    assert!(
        text.contains("expel_context_list delete timed out after 2s"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Expel Workbench to recover from a server error or dropped connection on {CONTEXT_DELETE}"
        )),
        "{text}"
    );
    assert!(text.contains("run terraform destroy"), "{text}");
    assert_eq!(lists(sandbox), 1, "the list is still there");
    assert!(
        !workspace
            .resource("expel_context_list.never_reset")
            .is_null(),
        "and still in state"
    );

    sandbox.set_faults(Faults::default());
    workspace.destroy();
    assert_eq!(lists(sandbox), 0);
}

/// One of each resource, each with `timeouts` as given.
fn every_resource(client_id: &str, principal: &str, timeouts: &str) -> String {
    format!(
        r#"provider "expel" {{}}

resource "expel_remediation_permissions" "reset" {{
  client_id   = "{client_id}"
  remediation = "reset_credentials"
{timeouts}
}}

resource "expel_role_assignment" "admin" {{
  principal_id = "{principal}"
  role         = "User Administrator"
{timeouts}
}}

resource "expel_context_list" "never_reset" {{
  name         = "Never reset"
  context_type = "username"
  values       = ["breakglass@contoso.com"]
{timeouts}
}}
"#
    )
}

#[test]
fn changing_only_the_timeouts_updates_state_and_writes_nothing() {
    let target = Target::from_env();
    let Some(sandbox) = target.sandbox_only("counts the writes of an apply") else {
        return;
    };
    let seed = sandbox.seed().clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    let client_id = seed.expel_app_client_id.as_str();
    let principal = seed.expel_app_service_principal_id.as_str();
    workspace.config(&every_resource(client_id, principal, ""));
    workspace.init();
    workspace.apply();
    workspace.config(&every_resource(
        client_id,
        principal,
        "  timeouts {\n    create = \"20m\"\n    update = \"1h30m\"\n  }",
    ));
    sandbox.reset_stats();

    let plan = workspace.assert_plan_changes().text();
    assert!(
        plan.contains("Plan: 0 to add, 3 to change, 0 to destroy"),
        "{plan}"
    );
    workspace.apply();

    let writes: Vec<_> = sandbox
        .stats()
        .requests
        .into_iter()
        .filter(|(route, _)| !route.starts_with("GET") && !route.contains("/oauth2/"))
        .collect();
    assert!(writes.is_empty(), "a timeouts-only change wrote {writes:?}");
    for address in [
        "expel_remediation_permissions.reset",
        "expel_role_assignment.admin",
        "expel_context_list.never_reset",
    ] {
        assert_eq!(
            workspace.resource(address)["timeouts"][0]["update"],
            "1h30m",
            "{address}"
        );
    }
    workspace.assert_plan_empty();
}
