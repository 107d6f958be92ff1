//! `expel_auto_remediation` and the `expel_security_device` data source end to end against
//! Workbench: both remediations opted in on lists from `expel_context_list`, import, drift
//! both ways, adoption, a key without organization_admin, bad input, destroy.
//!
//! Every test here changes the organization's two settings, which exist once per
//! organization: against a real tenant (or one shared sandbox process) they run one at a time.
//! (Each embedded sandbox belongs to its test, so there they run side by side.)

use std::sync::{Mutex, MutexGuard};

use expel_acceptance_tests::harness::{Credentials, Target, Workspace};
use serde_json::Value;

static SERIAL: Mutex<()> = Mutex::new(());

/// Holds the organization's settings for one test against a real tenant (each embedded
/// sandbox is the test's own).
fn serial(target: &Target) -> Option<MutexGuard<'static, ()>> {
    target
        .is_real_tenant()
        .then(|| SERIAL.lock().unwrap_or_else(|p| p.into_inner()))
}

const RESET: &str = "RESET_CREDENTIALS_O365";
const REMOVE: &str = "REMOVE_MALICIOUS_EMAIL";

fn list(name: &str, list_name: &str, context_type: &str, value: &str) -> String {
    format!(
        r#"
resource "expel_context_list" "{name}" {{
  name         = "{list_name}"
  context_type = "{context_type}"
  values       = ["{value}"]
}}
"#
    )
}

fn remediation(name: &str, remediation: &str, body: &str) -> String {
    format!(
        r#"
resource "expel_auto_remediation" "{name}" {{
  remediation = "{remediation}"
{body}
}}
"#
    )
}

fn config(blocks: &[String]) -> String {
    format!("provider \"expel\" {{}}\n{}", blocks.concat())
}

/// Workbench-only: no Entra credentials at all.
fn workbench_only(target: &Target) -> Workspace {
    Workspace::new(target.environment(Credentials::None))
}

/// The three lists of the lifecycle test.
fn lists(target: &Target) -> Vec<String> {
    vec![
        list(
            "never_reset",
            &target.name("Never reset"),
            "email_address",
            "breakglass@contoso.com",
        ),
        list(
            "always_reset",
            &target.name("Always reset"),
            "username",
            "kiosk",
        ),
        list(
            "never_remove",
            &target.name("Never remove"),
            "email_address",
            "quarantine@contoso.com",
        ),
    ]
}

/// A setting's attributes and linked lists, read through Workbench's API.
fn setting(target: &Target, action_type: &str) -> (Value, Vec<String>) {
    let api = target.api().expect("Workbench access");
    let setting = api
        .remediation_setting(action_type)
        .expect("read the setting");
    let id = setting["id"].as_str().expect("id").to_owned();
    let linked = api.linked_list_ids(&id).expect("read the list sources");
    (setting, linked)
}

fn id_of(workspace: &Workspace, address: &str) -> String {
    workspace.resource(address)["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{address} has an id"))
        .to_owned()
}

#[test]
fn both_remediations_live_through_the_full_lifecycle() {
    let target = Target::from_env();
    let _serial = serial(&target);
    let workspace = workbench_only(&target);
    let mut blocks = lists(&target);
    blocks.push(remediation(
        "reset",
        "reset_credentials",
        "  never_list_ids = [expel_context_list.never_reset.id]",
    ));
    blocks.push(remediation(
        "remove",
        "remove_malicious_email",
        "  never_list_ids = [expel_context_list.never_remove.id]",
    ));
    blocks.push(
        r#"
data "expel_security_device" "m365" {
  vendor = "microsoft_365"
}

output "runs_on_the_microsoft_365_device" {
  value = expel_auto_remediation.reset.security_device_ids == toset([data.expel_security_device.m365.id])
}
"#
        .to_owned(),
    );
    workspace.config(&config(&blocks));
    workspace.init();
    let sandbox = target.sandbox();
    workspace.apply();
    workspace.assert_plan_empty();
    assert_eq!(workspace.output("runs_on_the_microsoft_365_device"), true);

    let never_reset = id_of(&workspace, "expel_context_list.never_reset");
    let never_remove = id_of(&workspace, "expel_context_list.never_remove");
    let always_reset = id_of(&workspace, "expel_context_list.always_reset");
    let (reset, linked) = setting(&target, RESET);
    assert_eq!(reset["attributes"]["automate_opt_in"], true);
    assert_eq!(
        reset["attributes"]["automate_opt_in_agreement_version"],
        "V1"
    );
    assert_eq!(reset["attributes"]["automate_list_type"], "DENY");
    assert_eq!(linked, vec![never_reset.clone()]);
    let reset_id = reset["id"].as_str().unwrap().to_owned();
    assert_eq!(id_of(&workspace, "expel_auto_remediation.reset"), reset_id);
    let state = workspace.resource("expel_auto_remediation.reset");
    assert!(state["opted_in_at"].is_string(), "{state}");
    let (remove, linked) = setting(&target, REMOVE);
    assert_eq!(remove["attributes"]["automate_list_type"], "DENY");
    assert_eq!(linked, vec![never_remove.clone()]);
    let remove_id = remove["id"].as_str().unwrap().to_owned();

    workspace.assert_import_matches("expel_auto_remediation.reset", &reset_id);
    workspace.assert_import_matches(
        "expel_auto_remediation.remove",
        "remediation:remove_malicious_email",
    );

    // Drift, made in Workbench: Reset Credentials opted out, switched to "Always", its list
    // unlinked; Remove Malicious Email given another list.
    let api = target.api().expect("Workbench access");
    api.change_remediation_setting(
        &reset_id,
        serde_json::json!({"automate_opt_in": false, "automate_list_type": "ALLOW"}),
    )
    .expect("change the setting by hand");
    let mut orphaned = Vec::new();
    for source in api.list_sources_of(&reset_id).expect("list sources") {
        api.delete_list_source(source["id"].as_str().unwrap())
            .expect("unlink by hand");
        orphaned.push(source["relationships"]["context_label"]["data"]["id"].clone());
    }
    api.link_list_by_hand(&remove_id, &never_reset)
        .expect("link by hand");
    let plan = workspace.assert_plan_changes().text();
    for expected in [
        "expel_auto_remediation.reset will be updated in-place",
        "expel_auto_remediation.remove will be updated in-place",
        "~ enabled",
    ] {
        assert!(
            plan.contains(expected),
            "{expected:?} missing from:\n{plan}"
        );
    }
    workspace.apply();
    workspace.assert_plan_empty();
    let (reset, linked) = setting(&target, RESET);
    assert_eq!(reset["attributes"]["automate_opt_in"], true);
    assert_eq!(reset["attributes"]["automate_list_type"], "DENY");
    assert_eq!(linked, vec![never_reset.clone()]);
    assert_eq!(
        setting(&target, REMOVE).1,
        vec![never_remove.clone()],
        "the list linked by hand is unlinked"
    );

    // Changed in the configuration: "Always reset" instead, Remove Malicious Email paused.
    let mut blocks = lists(&target);
    blocks.push(remediation(
        "reset",
        "reset_credentials",
        "  always_list_ids = [expel_context_list.always_reset.id]",
    ));
    blocks.push(remediation(
        "remove",
        "remove_malicious_email",
        "  enabled        = false\n  never_list_ids = [expel_context_list.never_remove.id]",
    ));
    workspace.config(&config(&blocks));
    let plan = workspace.assert_plan_changes().text();
    assert!(
        plan.contains("0 to add, 2 to change, 0 to destroy"),
        "{plan}"
    );
    workspace.apply();
    workspace.assert_plan_empty();
    let (reset, linked) = setting(&target, RESET);
    assert_eq!(reset["attributes"]["automate_list_type"], "ALLOW");
    assert_eq!(linked, vec![always_reset]);
    assert_eq!(
        setting(&target, REMOVE).0["attributes"]["automate_opt_in"],
        false
    );

    workspace.destroy();
    for action_type in [RESET, REMOVE] {
        let (after, linked) = setting(&target, action_type);
        assert_eq!(
            after["attributes"]["automate_opt_in"], false,
            "{action_type} opted out"
        );
        assert!(linked.is_empty(), "{action_type} still links {linked:?}");
    }
    assert_eq!(
        setting(&target, RESET).0["id"],
        reset_id.as_str(),
        "the setting stays"
    );
    if let Some(sandbox) = sandbox {
        // What remains are the labels of the hand-made changes: the one whose list source was
        // deleted by hand, and the one linked by hand. Every label the provider made is gone.
        let state = sandbox.state();
        let mut left: Vec<Value> = state["contextLabels"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| !orphaned.contains(&l["id"]))
            .map(|l| l["attributes"]["title"].clone())
            .collect();
        left.sort_by_key(Value::to_string);
        assert_eq!(left, vec![Value::from("Linked by hand")]);
        assert_eq!(state["listSources"], serde_json::json!([]));
    }
}

#[test]
fn a_setting_enabled_by_hand_is_adopted_and_given_back_opted_out() {
    let target = Target::from_env();
    let _serial = serial(&target);
    let api = target.api().expect("Workbench access");
    let by_hand = api.remediation_setting(REMOVE).expect("the setting");
    let id = by_hand["id"].as_str().unwrap().to_owned();
    api.change_remediation_setting(
        &id,
        serde_json::json!({"automate_opt_in": true, "automate_opt_in_agreement_version": "V1", "automate_list_type": "DENY"}),
    )
    .expect("opt in by hand");

    let workspace = workbench_only(&target);
    workspace.config(&config(&[remediation(
        "remove",
        "remove_malicious_email",
        "",
    )]));
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();
    assert_eq!(
        id_of(&workspace, "expel_auto_remediation.remove"),
        id,
        "adopted, not made anew"
    );
    let (adopted, _) = setting(&target, REMOVE);
    assert_eq!(adopted["attributes"]["automate_opt_in"], true);
    assert_eq!(
        adopted["attributes"]["automate_list_type"],
        Value::Null,
        "no list configured: no list type"
    );
    workspace.destroy();
    assert_eq!(
        setting(&target, REMOVE).0["attributes"]["automate_opt_in"],
        false
    );
}

#[test]
fn a_key_without_organization_admin_is_refused_naming_the_role() {
    let target = Target::from_env();
    let _serial = serial(&target);
    let Some(key) = target.analyst_api_key() else {
        return;
    };
    let mut workspace = workbench_only(&target);
    workspace.set_env("EXPEL_API_KEY", &key);
    workspace.config(&config(&[remediation("reset", "reset_credentials", "")]));
    workspace.init();
    let text = workspace.apply_fails().text();
    assert!(text.contains("organization_admin"), "{text}");
    assert!(text.contains("403"), "{text}");
    assert!(!text.contains(&key), "the key leaked: {text}");
    assert!(
        workspace.resource("expel_auto_remediation.reset").is_null(),
        "nothing recorded"
    );
}

#[test]
fn bad_input_is_refused_before_any_write() {
    let target = Target::from_env();
    let _serial = serial(&target);
    let workspace = workbench_only(&target);
    workspace.config(&config(&[
        remediation(
            "both",
            "reset_credentials",
            "  never_list_ids  = [\"a\"]\n  always_list_ids = [\"b\"]",
        ),
        remediation(
            "always_remove",
            "remove_malicious_email",
            "  always_list_ids = [\"a\"]",
        ),
        remediation("empty", "reset_credentials", "  never_list_ids = []"),
        remediation("typo", "reset_password", ""),
    ]));
    workspace.init();
    let text = workspace.run(&["validate", "-no-color"]).text();
    for expected in [
        "Set only one of never_list_ids and always_list_ids",
        "always_list_ids is not offered for remove_malicious_email",
        "never_list_ids must not be empty",
        "unknown remediation \"reset_password\"",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    if let Some(sandbox) = target.sandbox() {
        assert_eq!(
            sandbox.stats().workbench_total(),
            0,
            "validation calls no API"
        );
    }

    // Lists of the wrong type, caught at plan with one read of the lists.
    let mut blocks = vec![
        list("hosts", &target.name("Hosts"), "hostname", "web-01"),
        list("users", &target.name("Never remove"), "username", "bob"),
    ];
    workspace.config(&config(&blocks));
    workspace.apply();
    blocks.push(remediation(
        "reset",
        "reset_credentials",
        "  never_list_ids = [expel_context_list.hosts.id]",
    ));
    blocks.push(remediation(
        "remove",
        "remove_malicious_email",
        "  never_list_ids = [expel_context_list.users.id]",
    ));
    workspace.config(&config(&blocks));
    if let Some(sandbox) = target.sandbox() {
        sandbox.reset_stats();
    }
    let outcome = workspace.run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(outcome.code, 0, "{}", outcome.text());
    let text = outcome.text();
    for expected in [
        format!(
            "Context list \"{}\" cannot be a \"Never reset\" list",
            target.name("Hosts")
        ),
        format!(
            "Context list \"{}\" cannot be a \"Never remove\" list",
            target.name("Never remove")
        ),
        "context_type = \"email_address\"".to_owned(),
        "never_list_ids of remove_malicious_email takes email_address lists".to_owned(),
    ] {
        assert!(
            text.contains(&expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // Request counts are exact only where no answer is lost or refused (the fault profile
    // makes clients retry, as the other request budgets account for).
    if let Some(sandbox) = target.sandbox().filter(|_| !target.retries_requests()) {
        let stats = sandbox.stats();
        assert_eq!(
            stats.count("GET /api/v2/context_variables"),
            1,
            "one read of the lists for both: {stats:?}"
        );
        assert_eq!(
            stats.count("PATCH /api/v2/remediation_action_settings/{id}"),
            0,
            "{stats:?}"
        );
    }
    workspace.config(&config(&blocks[..2]));
    workspace.destroy();
}

#[test]
fn request_budget_of_both_remediations() {
    let target = Target::from_env();
    let _serial = serial(&target);
    let Some(sandbox) = target.sandbox_only("counts the requests each operation sends") else {
        return;
    };
    let workspace = workbench_only(&target);
    let mut blocks = lists(&target);
    blocks.push(remediation(
        "reset",
        "reset_credentials",
        "  never_list_ids = [expel_context_list.never_reset.id]",
    ));
    blocks.push(remediation(
        "remove",
        "remove_malicious_email",
        "  never_list_ids = [expel_context_list.never_remove.id]",
    ));
    workspace.config(&config(&blocks));
    workspace.init();
    let settings = |stats: &expel_acceptance_tests::sandbox::Stats| -> Vec<(String, u64)> {
        stats
            .requests
            .iter()
            .filter(|(route, _)| {
                !route.contains("context_variables") && !route.contains("organizations")
            })
            .map(|(route, n)| (route.clone(), *n))
            .collect()
    };
    let expect = |operation: &str, expected: &[(&str, u64)]| {
        let stats = sandbox.stats();
        eprintln!("{operation}: {stats:?}");
        let expected: Vec<(String, u64)> = expected
            .iter()
            .map(|(r, n)| ((*r).to_owned(), *n))
            .collect();
        assert_eq!(settings(&stats), expected, "{operation}");
        sandbox.reset_stats();
    };
    sandbox.reset_stats();
    workspace.apply();
    // Per remediation: find the setting, list the devices, read the list sources, a label
    // (and a look for a twin left by a lost answer) and a list source for its list, one PATCH.
    expect(
        "create",
        &[
            ("GET /api/v2/context_labels", 2),
            ("GET /api/v2/remediation_action_setting_list_sources", 2),
            ("GET /api/v2/remediation_action_settings", 2),
            ("GET /api/v2/security_devices", 2),
            ("PATCH /api/v2/remediation_action_settings/{id}", 2),
            ("POST /api/v2/context_labels", 2),
            ("POST /api/v2/remediation_action_setting_list_sources", 2),
        ],
    );
    workspace.ok(&["plan", "-refresh-only", "-no-color", "-input=false"]);
    expect(
        "refresh",
        &[
            ("GET /api/v2/remediation_action_setting_list_sources", 2),
            ("GET /api/v2/remediation_action_settings/{id}", 2),
        ],
    );
    blocks.pop();
    blocks.push(remediation(
        "remove",
        "remove_malicious_email",
        "  enabled        = false\n  never_list_ids = [expel_context_list.never_remove.id]",
    ));
    workspace.config(&config(&blocks));
    workspace.apply();
    // The refresh before the plan (2 per remediation), then the update: read the setting and
    // its list sources, one PATCH.
    expect(
        "update",
        &[
            ("GET /api/v2/remediation_action_setting_list_sources", 3),
            ("GET /api/v2/remediation_action_settings/{id}", 3),
            ("PATCH /api/v2/remediation_action_settings/{id}", 1),
        ],
    );
    workspace.destroy();
    // The refresh, then per remediation: read the list sources, one PATCH, delete the list
    // source and its label.
    expect(
        "delete",
        &[
            ("DELETE /api/v2/context_labels/{id}", 2),
            (
                "DELETE /api/v2/remediation_action_setting_list_sources/{id}",
                2,
            ),
            ("GET /api/v2/remediation_action_setting_list_sources", 4),
            ("GET /api/v2/remediation_action_settings/{id}", 2),
            ("PATCH /api/v2/remediation_action_settings/{id}", 2),
        ],
    );
}
