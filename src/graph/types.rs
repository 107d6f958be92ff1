//! Graph objects as this provider needs them (camelCase on the wire).

use serde::{Deserialize, Serialize};

/// An app role an application exposes (an application permission when `Application` may hold it).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppRole {
    /// App role id.
    pub id: String,
    /// Permission name, e.g. `User.ReadWrite.All`.
    #[serde(default)]
    pub value: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `Application` and/or `User`.
    #[serde(default)]
    pub allowed_member_types: Vec<String>,
}

/// A service principal (enterprise application) in the tenant.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// Object id.
    pub id: String,
    /// Application (client) id.
    pub app_id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// App roles the application exposes.
    #[serde(default)]
    pub app_roles: Vec<AppRole>,
}

impl ServicePrincipal {
    /// The application-assignable app role with this `value`.
    pub fn app_role(&self, value: &str) -> Option<&AppRole> {
        self.app_roles.iter().find(|role| {
            role.value.as_deref() == Some(value)
                && role.allowed_member_types.iter().any(|t| t == "Application")
        })
    }
}

/// A granted app role (admin consent for one application permission).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleAssignment {
    /// Assignment id.
    pub id: String,
    /// The app role granted.
    pub app_role_id: String,
    /// Service principal holding the grant.
    pub principal_id: String,
    /// Resource service principal exposing the role.
    pub resource_id: String,
    /// Resource display name.
    #[serde(default)]
    pub resource_display_name: Option<String>,
}

/// One `requiredResourceAccess` entry of an application registration.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RequiredResourceAccess {
    /// The resource API's appId.
    pub resource_app_id: String,
    /// Permissions requested from it.
    #[serde(default)]
    pub resource_access: Vec<ResourceAccess>,
}

/// One requested permission.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct ResourceAccess {
    /// App role or scope id.
    pub id: String,
    /// `Role` (application permission) or `Scope` (delegated).
    #[serde(rename = "type")]
    pub kind: String,
}

/// An application registration.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// Object id.
    pub id: String,
    /// Application (client) id.
    pub app_id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Declared API permissions.
    #[serde(default)]
    pub required_resource_access: Vec<RequiredResourceAccess>,
}

/// A directory role definition.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinition {
    /// Definition id (equal to the template id for built-in roles).
    pub id: String,
    /// Template id, stable across tenants.
    #[serde(default)]
    pub template_id: Option<String>,
    /// Display name, e.g. `User Administrator`.
    pub display_name: String,
}

/// A directory role assignment.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    /// Assignment id.
    pub id: String,
    /// Role definition (template) id.
    pub role_definition_id: String,
    /// Assigned principal.
    pub principal_id: String,
    /// Scope, `/` for the whole directory.
    pub directory_scope_id: String,
}
