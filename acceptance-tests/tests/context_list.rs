//! `expel_context_list` resource and data source end to end against Workbench: the "Never
//! reset", "Always reset" and "Never remove" lists.

use expel_acceptance_tests::harness::{Credentials, Target, Workspace};
use expel_acceptance_tests::sandbox::world::ContextVariable;
use expel_acceptance_tests::sandbox::SandboxConfig;
use serde_json::{json, Value};

fn list(name: &str, list_name: &str, context_type: &str, values: &[&str]) -> String {
    let values: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!(
        r#"
resource "expel_context_list" "{name}" {{
  name         = "{list_name}"
  context_type = "{context_type}"
  values       = [{}]
}}
"#,
        values.join(", ")
    )
}

fn config(blocks: &[String]) -> String {
    format!("provider \"expel\" {{}}\n{}", blocks.concat())
}

/// This test's context lists in Workbench, read through its API.
fn variables(target: &Target) -> Vec<Value> {
    target
        .api()
        .expect("Workbench access")
        .context_lists()
        .expect("list the context entries")
        .into_iter()
        .filter(|v| {
            v["attributes"]["name"]
                .as_str()
                .is_some_and(|n| target.named_here(n))
        })
        .collect()
}

fn values_of(target: &Target, id: &str) -> Vec<String> {
    let found = variables(target)
        .into_iter()
        .find(|v| v["id"] == id)
        .expect("list exists");
    let mut values: Vec<String> = found["attributes"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    values.sort();
    values
}

/// Workbench-only: no Entra credentials at all.
fn workbench_only(target: &Target) -> Workspace {
    Workspace::new(target.environment(Credentials::None))
}

#[test]
fn lists_of_both_remediations_live_through_the_full_lifecycle() {
    let target = Target::from_env();
    let workspace = workbench_only(&target);
    workspace.config(&config(&[
        list(
            "never_reset",
            &target.name("Never reset"),
            "username",
            &["breakglass@contoso.com", "svc-backup"],
        ),
        list(
            "always_reset",
            &target.name("Always reset"),
            "username",
            &["kiosk@contoso.com"],
        ),
        list(
            "never_remove",
            &target.name("Never remove"),
            "email_address",
            &["quarantine@contoso.com"],
        ),
    ]));
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();
    let never_reset = workspace.resource("expel_context_list.never_reset");
    let id = never_reset["id"].as_str().unwrap().to_owned();
    let api = target.api().expect("Workbench access");
    if let Some(sandbox) = target.sandbox() {
        assert_eq!(
            never_reset["organization_id"],
            sandbox.seed().organization_id.as_str()
        );
    }
    assert_eq!(
        values_of(&target, &id),
        vec!["breakglass@contoso.com", "svc-backup"]
    );

    workspace.assert_import_matches("expel_context_list.never_reset", &id);
    workspace.assert_import_matches(
        "expel_context_list.never_remove",
        &format!("name:{}", target.name("Never remove")),
    );

    // Values edited in Workbench: drift shows, apply puts them back.
    api.set_context_values(&id, &["intruder@contoso.com"])
        .expect("edit the list in Workbench");
    let plan = workspace.assert_plan_changes().text();
    assert!(
        plan.contains("expel_context_list.never_reset will be updated in-place"),
        "{plan}"
    );
    workspace.apply();
    assert_eq!(
        values_of(&target, &id),
        vec!["breakglass@contoso.com", "svc-backup"]
    );

    // Deleted in Workbench: planned for re-creation.
    api.delete_context_list(&id)
        .expect("delete the list in Workbench");
    let plan = workspace.assert_plan_changes().text();
    assert!(
        plan.contains("expel_context_list.never_reset will be created"),
        "{plan}"
    );
    workspace.apply();
    workspace.assert_plan_empty();

    workspace.destroy();
    assert!(variables(&target).is_empty(), "destroy left lists behind");
}

#[test]
fn rename_and_value_changes_update_in_place() {
    let target = Target::from_env();
    let workspace = workbench_only(&target);
    workspace.config(&config(&[list(
        "l",
        &target.name("Never reset"),
        "username",
        &["a"],
    )]));
    workspace.init();
    workspace.apply();
    let id = workspace.resource("expel_context_list.l")["id"].clone();
    workspace.config(&config(&[list(
        "l",
        &target.name("Never reset (VIPs)"),
        "username",
        &["a", "b"],
    )]));
    let plan = workspace.assert_plan_changes().text();
    assert!(plan.contains("1 to change, 0 to destroy"), "{plan}");
    workspace.apply();
    workspace.assert_plan_empty();
    let after = workspace.resource("expel_context_list.l");
    assert_eq!(after["id"], id);
    assert_eq!(after["name"], target.name("Never reset (VIPs)").as_str());
}

#[test]
fn changing_the_context_type_forces_replacement() {
    let target = Target::from_env();
    let workspace = workbench_only(&target);
    workspace.config(&config(&[list(
        "l",
        &target.name("Never remove"),
        "username",
        &["quarantine@contoso.com"],
    )]));
    workspace.init();
    workspace.apply();
    workspace.config(&config(&[list(
        "l",
        &target.name("Never remove"),
        "email_address",
        &["quarantine@contoso.com"],
    )]));
    let plan = workspace.assert_plan_changes().text();
    assert!(plan.contains("# forces replacement"), "{plan}");
    workspace.apply();
    workspace.assert_plan_empty();
    assert_eq!(variables(&target).len(), 1);
}

#[test]
fn case_changes_made_in_workbench_never_show_as_a_diff() {
    let target = Target::from_env();
    let workspace = workbench_only(&target);
    workspace.config(&config(&[list(
        "l",
        &target.name("Never remove"),
        "email_address",
        &["Quarantine@Contoso.com"],
    )]));
    workspace.init();
    workspace.apply();
    let id = workspace.resource("expel_context_list.l")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    target
        .api()
        .expect("Workbench access")
        .set_context_values(&id, &["quarantine@contoso.com"])
        .expect("edit the list in Workbench");
    workspace.assert_plan_empty();
}

#[test]
fn organization_with_more_entries_than_a_page_is_searched_to_the_end() {
    let target = Target::from_env_with(SandboxConfig {
        page_size: 3,
        ..SandboxConfig::default()
    });
    let Some(sandbox) =
        target.sandbox_only("shrinks the page size and seeds entries into the sandbox")
    else {
        return;
    };
    let org = sandbox.seed().organization_id.clone();
    sandbox.with_world(|world| {
        for n in 0..10 {
            let mut attributes = serde_json::Map::new();
            attributes.insert("name".into(), json!(format!("Existing {n}")));
            attributes.insert("context_type".into(), json!("hostname"));
            attributes.insert("value_type".into(), json!("string"));
            attributes.insert("is_array".into(), json!(true));
            attributes.insert("value".into(), json!([format!("host-{n}")]));
            world.context_variables.push(ContextVariable {
                id: uuid::Uuid::new_v4().to_string(),
                organization_id: org.clone(),
                attributes,
            });
        }
    });
    let workspace = workbench_only(&target);
    workspace.config(
        r#"
provider "expel" {}

data "expel_context_list" "last" {
  name = "Existing 9"
}

output "values" {
  value = data.expel_context_list.last.values
}
"#,
    );
    workspace.init();
    workspace.apply();
    assert_eq!(workspace.output("values"), json!(["host-9"]));

    let importer = workbench_only(&target);
    importer.config(&config(&[list(
        "imported",
        "Existing 8",
        "hostname",
        &["host-8"],
    )]));
    importer.init();
    importer.import("expel_context_list.imported", "name:Existing 8");
    importer.assert_plan_empty();
}

#[test]
fn five_thousand_values_apply_and_refresh_in_a_handful_of_requests() {
    let target = Target::from_env();
    let values: Vec<String> = (0..5_000)
        .map(|n| format!("user{n:04}@contoso.com"))
        .collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let workspace = workbench_only(&target);
    workspace.config(&config(&[list(
        "big",
        &target.name("Never reset"),
        "email_address",
        &refs,
    )]));
    workspace.init();
    let sandbox = target.sandbox();
    if let Some(sandbox) = sandbox {
        sandbox.reset_stats();
    }
    workspace.apply();
    if let Some(sandbox) = sandbox {
        let stats = sandbox.stats();
        assert_eq!(
            stats.count("POST /api/v2/context_variables"),
            1,
            "one POST creates the whole list: {stats:?}"
        );
        let id = workspace.resource("expel_context_list.big")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(values_of(&target, &id).len(), 5_000);
        sandbox.reset_stats();
    }
    workspace.ok(&["plan", "-refresh-only", "-no-color", "-input=false"]);
    workspace.assert_plan_empty();
    if let Some(sandbox) = sandbox {
        // Two refreshes (the -refresh-only plan and the plan after it), one GET each.
        assert_eq!(
            sandbox.stats().workbench_total(),
            2,
            "{:?}",
            sandbox.stats()
        );
    }
}

#[test]
fn bad_values_are_each_named_at_validate() {
    let target = Target::from_env();
    let workspace = workbench_only(&target);
    workspace.config(&config(&[
        list(
            "ips",
            &target.name("Hosts"),
            "ip_address",
            &["10.0.0.1", "10.0.0.300", "web-01"],
        ),
        list(
            "mail",
            &target.name("Never remove"),
            "email_address",
            &["a@contoso.com", "A@contoso.com"],
        ),
        list("empty", &target.name("Empty"), "username", &[]),
        list("kind", &target.name("Kind"), "mac_address", &["00:11"]),
    ]));
    workspace.init();
    let text = workspace.run(&["validate", "-no-color"]).text();
    for expected in [
        "\"10.0.0.300\" is not an IPv4 or IPv6 address",
        "\"web-01\" is not an IPv4 or IPv6 address",
        "Duplicate value in values",
        "values must not be empty",
        "unknown context type \"mac_address\"",
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
}

#[test]
fn a_taken_name_fails_with_how_to_import_it() {
    let target = Target::from_env();
    let env = target.environment(Credentials::None);
    let first = Workspace::new(env.clone());
    first.config(&config(&[list(
        "l",
        &target.name("Never reset"),
        "username",
        &["a"],
    )]));
    first.init();
    first.apply();

    let second = Workspace::new(env);
    second.config(&config(&[list(
        "l",
        &target.name("Never reset"),
        "username",
        &["b"],
    )]));
    second.init();
    let text = second.apply_fails().text();
    assert!(
        text.contains(&format!(
            "A context list named \"{}\" already exists",
            target.name("Never reset")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "terraform import <address> \"name:{}\"",
            target.name("Never reset")
        )),
        "{text}"
    );
}

#[test]
fn an_identical_list_under_a_taken_name_is_adopted() {
    let target = Target::from_env();
    let env = target.environment(Credentials::None);
    let first = Workspace::new(env.clone());
    first.config(&config(&[list(
        "l",
        &target.name("Never remove"),
        "email_address",
        &["Quarantine@Contoso.com", "hold@contoso.com"],
    )]));
    first.init();
    first.apply();
    let id = first.resource("expel_context_list.l")["id"].clone();

    // The same list from a state that does not know it, as after an apply killed between
    // the create and the state write; email addresses differing only in case are the same.
    let second = Workspace::new(env);
    second.config(&config(&[list(
        "l",
        &target.name("Never remove"),
        "email_address",
        &["hold@contoso.com", "quarantine@contoso.com"],
    )]));
    second.init();
    second.apply();
    assert_eq!(second.resource("expel_context_list.l")["id"], id);
    second.assert_plan_empty();
    assert_eq!(variables(&target).len(), 1, "adopted, not created again");
}

#[test]
fn a_wrong_api_key_names_expel_api_key() {
    let target = Target::from_env();
    let mut workspace = workbench_only(&target);
    workspace.set_env("EXPEL_API_KEY", "not-a-real-key");
    workspace.config(&config(&[list(
        "l",
        &target.name("Never reset"),
        "username",
        &["a"],
    )]));
    workspace.init();
    let text = workspace.apply_fails().text();
    assert!(text.contains("EXPEL_API_KEY"), "{text}");
    assert!(text.contains("401"), "{text}");
    assert!(!text.contains("not-a-real-key"), "the key leaked: {text}");
}

#[test]
fn data_source_reads_by_id_and_name() {
    let target = Target::from_env();
    let workspace = workbench_only(&target);
    workspace.config(&format!(
        r#"{}
data "expel_context_list" "by_id" {{
  id = expel_context_list.l.id
}}

data "expel_context_list" "by_name" {{
  name = expel_context_list.l.name
}}

output "same" {{
  value = data.expel_context_list.by_id.values == data.expel_context_list.by_name.values && data.expel_context_list.by_name.context_type == "email_address"
}}
"#,
        config(&[list("l", &target.name("Never remove"), "email_address", &["quarantine@contoso.com"])])
    ));
    workspace.init();
    workspace.apply();
    assert_eq!(workspace.output("same"), true);
}

#[test]
fn import_blocks_generate_a_config_that_plans_empty() {
    let target = Target::from_env();
    let env = target.environment(Credentials::None);
    Workspace::applied(
        env.clone(),
        &config(&[list(
            "l",
            &target.name("Never remove"),
            "email_address",
            &["quarantine@contoso.com", "hold@contoso.com"],
        )]),
    );

    let generated = Workspace::import_with_generated_config(
        env,
        &[(
            "expel_context_list.imported",
            &format!("name:{}", target.name("Never remove")),
        )],
    );
    assert!(generated.contains("quarantine@contoso.com"), "{generated}");
}
