//! Microsoft Graph v1.0 client: Entra tokens, retries, paging and typed calls.
//!
//! Knows nothing of Terraform or of Workbench. Every call names the Graph application
//! permission it needs, so a 403 tells the user exactly what to grant the provider's identity.

pub mod auth;
pub(crate) mod client;
pub mod consistency;
pub mod declarations;
pub mod error;
pub mod filter;
pub mod readiness;
pub mod types;

use reqwest::Method;
use serde_json::json;

pub use client::GraphClient;
pub use consistency::Consistency;
pub use declarations::{DeclarationError, Permission};
pub use error::{ApiFailure, GraphError};
pub use types::*;

/// Permission that allows reading service principals and applications.
const READ: &str = "Application.Read.All (or Application.ReadWrite.All)";
/// Permission that allows granting and revoking app roles.
const GRANT: &str = "AppRoleAssignment.ReadWrite.All";
/// Permission that allows editing application registrations.
const EDIT_APP: &str =
    "Application.ReadWrite.All (or Application.ReadWrite.OwnedBy as an owner of the application)";
/// Permission that allows reading and assigning directory roles.
const ROLES: &str = "RoleManagement.ReadWrite.Directory";

impl GraphClient {
    /// Finds the service principal of an application by its appId.
    pub async fn find_service_principal_by_app_id(
        &self,
        app_id: &str,
        consistency: Consistency,
    ) -> Result<Option<ServicePrincipal>, GraphError> {
        let filter = filter::eq("appId", app_id);
        let url = self.url(&["servicePrincipals"], &[("$filter", &filter)]);
        let what = format!("the service principal of client_id {app_id}");
        consistency
            .find(&what, || async {
                Ok(self.list(url.clone(), READ).await?.into_iter().next())
            })
            .await
    }

    /// Finds service principals by display name (several may share one).
    pub async fn find_service_principals_by_display_name(
        &self,
        display_name: &str,
    ) -> Result<Vec<ServicePrincipal>, GraphError> {
        let filter = filter::eq("displayName", display_name);
        let url = self.url(&["servicePrincipals"], &[("$filter", &filter)]);
        self.list(url, READ).await
    }

    /// Reads a service principal by object id (`None` when Graph answers 404).
    pub async fn get_service_principal(
        &self,
        id: &str,
        consistency: Consistency,
    ) -> Result<Option<ServicePrincipal>, GraphError> {
        let url = self.url(&["servicePrincipals", id], &[]);
        let what = format!("service principal {id}");
        consistency
            .find(&what, || async { found(self.get(url.clone(), READ).await) })
            .await
    }

    /// The grant of `app_role_id` on `resource_sp_id` held by `client_sp_id` (and with the id
    /// `id`, when given), if any.
    pub async fn find_app_role_assignment(
        &self,
        client_sp_id: &str,
        resource_sp_id: &str,
        app_role_id: &str,
        id: Option<&str>,
        consistency: Consistency,
    ) -> Result<Option<AppRoleAssignment>, GraphError> {
        let resource = uuid::Uuid::parse_str(resource_sp_id).map_err(|_| {
            GraphError::Unexpected(format!(
                "resource service principal id {resource_sp_id:?} is not a GUID"
            ))
        })?;
        let what =
            format!("the grant of app role {app_role_id} to service principal {client_sp_id}");
        consistency
            .find(&what, || async {
                let grants = self
                    .list_app_role_assignments(client_sp_id, Some(resource))
                    .await?;
                Ok(grants.into_iter().find(|g| {
                    g.app_role_id.eq_ignore_ascii_case(app_role_id)
                        && id.is_none_or(|id| g.id == id)
                }))
            })
            .await
    }

    /// Lists the grants a client service principal holds, optionally only those on one
    /// resource service principal (`resourceId` is the one documented filter of this list).
    pub async fn list_app_role_assignments(
        &self,
        client_sp_id: &str,
        resource_sp_id: Option<uuid::Uuid>,
    ) -> Result<Vec<AppRoleAssignment>, GraphError> {
        let segments = ["servicePrincipals", client_sp_id, "appRoleAssignments"];
        let url = match resource_sp_id {
            Some(resource) => {
                let filter = filter::eq_guid("resourceId", resource);
                self.url(&segments, &[("$filter", &filter)])
            }
            None => self.url(&segments, &[]),
        };
        self.list(url, READ).await
    }

    /// Lists the grants made on a resource service principal: who holds which of its app roles.
    pub async fn list_app_role_assigned_to(
        &self,
        resource_sp_id: &str,
    ) -> Result<Vec<AppRoleAssignment>, GraphError> {
        let url = self.url(
            &["servicePrincipals", resource_sp_id, "appRoleAssignedTo"],
            &[],
        );
        self.list(url, READ).await
    }

    /// Grants an app role (admin consent) to a client service principal, waiting out the
    /// replication of a client service principal created moments ago.
    pub async fn grant_app_role(
        &self,
        principal_id: &str,
        resource_sp_id: &str,
        app_role_id: &str,
    ) -> Result<AppRoleAssignment, GraphError> {
        let body = json!({
            "principalId": principal_id,
            "resourceId": resource_sp_id,
            "appRoleId": app_role_id,
        });
        let url = self.url(
            &["servicePrincipals", resource_sp_id, "appRoleAssignedTo"],
            &[],
        );
        let what = format!("service principal {principal_id}");
        consistency::write_referencing(principal_id, &what, || async {
            let answer = self
                .send(Method::POST, url.clone(), Some(&body), GRANT)
                .await?;
            client::decode(&answer)
        })
        .await
    }

    /// Revokes a grant. Absent grants count as revoked.
    pub async fn revoke_app_role(
        &self,
        resource_sp_id: &str,
        assignment_id: &str,
    ) -> Result<(), GraphError> {
        let url = self.url(
            &[
                "servicePrincipals",
                resource_sp_id,
                "appRoleAssignedTo",
                assignment_id,
            ],
            &[],
        );
        ignore_not_found(self.send(Method::DELETE, url, None, GRANT).await)
    }

    /// Finds an application registration by appId.
    pub async fn find_application_by_app_id(
        &self,
        app_id: &str,
        consistency: Consistency,
    ) -> Result<Option<Application>, GraphError> {
        let filter = filter::eq("appId", app_id);
        let url = self.url(&["applications"], &[("$filter", &filter)]);
        let what = format!("the app registration of client_id {app_id}");
        consistency
            .find(&what, || async {
                Ok(self.list(url.clone(), READ).await?.into_iter().next())
            })
            .await
    }

    /// Reads an application registration by object id (`None` when Graph answers 404).
    pub async fn get_application(&self, id: &str) -> Result<Option<Application>, GraphError> {
        found(self.get(self.url(&["applications", id], &[]), READ).await)
    }

    /// Replaces an application's whole `requiredResourceAccess` list.
    /// Callers must serialise read-modify-write cycles per application.
    pub async fn set_required_resource_access(
        &self,
        application_id: &str,
        entries: &[RequiredResourceAccess],
    ) -> Result<(), GraphError> {
        let body = json!({ "requiredResourceAccess": entries });
        let url = self.url(&["applications", application_id], &[]);
        self.send(Method::PATCH, url, Some(&body), EDIT_APP).await?;
        Ok(())
    }

    /// Finds a directory role definition by display name.
    pub async fn find_role_definition_by_name(
        &self,
        display_name: &str,
    ) -> Result<Option<RoleDefinition>, GraphError> {
        let filter = filter::eq("displayName", display_name);
        let url = self.url(ROLE_DEFINITIONS, &[("$filter", &filter)]);
        Ok(self.list(url, ROLES).await?.into_iter().next())
    }

    /// Reads a directory role definition by id; for built-in roles the id is the template id.
    pub async fn get_role_definition(
        &self,
        id: &str,
    ) -> Result<Option<RoleDefinition>, GraphError> {
        found(self.get(self.object_url(ROLE_DEFINITIONS, id), ROLES).await)
    }

    /// Assigns a directory role to a principal at a scope, waiting out the replication of a
    /// principal created moments ago.
    pub async fn create_role_assignment(
        &self,
        role_definition_id: &str,
        principal_id: &str,
        directory_scope_id: &str,
    ) -> Result<RoleAssignment, GraphError> {
        let body = json!({
            "roleDefinitionId": role_definition_id,
            "principalId": principal_id,
            "directoryScopeId": directory_scope_id,
        });
        let url = self.url(ROLE_ASSIGNMENTS, &[]);
        let what = format!("service principal {principal_id}");
        consistency::write_referencing(principal_id, &what, || async {
            let answer = self
                .send(Method::POST, url.clone(), Some(&body), ROLES)
                .await?;
            client::decode(&answer)
        })
        .await
    }

    /// Reads a directory role assignment (`None` when Graph answers 404).
    pub async fn get_role_assignment(
        &self,
        id: &str,
        consistency: Consistency,
    ) -> Result<Option<RoleAssignment>, GraphError> {
        let url = self.object_url(ROLE_ASSIGNMENTS, id);
        let what = format!("role assignment {id}");
        consistency
            .find(&what, || async {
                found(self.get(url.clone(), ROLES).await)
            })
            .await
    }

    /// The assignment of `role_definition_id` to `principal_id` at `directory_scope_id`, if any.
    pub async fn find_role_assignment(
        &self,
        principal_id: &str,
        role_definition_id: &str,
        directory_scope_id: &str,
        consistency: Consistency,
    ) -> Result<Option<RoleAssignment>, GraphError> {
        let filter = filter::eq("principalId", principal_id);
        let url = self.url(ROLE_ASSIGNMENTS, &[("$filter", &filter)]);
        let what = format!("the assignment of role {role_definition_id} to {principal_id}");
        consistency
            .find(&what, || async {
                let assignments: Vec<RoleAssignment> = self.list(url.clone(), ROLES).await?;
                Ok(assignments.into_iter().find(|a| {
                    a.role_definition_id
                        .eq_ignore_ascii_case(role_definition_id)
                        && a.directory_scope_id == directory_scope_id
                }))
            })
            .await
    }

    /// Every directory role assignment of a principal, at any scope.
    pub async fn list_role_assignments_of(
        &self,
        principal_id: &str,
    ) -> Result<Vec<RoleAssignment>, GraphError> {
        let filter = filter::eq("principalId", principal_id);
        let url = self.url(ROLE_ASSIGNMENTS, &[("$filter", &filter)]);
        self.list(url, ROLES).await
    }

    /// Removes a directory role assignment. Absent assignments count as removed.
    pub async fn delete_role_assignment(&self, id: &str) -> Result<(), GraphError> {
        let url = self.object_url(ROLE_ASSIGNMENTS, id);
        ignore_not_found(self.send(Method::DELETE, url, None, ROLES).await)
    }
}

const ROLE_DEFINITIONS: &[&str] = &["roleManagement", "directory", "roleDefinitions"];
const ROLE_ASSIGNMENTS: &[&str] = &["roleManagement", "directory", "roleAssignments"];

/// A read answered 404 is `None`.
fn found<T>(result: Result<T, GraphError>) -> Result<Option<T>, GraphError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

/// A delete answered 404 is done.
fn ignore_not_found<T>(result: Result<T, GraphError>) -> Result<(), GraphError> {
    match result {
        Ok(_) => Ok(()),
        Err(err) if err.is_not_found() => Ok(()),
        Err(err) => Err(err),
    }
}
