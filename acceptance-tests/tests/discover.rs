//! `terraform-provider-expel discover` against a tenant set up by hand: both remediations for
//! the Expel app and for a custom app, their directory roles and three context lists, all made
//! through the Graph and Workbench APIs (no terraform), beside a decoy app holding an
//! unrelated permission and role. Discover must find exactly the remediations' objects and
//! write nothing; `plan -generate-config-out` on its output, then apply, must import
//! everything with zero writes and leave an empty plan.

use std::process::Command;

use expel_acceptance_tests::harness::{provider_binary, Credentials, Target, Workspace};
use reqwest::Method;
use serde_json::json;

const USER_READ_WRITE_ALL: &str = "741f803b-c850-494e-b5df-cde7c675a1ca";
const EXCHANGE_MANAGE_AS_APP: &str = "dc50a0fb-09a3-484d-be87-e023b12c6440";
const USER_READ_ALL: &str = "df021288-bdef-4463-88db-98f22de89214";
const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const SECURITY_READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";
const GLOBAL_READER: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";

/// `terraform-provider-expel <args>` run by hand with exactly the provider variables `env`.
fn run_provider(env: &[(String, String)], args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(provider_binary());
    for (name, _) in std::env::vars() {
        if name.starts_with("ARM_")
            || name.starts_with("EXPEL_")
            || name.starts_with("AZURE_")
            || name.starts_with("TF_")
        {
            command.env_remove(name);
        }
    }
    let output = command
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run the provider binary");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Graph and Workbench requests that change something (token requests excluded).
fn writes(stats: &expel_acceptance_tests::sandbox::Stats) -> Vec<(String, u64)> {
    stats
        .requests
        .iter()
        .filter(|(route, _)| route.contains(" /v1.0/") || route.contains(" /api/v2/"))
        .filter(|(route, _)| !route.starts_with("GET "))
        .map(|(route, n)| (route.clone(), *n))
        .collect()
}

fn sp_of(api: &expel_acceptance_tests::harness::TenantApi, app_id: &str) -> String {
    api.service_principal_of(app_id)
        .expect("look up a service principal")
        .and_then(|sp| sp["id"].as_str().map(str::to_owned))
        .expect("the service principal exists")
}

fn create_list(
    api: &expel_acceptance_tests::harness::TenantApi,
    name: &str,
    context_type: &str,
    values: &[&str],
) -> String {
    let body = json!({"data": {"type": "context_variables", "attributes": {
        "name": name,
        "description": "made by hand",
        "context_type": context_type,
        "value_type": "string",
        "is_array": true,
        "value": values,
    }}});
    let created = api
        .workbench(Method::POST, "context_variables", Some(body))
        .expect("create a context list by hand");
    created["data"]["id"].as_str().expect("list id").to_owned()
}

#[test]
fn discover_adopts_a_tenant_set_up_by_hand_without_writing() {
    let target = Target::from_env();
    let Some(sandbox) = target.sandbox_only("counts the requests of discover and apply") else {
        return;
    };
    let api = target.api().expect("the sandbox's APIs");
    let expel_sp = sandbox.seed().expel_app_service_principal_id.clone();
    let graph_sp = sp_of(api, GRAPH_APP_ID);
    let exchange_sp = sp_of(api, EXCHANGE_APP_ID);

    // By hand, as in the guides: the Expel app gets both permissions and both roles…
    api.grant(&expel_sp, &graph_sp, USER_READ_WRITE_ALL)
        .expect("grant");
    api.grant(&expel_sp, &exchange_sp, EXCHANGE_MANAGE_AS_APP)
        .expect("grant");
    api.assign_role(&expel_sp, USER_ADMINISTRATOR)
        .expect("assign");
    api.assign_role(&expel_sp, SECURITY_READER).expect("assign");
    // …a custom app declares both, gets consent and both roles…
    let custom = target.new_app("discover custom").expect("custom app");
    api.set_required_resource_access(
        &custom.object_id,
        json!([
            {"resourceAppId": GRAPH_APP_ID, "resourceAccess": [{"id": USER_READ_WRITE_ALL, "type": "Role"}]},
            {"resourceAppId": EXCHANGE_APP_ID, "resourceAccess": [{"id": EXCHANGE_MANAGE_AS_APP, "type": "Role"}]},
        ]),
    )
    .expect("declare");
    let custom_sp = custom.service_principal_id.clone();
    api.grant(&custom_sp, &graph_sp, USER_READ_WRITE_ALL)
        .expect("grant");
    api.grant(&custom_sp, &exchange_sp, EXCHANGE_MANAGE_AS_APP)
        .expect("grant");
    api.assign_role(&custom_sp, USER_ADMINISTRATOR)
        .expect("assign");
    api.assign_role(&custom_sp, SECURITY_READER)
        .expect("assign");
    // …three lists; and decoys: an app with an unrelated permission and role, a hostname list.
    let decoy = target.new_app("discover decoy").expect("decoy app");
    api.grant(&decoy.service_principal_id, &graph_sp, USER_READ_ALL)
        .expect("grant");
    api.assign_role(&decoy.service_principal_id, GLOBAL_READER)
        .expect("assign");
    let lists = [
        create_list(api, "Never reset", "username", &["breakglass@contoso.com"]),
        create_list(api, "Always reset", "username", &["kiosk@contoso.com"]),
        create_list(
            api,
            "Never remove",
            "email_address",
            &["quarantine@contoso.com"],
        ),
    ];
    let hosts = create_list(api, "Servers", "hostname", &["dc01"]);
    // …and Reset Credentials opted in on the "Never reset" list, as in Settings > Auto
    // Remediations. Remove Malicious Email stays as Workbench made it (not opted in).
    let setting = api
        .remediation_setting("RESET_CREDENTIALS_O365")
        .expect("the seeded setting");
    let setting_id = setting["id"].as_str().expect("setting id").to_owned();
    api.link_list_by_hand(&setting_id, &lists[0])
        .expect("link the Never reset list");
    // Workbench enables a remediation per device: the organization's Microsoft 365 one.
    let devices = api
        .workbench(Method::GET, "security_devices?include=vendor", None)
        .expect("list the security devices");
    let microsoft_365 = devices["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["attributes"]["plugin_slug"] == "o365")
        .and_then(|d| d["id"].as_str())
        .expect("the Microsoft 365 device")
        .to_owned();
    api.workbench(
        Method::PATCH,
        &format!("remediation_action_settings/{setting_id}"),
        Some(json!({"id": setting_id, "data": {
            "type": "remediation_action_settings",
            "id": setting_id,
            "attributes": {"automate_opt_in": true, "automate_opt_in_agreement_version": "V1", "automate_list_type": "DENY"},
            "relationships": {"security_devices": {"data": [{"type": "security_devices", "id": microsoft_365}]}},
        }})),
    )
    .expect("opt in on the Microsoft 365 device");
    target.settle();

    // Discover reads only.
    let env = target.environment(Credentials::Secret);
    let workspace = Workspace::new(env.clone());
    workspace.config("provider \"expel\" {}\n");
    let imports = workspace.path().join("imports.tf");
    sandbox.reset_stats();
    let (code, stdout, stderr) = run_provider(
        &env,
        &[
            "discover",
            "--output",
            imports.to_str().expect("utf-8 path"),
        ],
    );
    assert_eq!(code, 0, "discover failed:\n{stdout}\n{stderr}");
    assert!(
        writes(&sandbox.stats()).is_empty(),
        "discover wrote: {:?}",
        writes(&sandbox.stats())
    );
    assert!(
        stderr.contains("discover: reading"),
        "no progress on stderr:\n{stderr}"
    );
    let text = std::fs::read_to_string(&imports).expect("discover wrote the file");
    eprintln!("discover printed:\n{text}");

    let body: hcl::Body = hcl::from_str(&text).expect("discover writes valid HCL");
    let ids: Vec<String> = body
        .blocks()
        .map(|b| {
            assert_eq!(b.identifier(), "import");
            let id = b.body().attributes().find(|a| a.key() == "id").expect("id");
            match id.expr() {
                hcl::Expression::String(s) => s.clone(),
                other => panic!("id is not a string: {other:?}"),
            }
        })
        .collect();
    let mut expected: Vec<String> = vec![
        format!("{expel_sp}/reset_credentials"),
        format!("{expel_sp}/remove_malicious_email"),
        format!("{custom_sp}/reset_credentials/custom"),
        format!("{custom_sp}/remove_malicious_email/custom"),
    ];
    for principal in [&expel_sp, &custom_sp] {
        for role in [USER_ADMINISTRATOR, SECURITY_READER] {
            let assignment = api
                .role_assignments_of(principal)
                .expect("role assignments")
                .into_iter()
                .find(|a| a["roleDefinitionId"] == role)
                .expect("the assignment made by hand");
            expected.push(assignment["id"].as_str().unwrap().to_owned());
        }
    }
    expected.extend(lists.iter().cloned());
    expected.push("remediation:reset_credentials".to_owned());
    let (mut got, mut want) = (ids.clone(), expected.clone());
    got.sort();
    want.sort();
    assert_eq!(got, want, "discover found other objects:\n{text}");
    assert!(!text.contains(&decoy.service_principal_id) && !text.contains(&hosts));
    assert!(
        text.contains("# User Administrator for Expel Microsoft 365 Integration\nimport {"),
        "{text}"
    );
    assert!(
        text.contains(
            "# Reset Credentials auto remediation, opted in, on 1 \"Never reset\" list\nimport {"
        ),
        "{text}"
    );

    // generate-config-out, then apply: imports everything, writes nothing, plans empty.
    workspace.init();
    let plan = workspace.run(&[
        "plan",
        "-no-color",
        "-input=false",
        "-generate-config-out=generated.tf",
    ]);
    assert!(
        plan.code == 0,
        "plan -generate-config-out failed:\n{}",
        plan.text()
    );
    assert!(
        plan.stdout
            .contains("12 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    sandbox.reset_stats();
    workspace.apply();
    assert!(
        writes(&sandbox.stats()).is_empty(),
        "the import apply wrote: {:?}",
        writes(&sandbox.stats())
    );
    workspace.assert_plan_empty();

    // Nothing found is exit code 2: the decoy app, with Workbench left out.
    let graph_only: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| k != "EXPEL_API_KEY")
        .cloned()
        .collect();
    let (code, stdout, stderr) =
        run_provider(&graph_only, &["discover", "--client-id", &decoy.client_id]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stdout.is_empty() && stderr.contains("Expel Workbench was not read"),
        "{stderr}"
    );
}
