//! The complete examples a user copies: `examples/reset-credentials` with Expel's app and
//! `examples/remove-malicious-email` with a custom app (the one variable that switches), each
//! applied against the sandbox with an empty plan after; `examples/custom-app` needs azuread,
//! which CI cannot download, so it is only checked with `terraform fmt -check`.

use std::path::{Path, PathBuf};
use std::process::Command;

use expel_acceptance_tests::harness::{Credentials, Target, Workspace};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
}

fn apply_example(name: &str, vars: &[(&str, String)]) {
    let target = Target::from_env();
    let mut env = target.environment(Credentials::Secret);
    let client_id = match vars.iter().find(|(k, _)| *k == "application_type") {
        Some((_, kind)) if kind == "custom" => match target.sandbox() {
            Some(sandbox) => sandbox.seed().custom_app_client_id.clone(),
            None => {
                target.skip("needs the sandbox's seeded custom app");
                return;
            }
        },
        _ => match target.expel_app_client_id() {
            Some(id) => id,
            None => return,
        },
    };
    env.push(("TF_VAR_client_id".to_owned(), client_id));
    for (name, value) in vars {
        env.push((format!("TF_VAR_{name}"), value.clone()));
    }
    let workspace = Workspace::new(env);
    std::fs::copy(
        example(name).join("main.tf"),
        workspace.path().join("main.tf"),
    )
    .expect("copy the example");
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();
    let granted = workspace.output("granted");
    assert!(
        granted["permission"].is_string() && granted["role"].is_string(),
        "{granted}"
    );
    workspace.destroy();
}

#[test]
fn reset_credentials_with_the_expel_app() {
    apply_example(
        "reset-credentials",
        &[
            ("application_type", "expel".to_owned()),
            ("never_reset", r#"["breakglass@contoso.com"]"#.to_owned()),
            ("always_reset", r#"["kiosk@contoso.com"]"#.to_owned()),
        ],
    );
}

#[test]
fn remove_malicious_email_with_a_custom_app() {
    apply_example(
        "remove-malicious-email",
        &[
            ("application_type", "custom".to_owned()),
            ("never_remove", r#"["quarantine@contoso.com"]"#.to_owned()),
        ],
    );
}

#[test]
fn the_azuread_example_is_formatted() {
    let status = Command::new(std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".into()))
        .args(["fmt", "-check", "-diff", "-recursive"])
        .current_dir(example("custom-app"))
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .status()
        .expect("run terraform fmt");
    assert!(status.success(), "examples/custom-app is not formatted");
}
