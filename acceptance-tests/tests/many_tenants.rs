//! `examples/many-tenants` (the many-tenants guide's example): two tenants, each its own
//! embedded sandbox, one provider alias and one module call per tenant, in one apply. Each
//! tenant must get exactly its own objects, and the second plan must be empty.

use std::path::Path;

use expel_acceptance_tests::harness::{Credentials, Target, Workspace};
use serde_json::json;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the example's directory");
    for entry in std::fs::read_dir(from).expect("read the example").flatten() {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).expect("copy the example");
        }
    }
}

/// The example's per-tenant variable for one sandbox.
fn tenant(target: &Target) -> String {
    let env: std::collections::HashMap<String, String> = target
        .environment(Credentials::Secret)
        .into_iter()
        .collect();
    json!({
        "tenant_id": env["ARM_TENANT_ID"],
        "client_id": env["ARM_CLIENT_ID"],
        "client_secret": env["ARM_CLIENT_SECRET"],
        "api_key": env["EXPEL_API_KEY"],
        "graph_endpoint": env["EXPEL_GRAPH_ENDPOINT"],
        "authority_host": env["AZURE_AUTHORITY_HOST"],
        "workbench_url": env["EXPEL_WORKBENCH_URL"],
        "expel_app_client_id": target.expel_app_client_id().expect("the sandbox's Expel app"),
    })
    .to_string()
}

#[test]
fn two_tenants_in_one_apply() {
    let contoso = Target::from_env();
    let fabrikam = Target::from_env();
    let (Some(contoso_sandbox), Some(fabrikam_sandbox)) = (
        contoso.sandbox_only("two tenants need two sandboxes"),
        fabrikam.sandbox_only("two tenants need two sandboxes"),
    ) else {
        return;
    };
    // No provider variables at all: each alias is configured from its own variable.
    let workspace = Workspace::new(vec![
        ("TF_VAR_contoso".to_owned(), tenant(&contoso)),
        ("TF_VAR_fabrikam".to_owned(), tenant(&fabrikam)),
    ]);
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/many-tenants");
    copy_dir(&example, workspace.path());
    workspace.init();
    workspace.apply();
    workspace.assert_plan_empty();

    for (sandbox, domain) in [(contoso_sandbox, "contoso"), (fabrikam_sandbox, "fabrikam")] {
        let state = sandbox.state();
        let expel_sp = &sandbox.seed().expel_app_service_principal_id;
        let grants = state["appRoleAssignments"]
            .as_array()
            .expect("grants")
            .iter()
            .filter(|g| g["principalId"] == expel_sp.as_str())
            .count();
        let roles = state["roleAssignments"]
            .as_array()
            .expect("role assignments")
            .iter()
            .filter(|r| r["principalId"] == expel_sp.as_str())
            .count();
        assert_eq!((grants, roles), (2, 2), "{domain}: {state:#}");
        let lists = state["contextVariables"].to_string();
        assert!(
            lists.contains(&format!("breakglass@{domain}.com")),
            "{domain}: {lists}"
        );
        let other = if domain == "contoso" {
            "fabrikam"
        } else {
            "contoso"
        };
        assert!(
            !lists.contains(other),
            "{domain} got {other}'s lists: {lists}"
        );
    }
    let granted = workspace.output("granted");
    assert_eq!(
        granted["fabrikam"]["reset_credentials"]["role"],
        "User Administrator"
    );
}
