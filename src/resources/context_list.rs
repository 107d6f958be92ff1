//! `expel_context_list`: a list-valued Workbench organization context entry — the lists auto
//! remediation offers as "Never reset", "Always reset" and "Never remove" (guide step
//! "Update Your Context").
//!
//! `name`, `description` and `values` update in place; `context_type` forces replacement.
//! Values are checked per context type at plan time; for email addresses, user names,
//! domains and host names, spellings that differ only in case are the same value.
//!
//! The file reads in the house order (see CONTRIBUTING.md): model, schema, import ID,
//! validate, plan, create, read, update, delete, then the trait glue. The data source of the
//! same name shares the model, the schema and the lookup.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{Attribute, AttributeConstraint, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics};

use super::context_values;
use crate::framework::diagnostics::workbench_error;
use crate::framework::resource::{resource_schema, ResourceType};
use crate::framework::timeouts::{self, Timeouts};
use crate::framework::{known, known_set, parsed, schema, ProviderData, StringSet};
use crate::workbench::{
    ContextList, ContextListSpec, ContextType, WorkbenchClient, WorkbenchError,
};

// Model.

/// The resource.
#[derive(Debug)]
pub struct ContextListResource {
    data: ProviderData,
}

impl ContextListResource {
    /// A resource acting through the provider's clients.
    pub fn new(data: ProviderData) -> Self {
        Self { data }
    }
}

/// The resource's state.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    /// The context entry id.
    #[serde(default)]
    pub id: Value<String>,
    /// Name, unique in the organization.
    #[serde(default)]
    pub name: Value<String>,
    /// Description shown in Workbench.
    #[serde(default)]
    pub description: Value<String>,
    /// The context type, e.g. `email_address`.
    #[serde(default)]
    pub context_type: Value<String>,
    /// The values.
    #[serde(default)]
    pub values: StringSet,
    /// The owning organization.
    #[serde(default)]
    pub organization_id: Value<String>,
    /// Operation timeouts: always `Some` for the resource, `None` for the data source, which
    /// has no such block.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timeouts::shared_state"
    )]
    pub timeouts: Option<Value<Timeouts>>,
}

impl State {
    /// The timeouts block (null when not configured).
    fn timeouts(&self) -> &Value<Timeouts> {
        self.timeouts.as_ref().unwrap_or(&Value::Null)
    }

    /// Everything but the timeouts, to tell a timeouts-only change.
    fn without_timeouts(&self) -> State {
        State {
            timeouts: None,
            ..self.clone()
        }
    }
}

/// The remote values, spelled as in `prior` where they are the same value.
fn values_as_known(context_type: ContextType, remote: &[String], prior: &StringSet) -> StringSet {
    let key = |value: &str| {
        if context_values::case_insensitive(context_type) {
            value.to_ascii_lowercase()
        } else {
            value.to_owned()
        }
    };
    let spellings: HashMap<String, String> = known_set(prior)
        .unwrap_or_default()
        .into_iter()
        .map(|p| (key(&p), p))
        .collect();
    let set = remote
        .iter()
        .map(|value| {
            let spelled = spellings
                .get(&key(value))
                .map_or(value.as_str(), String::as_str);
            Value::Value(spelled.to_owned())
        })
        .collect();
    Value::Value(set)
}

/// The state of a list as Workbench returned it, spelled as in `prior`.
fn state_from(list: ContextList, prior: &State) -> State {
    State {
        values: values_as_known(list.context_type, &list.values, &prior.values),
        id: Value::Value(list.id),
        name: Value::Value(list.name),
        description: list.description.filter(|d| !d.is_empty()).into(),
        context_type: Value::Value(list.context_type.as_str().to_owned()),
        organization_id: list
            .organization_id
            .or_else(|| prior.organization_id.as_ref_option().cloned())
            .into(),
        timeouts: prior.timeouts.clone(),
    }
}

/// What to send to Workbench for a planned state.
fn spec_of(state: &State, diags: &mut Diagnostics) -> Option<ContextListSpec> {
    let name = known(&state.name, "name", diags)?.clone();
    let context_type = parsed(&state.context_type, "context_type", diags)?;
    let Some(values) = known_set(&state.values) else {
        diags.error(
            "values are not known",
            "Every value must be known when the list is written.",
            AttributePath::new("values"),
        );
        return None;
    };
    Some(ContextListSpec {
        name,
        description: state.description.as_ref_option().cloned(),
        context_type,
        values: values.into_iter().collect(),
    })
}

/// Same list content, ignoring order and (where the type says so) case.
fn same_content(list: &ContextList, spec: &ContextListSpec) -> bool {
    list.context_type == spec.context_type
        && list.values.len() == spec.values.len()
        && spec.values.iter().all(|v| {
            list.values
                .iter()
                .any(|r| context_values::same_value(spec.context_type, r, v))
        })
}

// Schema.

/// The resource's schema.
fn schema() -> Schema {
    resource_schema(
        "A list in Expel Workbench's organization context, such as the \"Never reset\", \"Always reset\" or \"Never remove\" lists of the Microsoft 365 auto remediations.",
        attributes(true),
    )
}

/// The schema shared with the data source.
pub fn attributes(resource: bool) -> Vec<(&'static str, Attribute)> {
    let (input, output) = if resource {
        (AttributeConstraint::Required, AttributeConstraint::Optional)
    } else {
        (AttributeConstraint::Computed, AttributeConstraint::Computed)
    };
    [
        ("id", schema::typed(AttributeType::String, if resource { AttributeConstraint::Computed } else { AttributeConstraint::OptionalComputed }, "The context entry id.")),
        ("name", schema::typed(AttributeType::String, if resource { AttributeConstraint::Required } else { AttributeConstraint::OptionalComputed }, "Name, unique in the organization, e.g. `Never reset`.")),
        ("description", schema::typed(AttributeType::String, output, "Description shown in Workbench.")),
        ("context_type", schema::typed(AttributeType::String, input.clone(), "`username`, `email_address`, `hostname`, `ip_address`, `cidr_block`, `domain`, `url`, `file_hash`, `port` or `other`. Changing it forces a new list.")),
        ("values", schema::typed(AttributeType::Set(Box::new(AttributeType::String)), input, "The values, each checked for the context type.")),
        ("organization_id", schema::computed_string("The owning Workbench organization.")),
    ]
    .into()
}

// Import ID.

/// Import ID: the context entry id, or `name:<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportId {
    /// By id.
    Id(String),
    /// By name.
    Name(String),
}

/// An import ID that names no list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportIdError {
    /// `name:` with nothing after it.
    #[error("the import ID \"name:\" names no list; use name:<name> or the context entry id")]
    EmptyName,
    /// Blank, or with a `/` or white space, so not an id.
    #[error(
        "{0:?} is not an expel_context_list import ID; use the context entry id or name:<name>"
    )]
    Form(String),
}

impl FromStr for ImportId {
    type Err = ImportIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("name:") {
            Some(name) if !name.trim().is_empty() => Ok(ImportId::Name(name.to_owned())),
            Some(_) => Err(ImportIdError::EmptyName),
            None if !s.trim().is_empty()
                && !s.contains('/')
                && !s.chars().any(char::is_whitespace) =>
            {
                Ok(ImportId::Id(s.to_owned()))
            }
            None => Err(ImportIdError::Form(s.to_owned())),
        }
    }
}

impl fmt::Display for ImportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportId::Id(id) => f.write_str(id),
            ImportId::Name(name) => write!(f, "name:{name}"),
        }
    }
}

impl ContextListResource {
    /// The list an import ID names, read in full (by id or by name).
    async fn import(&self, diags: &mut Diagnostics, id: &str) -> Option<State> {
        let import_id = match id.parse::<ImportId>() {
            Ok(id) => id,
            Err(err) => {
                diags.root_error("Invalid import ID for expel_context_list", err.to_string());
                return None;
            }
        };
        let workbench = self.data.workbench(diags)?;
        match lookup(workbench, &import_id).await {
            Ok(Some(list)) => {
                let resource = State {
                    timeouts: Some(Value::Null),
                    ..State::default()
                };
                Some(state_from(list, &resource))
            }
            Ok(None) => {
                diags.root_error(
                    format!("No context list {import_id}"),
                    "Check the id or name in Workbench (Settings > Org context).",
                );
                None
            }
            Err(err) => {
                workbench_error(
                    diags,
                    &format!("looking up context list {import_id}"),
                    &err,
                    None,
                );
                None
            }
        }
    }
}

/// Lookup used by the data source.
pub async fn lookup(
    workbench: &WorkbenchClient,
    id: &ImportId,
) -> Result<Option<ContextList>, WorkbenchError> {
    match id {
        ImportId::Id(id) => match workbench.get_context_list(id).await {
            Ok(list) => Ok(Some(list)),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        },
        ImportId::Name(name) => workbench.find_context_list_by_name(name).await,
    }
}

/// State of a looked-up list (for the data source).
pub fn state_of(list: ContextList) -> State {
    state_from(list, &State::default())
}

// Validate.

/// Checks the configuration without Workbench: names, and each value for its type.
fn validate(state: &State, diags: &mut Diagnostics) {
    timeouts::validate(state.timeouts(), diags);
    if let Value::Value(name) = &state.name {
        if name.trim().is_empty() {
            diags.error(
                "name must not be empty",
                "Give the list the name Workbench shows, e.g. \"Never reset\".",
                AttributePath::new("name"),
            );
        }
    }
    let context_type = match &state.context_type {
        Value::Value(text) => match text.parse::<ContextType>() {
            Ok(t) => Some(t),
            Err(err) => {
                diags.error(
                    "Unknown context_type",
                    err.to_string(),
                    AttributePath::new("context_type"),
                );
                None
            }
        },
        _ => None,
    };
    let Some(values) = known_set(&state.values) else {
        return;
    };
    if values.is_empty() {
        diags.error(
            "values must not be empty",
            "A context list needs at least one value; to remove the list, remove the resource.",
            AttributePath::new("values"),
        );
    }
    let Some(context_type) = context_type else {
        return;
    };
    let bad: Vec<String> = values
        .iter()
        .filter_map(|v| context_values::check(context_type, v).err())
        .map(|err| err.to_string())
        .collect();
    if !bad.is_empty() {
        let shown: Vec<&String> = bad.iter().take(20).collect();
        let more = bad.len().saturating_sub(shown.len());
        let mut detail = shown
            .iter()
            .map(|e| format!("- {e}"))
            .collect::<Vec<_>>()
            .join("\n");
        if more > 0 {
            detail.push_str(&format!("\n… and {more} more"));
        }
        diags.error(
            format!(
                "{} invalid value(s) for context_type {context_type}",
                bad.len()
            ),
            detail,
            AttributePath::new("values"),
        );
    }
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    for (first, second) in context_values::duplicates(context_type, &values) {
        diags.error(
            "Duplicate value in values",
            format!("{first:?} and {second:?} are the same {context_type} (letter case does not matter); keep one of them."),
            AttributePath::new("values"),
        );
    }
}

// Plan.

impl ContextListResource {
    /// Plans a new list, checking the API key first.
    async fn plan_create(
        &self,
        diags: &mut Diagnostics,
        mut planned: State,
    ) -> Option<(State, ValueEmpty)> {
        planned.id = Value::Unknown;
        planned.organization_id = Value::Unknown;
        self.data.checked_workbench(diags).await?;
        Some((planned, ValueEmpty::default()))
    }

    /// Plans a change: a new context type forces replacement, the rest updates in place.
    fn plan_update(prior: State, proposed: State) -> (State, Vec<AttributePath>) {
        let mut replace = Vec::new();
        if proposed.context_type != prior.context_type {
            replace.push(AttributePath::new("context_type"));
        }
        let mut planned = proposed;
        if !replace.is_empty() {
            planned.id = Value::Unknown;
            planned.organization_id = Value::Unknown;
        }
        (planned, replace)
    }
}

// Create.

impl ContextListResource {
    /// Creates the list, adopting an identical one left by a retried request.
    async fn create(&self, diags: &mut Diagnostics, planned: State) -> Option<State> {
        let workbench = self.data.workbench(diags)?;
        let spec = spec_of(&planned, diags)?;
        let created = match workbench.create_context_list(&spec).await {
            Ok(list) => list,
            Err(WorkbenchError::Conflict(message)) => {
                // A retried create that had landed leaves an identical list: adopt that one only.
                match workbench.find_context_list_by_name(&spec.name).await {
                    Ok(Some(existing)) if same_content(&existing, &spec) => existing,
                    Ok(existing) => {
                        let id = existing
                            .map(|l| format!(" (id {})", l.id))
                            .unwrap_or_default();
                        diags.error(
                            format!("A context list named {:?} already exists{id}", spec.name),
                            format!("Workbench said: {message}. Names are unique in the organization: choose another name, or bring the existing list under Terraform with `terraform import <address> \"name:{}\"` (or an import block with id = \"name:{}\").", spec.name, spec.name),
                            AttributePath::new("name"),
                        );
                        return None;
                    }
                    Err(err) => {
                        workbench_error(
                            diags,
                            &format!("looking up context list {:?}", spec.name),
                            &err,
                            None,
                        );
                        return None;
                    }
                }
            }
            Err(err) => {
                workbench_error(
                    diags,
                    &format!("creating context list {:?}", spec.name),
                    &err,
                    None,
                );
                return None;
            }
        };
        Some(state_from(created, &planned))
    }
}

// Read.

impl ContextListResource {
    /// Refreshes the list; a null state when it is gone.
    async fn read(&self, diags: &mut Diagnostics, state: State) -> Option<Option<State>> {
        let workbench = self.data.workbench(diags)?;
        let id = known(&state.id, "id", diags)?.clone();
        match workbench.get_context_list(&id).await {
            Ok(list) => Some(Some(state_from(list, &state))),
            Err(err) if err.is_not_found() => Some(None),
            Err(err) => {
                workbench_error(diags, &format!("reading context list {id}"), &err, None);
                None
            }
        }
    }
}

// Update.

impl ContextListResource {
    /// Renames the list or replaces its values; a change of the timeouts alone sends nothing.
    async fn update(&self, diags: &mut Diagnostics, prior: State, planned: State) -> Option<State> {
        if prior.without_timeouts() == planned.without_timeouts() {
            return Some(planned);
        }
        let workbench = self.data.workbench(diags)?;
        let id = known(&prior.id, "id", diags)?.clone();
        let spec = spec_of(&planned, diags)?;
        match workbench.update_context_list(&id, &spec).await {
            Ok(list) => Some(state_from(list, &planned)),
            Err(WorkbenchError::Conflict(message)) => {
                diags.error(
                    format!("A context list named {:?} already exists", spec.name),
                    format!("Workbench said: {message}. Choose another name."),
                    AttributePath::new("name"),
                );
                None
            }
            Err(err) => {
                workbench_error(diags, &format!("updating context list {id}"), &err, None);
                None
            }
        }
    }
}

// Delete.

impl ContextListResource {
    /// Deletes the list; one already gone counts as deleted.
    async fn delete(&self, diags: &mut Diagnostics, prior: State) -> Option<()> {
        let workbench = self.data.workbench(diags)?;
        let id = known(&prior.id, "id", diags)?;
        if let Err(err) = workbench.delete_context_list(id).await {
            workbench_error(diags, &format!("deleting context list {id}"), &err, None);
            return None;
        }
        Some(())
    }
}

// Trait glue.

#[async_trait]
impl ResourceType for ContextListResource {
    type Model = State;
    type Private = ValueEmpty;

    const NAME: &'static str = "expel_context_list";

    fn schema(&self) -> Schema {
        schema()
    }

    fn timeouts(model: &State) -> &Value<Timeouts> {
        model.timeouts()
    }

    async fn import(&self, diags: &mut Diagnostics, id: &str) -> Option<State> {
        self.import(diags, id).await
    }

    fn validate(&self, diags: &mut Diagnostics, config: &State) {
        validate(config, diags);
    }

    async fn plan_create(
        &self,
        diags: &mut Diagnostics,
        proposed: State,
        _config: State,
    ) -> Option<(State, ValueEmpty)> {
        self.plan_create(diags, proposed).await
    }

    async fn plan_update(
        &self,
        _diags: &mut Diagnostics,
        prior: State,
        proposed: State,
        _config: State,
        private: ValueEmpty,
    ) -> Option<(State, ValueEmpty, Vec<AttributePath>)> {
        let (planned, replace) = Self::plan_update(prior, proposed);
        Some((planned, private, replace))
    }

    async fn create(
        &self,
        diags: &mut Diagnostics,
        planned: State,
        private: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        Some((self.create(diags, planned).await?, private))
    }

    async fn read(
        &self,
        diags: &mut Diagnostics,
        state: State,
        private: ValueEmpty,
    ) -> Option<(Option<State>, ValueEmpty)> {
        Some((self.read(diags, state).await?, private))
    }

    async fn update(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        planned: State,
        private: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        Some((self.update(diags, prior, planned).await?, private))
    }

    async fn delete(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        _private: ValueEmpty,
    ) -> Option<()> {
        self.delete(diags, prior).await
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> StringSet {
        Value::Value(values.iter().map(|v| Value::Value(v.to_string())).collect())
    }

    #[test]
    fn import_ids_round_trip() {
        for text in ["0f8c7a9e-1111-4222-8333-944455556666", "name:Never reset"] {
            assert_eq!(text.parse::<ImportId>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn import_id_errors_show_both_forms() {
        for bad in ["", "name:", "a/b"] {
            let err = bad.parse::<ImportId>().unwrap_err();
            let err = err.to_string();
            assert!(err.contains("name:<name>"), "{bad}: {err}");
        }
    }

    #[test]
    fn remote_case_changes_keep_the_configured_spelling() {
        let kept = values_as_known(
            ContextType::EmailAddress,
            &["bob@contoso.com".into(), "new@contoso.com".into()],
            &set(&["Bob@Contoso.com"]),
        );
        assert_eq!(kept, set(&["Bob@Contoso.com", "new@contoso.com"]));
    }

    #[test]
    fn case_matters_for_hashes() {
        let kept = values_as_known(
            ContextType::Url,
            &["https://a.com/x".into()],
            &set(&["https://a.com/X"]),
        );
        assert_eq!(kept, set(&["https://a.com/x"]));
    }

    #[test]
    fn every_bad_value_is_named() {
        let mut diags = Diagnostics::default();
        validate(
            &State {
                context_type: Value::Value("ip_address".into()),
                values: set(&["10.0.0.1", "10.0.0.999", "host"]),
                ..Default::default()
            },
            &mut diags,
        );
        assert_eq!(diags.errors.len(), 1);
        let detail = &diags.errors[0].detail;
        assert!(
            detail.contains("10.0.0.999") && detail.contains("\"host\""),
            "{detail}"
        );
        assert_eq!(diags.errors[0].attribute, AttributePath::new("values"));
    }

    #[test]
    fn case_duplicates_are_rejected() {
        let mut diags = Diagnostics::default();
        validate(
            &State {
                context_type: Value::Value("email_address".into()),
                values: set(&["A@contoso.com", "a@contoso.com"]),
                ..Default::default()
            },
            &mut diags,
        );
        assert!(
            diags.errors[0].summary.contains("Duplicate"),
            "{:?}",
            diags.errors
        );
    }

    #[test]
    fn empty_lists_are_rejected() {
        let mut diags = Diagnostics::default();
        validate(
            &State {
                context_type: Value::Value("username".into()),
                values: set(&[]),
                ..Default::default()
            },
            &mut diags,
        );
        assert_eq!(diags.errors[0].attribute, AttributePath::new("values"));
    }

    #[test]
    fn unknown_values_wait_for_apply() {
        let mut diags = Diagnostics::default();
        validate(
            &State {
                context_type: Value::Value("port".into()),
                values: Value::Unknown,
                ..Default::default()
            },
            &mut diags,
        );
        assert!(diags.errors.is_empty());
    }
}
