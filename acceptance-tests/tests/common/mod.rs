//! What the interruption and concurrency tests share: a tenant of several custom apps, a
//! configuration of both remediations for each app plus context lists, and the checks that
//! the sandbox holds exactly that configuration — every object once, each tracked by
//! terraform's state — or, after destroy, nothing of it.

use std::collections::BTreeSet;

use expel_acceptance_tests::harness::Workspace;
use expel_acceptance_tests::sandbox::world::CustomApp;
pub use expel_acceptance_tests::sandbox::world::{EXCHANGE_APP_ID, GRAPH_APP_ID};
use expel_acceptance_tests::sandbox::Sandbox;
use serde_json::Value;

pub const USER_READ_WRITE_ALL: &str = "741f803b-c850-494e-b5df-cde7c675a1ca";
pub const EXCHANGE_MANAGE_AS_APP: &str = "dc50a0fb-09a3-484d-be87-e023b12c6440";
/// The delegated permission seeded on the sandbox's custom app, which no resource owns.
pub const SEEDED_SCOPE: &str = "e1fe6dd8-ba31-4d61-89e7-88639da4683d";
pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
pub const SECURITY_READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";

/// What the configuration acts on: the Expel app, custom apps, and context lists named
/// `"<list_prefix> NN"`.
pub struct Tenant {
    pub expel_client_id: String,
    pub expel_service_principal_id: String,
    /// The seeded custom app first (it also declares [`SEEDED_SCOPE`]), then those made for
    /// the test.
    pub custom_apps: Vec<CustomApp>,
    pub list_prefix: String,
    pub lists: usize,
}

impl Tenant {
    /// The seeded Expel app and custom app, plus `extra` custom apps made for this test, and
    /// `lists` context lists.
    pub fn prepare(sandbox: &Sandbox, extra: usize, list_prefix: &str, lists: usize) -> Self {
        let seed = sandbox.seed().clone();
        let mut custom_apps = vec![CustomApp {
            client_id: seed.custom_app_client_id.clone(),
            object_id: seed.custom_app_object_id.clone(),
            service_principal_id: seed.custom_app_service_principal_id.clone(),
        }];
        for n in 0..extra {
            let name = format!("Custom Integration {n}");
            let owner = &seed.provider_service_principal_id;
            custom_apps.push(sandbox.with_world(|world| world.add_custom_app(&name, owner)));
        }
        Self {
            expel_client_id: seed.expel_app_client_id,
            expel_service_principal_id: seed.expel_app_service_principal_id,
            custom_apps,
            list_prefix: list_prefix.to_owned(),
            lists,
        }
    }

    /// The service principals of every app.
    pub fn service_principals(&self) -> Vec<&str> {
        std::iter::once(self.expel_service_principal_id.as_str())
            .chain(
                self.custom_apps
                    .iter()
                    .map(|a| a.service_principal_id.as_str()),
            )
            .collect()
    }

    /// Both remediations' permissions and roles for every app, and the context lists.
    pub fn configuration(&self) -> String {
        let custom: Vec<String> = self
            .custom_apps
            .iter()
            .map(|a| format!("{:?}", a.client_id))
            .collect();
        format!(
            r#"
provider "expel" {{}}

locals {{
  remediations = toset(["reset_credentials", "remove_malicious_email"])
  custom = {{
    for pair in setproduct([{custom}], local.remediations) :
    "${{pair[0]}}/${{pair[1]}}" => {{ client_id = pair[0], remediation = pair[1] }}
  }}
  lists = {{ for n in range({lists}) : format("{prefix} %02d", n) => n }}
}}

resource "expel_remediation_permissions" "expel" {{
  for_each    = local.remediations
  client_id   = "{expel}"
  remediation = each.key
}}

resource "expel_remediation_permissions" "custom" {{
  for_each         = local.custom
  client_id        = each.value.client_id
  remediation      = each.value.remediation
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
  for_each     = local.lists
  name         = each.key
  context_type = each.value % 2 == 0 ? "username" : "email_address"
  values = (each.value % 2 == 0
    ? ["svc-backup-${{each.value}}", "BreakGlass${{each.value}}@Contoso.com"]
    : ["Quarantine${{each.value}}@Contoso.com"])
}}
"#,
            custom = custom.join(", "),
            expel = self.expel_client_id,
            lists = self.lists,
            prefix = self.list_prefix,
        )
    }

    /// Resources in [`Tenant::configuration`].
    pub fn resource_count(&self) -> usize {
        4 * (1 + self.custom_apps.len()) + self.lists
    }

    /// The context lists' names, sorted.
    pub fn list_names(&self) -> Vec<String> {
        (0..self.lists)
            .map(|n| format!("{} {n:02}", self.list_prefix))
            .collect()
    }
}

/// One collection of the sandbox's dump.
pub fn objects<'a>(state: &'a Value, collection: &str) -> &'a Vec<Value> {
    state[collection]
        .as_array()
        .expect("sandbox dump collection")
}

/// A JSON string's text (empty for anything else).
pub fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// What terraform's state tracks, by the sandbox ids it recorded.
#[derive(Default)]
pub struct Tracked {
    pub resources: usize,
    pub grants: BTreeSet<String>,
    pub role_assignments: BTreeSet<String>,
    pub context_lists: BTreeSet<String>,
    /// (client_id, app role id) of custom apps' declared permissions.
    pub declarations: BTreeSet<(String, String)>,
}

impl Tracked {
    /// Reads `terraform show -json`.
    pub fn of(workspace: &Workspace) -> Self {
        let state = workspace.state();
        let resources = state["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut tracked = Tracked {
            resources: resources.len(),
            ..Tracked::default()
        };
        for resource in &resources {
            let values = &resource["values"];
            match resource["type"].as_str() {
                Some("expel_remediation_permissions") => {
                    tracked
                        .grants
                        .insert(str_of(&values["app_role_assignment_id"]));
                    if values["application_type"] == "custom" {
                        tracked
                            .declarations
                            .insert((str_of(&values["client_id"]), str_of(&values["app_role_id"])));
                    }
                }
                Some("expel_role_assignment") => {
                    tracked.role_assignments.insert(str_of(&values["id"]));
                }
                Some("expel_context_list") => {
                    tracked.context_lists.insert(str_of(&values["id"]));
                }
                _ => {}
            }
        }
        tracked
    }
}

/// Objects of the configuration's apps and organization that the sandbox holds and
/// terraform's state does not track: orphans a later apply must adopt, or duplicates.
pub fn orphans(sandbox: &Sandbox, tenant: &Tenant, tracked: &Tracked) -> Vec<String> {
    let state = sandbox.state();
    let ours = tenant.service_principals();
    let mut found = Vec::new();
    for grant in objects(&state, "appRoleAssignments") {
        if ours.contains(&grant["principalId"].as_str().unwrap_or_default())
            && !tracked.grants.contains(&str_of(&grant["id"]))
        {
            found.push(format!("grant {}", grant["id"]));
        }
    }
    for assignment in objects(&state, "roleAssignments") {
        if !tracked
            .role_assignments
            .contains(&str_of(&assignment["id"]))
        {
            found.push(format!("role assignment {}", assignment["id"]));
        }
    }
    for list in objects(&state, "contextVariables") {
        if !tracked.context_lists.contains(&str_of(&list["id"])) {
            found.push(format!("context list {}", list["attributes"]["name"]));
        }
    }
    for app in &tenant.custom_apps {
        for (_, permission) in declarations(&state, &app.object_id) {
            if permission != SEEDED_SCOPE
                && !tracked
                    .declarations
                    .contains(&(app.client_id.clone(), permission.clone()))
            {
                found.push(format!("declaration of {permission} on {}", app.client_id));
            }
        }
    }
    found
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

/// The sandbox holds exactly what the configuration describes, each object once, and each is
/// the one terraform's state tracks.
pub fn assert_tenant_matches(sandbox: &Sandbox, tenant: &Tenant, workspace: &Workspace) {
    let state = sandbox.state();
    let tracked = Tracked::of(workspace);
    assert_eq!(tracked.resources, tenant.resource_count());
    for sp in tenant.service_principals() {
        let grants = objects(&state, "appRoleAssignments")
            .iter()
            .filter(|g| g["principalId"] == sp)
            .map(|g| str_of(&g["appRoleId"]))
            .collect();
        assert_eq!(
            sorted(grants),
            vec![USER_READ_WRITE_ALL, EXCHANGE_MANAGE_AS_APP],
            "grants of service principal {sp}: {state:#}"
        );
        let roles = objects(&state, "roleAssignments")
            .iter()
            .filter(|a| a["principalId"] == sp)
            .map(|a| str_of(&a["roleDefinitionId"]))
            .collect();
        assert_eq!(
            sorted(roles),
            vec![SECURITY_READER, USER_ADMINISTRATOR],
            "role assignments of service principal {sp}: {state:#}"
        );
    }
    for (n, app) in tenant.custom_apps.iter().enumerate() {
        let mut expected = vec![
            (
                EXCHANGE_APP_ID.to_owned(),
                EXCHANGE_MANAGE_AS_APP.to_owned(),
            ),
            (GRAPH_APP_ID.to_owned(), USER_READ_WRITE_ALL.to_owned()),
        ];
        if n == 0 {
            expected.push((GRAPH_APP_ID.to_owned(), SEEDED_SCOPE.to_owned()));
        }
        expected.sort();
        assert_eq!(
            declarations(&state, &app.object_id),
            expected,
            "requiredResourceAccess of {}",
            app.client_id
        );
    }
    let names = objects(&state, "contextVariables")
        .iter()
        .map(|l| str_of(&l["attributes"]["name"]))
        .collect();
    assert_eq!(
        sorted(names),
        tenant.list_names(),
        "context lists: {state:#}"
    );
    let orphans = orphans(sandbox, tenant, &tracked);
    assert!(orphans.is_empty(), "not tracked by terraform: {orphans:#?}");
}

/// Every `(resourceAppId, permission id)` an application declares, sorted, duplicates kept;
/// panics when one resource app has two entries.
pub fn declarations(state: &Value, object_id: &str) -> Vec<(String, String)> {
    let app = objects(state, "applications")
        .iter()
        .find(|a| a["id"] == object_id)
        .expect("the application exists");
    let entries = app["requiredResourceAccess"].as_array().unwrap();
    let resource_apps: BTreeSet<String> = entries
        .iter()
        .map(|e| str_of(&e["resourceAppId"]))
        .collect();
    assert_eq!(
        resource_apps.len(),
        entries.len(),
        "one entry per resource app: {app:#}"
    );
    let mut pairs: Vec<(String, String)> = entries
        .iter()
        .flat_map(|e| {
            e["resourceAccess"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| (str_of(&e["resourceAppId"]), str_of(&a["id"])))
                .collect::<Vec<_>>()
        })
        .collect();
    pairs.sort();
    pairs
}

/// After destroy: nothing of the configuration is left, and what it did not own is intact.
pub fn assert_tenant_clean(sandbox: &Sandbox, tenant: &Tenant) {
    let state = sandbox.state();
    let ours = tenant.service_principals();
    let grants = objects(&state, "appRoleAssignments")
        .iter()
        .filter(|g| ours.contains(&g["principalId"].as_str().unwrap_or_default()))
        .count();
    assert_eq!(grants, 0, "grants left behind: {state:#}");
    assert_eq!(
        objects(&state, "appRoleAssignments").len(),
        3,
        "the provider's own grants are intact: {state:#}"
    );
    assert!(
        objects(&state, "roleAssignments").is_empty(),
        "role assignments left behind: {state:#}"
    );
    assert!(
        objects(&state, "contextVariables").is_empty(),
        "context lists left behind: {state:#}"
    );
    for (n, app) in tenant.custom_apps.iter().enumerate() {
        let expected = if n == 0 {
            vec![(GRAPH_APP_ID.to_owned(), SEEDED_SCOPE.to_owned())]
        } else {
            Vec::new()
        };
        assert_eq!(declarations(&state, &app.object_id), expected);
    }
}
