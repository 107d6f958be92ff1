//! `expel_service_principal`: looks up a service principal by `client_id` or `display_name`,
//! with the app roles (application permissions) granted to it.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics};

use crate::framework::diagnostics::graph_error;
use crate::framework::schema;
use crate::framework::ProviderData;
use crate::graph::{Consistency, GraphClient, GraphError, ServicePrincipal};

/// The data source.
#[derive(Debug)]
pub struct ServicePrincipalDataSource {
    data: ProviderData,
}

impl ServicePrincipalDataSource {
    /// A data source reading through the provider's clients.
    pub fn new(data: ProviderData) -> Self {
        Self { data }
    }
}

/// One app role granted to the service principal.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct GrantedAppRole {
    /// Display name of the resource API, e.g. `Microsoft Graph`.
    pub resource_display_name: Value<String>,
    /// Object id of the resource API's service principal.
    pub resource_object_id: Value<String>,
    /// Permission name, e.g. `User.ReadWrite.All`.
    pub value: Value<String>,
    /// App role id.
    pub app_role_id: Value<String>,
    /// The grant's id.
    pub app_role_assignment_id: Value<String>,
}

/// The data source's state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Application (client) id.
    #[serde(default)]
    pub client_id: Value<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Value<String>,
    /// Object id.
    #[serde(default)]
    pub object_id: Value<String>,
    /// App roles granted to the service principal.
    #[serde(default)]
    pub app_roles: Value<Vec<GrantedAppRole>>,
}

fn granted_role_type() -> AttributeType {
    let fields: HashMap<String, AttributeType> = [
        "resource_display_name",
        "resource_object_id",
        "value",
        "app_role_id",
        "app_role_assignment_id",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), AttributeType::String))
    .collect();
    AttributeType::List(Box::new(AttributeType::Object(fields)))
}

/// What the user asked to look up.
enum Lookup<'a> {
    ClientId(&'a str),
    DisplayName(&'a str),
}

fn lookup<'s>(state: &'s State, diags: &mut Diagnostics) -> Option<Option<Lookup<'s>>> {
    let unknown =
        matches!(state.client_id, Value::Unknown) || matches!(state.display_name, Value::Unknown);
    if unknown {
        return Some(None);
    }
    match (
        state.client_id.as_ref_option(),
        state.display_name.as_ref_option(),
    ) {
        (Some(client_id), None) => {
            if uuid::Uuid::parse_str(client_id).is_err() {
                diags.error(
                    "client_id must be a GUID",
                    format!("client_id is {client_id:?}; use the application (client) id, a GUID like 00000003-0000-0000-c000-000000000000."),
                    AttributePath::new("client_id"),
                );
                return None;
            }
            Some(Some(Lookup::ClientId(client_id)))
        }
        (None, Some(name)) if !name.trim().is_empty() => Some(Some(Lookup::DisplayName(name))),
        (Some(_), Some(_)) => {
            diags.error(
                "Set only one of client_id and display_name",
                "The service principal is looked up by exactly one of client_id or display_name.",
                AttributePath::new("display_name"),
            );
            None
        }
        _ => {
            diags.root_error(
                "Set client_id or display_name",
                "The service principal is looked up by exactly one of client_id or display_name.",
            );
            None
        }
    }
}

async fn find(
    graph: &GraphClient,
    lookup: &Lookup<'_>,
    diags: &mut Diagnostics,
) -> Option<ServicePrincipal> {
    let (attribute, found) = match lookup {
        Lookup::ClientId(client_id) => {
            let found = graph
                .find_service_principal_by_app_id(client_id, Consistency::IMMEDIATE)
                .await
                .map(|sp| sp.into_iter().collect::<Vec<_>>());
            ("client_id", found)
        }
        Lookup::DisplayName(name) => (
            "display_name",
            graph.find_service_principals_by_display_name(name).await,
        ),
    };
    let what = match lookup {
        Lookup::ClientId(id) => format!("client_id {id}"),
        Lookup::DisplayName(name) => format!("display_name {name:?}"),
    };
    let mut found = match found {
        Ok(found) => found,
        Err(err) => {
            graph_error(
                diags,
                &format!("looking up the service principal with {what}"),
                &err,
                Some(attribute),
            );
            return None;
        }
    };
    match found.len() {
        1 => found.pop(),
        0 => {
            diags.error(
                format!("No service principal with {what}"),
                "No enterprise application in the tenant matches. For the Expel integration app, an administrator must first grant consent (the sign-up link Expel provides), which creates its service principal; for a custom app, create its service principal in Entra ID > Enterprise applications.",
                AttributePath::new(attribute),
            );
            None
        }
        _ => {
            let ids: Vec<String> = found.iter().map(|sp| sp.app_id.clone()).collect();
            diags.error(
                format!("{} service principals have {what}", found.len()),
                format!(
                    "Their client ids are {}; look the one you mean up by client_id instead.",
                    ids.join(", ")
                ),
                AttributePath::new(attribute),
            );
            None
        }
    }
}

/// The app roles granted to `sp`, with each role's permission name read from its resource.
async fn granted_roles(
    graph: &GraphClient,
    sp: &ServicePrincipal,
) -> Result<Vec<GrantedAppRole>, GraphError> {
    let grants = graph.list_app_role_assignments(&sp.id, None).await?;
    // A grant's resource that is gone (deleted since) contributes no role names.
    let mut resources: BTreeMap<String, ServicePrincipal> = BTreeMap::new();
    for grant in &grants {
        if !resources.contains_key(&grant.resource_id) {
            if let Some(resource) = graph
                .get_service_principal(&grant.resource_id, Consistency::IMMEDIATE)
                .await?
            {
                resources.insert(grant.resource_id.clone(), resource);
            }
        }
    }
    let mut roles: Vec<GrantedAppRole> = grants
        .into_iter()
        .map(|grant| {
            let resource = resources.get(&grant.resource_id);
            let value = resource
                .and_then(|r| r.app_roles.iter().find(|role| role.id == grant.app_role_id))
                .and_then(|role| role.value.clone());
            GrantedAppRole {
                resource_display_name: grant
                    .resource_display_name
                    .or_else(|| resource.and_then(|r| r.display_name.clone()))
                    .into(),
                resource_object_id: Value::Value(grant.resource_id),
                value: value.into(),
                app_role_id: Value::Value(grant.app_role_id),
                app_role_assignment_id: Value::Value(grant.id),
            }
        })
        .collect();
    roles.sort();
    Ok(roles)
}

#[async_trait]
impl DataSource for ServicePrincipalDataSource {
    type State<'a> = State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema::data_source(
            "Looks up a service principal (enterprise application) and the app roles granted to it.",
            [
                ("client_id", schema::optional_computed_string("Application (client) id to look up. Exactly one of `client_id` and `display_name`.")),
                ("display_name", schema::optional_computed_string("Display name to look up; must match exactly one service principal.")),
                ("object_id", schema::computed_string("Object id of the service principal.")),
                ("app_roles", schema::typed(granted_role_type(), AttributeConstraint::Computed, "App roles (application permissions) granted to the service principal, with admin consent.")),
            ],
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: State) -> Option<()> {
        lookup(&config, diags).map(|_| ())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<State> {
        let lookup = lookup(&config, diags)??;
        let graph = self.data.graph(diags)?;
        let sp = find(graph, &lookup, diags).await?;
        let app_roles = match granted_roles(graph, &sp).await {
            Ok(roles) => roles,
            Err(err) => {
                graph_error(
                    diags,
                    &format!(
                        "reading the app roles granted to service principal {}",
                        sp.id
                    ),
                    &err,
                    None,
                );
                return None;
            }
        };
        Some(State {
            client_id: Value::Value(sp.app_id),
            display_name: sp.display_name.into(),
            object_id: Value::Value(sp.id),
            app_roles: Value::Value(app_roles),
        })
    }
}
