//! Per-process caches of tenant-wide lookups shared by all resources, so a run asks Graph
//! once per role definition, service principal or app registration, not once per resource.
//! Concurrent resources asking for the same key wait for the one lookup in flight.
//!
//! Only what was found is cached: an object that is missing now may be created in this very
//! apply (and still be replicating), so the next ask looks again.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::graph::{
    Application, Consistency, GraphClient, GraphError, RoleDefinition, ServicePrincipal,
};
use crate::workbench::{ContextList, Organization, WorkbenchClient, WorkbenchError};

type Cells<T> = Mutex<HashMap<String, Arc<OnceCell<T>>>>;

/// The caches.
#[derive(Debug, Default)]
pub struct Lookups {
    roles: Cells<RoleDefinition>,
    service_principals: Cells<ServicePrincipal>,
    principals_by_id: Cells<ServicePrincipal>,
    applications: Cells<Application>,
    organizations: OnceCell<Vec<Organization>>,
    context_lists: tokio::sync::Mutex<HashMap<String, ContextList>>,
}

/// Why a lookup did not fill its cell.
enum Miss {
    Absent,
    Failed(GraphError),
}

/// The cached value of `key`, or the result of `lookup`, cached when found.
async fn cached<T, F, Fut>(cells: &Cells<T>, key: &str, lookup: F) -> Result<Option<T>, GraphError>
where
    T: Clone,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<T>, GraphError>>,
{
    let cell = {
        let mut cells = cells
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cells.entry(key.to_ascii_lowercase()).or_default().clone()
    };
    let found = cell
        .get_or_try_init(|| async {
            match lookup().await {
                Ok(Some(value)) => Ok(value),
                Ok(None) => Err(Miss::Absent),
                Err(err) => Err(Miss::Failed(err)),
            }
        })
        .await;
    match found {
        Ok(value) => Ok(Some(value.clone())),
        Err(Miss::Absent) => Ok(None),
        Err(Miss::Failed(err)) => Err(err),
    }
}

impl Lookups {
    /// The role definition named by a display name (case-insensitive) or a template id.
    pub async fn role_definition(
        &self,
        graph: &GraphClient,
        role: &str,
    ) -> Result<Option<RoleDefinition>, GraphError> {
        let role = role.trim();
        cached(&self.roles, role, || async {
            if uuid::Uuid::parse_str(role).is_ok() {
                // Built-in roles' ids are their template ids; templateId is not filterable.
                graph.get_role_definition(role).await
            } else {
                graph.find_role_definition_by_name(role).await
            }
        })
        .await
    }

    /// A service principal by object id (`None` when it does not exist after `wait`).
    pub async fn service_principal_by_id(
        &self,
        graph: &GraphClient,
        id: &str,
        wait: Duration,
    ) -> Result<Option<ServicePrincipal>, GraphError> {
        cached(&self.principals_by_id, id, || {
            graph.get_service_principal(id, Consistency::referenced(wait))
        })
        .await
    }

    /// The service principal of an application (e.g. Microsoft Graph) by appId (`None` when it
    /// does not exist after `wait`).
    pub async fn service_principal(
        &self,
        graph: &GraphClient,
        app_id: &str,
        wait: Duration,
    ) -> Result<Option<ServicePrincipal>, GraphError> {
        cached(&self.service_principals, app_id, || {
            graph.find_service_principal_by_app_id(app_id, Consistency::referenced(wait))
        })
        .await
    }

    /// The app registration of an appId, as first found (its `requiredResourceAccess` may be
    /// stale: edits read it afresh), or `None` when it does not exist after `wait`.
    pub async fn application(
        &self,
        graph: &GraphClient,
        app_id: &str,
        wait: Duration,
    ) -> Result<Option<Application>, GraphError> {
        cached(&self.applications, app_id, || {
            graph.find_application_by_app_id(app_id, Consistency::referenced(wait))
        })
        .await
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

    /// A Workbench context list by id. One read of the organization's lists serves every
    /// later ask; an id not among them (a list made since) reads them again, and a list that
    /// is still missing is `None`.
    pub async fn context_list(
        &self,
        workbench: &WorkbenchClient,
        id: &str,
    ) -> Result<Option<ContextList>, WorkbenchError> {
        let mut lists = self.context_lists.lock().await;
        if let Some(list) = lists.get(id) {
            return Ok(Some(list.clone()));
        }
        *lists = workbench
            .list_context_lists()
            .await?
            .into_iter()
            .map(|list| (list.id.clone(), list))
            .collect();
        Ok(lists.get(id).cloned())
    }
}
