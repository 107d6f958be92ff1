//! `expel_role_assignment`: a directory role for a service principal at directory scope
//! (guides: "Add an Expel Assignment to the User Administrator Role", "Assign the
//! SecurityReader Role").
//!
//! Every argument forces replacement; there is no update path. The role is configured in one of
//! two forms, `role` (display name) or `role_definition_id` (template id), and the provider fills
//! in the other. Both are optional + computed, so after an import, which records both, the plan
//! is empty whichever form the configuration uses, and naming the same role in the other form
//! is never a replacement.
//!
//! The file reads in the house order (see CONTRIBUTING.md): model, schema, import ID,
//! validate, plan, create, read, update, delete, then the trait glue.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{self, Value};
use tf_provider::{AttributePath, Diagnostics};

use crate::framework::diagnostics::graph_error;
use crate::framework::private::{consistency, written_now, Private};
use crate::framework::resource::{resource_schema, ResourceType};
use crate::framework::timeouts::{self, Timeouts};
use crate::framework::{known, schema, ProviderData};
use crate::graph::consistency::PLAN_REFERENCE_WAIT;
use crate::graph::{Consistency, GraphClient, RoleAssignment, RoleDefinition};

// Model.

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
    /// Role display name, e.g. `User Administrator`.
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

/// The default scope: the whole directory.
const DIRECTORY_SCOPE: &str = "/";

/// The attribute naming the role by display name.
const ROLE: &str = "role";

/// The attribute naming the role by template id.
const ROLE_DEFINITION_ID: &str = "role_definition_id";

/// A template id to show in messages: User Administrator's.
const EXAMPLE_TEMPLATE_ID: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

/// The state of an assignment as Graph returned it, with the role attributes given.
fn state_from(
    assignment: RoleAssignment,
    role: Value<String>,
    role_definition_id: Value<String>,
    timeouts: Value<Timeouts>,
) -> State {
    State {
        timeouts,
        id: Value::Value(assignment.id),
        principal_id: Value::Value(assignment.principal_id),
        role,
        directory_scope_id: Value::Value(assignment.directory_scope_id),
        role_definition_id,
    }
}

/// The template id of a role definition (its id, for built-in roles).
fn definition_id(definition: &RoleDefinition) -> String {
    definition
        .template_id
        .clone()
        .unwrap_or_else(|| definition.id.clone())
}

/// Whether two definitions are the same role.
fn same_definition(a: &RoleDefinition, b: &RoleDefinition) -> bool {
    definition_id(a).eq_ignore_ascii_case(&definition_id(b))
}

// Schema.

/// The resource's schema.
fn schema() -> Schema {
    resource_schema(
        "Assigns a Microsoft Entra directory role to a service principal, e.g. User Administrator for Reset Credentials or Security Reader for Remove Malicious Email.",
        [
            ("id", schema::computed_string("The role assignment id.")),
            ("principal_id", schema::required_string("Object id of the service principal to assign the role to. Changing it forces a new assignment.")),
            (ROLE, schema::optional_computed_string("Directory role by display name, such as `User Administrator` or `Security Reader`. Set exactly one of `role` and `role_definition_id`; the provider fills in the other. Naming the same role in the other form is not a change; changing the role forces a new assignment.")),
            ("directory_scope_id", schema::optional_computed_string("Scope of the assignment, `/` (the default) for the whole directory. Changing it forces a new assignment.")),
            (ROLE_DEFINITION_ID, schema::optional_computed_string("Directory role by template id (a GUID), such as `fe930be7-5e62-47db-91af-98c3a49a38b1` for User Administrator. Set exactly one of `role` and `role_definition_id`; the provider fills in the other. Naming the same role in the other form is not a change; changing the role forces a new assignment.")),
        ],
    )
}

// Import ID.

/// The import ID: a role assignment id, optionally in the azuread form
/// `/roleManagement/directory/roleAssignments/<id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportId(String);

const AZUREAD_PREFIX: &str = "/roleManagement/directory/roleAssignments/";

impl FromStr for ImportId {
    type Err = ImportIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = s.trim().strip_prefix(AZUREAD_PREFIX).unwrap_or(s.trim());
        let valid = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(ImportId(id.to_owned()))
        } else {
            Err(ImportIdError(s.to_owned()))
        }
    }
}

impl fmt::Display for ImportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An import ID that is not a role assignment id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a role assignment id; expected the assignment's id (e.g. lAPpYvVpN0KRkAEhdxReEJC2sEy6R_hHrhBMTXRGfFs-1) or {AZUREAD_PREFIX}<id>")]
pub struct ImportIdError(String);

// Validate.

/// Checks the configuration without Graph.
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
    validate_role(state, diags);
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

/// Checks that the role is configured, each form in its own attribute. Both set is left to
/// plan, which needs Graph to tell whether they name the same role: the configuration that
/// `terraform plan -generate-config-out` writes after an import sets both.
fn validate_role(state: &State, diags: &mut Diagnostics) {
    if state.role.is_null() && state.role_definition_id.is_null() {
        diags.error(
            "Set role or role_definition_id",
            format!("Name the directory role by display name, e.g. role = \"User Administrator\", or by template id, e.g. role_definition_id = \"{EXAMPLE_TEMPLATE_ID}\"."),
            AttributePath::new(ROLE),
        );
    }
    if let Value::Value(role) = &state.role {
        let role = role.trim();
        if role.is_empty() {
            diags.error(
                "role must not be empty",
                "Use a role display name such as \"User Administrator\", or set role_definition_id to the role's template id instead.",
                AttributePath::new(ROLE),
            );
        } else if is_guid(role) {
            diags.error(
                "role is a template id, not a display name",
                format!("A template id goes in role_definition_id: use role_definition_id = \"{role}\" instead of role, or set role to the role's display name such as \"User Administrator\"."),
                AttributePath::new(ROLE),
            );
        }
    }
    if let Value::Value(id) = &state.role_definition_id {
        if !is_guid(id) {
            diags.error(
                "role_definition_id must be a GUID",
                format!("role_definition_id is {id:?}; use the role's template id, e.g. \"{EXAMPLE_TEMPLATE_ID}\" for User Administrator, or name the role by display name with role instead."),
                AttributePath::new(ROLE_DEFINITION_ID),
            );
        }
    }
}

/// Whether `text` is a GUID, the form of a template id.
fn is_guid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}
// Plan.

/// The role a configuration names, as far as plan can tell.
enum ConfiguredRole {
    /// Looked up.
    Known(RoleDefinition),
    /// A configured value comes from another resource and is not known yet.
    NotYetKnown,
}

/// Whether each role attribute the configuration sets equals prior state's (ignoring ASCII
/// case, as Graph does), so the role is unchanged without a lookup.
fn role_as_in_prior(config: &State, prior: &State) -> bool {
    let same = |configured: &Value<String>, prior: &Value<String>| match (configured, prior) {
        (Value::Null, _) => true,
        (Value::Value(configured), Value::Value(prior)) => configured.eq_ignore_ascii_case(prior),
        _ => false,
    };
    let configured = !(config.role.is_null() && config.role_definition_id.is_null());
    configured
        && same(&config.role, &prior.role)
        && same(&config.role_definition_id, &prior.role_definition_id)
}

/// Sets the role attributes the configuration leaves out. Configured ones are left alone:
/// the protocol wants them planned exactly as written.
fn fill_unconfigured(
    planned: &mut State,
    config: &State,
    role: Value<String>,
    role_definition_id: Value<String>,
) {
    if config.role.is_null() {
        planned.role = role;
    }
    if config.role_definition_id.is_null() {
        planned.role_definition_id = role_definition_id;
    }
}

/// The role attributes the configuration sets, for `requires_replace`.
fn configured_role_attributes(config: &State) -> Vec<AttributePath> {
    [
        (ROLE, &config.role),
        (ROLE_DEFINITION_ID, &config.role_definition_id),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_null())
    .map(|(name, _)| AttributePath::new(name))
    .collect()
}
impl RoleAssignmentResource {
    /// Looks up a role by display name or template id, reporting an unknown role on
    /// `attribute`.
    async fn resolve_role(
        &self,
        graph: &GraphClient,
        attribute: &'static str,
        role: &str,
        diags: &mut Diagnostics,
    ) -> Option<RoleDefinition> {
        match self.data.lookups().role_definition(graph, role).await {
            Ok(Some(definition)) => Some(definition),
            Ok(None) => {
                let fix = if attribute == ROLE_DEFINITION_ID {
                    format!("No role definition has this template id. Use the template id of a directory role, e.g. \"{EXAMPLE_TEMPLATE_ID}\" for User Administrator, or name the role by display name with role instead.")
                } else {
                    "No role definition has this display name. Use a built-in role name such as \"User Administrator\" or \"Security Reader\", or give the role's template id as role_definition_id instead.".to_owned()
                };
                diags.error(
                    format!("Unknown directory role {role:?}"),
                    fix,
                    AttributePath::new(attribute),
                );
                None
            }
            Err(err) => {
                graph_error(
                    diags,
                    &format!("looking up directory role {role:?}"),
                    &err,
                    Some(attribute),
                );
                None
            }
        }
    }

    /// Looks up the role the configuration names. When both attributes are set they must
    /// name the same role.
    async fn configured_role(
        &self,
        graph: &GraphClient,
        config: &State,
        diags: &mut Diagnostics,
    ) -> Option<ConfiguredRole> {
        let mut found = Vec::new();
        for (attribute, value) in [
            (ROLE, &config.role),
            (ROLE_DEFINITION_ID, &config.role_definition_id),
        ] {
            match value {
                Value::Value(role) => {
                    found.push(self.resolve_role(graph, attribute, role, diags).await?);
                }
                Value::Unknown => return Some(ConfiguredRole::NotYetKnown),
                Value::Null => {}
            }
        }
        match found.as_slice() {
            [by_name, by_id] if !same_definition(by_name, by_id) => {
                diags.error(
                    "role and role_definition_id name different roles",
                    format!(
                        "role is {:?} (template id {}) but role_definition_id is {} ({}). Set only one of them: role = {:?} or role_definition_id = {:?}.",
                        by_name.display_name,
                        definition_id(by_name),
                        definition_id(by_id),
                        by_id.display_name,
                        by_name.display_name,
                        definition_id(by_id),
                    ),
                    AttributePath::new(ROLE_DEFINITION_ID),
                );
                None
            }
            [definition, ..] => Some(ConfiguredRole::Known(definition.clone())),
            // Neither is set, which validate refuses.
            [] => Some(ConfiguredRole::NotYetKnown),
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
            .service_principal_by_id(graph, principal, PLAN_REFERENCE_WAIT)
            .await
        {
            Ok(Some(_)) => Some(()),
            Ok(None) => {
                diags.error(
                    format!("No service principal with object id {principal}"),
                    format!("principal_id must be the object id of the app's service principal (Enterprise applications > Object ID), not the application (client) id. (Waited {} s in case it was created moments ago.)", PLAN_REFERENCE_WAIT.as_secs()),
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

    /// Plans a new assignment: the role looked up in the form not configured, and the
    /// principal checked to exist, so a typo fails before any write.
    async fn plan_create(
        &self,
        diags: &mut Diagnostics,
        mut planned: State,
        config: State,
    ) -> Option<(State, Private)> {
        if planned.directory_scope_id.is_null() {
            planned.directory_scope_id = Value::Value(DIRECTORY_SCOPE.to_owned());
        }
        planned.id = Value::Unknown;
        let graph = self.data.graph(diags)?;
        // The role and the principal are looked up side by side: one round trip, not two.
        let (mut role_diags, mut principal_diags) =
            (Diagnostics::default(), Diagnostics::default());
        let principal = planned.principal_id.as_ref_option().cloned();
        let (role, principal_found) = tokio::join!(
            self.configured_role(graph, &config, &mut role_diags),
            async {
                match &principal {
                    Some(principal) => {
                        self.check_principal(graph, principal, &mut principal_diags)
                            .await
                    }
                    None => Some(()),
                }
            }
        );
        // As when they ran one after the other: a role that fails is the one error shown.
        diags.add_diagnostics(role_diags);
        let role = role?;
        diags.add_diagnostics(principal_diags);
        principal_found?;
        match role {
            ConfiguredRole::Known(definition) => {
                let id = definition_id(&definition);
                fill_unconfigured(
                    &mut planned,
                    &config,
                    Value::Value(definition.display_name),
                    Value::Value(id),
                );
            }
            ConfiguredRole::NotYetKnown => {
                fill_unconfigured(&mut planned, &config, Value::Unknown, Value::Unknown);
            }
        }
        Some((planned, None))
    }

    /// Plans a change: any argument but the form the role is named in forces replacement.
    async fn plan_update(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        mut planned: State,
        config: State,
        prior_private: Private,
    ) -> Option<(State, Private, Vec<AttributePath>)> {
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
        let same_role = if role_as_in_prior(&config, &prior) {
            true
        } else {
            // Named differently than in state: the same role only if the lookup says so.
            let graph = self.data.graph(diags)?;
            match self.configured_role(graph, &config, diags).await? {
                ConfiguredRole::Known(definition) => prior
                    .role_definition_id
                    .as_ref_option()
                    .is_some_and(|d| d.eq_ignore_ascii_case(&definition_id(&definition))),
                ConfiguredRole::NotYetKnown => false,
            }
        };
        if same_role {
            // The other form of the same role, or another letter case: the attribute left
            // out keeps its value from state, so the plan is empty or a no-op update.
            fill_unconfigured(
                &mut planned,
                &config,
                prior.role.clone(),
                prior.role_definition_id.clone(),
            );
        } else {
            replace.extend(configured_role_attributes(&config));
        }
        if !replace.is_empty() {
            // The new assignment's id, and the role attribute left out, come from create.
            planned.id = Value::Unknown;
            fill_unconfigured(&mut planned, &config, Value::Unknown, Value::Unknown);
        }
        Some((planned, prior_private, replace))
    }
}

// Create.

impl RoleAssignmentResource {
    /// Creates the assignment, adopting an identical one.
    async fn create(&self, diags: &mut Diagnostics, planned: State) -> Option<(State, Private)> {
        let graph = self.data.graph(diags)?;
        let principal = known(&planned.principal_id, "principal_id", diags)?.clone();
        // Plan fills in both role attributes once the configured one is known.
        let role = known(&planned.role, ROLE, diags)?.clone();
        let definition = known(&planned.role_definition_id, ROLE_DEFINITION_ID, diags)?.clone();
        let scope = planned
            .directory_scope_id
            .as_ref_option()
            .cloned()
            .unwrap_or_else(|| DIRECTORY_SCOPE.to_owned());
        let created = match graph
            .create_role_assignment(&definition, &principal, &scope)
            .await
        {
            Ok(created) => Ok(created),
            // Already there (made by hand, or by a retried request that had landed): adopt it.
            // It may be too new to be listed yet (a retried POST whose first answer was lost):
            // look for it as for a fresh write.
            Err(err) if err.is_already_exists() => {
                let found = graph
                    .find_role_assignment(
                        &principal,
                        &definition,
                        &scope,
                        Consistency::just_written(),
                    )
                    .await;
                match found {
                    Ok(Some(existing)) => {
                        tracing::info!(id = %existing.id, "adopting an existing identical role assignment");
                        Ok(existing)
                    }
                    Ok(None) => Err(err),
                    Err(find_err) => Err(find_err),
                }
            }
            Err(err) => Err(err),
        };
        match created {
            // The role attributes as planned: the configured one must come back as written.
            Ok(assignment) => Some((
                state_from(
                    assignment,
                    planned.role,
                    planned.role_definition_id,
                    planned.timeouts,
                ),
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
}

// Read.

impl RoleAssignmentResource {
    /// The display name of the role with this template id, `Null` when it cannot be looked up
    /// now (a later refresh tries again).
    async fn display_name_of(&self, graph: &GraphClient, template_id: &str) -> Value<String> {
        match self
            .data
            .lookups()
            .role_definition(graph, template_id)
            .await
        {
            Ok(Some(definition)) => Value::Value(definition.display_name),
            Ok(None) => {
                tracing::warn!(%template_id, "no role definition has this template id");
                Value::Null
            }
            Err(err) => {
                tracing::warn!(%template_id, error = %err, "could not look up the role's display name");
                Value::Null
            }
        }
    }

    /// Refreshes an assignment; a null state when it is gone.
    async fn read(
        &self,
        diags: &mut Diagnostics,
        state: State,
        private: Private,
    ) -> Option<(Option<State>, Private)> {
        let graph = self.data.graph(diags)?;
        let id = known(&state.id, "id", diags)?.clone();
        match graph.get_role_assignment(&id, consistency(&private)).await {
            Ok(Some(assignment)) => {
                let same_role = state
                    .role_definition_id
                    .as_ref_option()
                    .is_some_and(|d| d.eq_ignore_ascii_case(&assignment.role_definition_id));
                // An older version recorded a template id as `role`; show the name instead.
                let named = state
                    .role
                    .as_ref_option()
                    .is_some_and(|r| !is_guid(r.trim()));
                let role = if same_role && named {
                    state.role.clone()
                } else {
                    // Imported, or changed behind our back: look the name up.
                    self.display_name_of(graph, &assignment.role_definition_id)
                        .await
                };
                let role_definition_id = if same_role {
                    state.role_definition_id.clone()
                } else {
                    Value::Value(assignment.role_definition_id.clone())
                };
                Some((
                    Some(state_from(
                        assignment,
                        role,
                        role_definition_id,
                        state.timeouts,
                    )),
                    private,
                ))
            }
            // Gone: a null state tells Terraform to plan its re-creation.
            Ok(None) => Some((None, None)),
            Err(err) => {
                graph_error(diags, &format!("reading role assignment {id}"), &err, None);
                None
            }
        }
    }
}

// Update: every argument forces replacement, so nothing is sent.

// Delete.

impl RoleAssignmentResource {
    /// Removes the assignment; one already gone counts as removed.
    async fn delete(&self, diags: &mut Diagnostics, prior: State) -> Option<()> {
        let graph = self.data.graph(diags)?;
        let id = known(&prior.id, "id", diags)?;
        if let Err(err) = graph.delete_role_assignment(id).await {
            graph_error(diags, &format!("removing role assignment {id}"), &err, None);
            return None;
        }
        Some(())
    }
}

// Trait glue.

#[async_trait]
impl ResourceType for RoleAssignmentResource {
    type Model = State;
    type Private = Private;

    const NAME: &'static str = "expel_role_assignment";

    fn schema(&self) -> Schema {
        schema()
    }

    fn timeouts(model: &State) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn import(&self, diags: &mut Diagnostics, id: &str) -> Option<State> {
        match id.parse::<ImportId>() {
            Ok(id) => Some(State {
                id: Value::Value(id.to_string()),
                ..Default::default()
            }),
            Err(err) => {
                diags.root_error(
                    "Invalid import ID for expel_role_assignment",
                    err.to_string(),
                );
                None
            }
        }
    }

    fn validate(&self, diags: &mut Diagnostics, config: &State) {
        validate(config, diags);
    }

    async fn plan_create(
        &self,
        diags: &mut Diagnostics,
        proposed: State,
        config: State,
    ) -> Option<(State, Private)> {
        self.plan_create(diags, proposed, config).await
    }

    async fn plan_update(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        proposed: State,
        config: State,
        private: Private,
    ) -> Option<(State, Private, Vec<AttributePath>)> {
        self.plan_update(diags, prior, proposed, config, private)
            .await
    }

    async fn create(
        &self,
        diags: &mut Diagnostics,
        planned: State,
        _private: Private,
    ) -> Option<(State, Private)> {
        self.create(diags, planned).await
    }

    async fn read(
        &self,
        diags: &mut Diagnostics,
        state: State,
        private: Private,
    ) -> Option<(Option<State>, Private)> {
        self.read(diags, state, private).await
    }

    async fn update(
        &self,
        _diags: &mut Diagnostics,
        _prior: State,
        planned: State,
        private: Private,
    ) -> Option<(State, Private)> {
        // Only reached when the configured role attribute changes letter case only (the same
        // role), or the timeouts change: nothing to send.
        Some((planned, private))
    }

    async fn delete(&self, diags: &mut Diagnostics, prior: State, _private: Private) -> Option<()> {
        self.delete(diags, prior).await
    }
}

#[cfg(test)]
mod properties;

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
            let err = bad.parse::<ImportId>().unwrap_err().to_string();
            assert!(err.contains("roleAssignments/<id>"), "{bad}: {err}");
        }
    }

    const SECURITY_READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";

    /// A configuration naming the role by display name, otherwise as given.
    fn by_name(role: &str) -> State {
        State {
            principal_id: Value::Value("0badc0de-0000-4000-8000-000000000000".into()),
            role: Value::Value(role.into()),
            ..Default::default()
        }
    }

    /// A configuration naming the role by template id, otherwise as given.
    fn by_template_id(id: &str) -> State {
        State {
            principal_id: Value::Value("0badc0de-0000-4000-8000-000000000000".into()),
            role_definition_id: Value::Value(id.into()),
            ..Default::default()
        }
    }

    /// The diagnostics of validating `state`.
    fn validated(state: &State) -> Diagnostics {
        let mut diags = Diagnostics::default();
        validate(state, &mut diags);
        diags
    }

    #[test]
    fn validation_accepts_a_display_name_as_role() {
        assert!(validated(&by_name("Security Reader")).errors.is_empty());
    }

    #[test]
    fn validation_accepts_a_template_id_as_role_definition_id() {
        assert!(validated(&by_template_id(SECURITY_READER))
            .errors
            .is_empty());
    }

    #[test]
    fn validation_requires_role_or_role_definition_id_naming_both() {
        let diags = validated(&State {
            principal_id: Value::Value("0badc0de-0000-4000-8000-000000000000".into()),
            ..Default::default()
        });
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].summary, "Set role or role_definition_id");
        assert!(diags.errors[0].detail.contains("role_definition_id ="));
    }

    #[test]
    fn validation_refuses_a_template_id_as_role_showing_role_definition_id() {
        let diags = validated(&by_name(SECURITY_READER));
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].attribute, AttributePath::new("role"));
        assert!(
            diags.errors[0]
                .detail
                .contains(&format!("role_definition_id = \"{SECURITY_READER}\"")),
            "{:?}",
            diags.errors[0].detail
        );
    }

    #[test]
    fn validation_refuses_a_role_definition_id_that_is_not_a_guid() {
        let diags = validated(&by_template_id("Security Reader"));
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(
            diags.errors[0].attribute,
            AttributePath::new("role_definition_id")
        );
        assert_eq!(diags.errors[0].summary, "role_definition_id must be a GUID");
    }

    #[test]
    fn validation_refuses_an_empty_role() {
        let diags = validated(&by_name(" "));
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].summary, "role must not be empty");
    }

    #[test]
    fn validation_leaves_both_forms_together_to_plan_which_looks_them_up() {
        // What `terraform plan -generate-config-out` writes after an import.
        let both = State {
            role_definition_id: Value::Value(SECURITY_READER.into()),
            ..by_name("Security Reader")
        };
        assert!(validated(&both).errors.is_empty());
    }

    #[test]
    fn validation_names_a_malformed_principal() {
        let diags = validated(&State {
            principal_id: Value::Value("expel-app".into()),
            ..by_name("User Administrator")
        });
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(
            diags.errors[0].attribute,
            AttributePath::new("principal_id")
        );
    }

    #[test]
    fn validation_rejects_a_relative_scope() {
        let diags = validated(&State {
            directory_scope_id: Value::Value("administrativeUnits/1".into()),
            ..by_name("User Administrator")
        });
        assert_eq!(diags.errors.len(), 1);
    }

    #[test]
    fn unknown_values_are_not_validated() {
        let diags = validated(&State {
            principal_id: Value::Unknown,
            role: Value::Unknown,
            ..Default::default()
        });
        assert!(diags.errors.is_empty());
    }

    /// Prior state of an assignment of Security Reader.
    fn security_reader_in_state() -> State {
        State {
            role: Value::Value("Security Reader".into()),
            role_definition_id: Value::Value(SECURITY_READER.into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_role_is_as_in_prior_when_the_configured_form_matches_state_in_either_form() {
        let prior = security_reader_in_state();
        assert!(role_as_in_prior(&by_name("Security Reader"), &prior));
        assert!(role_as_in_prior(&by_template_id(SECURITY_READER), &prior));
    }

    #[test]
    fn the_role_is_as_in_prior_whatever_the_letter_case() {
        let prior = security_reader_in_state();
        assert!(role_as_in_prior(&by_name("security reader"), &prior));
        assert!(role_as_in_prior(
            &by_template_id(&SECURITY_READER.to_ascii_uppercase()),
            &prior
        ));
    }

    #[test]
    fn the_role_is_not_as_in_prior_when_another_role_or_an_unknown_value_is_configured() {
        let prior = security_reader_in_state();
        assert!(!role_as_in_prior(&by_name("User Administrator"), &prior));
        assert!(!role_as_in_prior(
            &by_template_id("fe930be7-5e62-47db-91af-98c3a49a38b1"),
            &prior
        ));
        let unknown = State {
            role: Value::Unknown,
            ..Default::default()
        };
        assert!(!role_as_in_prior(&unknown, &prior));
    }

    #[test]
    fn only_the_role_attribute_left_out_of_the_configuration_is_filled_in() {
        let config = by_template_id(SECURITY_READER);
        let mut planned = config.clone();
        fill_unconfigured(
            &mut planned,
            &config,
            Value::Value("Security Reader".into()),
            Value::Value("not this".into()),
        );
        assert_eq!(planned.role, Value::Value("Security Reader".into()));
        assert_eq!(
            planned.role_definition_id,
            Value::Value(SECURITY_READER.into())
        );
    }

    #[test]
    fn a_role_change_replaces_on_the_configured_attribute() {
        assert_eq!(
            configured_role_attributes(&by_template_id(SECURITY_READER)),
            vec![AttributePath::new("role_definition_id")]
        );
        assert_eq!(
            configured_role_attributes(&by_name("Security Reader")),
            vec![AttributePath::new("role")]
        );
    }
}
