//! Per-process caches of tenant-wide lookups shared by all resources, so a run asks Graph
//! once per role definition (or resource service principal), not once per resource. Concurrent
//! resources asking for the same key wait for the one lookup in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::graph::{GraphClient, GraphError, RoleDefinition, ServicePrincipal};
use crate::workbench::{Organization, WorkbenchClient, WorkbenchError};

type Cell<T> = Arc<OnceCell<Option<T>>>;

/// The caches.
#[derive(Debug, Default)]
pub struct Lookups {
    roles: Mutex<HashMap<String, Cell<RoleDefinition>>>,
    service_principals: Mutex<HashMap<String, Cell<ServicePrincipal>>>,
    principals_by_id: Mutex<HashMap<String, Cell<ServicePrincipal>>>,
    organizations: OnceCell<Vec<Organization>>,
}

fn cell<T>(map: &Mutex<HashMap<String, Cell<T>>>, key: String) -> Cell<T> {
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    map.entry(key).or_default().clone()
}

impl Lookups {
    /// The role definition named by a display name (case-insensitive) or a template id.
    pub async fn role_definition(
        &self,
        graph: &GraphClient,
        role: &str,
    ) -> Result<Option<RoleDefinition>, GraphError> {
        let role = role.trim();
        let key = role.to_ascii_lowercase();
        let cell = cell(&self.roles, key);
        let found = cell
            .get_or_try_init(|| async {
                if uuid::Uuid::parse_str(role).is_ok() {
                    graph.find_role_definition_by_template_id(role).await
                } else {
                    graph.find_role_definition_by_name(role).await
                }
            })
            .await?;
        Ok(found.clone())
    }

    /// A service principal by object id (`None` when it does not exist).
    pub async fn service_principal_by_id(
        &self,
        graph: &GraphClient,
        id: &str,
    ) -> Result<Option<ServicePrincipal>, GraphError> {
        let cell = cell(&self.principals_by_id, id.to_ascii_lowercase());
        let found = cell
            .get_or_try_init(|| async {
                match graph.get_service_principal(id).await {
                    Ok(sp) => Ok(Some(sp)),
                    Err(err) if err.is_not_found() => Ok(None),
                    Err(err) => Err(err),
                }
            })
            .await?;
        Ok(found.clone())
    }

    /// The Workbench organizations the API key sees (which also proves the key works).
    pub async fn organizations(
        &self,
        workbench: &WorkbenchClient,
    ) -> Result<Vec<Organization>, WorkbenchError> {
        self.organizations
            .get_or_try_init(|| workbench.list_organizations())
            .await
            .cloned()
    }

    /// The service principal of an application (e.g. Microsoft Graph) by appId.
    pub async fn service_principal(
        &self,
        graph: &GraphClient,
        app_id: &str,
    ) -> Result<Option<ServicePrincipal>, GraphError> {
        let cell = cell(&self.service_principals, app_id.to_ascii_lowercase());
        let found = cell
            .get_or_try_init(|| graph.find_service_principal_by_app_id(app_id))
            .await?;
        Ok(found.clone())
    }
}
