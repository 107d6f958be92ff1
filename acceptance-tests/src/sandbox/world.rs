//! The sandbox's tenant and Workbench organizations: every object, with the times that model
//! Entra replication lag, and the seed a fresh sandbox starts from.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

/// Microsoft Graph's appId.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Office 365 Exchange Online's appId.
pub const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";

/// Microsoft Graph application permissions the sandbox knows (real ids).
pub const GRAPH_APP_ROLES: &[(&str, &str)] = &[
    ("User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca"),
    ("User.Read.All", "df021288-bdef-4463-88db-98f22de89214"),
    (
        "Application.Read.All",
        "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    ),
    (
        "Application.ReadWrite.All",
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    ),
    (
        "Application.ReadWrite.OwnedBy",
        "18a4783c-866b-4cc7-a460-3d5e5662c884",
    ),
    (
        "AppRoleAssignment.ReadWrite.All",
        "06b708a9-e830-4db3-a914-8e69da51d44f",
    ),
    (
        "RoleManagement.ReadWrite.Directory",
        "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    ),
    (
        "RoleManagement.Read.Directory",
        "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    ),
    ("Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61"),
    ("AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da"),
    (
        "GroupMember.Read.All",
        "98830695-27a2-44f7-8c18-0c3ebc9698f6",
    ),
    (
        "Organization.Read.All",
        "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    ),
    ("Reports.Read.All", "230c1aed-a721-4c5d-9cb4-a90514e508ef"),
];

/// Office 365 Exchange Online application permissions the sandbox knows (real ids).
pub const EXCHANGE_APP_ROLES: &[(&str, &str)] = &[
    (
        "Exchange.ManageAsApp",
        "dc50a0fb-09a3-484d-be87-e023b12c6440",
    ),
    ("full_access_as_app", "dc890d15-9560-4a4c-9b7f-a736ec74ec40"),
];

/// Built-in directory roles (display name, template id).
pub const BUILT_IN_ROLES: &[(&str, &str)] = &[
    (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
    ),
    ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
    ("Security Reader", "5d6b6bb7-de71-4623-b4af-96380a352509"),
    (
        "Security Administrator",
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
    ),
    (
        "Exchange Administrator",
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
    ),
    (
        "Application Administrator",
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    ),
    (
        "Cloud Application Administrator",
        "158c047a-c907-4556-b7ef-446551a6b5f7",
    ),
    (
        "Helpdesk Administrator",
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    ),
    ("Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"),
];

/// Lifetime and lag bookkeeping of one directory object.
#[derive(Clone, Debug)]
pub struct Life {
    /// When reads by id and lists start to see it.
    pub visible_at: Instant,
    /// When it was deleted.
    pub deleted_at: Option<Instant>,
}

impl Life {
    /// Visible at once (seed data).
    pub fn now() -> Self {
        Self {
            visible_at: Instant::now(),
            deleted_at: None,
        }
    }

    /// Created now, visible after `lag`.
    pub fn lagging(lag: Duration) -> Self {
        Self {
            visible_at: Instant::now() + lag,
            deleted_at: None,
        }
    }

    /// Exists (whether or not replicated yet).
    pub fn exists(&self) -> bool {
        self.deleted_at.is_none()
    }

    /// A GET by id finds it.
    pub fn readable(&self) -> bool {
        self.exists() && Instant::now() >= self.visible_at
    }

    /// A list shows it: replicated, and not deleted longer than `lag` ago.
    pub fn listed(&self, lag: Duration) -> bool {
        Instant::now() >= self.visible_at
            && self.deleted_at.is_none_or(|at| Instant::now() < at + lag)
    }
}

/// An app role on a service principal.
#[derive(Clone, Debug)]
pub struct AppRole {
    pub id: String,
    pub value: String,
}

/// A service principal.
#[derive(Clone, Debug)]
pub struct ServicePrincipal {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub app_roles: Vec<AppRole>,
    pub life: Life,
}

/// An application registration.
#[derive(Clone, Debug)]
pub struct Application {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub required_resource_access: Value,
    /// The list before the last PATCH and until when reads still serve it (stale replicas).
    pub previous_required_resource_access: Option<(Value, Instant)>,
    /// Service principal object ids of its owners.
    pub owners: Vec<String>,
    pub life: Life,
}

impl Application {
    /// What a read sees: the list before the last PATCH while replicas are still stale.
    pub fn replicated_required_resource_access(&self) -> &Value {
        match &self.previous_required_resource_access {
            Some((previous, until)) if Instant::now() < *until => previous,
            _ => &self.required_resource_access,
        }
    }

    /// Replaces the list (a PATCH); reads keep serving the old one for `stale`.
    pub fn replace_required_resource_access(&mut self, entries: Value, stale: Duration) {
        let previous = std::mem::replace(&mut self.required_resource_access, entries);
        self.previous_required_resource_access =
            (!stale.is_zero()).then(|| (previous, Instant::now() + stale));
    }
}

/// An app role assignment (admin consent).
#[derive(Clone, Debug)]
pub struct Grant {
    pub id: String,
    pub app_role_id: String,
    pub principal_id: String,
    pub resource_id: String,
    pub created: String,
    pub life: Life,
}

/// A directory role assignment.
#[derive(Clone, Debug)]
pub struct RoleAssignment {
    pub id: String,
    pub role_definition_id: String,
    pub principal_id: String,
    pub directory_scope_id: String,
    pub life: Life,
}

/// A Workbench context variable.
#[derive(Clone, Debug)]
pub struct ContextVariable {
    pub id: String,
    pub organization_id: String,
    pub attributes: serde_json::Map<String, Value>,
}

/// A Workbench auto remediation setting (`remediation_action_settings`): one per organization
/// and action type, made when the organization is (PATCH only).
#[derive(Clone, Debug)]
pub struct RemediationSetting {
    pub id: String,
    pub organization_id: String,
    pub attributes: serde_json::Map<String, Value>,
    pub security_device_ids: Vec<String>,
}

/// A Workbench context label: a definition that references context variables.
#[derive(Clone, Debug)]
pub struct ContextLabel {
    pub id: String,
    pub organization_id: String,
    pub attributes: serde_json::Map<String, Value>,
    pub context_variable_ids: Vec<String>,
}

/// A list source of a remediation setting (`remediation_action_setting_list_sources`).
#[derive(Clone, Debug)]
pub struct ListSource {
    pub id: String,
    pub setting_id: String,
    pub attributes: serde_json::Map<String, Value>,
    pub context_label_id: Option<String>,
    pub security_device_id: Option<String>,
}

/// A Workbench security device (an integration), of one vendor.
#[derive(Clone, Debug)]
pub struct SecurityDevice {
    pub id: String,
    pub organization_id: String,
    pub attributes: serde_json::Map<String, Value>,
    pub vendor_id: String,
}

/// A vendor of security devices.
#[derive(Clone, Debug)]
pub struct Vendor {
    pub id: String,
    pub attributes: serde_json::Map<String, Value>,
}

/// The action types every organization has a setting for (two of Workbench's 26).
pub const ACTION_TYPES: &[&str] = &["RESET_CREDENTIALS_O365", "REMOVE_MALICIOUS_EMAIL"];

/// How an app may sign in.
#[derive(Clone, Debug, Default)]
pub struct AppCredentials {
    pub secret: Option<String>,
    /// SHA-1 thumbprint and PEM public key of its certificate.
    pub certificate: Option<(Vec<u8>, Vec<u8>)>,
    /// Federated identity: (issuer, subject).
    pub federated: Option<(String, String)>,
}

/// A token the sandbox issued.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub app_id: String,
    pub expires_at: Instant,
}

/// The seed: ids and secrets tests use to point the provider at the sandbox.
#[derive(Clone, Debug, Serialize)]
pub struct Seed {
    pub tenant_id: String,
    /// The provider's own identity (appId).
    pub client_id: String,
    pub client_secret: String,
    pub certificate_pem_path: PathBuf,
    pub certificate_pfx_path: PathBuf,
    pub certificate_password: String,
    pub oidc_subject: String,
    pub provider_service_principal_id: String,
    pub expel_app_client_id: String,
    pub expel_app_service_principal_id: String,
    pub custom_app_client_id: String,
    pub custom_app_object_id: String,
    pub custom_app_service_principal_id: String,
    pub graph_service_principal_id: String,
    pub exchange_service_principal_id: String,
    pub api_key: String,
    pub multi_org_api_key: String,
    /// A key of the first organization without the organization_admin role: it reads, and
    /// every write answers 403.
    pub analyst_api_key: String,
    pub organization_id: String,
    pub second_organization_id: String,
}

/// The ids of an app registration made with [`World::add_custom_app`].
#[derive(Clone, Debug)]
pub struct CustomApp {
    /// appId.
    pub client_id: String,
    /// The application object's id.
    pub object_id: String,
    /// Its service principal's object id.
    pub service_principal_id: String,
}

/// The ids of a service principal made with [`World::add_service_principals`].
#[derive(Clone, Debug, Serialize)]
pub struct ExtraPrincipal {
    /// appId.
    pub client_id: String,
    /// The service principal's object id.
    pub service_principal_id: String,
}

/// Everything the sandbox holds.
#[derive(Debug, Default)]
pub struct World {
    pub service_principals: Vec<ServicePrincipal>,
    pub applications: Vec<Application>,
    pub grants: Vec<Grant>,
    pub role_assignments: Vec<RoleAssignment>,
    pub context_variables: Vec<ContextVariable>,
    pub remediation_settings: Vec<RemediationSetting>,
    pub context_labels: Vec<ContextLabel>,
    pub list_sources: Vec<ListSource>,
    pub security_devices: Vec<SecurityDevice>,
    pub vendors: Vec<Vendor>,
    /// API keys that lack the organization_admin role.
    pub analyst_api_keys: HashSet<String>,
    /// (id, name)
    pub organizations: Vec<(String, String)>,
    /// API key → organization ids it sees.
    pub api_keys: HashMap<String, Vec<String>>,
    /// appId → credentials.
    pub credentials: HashMap<String, AppCredentials>,
    pub tokens: HashMap<String, IssuedToken>,
    /// Users, groups, MFA registrations and the organization (readiness checks).
    pub directory: super::directory::Directory,
}

/// A new random GUID.
pub fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new app role assignment id as Graph makes them: 43 characters of base64url, the first
/// 16 bytes being the principal's object id.
pub fn grant_id(principal_id: &str) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    if let Ok(principal) = uuid::Uuid::parse_str(principal_id) {
        bytes[..16].copy_from_slice(&principal.to_bytes_le());
    }
    rand::thread_rng().fill_bytes(&mut bytes[16..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A random opaque secret of `len` characters.
pub fn secret(len: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~_.-";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

/// The current time as Graph formats it.
pub fn timestamp() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn roles(list: &[(&str, &str)]) -> Vec<AppRole> {
    list.iter()
        .map(|(value, id)| AppRole {
            id: (*id).into(),
            value: (*value).into(),
        })
        .collect()
}

impl World {
    /// A service principal that exists.
    pub fn sp(&self, id: &str) -> Option<&ServicePrincipal> {
        self.service_principals
            .iter()
            .find(|sp| sp.id.eq_ignore_ascii_case(id) && sp.life.exists())
    }

    /// The service principal of an appId.
    pub fn sp_by_app(&self, app_id: &str) -> Option<&ServicePrincipal> {
        self.service_principals
            .iter()
            .find(|sp| sp.app_id.eq_ignore_ascii_case(app_id) && sp.life.exists())
    }

    /// Graph permissions (app role values) held by an app's service principal.
    pub fn graph_permissions_of(&self, app_id: &str) -> Vec<String> {
        let (Some(sp), Some(graph)) = (self.sp_by_app(app_id), self.sp_by_app(GRAPH_APP_ID)) else {
            return Vec::new();
        };
        self.grants
            .iter()
            .filter(|g| g.life.exists() && g.principal_id == sp.id && g.resource_id == graph.id)
            .filter_map(|g| {
                graph
                    .app_roles
                    .iter()
                    .find(|r| r.id == g.app_role_id)
                    .map(|r| r.value.clone())
            })
            .collect()
    }

    /// Adds a service principal visible at once; returns its id.
    fn add_sp(&mut self, app_id: &str, name: &str, app_roles: Vec<AppRole>) -> String {
        let id = guid();
        self.service_principals.push(ServicePrincipal {
            id: id.clone(),
            app_id: app_id.into(),
            display_name: name.into(),
            app_roles,
            life: Life::now(),
        });
        id
    }

    /// Grants a Graph permission to a service principal, visible at once.
    pub fn seed_grant(&mut self, principal_id: &str, permission: &str) {
        let Some(graph) = self.sp_by_app(GRAPH_APP_ID).cloned() else {
            return;
        };
        let Some(role) = graph.app_roles.iter().find(|r| r.value == permission) else {
            return;
        };
        self.grants.push(Grant {
            id: grant_id(principal_id),
            app_role_id: role.id.clone(),
            principal_id: principal_id.into(),
            resource_id: graph.id.clone(),
            created: timestamp(),
            life: Life::now(),
        });
    }

    /// The seeded world, given the certificate and OIDC settings made at start.
    pub fn seeded(
        files: (PathBuf, PathBuf, String),
        certificate: (Vec<u8>, Vec<u8>),
        oidc_issuer: String,
    ) -> (World, Seed) {
        let mut world = World {
            directory: super::directory::Directory::seeded(),
            ..World::default()
        };
        let graph_sp = world.add_sp(GRAPH_APP_ID, "Microsoft Graph", roles(GRAPH_APP_ROLES));
        let exchange_sp = world.add_sp(
            EXCHANGE_APP_ID,
            "Office 365 Exchange Online",
            roles(EXCHANGE_APP_ROLES),
        );

        let client_id = guid();
        let client_secret = secret(40);
        let provider_sp = world.add_sp(&client_id, "Terraform Expel Provider", Vec::new());
        world.applications.push(Application {
            id: guid(),
            app_id: client_id.clone(),
            display_name: "Terraform Expel Provider".into(),
            required_resource_access: json!([]),
            previous_required_resource_access: None,
            owners: Vec::new(),
            life: Life::now(),
        });
        for permission in [
            "Application.ReadWrite.All",
            "AppRoleAssignment.ReadWrite.All",
            "RoleManagement.ReadWrite.Directory",
        ] {
            world.seed_grant(&provider_sp, permission);
        }
        let oidc_subject = "repo:contoso/infra:ref:refs/heads/main".to_owned();
        world.credentials.insert(
            client_id.clone(),
            AppCredentials {
                secret: Some(client_secret.clone()),
                certificate: Some(certificate),
                federated: Some((oidc_issuer, oidc_subject.clone())),
            },
        );

        let expel_app_client_id = guid();
        let expel_sp = world.add_sp(
            &expel_app_client_id,
            "Expel Microsoft 365 Integration",
            Vec::new(),
        );

        let custom_app_client_id = guid();
        let custom_app_object_id = guid();
        let custom_sp = world.add_sp(
            &custom_app_client_id,
            "Expel Custom Integration",
            Vec::new(),
        );
        world.applications.push(Application {
            id: custom_app_object_id.clone(),
            app_id: custom_app_client_id.clone(),
            display_name: "Expel Custom Integration".into(),
            // A delegated permission someone declared by hand: must survive every edit.
            required_resource_access: json!([{
                "resourceAppId": GRAPH_APP_ID,
                "resourceAccess": [{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}]
            }]),
            previous_required_resource_access: None,
            owners: vec![provider_sp.clone()],
            life: Life::now(),
        });

        let organization_id = guid();
        let second_organization_id = guid();
        world
            .organizations
            .push((organization_id.clone(), "Contoso".into()));
        world
            .organizations
            .push((second_organization_id.clone(), "Fabrikam".into()));
        world.seed_workbench_integrations();
        let api_key = secret(48);
        let multi_org_api_key = secret(48);
        let analyst_api_key = secret(48);
        world
            .api_keys
            .insert(analyst_api_key.clone(), vec![organization_id.clone()]);
        world.analyst_api_keys.insert(analyst_api_key.clone());
        world
            .api_keys
            .insert(api_key.clone(), vec![organization_id.clone()]);
        world.api_keys.insert(
            multi_org_api_key.clone(),
            vec![organization_id.clone(), second_organization_id.clone()],
        );

        let (certificate_pem_path, certificate_pfx_path, certificate_password) = files;
        let seed = Seed {
            tenant_id: guid(),
            client_id,
            client_secret,
            certificate_pem_path,
            certificate_pfx_path,
            certificate_password,
            oidc_subject,
            provider_service_principal_id: provider_sp,
            expel_app_client_id,
            expel_app_service_principal_id: expel_sp,
            custom_app_client_id,
            custom_app_object_id,
            custom_app_service_principal_id: custom_sp,
            graph_service_principal_id: graph_sp,
            exchange_service_principal_id: exchange_sp,
            api_key,
            multi_org_api_key,
            analyst_api_key,
            organization_id,
            second_organization_id,
        };
        (world, seed)
    }

    /// Adds `count` service principals of multi-tenant apps (no registration in this tenant,
    /// like Expel's own app), named `Benchmark App 0001` and on, visible at once: a large
    /// tenant for benchmarks. Returns their ids in order.
    pub fn add_service_principals(&mut self, count: usize) -> Vec<ExtraPrincipal> {
        let first = self.service_principals.len();
        (0..count)
            .map(|n| {
                let client_id = guid();
                let name = format!("Benchmark App {:04}", first + n);
                let service_principal_id = self.add_sp(&client_id, &name, Vec::new());
                ExtraPrincipal {
                    client_id,
                    service_principal_id,
                }
            })
            .collect()
    }

    /// Adds a custom app registration named `name`, owned by `owner` (a service principal
    /// id), with no API permissions, and its service principal, both visible at once.
    pub fn add_custom_app(&mut self, name: &str, owner: &str) -> CustomApp {
        let app = CustomApp {
            client_id: guid(),
            object_id: guid(),
            service_principal_id: guid(),
        };
        self.add_app_replicating(&app, name, Some(owner), Duration::ZERO);
        app
    }

    /// Adds a service principal for `client_id` with the object id `service_principal_id`
    /// (and, with `registration`, its app registration owned by `owner`), both invisible to
    /// Graph for `lag`: an app another tool created moments ago.
    pub fn add_app_replicating(
        &mut self,
        app: &CustomApp,
        name: &str,
        registration: Option<&str>,
        lag: Duration,
    ) {
        self.service_principals.push(ServicePrincipal {
            id: app.service_principal_id.clone(),
            app_id: app.client_id.clone(),
            display_name: name.into(),
            app_roles: Vec::new(),
            life: Life::lagging(lag),
        });
        if let Some(owner) = registration {
            self.applications.push(Application {
                id: app.object_id.clone(),
                app_id: app.client_id.clone(),
                display_name: name.into(),
                required_resource_access: json!([]),
                previous_required_resource_access: None,
                owners: vec![owner.into()],
                life: Life::lagging(lag),
            });
        }
    }

    /// Declares one permission on an app registration by hand, as another writer (the
    /// portal, or azuread) would; returns whether the registration exists.
    pub fn declare_by_hand(
        &mut self,
        app_id: &str,
        resource_app_id: &str,
        id: &str,
        kind: &str,
    ) -> bool {
        let Some(app) = self
            .applications
            .iter_mut()
            .find(|a| a.app_id.eq_ignore_ascii_case(app_id) && a.life.exists())
        else {
            return false;
        };
        let mut entries = app
            .required_resource_access
            .as_array()
            .cloned()
            .unwrap_or_default();
        let access = json!({"id": id, "type": kind});
        match entries.iter_mut().find(|e| {
            e["resourceAppId"]
                .as_str()
                .is_some_and(|r| r.eq_ignore_ascii_case(resource_app_id))
        }) {
            Some(entry) => {
                if let Some(list) = entry["resourceAccess"].as_array_mut() {
                    list.push(access);
                }
            }
            None => {
                entries.push(json!({"resourceAppId": resource_app_id, "resourceAccess": [access]}))
            }
        }
        app.required_resource_access = Value::Array(entries);
        app.previous_required_resource_access = None;
        true
    }

    /// Deletes a service principal with its grants and directory role assignments, as Entra
    /// does; returns whether it existed.
    pub fn delete_service_principal(&mut self, id: &str) -> bool {
        let now = Instant::now();
        let Some(sp) = self
            .service_principals
            .iter_mut()
            .find(|sp| sp.id.eq_ignore_ascii_case(id) && sp.life.exists())
        else {
            return false;
        };
        sp.life.deleted_at = Some(now);
        for grant in self.grants.iter_mut().filter(|g| {
            g.life.exists()
                && (g.principal_id.eq_ignore_ascii_case(id)
                    || g.resource_id.eq_ignore_ascii_case(id))
        }) {
            grant.life.deleted_at = Some(now);
        }
        for assignment in self
            .role_assignments
            .iter_mut()
            .filter(|r| r.life.exists() && r.principal_id.eq_ignore_ascii_case(id))
        {
            assignment.life.deleted_at = Some(now);
        }
        true
    }

    /// Each organization's vendors' devices (a Microsoft 365 tenant and an endpoint agent)
    /// and its auto remediation settings, opted out, on no device and no list.
    fn seed_workbench_integrations(&mut self) {
        let vendor = |name: &str, display_name: &str, service_type: &str| Vendor {
            id: guid(),
            attributes:
                json!({"name": name, "display_name": display_name, "service_type": service_type})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
        };
        let microsoft = vendor("o365", "Microsoft 365", "CLOUD");
        let crowdstrike = vendor("crowdstrike", "CrowdStrike", "ENDPOINT");
        let now = timestamp();
        for (org, org_name) in self.organizations.clone() {
            for (name, device_type, slug, vendor_id) in [
                (
                    format!("{org_name} Microsoft 365"),
                    "CLOUD",
                    "o365",
                    &microsoft.id,
                ),
                (
                    format!("{org_name} Falcon"),
                    "ENDPOINT",
                    "crowdstrike",
                    &crowdstrike.id,
                ),
            ] {
                self.security_devices.push(SecurityDevice {
                    id: guid(),
                    organization_id: org.clone(),
                    attributes: json!({"name": name, "device_type": device_type, "status": "healthy", "plugin_slug": slug, "location": null, "task_source": null, "deleted_at": null, "created_at": now, "updated_at": now})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                    vendor_id: vendor_id.clone(),
                });
            }
            for action_type in ACTION_TYPES {
                self.remediation_settings.push(RemediationSetting {
                    id: guid(),
                    organization_id: org.clone(),
                    attributes: json!({"action_type": action_type, "automate_opt_in": false, "automate_opt_in_agreement_version": null, "automate_opt_in_at": null, "automate_list_type": null, "created_at": now, "updated_at": now})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                    security_device_ids: Vec::new(),
                });
            }
        }
        self.vendors.push(microsoft);
        self.vendors.push(crowdstrike);
    }

    /// A JSON dump of every existing object, for tests that count duplicates.
    pub fn dump(&self) -> Value {
        json!({
            "servicePrincipals": self.service_principals.iter().filter(|s| s.life.exists()).map(|s| json!({"id": s.id, "appId": s.app_id, "displayName": s.display_name})).collect::<Vec<_>>(),
            "applications": self.applications.iter().filter(|a| a.life.exists()).map(|a| json!({"id": a.id, "appId": a.app_id, "requiredResourceAccess": a.required_resource_access})).collect::<Vec<_>>(),
            "appRoleAssignments": self.grants.iter().filter(|g| g.life.exists()).map(|g| json!({"id": g.id, "appRoleId": g.app_role_id, "principalId": g.principal_id, "resourceId": g.resource_id})).collect::<Vec<_>>(),
            "roleAssignments": self.role_assignments.iter().filter(|r| r.life.exists()).map(|r| json!({"id": r.id, "roleDefinitionId": r.role_definition_id, "principalId": r.principal_id, "directoryScopeId": r.directory_scope_id})).collect::<Vec<_>>(),
            "contextVariables": self.context_variables.iter().map(|c| json!({"id": c.id, "organizationId": c.organization_id, "attributes": c.attributes})).collect::<Vec<_>>(),
            "remediationActionSettings": self.remediation_settings.iter().map(|r| json!({"id": r.id, "organizationId": r.organization_id, "attributes": r.attributes, "securityDeviceIds": r.security_device_ids})).collect::<Vec<_>>(),
            "contextLabels": self.context_labels.iter().map(|l| json!({"id": l.id, "organizationId": l.organization_id, "attributes": l.attributes, "contextVariableIds": l.context_variable_ids})).collect::<Vec<_>>(),
            "listSources": self.list_sources.iter().map(|s| json!({"id": s.id, "settingId": s.setting_id, "attributes": s.attributes, "contextLabelId": s.context_label_id})).collect::<Vec<_>>(),
        })
    }
}
