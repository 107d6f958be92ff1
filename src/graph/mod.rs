//! Microsoft Graph v1.0 client: Entra tokens, retries, paging and typed calls.
//!
//! Knows nothing of Terraform or of Workbench. Every call names the Graph application
//! permission it needs, so a 403 tells the user exactly what to grant the provider's identity.

pub mod auth;
pub(crate) mod client;
pub mod error;
pub mod filter;
pub mod types;

use reqwest::Method;
use serde_json::json;

pub use client::GraphClient;
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
    fn url_with_filter(&self, path: &str, filter: &str) -> url::Url {
        let mut url = self.url(path);
        url.query_pairs_mut().append_pair("$filter", filter);
        url
    }

    /// Finds the service principal of an application by its appId.
    pub async fn find_service_principal_by_app_id(
        &self,
        app_id: &str,
    ) -> Result<Option<ServicePrincipal>, GraphError> {
        let url = self.url_with_filter("servicePrincipals", &filter::eq("appId", app_id));
        Ok(self.list(url, READ).await?.into_iter().next())
    }

    /// Finds service principals by display name (several may share one).
    pub async fn find_service_principals_by_display_name(
        &self,
        display_name: &str,
    ) -> Result<Vec<ServicePrincipal>, GraphError> {
        let url = self.url_with_filter(
            "servicePrincipals",
            &filter::eq("displayName", display_name),
        );
        self.list(url, READ).await
    }

    /// Reads a service principal by object id.
    pub async fn get_service_principal(&self, id: &str) -> Result<ServicePrincipal, GraphError> {
        self.get(self.url(&format!("servicePrincipals/{id}")), READ)
            .await
    }

    /// Lists the grants made on a resource service principal.
    pub async fn list_app_role_assigned_to(
        &self,
        resource_sp_id: &str,
    ) -> Result<Vec<AppRoleAssignment>, GraphError> {
        self.list(
            self.url(&format!(
                "servicePrincipals/{resource_sp_id}/appRoleAssignedTo"
            )),
            READ,
        )
        .await
    }

    /// Lists the grants a client service principal holds, optionally only on one resource.
    pub async fn list_app_role_assignments(
        &self,
        client_sp_id: &str,
        resource_sp_id: Option<&str>,
    ) -> Result<Vec<AppRoleAssignment>, GraphError> {
        let path = format!("servicePrincipals/{client_sp_id}/appRoleAssignments");
        let url = match resource_sp_id {
            // Graph wants this GUID unquoted.
            Some(resource) => self.url_with_filter(&path, &format!("resourceId eq {resource}")),
            None => self.url(&path),
        };
        self.list(url, READ).await
    }

    /// Grants an app role (admin consent) to a client service principal.
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
        let url = self.url(&format!(
            "servicePrincipals/{resource_sp_id}/appRoleAssignedTo"
        ));
        let answer = self.send(Method::POST, url, Some(&body), GRANT).await?;
        client::decode(&answer)
    }

    /// Revokes a grant. Absent grants count as revoked.
    pub async fn revoke_app_role(
        &self,
        resource_sp_id: &str,
        assignment_id: &str,
    ) -> Result<(), GraphError> {
        let url = self.url(&format!(
            "servicePrincipals/{resource_sp_id}/appRoleAssignedTo/{assignment_id}"
        ));
        ignore_not_found(self.send(Method::DELETE, url, None, GRANT).await)
    }

    /// Finds an application registration by appId.
    pub async fn find_application_by_app_id(
        &self,
        app_id: &str,
    ) -> Result<Option<Application>, GraphError> {
        let url = self.url_with_filter("applications", &filter::eq("appId", app_id));
        Ok(self.list(url, READ).await?.into_iter().next())
    }

    /// Reads an application registration by object id.
    pub async fn get_application(&self, id: &str) -> Result<Application, GraphError> {
        self.get(self.url(&format!("applications/{id}")), READ)
            .await
    }

    /// Replaces an application's whole `requiredResourceAccess` list.
    /// Callers must serialise read-modify-write cycles per application.
    pub async fn set_required_resource_access(
        &self,
        application_id: &str,
        entries: &[RequiredResourceAccess],
    ) -> Result<(), GraphError> {
        let body = json!({ "requiredResourceAccess": entries });
        let url = self.url(&format!("applications/{application_id}"));
        self.send(Method::PATCH, url, Some(&body), EDIT_APP).await?;
        Ok(())
    }

    /// Finds a directory role definition by display name.
    pub async fn find_role_definition_by_name(
        &self,
        display_name: &str,
    ) -> Result<Option<RoleDefinition>, GraphError> {
        let url = self.url_with_filter(
            "roleManagement/directory/roleDefinitions",
            &filter::eq("displayName", display_name),
        );
        Ok(self.list(url, ROLES).await?.into_iter().next())
    }

    /// Finds a directory role definition by template id.
    pub async fn find_role_definition_by_template_id(
        &self,
        template_id: &str,
    ) -> Result<Option<RoleDefinition>, GraphError> {
        let url = self.url_with_filter(
            "roleManagement/directory/roleDefinitions",
            &filter::eq("templateId", template_id),
        );
        Ok(self.list(url, ROLES).await?.into_iter().next())
    }

    /// Assigns a directory role to a principal at a scope.
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
        let url = self.url("roleManagement/directory/roleAssignments");
        let answer = self.send(Method::POST, url, Some(&body), ROLES).await?;
        client::decode(&answer)
    }

    /// Reads a directory role assignment.
    pub async fn get_role_assignment(&self, id: &str) -> Result<RoleAssignment, GraphError> {
        self.get(
            self.url(&format!("roleManagement/directory/roleAssignments/{id}")),
            ROLES,
        )
        .await
    }

    /// Lists the directory role assignments of a principal.
    pub async fn list_role_assignments_of(
        &self,
        principal_id: &str,
    ) -> Result<Vec<RoleAssignment>, GraphError> {
        let url = self.url_with_filter(
            "roleManagement/directory/roleAssignments",
            &filter::eq("principalId", principal_id),
        );
        self.list(url, ROLES).await
    }

    /// Removes a directory role assignment. Absent assignments count as removed.
    pub async fn delete_role_assignment(&self, id: &str) -> Result<(), GraphError> {
        let url = self.url(&format!("roleManagement/directory/roleAssignments/{id}"));
        ignore_not_found(self.send(Method::DELETE, url, None, ROLES).await)
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
