//! `expel_role_assignment`: a directory role for a service principal at directory scope
//! (guides: "Add an Expel Assignment to the User Administrator Role", "Assign the
//! SecurityReader Role").
//!
//! Every argument forces replacement; there is no update path. `role` is a display name or a
//! template id: the user's form is kept in state and the other form of the same role never
//! forces a replacement.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{Block, Description, Schema};
use tf_provider::value::{self, Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use super::timeouts::{self, Operation, Timeouts};
use super::{known, present, read_through_lag, written_now, Private};
use crate::graph::{consistency, GraphClient, GraphError, RoleAssignment, RoleDefinition};
use crate::provider::diagnostics::graph_error;
use crate::provider::ProviderData;
use crate::schema;

/// The resource.
#[derive(Debug)]
pub struct RoleAssignmentResource {
    data: ProviderData,
}

impl RoleAssignmentResource {
    /// A resource acting through the provider's clients.
    pub fn new(data: ProviderData) -> Self {
        Self { data }
    }
}

/// The resource's state.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    /// Role assignment id.
    #[serde(default)]
    pub id: Value<String>,
    /// Object id of the service principal.
    #[serde(default)]
    pub principal_id: Value<String>,
    /// Role display name or template id, as the user wrote it.
    #[serde(default)]
    pub role: Value<String>,
    /// Scope, `/` for the whole directory.
    #[serde(default)]
    pub directory_scope_id: Value<String>,
    /// Template id of the role.
    #[serde(default)]
    pub role_definition_id: Value<String>,
    /// Operation timeouts.
    #[serde(default, with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// The resource's type name, for messages.
const RESOURCE: &str = "expel_role_assignment";

/// The default scope: the whole directory.
const DIRECTORY_SCOPE: &str = "/";

/// The import ID: a role assignment id, optionally in the azuread form
/// `/roleManagement/directory/roleAssignments/<id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportId(String);

const AZUREAD_PREFIX: &str = "/roleManagement/directory/roleAssignments/";

impl FromStr for ImportId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = s.trim().strip_prefix(AZUREAD_PREFIX).unwrap_or(s.trim());
        let valid = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(ImportId(id.to_owned()))
        } else {
            Err(format!(
                "{s:?} is not a role assignment id; expected the assignment's id (e.g. lAPpYvVpN0KRkAEhdxReEJC2sEy6R_hHrhBMTXRGfFs-1) or {AZUREAD_PREFIX}<id>"
            ))
        }
    }
}

impl fmt::Display for ImportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn validate(state: &State, diags: &mut Diagnostics) {
    if let Value::Value(principal) = &state.principal_id {
        if uuid::Uuid::parse_str(principal).is_err() {
            diags.error(
                "principal_id must be a GUID",
                format!("principal_id is {principal:?}; use the object id of the service principal (Enterprise applications > Object ID), not its name."),
                AttributePath::new("principal_id"),
            );
        }
    }
    if let Value::Value(role) = &state.role {
        if role.trim().is_empty() {
            diags.error(
                "role must not be empty",
                "Use a role display name such as \"User Administrator\" or its template id.",
                AttributePath::new("role"),
            );
        }
    }
    timeouts::validate(&state.timeouts, diags);
    if let Value::Value(scope) = &state.directory_scope_id {
        if !scope.starts_with('/') {
            diags.error(
                "directory_scope_id must start with /",
                format!("directory_scope_id is {scope:?}; use \"/\" for the whole directory or /administrativeUnits/<id>."),
                AttributePath::new("directory_scope_id"),
            );
        }
    }
}

impl RoleAssignmentResource {
    /// Resolves `role` (name or template id), reporting an unknown role on the attribute.
    async fn resolve_role(
        &self,
        graph: &GraphClient,
        role: &str,
        diags: &mut Diagnostics,
    ) -> Option<RoleDefinition> {
        match self.data.lookups().role_definition(graph, role).await {
            Ok(Some(definition)) => Some(definition),
            Ok(None) => {
                diags.error(
                    format!("Unknown directory role {role:?}"),
                    "No role definition has this display name or template id. Use a built-in role name such as \"User Administrator\" or \"Security Reader\", or its template id.",
                    AttributePath::new("role"),
                );
                None
            }
            Err(err) => {
                graph_error(
                    diags,
                    &format!("looking up directory role {role:?}"),
                    &err,
                    Some("role"),
                );
                None
            }
        }
    }

    /// Checks at plan time that the principal exists, so a typo fails before any write. Cached
    /// per principal once found, like the role lookups, so many assignments of one app cost
    /// one read; a principal made earlier in this apply is given time to replicate.
    async fn check_principal(
        &self,
        graph: &GraphClient,
        principal: &str,
        diags: &mut Diagnostics,
    ) -> Option<()> {
        match self
            .data
            .lookups()
            .service_principal_by_id(graph, principal, consistency::PLAN_REFERENCE_WAIT)
            .await
        {
            Ok(Some(_)) => Some(()),
            Ok(None) => {
                diags.error(
                    format!("No service principal with object id {principal}"),
                    format!("principal_id must be the object id of the app's service principal (Enterprise applications > Object ID), not the application (client) id. (Waited {} s in case it was created moments ago.)", consistency::PLAN_REFERENCE_WAIT.as_secs()),
                    AttributePath::new("principal_id"),
                );
                None
            }
            Err(err) => {
                graph_error(
                    diags,
                    &format!("reading service principal {principal}"),
                    &err,
                    Some("principal_id"),
                );
                None
            }
        }
    }

    /// Refreshes an assignment (within the read timeout).
    async fn read_now(
        &self,
        diags: &mut Diagnostics,
        state: State,
        private: Private,
    ) -> Option<(Option<State>, Private)> {
        let graph = self.data.graph(diags)?;
        let id = known(&state.id, "id", diags)?.clone();
        match read_through_lag(&private, || graph.get_role_assignment(&id)).await {
            Ok(assignment) => {
                let same_role = state
                    .role_definition_id
                    .as_ref_option()
                    .is_some_and(|d| d.eq_ignore_ascii_case(&assignment.role_definition_id));
                let role =
                    if same_role {
                        state.role.clone()
                    } else {
                        // Imported, or changed behind our back: show the role by name.
                        let definition = self
                            .data
                            .lookups()
                            .role_definition(graph, &assignment.role_definition_id)
                            .await
                            .ok()
                            .flatten();
                        Value::Value(definition.map_or_else(
                            || assignment.role_definition_id.clone(),
                            |d| d.display_name,
                        ))
                    };
                Some((Some(state_from(assignment, role, state.timeouts)), private))
            }
            // Gone: a null state tells Terraform to plan its re-creation.
            Err(err) if err.is_not_found() => Some((None, None)),
            Err(err) => {
                graph_error(diags, &format!("reading role assignment {id}"), &err, None);
                None
            }
        }
    }

    /// Creates the assignment, adopting an identical one (within the create timeout).
    async fn create_now(
        &self,
        diags: &mut Diagnostics,
        planned: State,
    ) -> Option<(Option<State>, Private)> {
        let graph = self.data.graph(diags)?;
        let principal = known(&planned.principal_id, "principal_id", diags)?.clone();
        let role = known(&planned.role, "role", diags)?.clone();
        let scope = planned
            .directory_scope_id
            .as_ref_option()
            .cloned()
            .unwrap_or_else(|| DIRECTORY_SCOPE.to_owned());
        let definition = match planned.role_definition_id.as_ref_option() {
            Some(id) => id.clone(),
            None => definition_id(&self.resolve_role(graph, &role, diags).await?),
        };
        let created = match graph
            .create_role_assignment(&definition, &principal, &scope)
            .await
        {
            Ok(created) => Ok(created),
            // Already there (made by hand, or by a retried request that had landed): adopt it.
            // It may be too new to be listed yet (a retried POST whose first answer was lost):
            // look for it as for a fresh write.
            Err(err) if err.is_already_exists() => {
                let found = read_through_lag(&written_now(), || {
                    Self::find_existing(graph, &principal, &definition, &scope)
                })
                .await;
                match found {
                    Ok(existing) => {
                        tracing::info!(id = %existing.id, "adopting an existing identical role assignment");
                        Ok(existing)
                    }
                    Err(find_err) if find_err.is_not_found() => Err(err),
                    Err(find_err) => Err(find_err),
                }
            }
            Err(err) => Err(err),
        };
        match created {
            Ok(assignment) => Some((
                Some(state_from(assignment, planned.role, planned.timeouts)),
                written_now(),
            )),
            Err(err) => {
                graph_error(
                    diags,
                    &format!("assigning {role:?} to service principal {principal}"),
                    &err,
                    None,
                );
                None
            }
        }
    }

    /// Removes the assignment (within the delete timeout).
    async fn destroy_now(&self, diags: &mut Diagnostics, prior: State) -> Option<()> {
        let graph = self.data.graph(diags)?;
        let id = known(&prior.id, "id", diags)?;
        if let Err(err) = graph.delete_role_assignment(id).await {
            graph_error(diags, &format!("removing role assignment {id}"), &err, None);
            return None;
        }
        Some(())
    }

    /// Finds an assignment identical to the one wanted (for adoption), or NotFound.
    async fn find_existing(
        graph: &GraphClient,
        principal: &str,
        definition: &str,
        scope: &str,
    ) -> Result<RoleAssignment, GraphError> {
        let assignments = graph.list_role_assignments_of(principal).await?;
        assignments
            .into_iter()
            .find(|a| {
                a.role_definition_id.eq_ignore_ascii_case(definition)
                    && a.directory_scope_id == scope
            })
            .ok_or_else(|| GraphError::NotFound(Default::default()))
    }
}

fn state_from(assignment: RoleAssignment, role: Value<String>, timeouts: Value<Timeouts>) -> State {
    State {
        timeouts,
        id: Value::Value(assignment.id),
        principal_id: Value::Value(assignment.principal_id),
        role,
        directory_scope_id: Value::Value(assignment.directory_scope_id),
        role_definition_id: Value::Value(assignment.role_definition_id),
    }
}

fn definition_id(definition: &RoleDefinition) -> String {
    definition
        .template_id
        .clone()
        .unwrap_or_else(|| definition.id.clone())
}

#[async_trait]
impl Resource for RoleAssignmentResource {
    type State<'a> = Option<State>;
    type PrivateState<'a> = Private;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        let attributes: HashMap<_, _> = [
            ("id", schema::computed_string("The role assignment id.")),
            ("principal_id", schema::required_string("Object id of the service principal to assign the role to. Changing it forces a new assignment.")),
            ("role", schema::required_string("Directory role: a display name such as `User Administrator` or `Security Reader`, or its template id. The form you write is kept; the other form of the same role never shows as a change. Changing the role forces a new assignment.")),
            ("directory_scope_id", schema::optional_computed_string("Scope of the assignment, `/` (the default) for the whole directory. Changing it forces a new assignment.")),
            ("role_definition_id", schema::computed_string("Template id of the role.")),
        ]
        .into_iter()
        .map(|(name, attribute)| (name.to_owned(), attribute))
        .collect();
        Some(Schema {
            version: 0,
            block: Block {
                version: 0,
                attributes,
                blocks: [(timeouts::BLOCK.to_owned(), timeouts::block())].into(),
                description: Description::markdown("Assigns a Microsoft Entra directory role to a service principal, e.g. User Administrator for Reset Credentials or Security Reader for Remove Malicious Email."),
                ..Default::default()
            },
        })
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Option<State>) -> Option<()> {
        validate(&present(config, diags)?, diags);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Option<State>,
        private: Private,
        _meta: ValueEmpty,
    ) -> Option<(Option<State>, Private)> {
        let state = present(state, diags)?;
        let limit = timeouts::limit(&state.timeouts, Operation::Read, diags)?;
        timeouts::run(
            RESOURCE,
            Operation::Read,
            limit,
            self.read_now(diags, state, private),
        )
        .await
        .unwrap_or_else(|timed_out| timed_out.report(diags))
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed: Option<State>,
        _config: Option<State>,
        _meta: ValueEmpty,
    ) -> Option<(Option<State>, Private)> {
        let mut planned = present(proposed, diags)?;
        if planned.directory_scope_id.is_null() {
            planned.directory_scope_id = Value::Value(DIRECTORY_SCOPE.to_owned());
        }
        planned.id = Value::Unknown;
        planned.role_definition_id = Value::Unknown;
        let graph = self.data.graph(diags)?;
        if let Value::Value(role) = &planned.role {
            let definition = self.resolve_role(graph, role, diags).await?;
            planned.role_definition_id = Value::Value(definition_id(&definition));
        }
        if let Value::Value(principal) = &planned.principal_id {
            self.check_principal(graph, principal, diags).await?;
        }
        Some((Some(planned), None))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: Option<State>,
        proposed: Option<State>,
        _config: Option<State>,
        prior_private: Private,
        _meta: ValueEmpty,
    ) -> Option<(Option<State>, Private, Vec<AttributePath>)> {
        let prior = present(prior, diags)?;
        let mut planned = present(proposed, diags)?;
        if planned.directory_scope_id.is_null()
            || planned.directory_scope_id == Value::Unknown && prior.directory_scope_id.is_null()
        {
            planned.directory_scope_id = Value::Value(DIRECTORY_SCOPE.to_owned());
        }
        let mut replace = Vec::new();
        if planned.principal_id != prior.principal_id {
            replace.push(AttributePath::new("principal_id"));
        }
        if planned.directory_scope_id != prior.directory_scope_id {
            replace.push(AttributePath::new("directory_scope_id"));
        }
        if planned.role != prior.role {
            let same_role = match &planned.role {
                Value::Value(role) => {
                    let graph = self.data.graph(diags)?;
                    let definition = self.resolve_role(graph, role, diags).await?;
                    prior
                        .role_definition_id
                        .as_ref_option()
                        .is_some_and(|d| d.eq_ignore_ascii_case(&definition_id(&definition)))
                }
                _ => false,
            };
            if !same_role {
                replace.push(AttributePath::new("role"));
            }
        }
        if !replace.is_empty() {
            planned.id = Value::Unknown;
            planned.role_definition_id = Value::Unknown;
        }
        Some((Some(planned), prior_private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: Option<State>,
        prior_private: Private,
        _meta: ValueEmpty,
    ) -> Option<Private> {
        Some(prior_private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: Option<State>,
        _config: Option<State>,
        _private: Private,
        _meta: ValueEmpty,
    ) -> Option<(Option<State>, Private)> {
        let planned = present(planned, diags)?;
        let limit = timeouts::limit(&planned.timeouts, Operation::Create, diags)?;
        timeouts::run(
            RESOURCE,
            Operation::Create,
            limit,
            self.create_now(diags, planned),
        )
        .await
        .unwrap_or_else(|timed_out| timed_out.report(diags))
    }

    async fn update<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: Option<State>,
        planned: Option<State>,
        _config: Option<State>,
        private: Private,
        _meta: ValueEmpty,
    ) -> Option<(Option<State>, Private)> {
        // Only reached when `role` changes between two forms of the same role, or the timeouts
        // change: nothing to send.
        Some((planned, private))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: Option<State>,
        _private: Private,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let prior = present(prior, diags)?;
        let limit = timeouts::limit(&prior.timeouts, Operation::Delete, diags)?;
        timeouts::run(
            RESOURCE,
            Operation::Delete,
            limit,
            self.destroy_now(diags, prior),
        )
        .await
        .unwrap_or_else(|timed_out| timed_out.report(diags))
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Option<State>, Private)> {
        match id.parse::<ImportId>() {
            Ok(id) => Some((
                Some(State {
                    id: Value::Value(id.to_string()),
                    ..Default::default()
                }),
                None,
            )),
            Err(message) => {
                diags.root_error("Invalid import ID for expel_role_assignment", message);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_id_accepts_a_bare_assignment_id() {
        let id: ImportId = "lAPpYvVpN0KRkAEhdxReEJC2sEy6R_hHrhBMTXRGfFs-1"
            .parse()
            .unwrap();
        assert_eq!(
            id.to_string(),
            "lAPpYvVpN0KRkAEhdxReEJC2sEy6R_hHrhBMTXRGfFs-1"
        );
    }

    #[test]
    fn import_id_accepts_the_azuread_form() {
        let id: ImportId = "/roleManagement/directory/roleAssignments/abc-1"
            .parse()
            .unwrap();
        assert_eq!(id, ImportId("abc-1".into()));
    }

    #[test]
    fn import_id_round_trips() {
        let id: ImportId = "abc_DEF-9".parse().unwrap();
        assert_eq!(id.to_string().parse::<ImportId>().unwrap(), id);
    }

    #[test]
    fn import_id_rejects_paths_and_blanks_showing_the_expected_form() {
        for bad in ["", "  ", "a/b", "x y", "/servicePrincipals/1"] {
            let err = bad.parse::<ImportId>().unwrap_err();
            assert!(err.contains("roleAssignments/<id>"), "{bad}: {err}");
        }
    }

    #[test]
    fn validation_names_a_malformed_principal() {
        let mut diags = Diagnostics::default();
        validate(
            &State {
                principal_id: Value::Value("expel-app".into()),
                ..Default::default()
            },
            &mut diags,
        );
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(
            diags.errors[0].attribute,
            AttributePath::new("principal_id")
        );
    }

    #[test]
    fn validation_rejects_a_relative_scope() {
        let mut diags = Diagnostics::default();
        validate(
            &State {
                directory_scope_id: Value::Value("administrativeUnits/1".into()),
                ..Default::default()
            },
            &mut diags,
        );
        assert_eq!(diags.errors.len(), 1);
    }

    #[test]
    fn unknown_values_are_not_validated() {
        let mut diags = Diagnostics::default();
        validate(
            &State {
                principal_id: Value::Unknown,
                role: Value::Unknown,
                ..Default::default()
            },
            &mut diags,
        );
        assert!(diags.errors.is_empty());
    }
}
