//! The whole provider against the embedded sandbox under the full fault profile at once:
//! latency, throttling with Retry-After, 503s, lost answers, replication lag and a token
//! that expires mid-apply. Final tenant state must equal the configuration, with no duplicates.

use expel_acceptance_tests::harness::{Credentials, Target, Workspace};
use expel_acceptance_tests::sandbox::{Faults, SandboxConfig};
use serde_json::Value;

fn count(state: &Value, collection: &str, field: &str, value: &str) -> usize {
    state[collection]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o[field] == value)
        .count()
}

#[test]
fn both_remediations_converge_without_duplicates_under_every_fault_at_once() {
    let target = Target::from_env_with(SandboxConfig {
        faults: Faults::hostile(),
        page_size: 5,
        ..SandboxConfig::default()
    });
    let Some(sandbox) = target.sandbox_only("injects faults") else {
        return;
    };
    let seed = sandbox.seed().clone();
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&format!(
        r#"
provider "expel" {{}}

locals {{
  remediations = toset(["reset_credentials", "remove_malicious_email"])
}}

resource "expel_remediation_permissions" "expel" {{
  for_each    = local.remediations
  client_id   = "{expel}"
  remediation = each.key
}}

resource "expel_remediation_permissions" "custom" {{
  for_each         = local.remediations
  client_id        = "{custom}"
  remediation      = each.key
  application_type = "custom"
}}

resource "expel_role_assignment" "expel" {{
  for_each     = expel_remediation_permissions.expel
  principal_id = each.value.service_principal_id
  role         = each.value.required_directory_role
}}

resource "expel_role_assignment" "custom" {{
  for_each     = expel_remediation_permissions.custom
  principal_id = each.value.service_principal_id
  role         = each.value.required_directory_role
}}

resource "expel_context_list" "lists" {{
  for_each     = {{ "Never reset" = "username", "Always reset" = "username", "Never remove" = "email_address" }}
  name         = each.key
  context_type = each.value
  values       = ["someone@contoso.com"]
}}
"#,
        expel = seed.expel_app_client_id,
        custom = seed.custom_app_client_id,
    ));
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();

    let state = sandbox.state();
    assert_eq!(
        count(
            &state,
            "appRoleAssignments",
            "principalId",
            &seed.expel_app_service_principal_id
        ),
        2,
        "{state:#}"
    );
    assert_eq!(
        count(
            &state,
            "appRoleAssignments",
            "principalId",
            &seed.custom_app_service_principal_id
        ),
        2,
        "{state:#}"
    );
    assert_eq!(
        count(
            &state,
            "roleAssignments",
            "principalId",
            &seed.expel_app_service_principal_id
        ),
        2,
        "{state:#}"
    );
    assert_eq!(
        count(
            &state,
            "roleAssignments",
            "principalId",
            &seed.custom_app_service_principal_id
        ),
        2,
        "{state:#}"
    );
    assert_eq!(
        state["contextVariables"].as_array().unwrap().len(),
        3,
        "{state:#}"
    );
    let custom_app = state["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == seed.custom_app_object_id.as_str())
        .unwrap();
    let declared: usize = custom_app["requiredResourceAccess"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resourceAccess"].as_array().unwrap().len())
        .sum();
    assert_eq!(
        declared, 3,
        "both permissions plus the hand-made scope: {custom_app:#}"
    );
    let stats = sandbox.stats();
    assert!(
        stats.total() > 40,
        "faults were exercised over a real number of requests: {stats:?}"
    );
    assert_eq!(
        stats.early_total(),
        0,
        "requests went out before a Retry-After on their route had passed: {:?}",
        stats.early
    );

    workspace.destroy();
    let state = sandbox.state();
    assert_eq!(
        count(
            &state,
            "appRoleAssignments",
            "principalId",
            &seed.expel_app_service_principal_id
        ),
        0,
        "{state:#}"
    );
    assert_eq!(
        state["roleAssignments"].as_array().unwrap().len(),
        0,
        "{state:#}"
    );
    assert!(
        state["contextVariables"].as_array().unwrap().is_empty(),
        "{state:#}"
    );
}
