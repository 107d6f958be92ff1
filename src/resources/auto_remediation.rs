//! `expel_auto_remediation`: opts the organization in to one Microsoft 365 auto remediation in
//! Workbench, on the chosen context lists (the guides' last step, "Enable an Auto Remediation
//! in Workbench").
//!
//! `remediation` forces replacement; everything else updates in place. The Workbench setting
//! is looked up (one per organization and action type) and changed, never deleted: destroy
//! opts out and unlinks the lists this resource manages. How a list is linked is decided in
//! `workbench::remediation` (one place, with its assumption written beside it).
//!
//! The file reads in the house order (see CONTRIBUTING.md): model, schema, import ID,
//! validate, plan, create, read, update, delete, then the trait glue.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Schema};
use tf_provider::value::{self, Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics};

use crate::framework::diagnostics::workbench_error;
use crate::framework::resource::{resource_schema, ResourceType};
use crate::framework::timeouts::{self, Timeouts};
use crate::framework::{known, known_set, parsed, schema, ProviderData, StringSet};
use crate::remediation::{ListKind, Remediation, UnknownRemediation};
use crate::workbench::{
    ListLink, ListType, RemediationSetting, SettingChange, WorkbenchClient, WorkbenchError,
};

// Model.

/// The resource.
#[derive(Debug)]
pub struct AutoRemediationResource {
    data: ProviderData,
}

impl AutoRemediationResource {
    /// A resource acting through the provider's clients.
    pub fn new(data: ProviderData) -> Self {
        Self { data }
    }
}

/// The resource's state.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    /// The Workbench `remediation_action_settings` id.
    #[serde(default)]
    pub id: Value<String>,
    /// `reset_credentials` or `remove_malicious_email`.
    #[serde(default)]
    pub remediation: Value<String>,
    /// Opted in to automated remediation.
    #[serde(default)]
    pub enabled: Value<bool>,
    /// Context list ids of the "Never …" lists.
    #[serde(default)]
    pub never_list_ids: StringSet,
    /// Context list ids of the "Always …" lists.
    #[serde(default)]
    pub always_list_ids: StringSet,
    /// The security devices the remediation runs on.
    #[serde(default)]
    pub security_device_ids: StringSet,
    /// The owning organization.
    #[serde(default)]
    pub organization_id: Value<String>,
    /// When the organization opted in.
    #[serde(default)]
    pub opted_in_at: Value<String>,
    /// Operation timeouts.
    #[serde(default, with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

impl State {
    /// Everything but the timeouts and what Workbench stamps, to tell a real change.
    fn arguments(&self) -> State {
        State {
            timeouts: Value::Null,
            opted_in_at: Value::Null,
            ..self.clone()
        }
    }

    /// The configured lists, as (kind, attribute value), "Never" first.
    fn lists(&self) -> [(ListKind, &StringSet); 2] {
        [
            (ListKind::Never, &self.never_list_ids),
            (ListKind::Always, &self.always_list_ids),
        ]
    }
}

/// What the configuration asks of Workbench, every value known.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Desired {
    remediation: Remediation,
    enabled: bool,
    /// The list type and the list ids; `None` for no list.
    lists: Option<(ListType, BTreeSet<String>)>,
    /// The devices; `None` for every Microsoft 365 device of the organization.
    devices: Option<BTreeSet<String>>,
}

/// The Workbench list type of a list kind.
fn list_type_of(kind: ListKind) -> ListType {
    match kind {
        ListKind::Never => ListType::Deny,
        ListKind::Always => ListType::Allow,
    }
}

/// A known set of strings.
fn set_of<'a>(items: impl IntoIterator<Item = &'a String>) -> StringSet {
    Value::Value(items.into_iter().cloned().map(Value::Value).collect())
}

/// What the planned state asks for.
fn desired_of(state: &State, diags: &mut Diagnostics) -> Option<Desired> {
    let remediation = parsed::<Remediation>(&state.remediation, "remediation", diags)?;
    let mut lists = None;
    for (kind, set) in state.lists() {
        if set.is_null() {
            continue;
        }
        let Some(ids) = known_set(set) else {
            diags.error(
                format!("{} is not known", kind.attribute()),
                "Every list id must be known when the setting is written; this is a bug in the provider or in Terraform.",
                AttributePath::new(kind.attribute()),
            );
            return None;
        };
        lists = Some((list_type_of(kind), ids));
    }
    let devices = match &state.security_device_ids {
        Value::Value(_) => Some(known_set(&state.security_device_ids)?),
        _ => None,
    };
    Some(Desired {
        remediation,
        enabled: state.enabled.as_ref_option().copied().unwrap_or(true),
        lists,
        devices,
    })
}

/// The state of a setting as Workbench has it, with the ids of the lists linked to it.
fn state_from(
    setting: RemediationSetting,
    linked: &BTreeSet<String>,
    remediation: Remediation,
    organization_id: Option<&str>,
    timeouts: Value<Timeouts>,
) -> State {
    // A list type with no list reads as an empty set, so that clearing the lists by hand
    // shows as drift. Lists linked without a list type are shown as "Never" lists, so a
    // list linked by hand never hides.
    let (never, always) = match setting.list_type {
        Some(ListType::Deny) => (set_of(linked), Value::Null),
        Some(ListType::Allow) => (Value::Null, set_of(linked)),
        None if linked.is_empty() => (Value::Null, Value::Null),
        None => (set_of(linked), Value::Null),
    };
    State {
        remediation: Value::Value(remediation.as_str().to_owned()),
        enabled: Value::Value(setting.opted_in),
        never_list_ids: never,
        always_list_ids: always,
        security_device_ids: set_of(&setting.security_device_ids),
        organization_id: setting
            .organization_id
            .as_deref()
            .or(organization_id)
            .map(str::to_owned)
            .into(),
        opted_in_at: setting.opted_in_at.into(),
        id: Value::Value(setting.id),
        timeouts,
    }
}

/// The ids of the lists linked to a setting (links whose list cannot be told are left out).
fn linked_ids(links: &[ListLink]) -> BTreeSet<String> {
    links
        .iter()
        .filter_map(|l| l.context_list_id.clone())
        .collect()
}

// Schema.

/// The resource's schema.
fn schema() -> Schema {
    let set = || AttributeType::Set(Box::new(AttributeType::String));
    resource_schema(
        "Opts the Workbench organization in to one Microsoft 365 auto remediation (Reset Credentials or Remove Malicious Email), on the chosen \"Never …\" or \"Always …\" context lists. Destroy opts out and unlinks the lists; it never deletes the Workbench setting or the lists.",
        [
            ("id", schema::computed_string("The Workbench `remediation_action_settings` id.")),
            ("remediation", schema::required_string("`reset_credentials` or `remove_malicious_email`. Changing it forces a new resource.")),
            ("enabled", schema::typed(AttributeType::Bool, AttributeConstraint::OptionalComputed, "Opted in to automated remediation (default `true`). `false` keeps the lists linked but Expel asks before remediating.")),
            ("never_list_ids", schema::typed(set(), AttributeConstraint::Optional, "Ids of `expel_context_list` lists whose members are never remediated (\"Never reset\", \"Never remove\"). `username` or `email_address` lists for `reset_credentials`, `email_address` lists for `remove_malicious_email`. At most one of `never_list_ids` and `always_list_ids`.")),
            ("always_list_ids", schema::typed(set(), AttributeConstraint::Optional, "Ids of `expel_context_list` lists whose members alone are remediated (\"Always reset\"): `username` or `email_address` lists, `reset_credentials` only.")),
            ("security_device_ids", schema::typed(set(), AttributeConstraint::OptionalComputed, "The Workbench security devices the remediation runs on; by default every Microsoft 365 device of the organization (see the `expel_security_device` data source).")),
            ("organization_id", schema::computed_string("The owning Workbench organization.")),
            ("opted_in_at", schema::computed_string("When the organization opted in, as Workbench recorded it.")),
        ],
    )
}

// Import ID.

/// Import ID: the setting id, or `remediation:<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportId {
    /// By setting id.
    Id(String),
    /// By remediation.
    Remediation(Remediation),
}

/// An import ID that names no setting.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportIdError {
    /// `remediation:` with a name that is not a remediation.
    #[error("{0}; the import ID is the setting id or remediation:<name>, e.g. remediation:reset_credentials")]
    Remediation(#[from] UnknownRemediation),
    /// Blank, or with a `/` or white space, so not an id.
    #[error("{0:?} is not an expel_auto_remediation import ID; use the setting id or remediation:<name>, e.g. remediation:reset_credentials")]
    Form(String),
}

impl FromStr for ImportId {
    type Err = ImportIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("remediation:") {
            Some(name) => Ok(ImportId::Remediation(name.parse()?)),
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
            ImportId::Remediation(r) => write!(f, "remediation:{r}"),
        }
    }
}

impl AutoRemediationResource {
    /// The setting an import ID names (read fills in the rest).
    async fn import(&self, diags: &mut Diagnostics, id: &str) -> Option<State> {
        let import_id = match id.parse::<ImportId>() {
            Ok(id) => id,
            Err(err) => {
                diags.root_error(
                    "Invalid import ID for expel_auto_remediation",
                    err.to_string(),
                );
                return None;
            }
        };
        let id = match import_id {
            ImportId::Id(id) => id,
            ImportId::Remediation(remediation) => {
                let workbench = self.data.checked_workbench(diags).await?;
                match workbench
                    .find_remediation_setting(remediation.action_type())
                    .await
                {
                    Ok(Some(setting)) => setting.id,
                    Ok(None) => {
                        diags.root_error(
                            format!("Workbench has no {remediation} setting for the organization"),
                            format!("No remediation_action_settings of action_type {} exists yet; nothing to import. Leave out the import: terraform apply enables it.", remediation.action_type()),
                        );
                        return None;
                    }
                    Err(err) => {
                        workbench_error(
                            diags,
                            &format!("looking up the {remediation} setting"),
                            &err,
                            None,
                        );
                        return None;
                    }
                }
            }
        };
        Some(State {
            id: Value::Value(id),
            ..State::default()
        })
    }
}

// Validate.

/// Checks the configuration without Workbench.
fn validate(state: &State, diags: &mut Diagnostics) {
    timeouts::validate(&state.timeouts, diags);
    let remediation = match &state.remediation {
        Value::Value(name) => match name.parse::<Remediation>() {
            Ok(r) => Some(r),
            Err(err) => {
                diags.error(
                    "Unknown remediation",
                    err.to_string(),
                    AttributePath::new("remediation"),
                );
                None
            }
        },
        _ => None,
    };
    if !state.never_list_ids.is_null() && !state.always_list_ids.is_null() {
        diags.error(
            "Set only one of never_list_ids and always_list_ids",
            "Workbench has one list type per remediation: either \"Never …\" lists (never_list_ids: these assets are never remediated) or \"Always …\" lists (always_list_ids: only these are). Keep one of the two.",
            AttributePath::new("always_list_ids"),
        );
    }
    for (kind, set) in state.lists() {
        if remediation.is_some_and(|r| r.list_name(kind).is_none()) && !set.is_null() {
            diags.error(
                format!("{} is not offered for remove_malicious_email", kind.attribute()),
                "Remove Malicious Email has only a \"Never remove\" list: put the lists in never_list_ids.",
                AttributePath::new(kind.attribute()),
            );
        }
        if known_set(set).is_some_and(|ids| ids.is_empty()) {
            diags.error(
                format!("{} must not be empty", kind.attribute()),
                format!("Leave {} out to use no list.", kind.attribute()),
                AttributePath::new(kind.attribute()),
            );
        }
    }
    if known_set(&state.security_device_ids).is_some_and(|ids| ids.is_empty()) {
        diags.error(
            "security_device_ids must not be empty",
            "A remediation with no device never runs. Leave security_device_ids out to use every Microsoft 365 device of the organization.",
            AttributePath::new("security_device_ids"),
        );
    }
}

// Plan.

impl AutoRemediationResource {
    /// Checks that every known list id names a context list of a type the remediation's list
    /// accepts (one read of the organization's lists per provider process, cached).
    async fn check_lists(
        &self,
        workbench: &WorkbenchClient,
        state: &State,
        diags: &mut Diagnostics,
    ) -> Option<()> {
        let Some(remediation) = state
            .remediation
            .as_ref_option()
            .and_then(|r| r.parse::<Remediation>().ok())
        else {
            return Some(());
        };
        let mut ok = true;
        for (kind, set) in state.lists() {
            let allowed = remediation.list_context_types(kind);
            let list_name = remediation.list_name(kind).unwrap_or_default();
            let attribute = kind.attribute();
            let ids = set.as_ref_option().into_iter().flatten();
            for id in ids.filter_map(Value::as_ref_option) {
                match self.data.lookups().context_list(workbench, id).await {
                    Ok(Some(list)) if allowed.contains(&list.context_type.as_str()) => {}
                    Ok(Some(list)) => {
                        ok = false;
                        diags.error(
                            format!("Context list {:?} cannot be a {list_name:?} list", list.name),
                            format!(
                                "{attribute} of {remediation} takes {} lists, but {:?} ({id}) is a {} list. Use an expel_context_list with context_type = {:?}.",
                                allowed.join(" or "),
                                list.name,
                                list.context_type,
                                allowed[allowed.len() - 1],
                            ),
                            AttributePath::new(attribute),
                        );
                    }
                    Ok(None) => {
                        ok = false;
                        diags.error(
                            format!("No context list {id}"),
                            format!("{attribute} takes ids of Workbench context lists, e.g. expel_context_list.never_reset.id; check the id in Workbench (Settings > Org context)."),
                            AttributePath::new(attribute),
                        );
                    }
                    Err(err) => {
                        workbench_error(
                            diags,
                            &format!("reading context list {id}"),
                            &err,
                            Some(attribute),
                        );
                        return None;
                    }
                }
            }
        }
        ok.then_some(())
    }

    /// Plans enabling the remediation: the API key and the lists checked first.
    async fn plan_create(
        &self,
        diags: &mut Diagnostics,
        mut planned: State,
        config: State,
    ) -> Option<State> {
        planned.id = Value::Unknown;
        planned.organization_id = Value::Unknown;
        planned.opted_in_at = Value::Unknown;
        if config.enabled.is_null() {
            planned.enabled = Value::Value(true);
        }
        if config.security_device_ids.is_null() {
            planned.security_device_ids = Value::Unknown;
        }
        let workbench = self.data.checked_workbench(diags).await?;
        self.check_lists(workbench, &planned, diags).await?;
        Some(planned)
    }

    /// Plans a change: a new remediation forces replacement, the rest updates in place.
    async fn plan_update(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        mut planned: State,
        config: State,
    ) -> Option<(State, Vec<AttributePath>)> {
        if config.enabled.is_null() {
            planned.enabled = Value::Value(true);
        }
        let mut replace = Vec::new();
        if planned.remediation != prior.remediation {
            replace.push(AttributePath::new("remediation"));
            planned.id = Value::Unknown;
            planned.organization_id = Value::Unknown;
            if config.security_device_ids.is_null() {
                planned.security_device_ids = Value::Unknown;
            }
        }
        if planned.arguments() != prior.arguments() {
            // Workbench stamps the opt-in time; a write may move it.
            planned.opted_in_at = Value::Unknown;
            if planned.lists() != prior.lists() || !replace.is_empty() {
                let workbench = self.data.checked_workbench(diags).await?;
                self.check_lists(workbench, &planned, diags).await?;
            }
        }
        Some((planned, replace))
    }
}

// Create.

impl AutoRemediationResource {
    /// The organization's setting for the remediation: looked up, and created only when there
    /// is none (Workbench may refuse; then the error says so).
    async fn find_or_create_setting(
        &self,
        workbench: &WorkbenchClient,
        remediation: Remediation,
        diags: &mut Diagnostics,
    ) -> Option<RemediationSetting> {
        let action_type = remediation.action_type();
        match workbench.find_remediation_setting(action_type).await {
            Ok(Some(setting)) => return Some(setting),
            Ok(None) => {}
            Err(err) => {
                workbench_error(
                    diags,
                    &format!("looking up the {remediation} setting"),
                    &err,
                    None,
                );
                return None;
            }
        }
        match workbench.create_remediation_setting(action_type).await {
            Ok(setting) => Some(setting),
            Err(err @ (WorkbenchError::NotAllowed(_) | WorkbenchError::NotFound(_))) => {
                diags.error(
                    format!("Workbench has no {remediation} setting for the organization"),
                    format!("No remediation_action_settings of action_type {action_type} exists, and Workbench does not let one be created ({err}). The remediation is not available to the organization yet: ask Expel to enable {remediation} for it, then apply again."),
                    AttributePath::new("remediation"),
                );
                None
            }
            Err(err) => {
                workbench_error(
                    diags,
                    &format!("creating the {remediation} setting"),
                    &err,
                    None,
                );
                None
            }
        }
    }

    /// The devices the remediation is to run on: the configured ones, or every Microsoft 365
    /// device of the organization.
    async fn devices(
        &self,
        workbench: &WorkbenchClient,
        desired: &Desired,
        diags: &mut Diagnostics,
    ) -> Option<BTreeSet<String>> {
        if let Some(devices) = &desired.devices {
            return Some(devices.clone());
        }
        let all = match workbench.list_security_devices().await {
            Ok(all) => all,
            Err(err) => {
                workbench_error(
                    diags,
                    "listing the organization's security devices",
                    &err,
                    Some("security_device_ids"),
                );
                return None;
            }
        };
        let microsoft: BTreeSet<String> = all
            .iter()
            .filter(|d| d.is_microsoft_365())
            .map(|d| d.id.clone())
            .collect();
        if microsoft.is_empty() {
            let names: Vec<String> = all
                .iter()
                .map(|d| format!("{:?} ({})", d.name, d.id))
                .collect();
            diags.error(
                "The organization has no Microsoft 365 security device",
                format!(
                    "Auto remediations run on the organization's Microsoft 365 device, and Workbench lists none{}. Onboard Microsoft 365 in Workbench first, or set security_device_ids.",
                    if names.is_empty() { String::new() } else { format!(" among {}", names.join(", ")) }
                ),
                AttributePath::new("security_device_ids"),
            );
            return None;
        }
        Some(microsoft)
    }

    /// Makes the setting and its links what `desired` says: links the missing lists, then
    /// changes the setting (so it never runs on a list type without its lists), then unlinks
    /// what is linked but not wanted. Returns the setting and the ids of the lists linked.
    async fn converge(
        &self,
        workbench: &WorkbenchClient,
        setting: RemediationSetting,
        desired: &Desired,
        diags: &mut Diagnostics,
    ) -> Option<(RemediationSetting, BTreeSet<String>)> {
        let devices = self.devices(workbench, desired, diags).await?;
        let links = match workbench.linked_lists(&setting.id).await {
            Ok(links) => links,
            Err(err) => {
                workbench_error(
                    diags,
                    &format!("reading the lists linked to setting {}", setting.id),
                    &err,
                    None,
                );
                return None;
            }
        };
        let wanted = desired
            .lists
            .as_ref()
            .map(|(_, ids)| ids.clone())
            .unwrap_or_default();
        let mut linked = linked_ids(&links);
        for id in wanted.difference(&linked.clone()) {
            let title = match self.data.lookups().context_list(workbench, id).await {
                Ok(Some(list)) => list.name,
                _ => id.clone(),
            };
            match workbench.link_list(&setting.id, id, &title).await {
                Ok(_) => {
                    linked.insert(id.clone());
                }
                Err(err) => {
                    workbench_error(
                        diags,
                        &format!(
                            "linking context list {id} to the {} setting",
                            desired.remediation
                        ),
                        &err,
                        None,
                    );
                    return None;
                }
            }
        }
        let list_type = desired.lists.as_ref().map(|(t, _)| *t);
        let current_devices: BTreeSet<String> =
            setting.security_device_ids.iter().cloned().collect();
        let change = SettingChange {
            opted_in: (setting.opted_in != desired.enabled).then_some(desired.enabled),
            list_type: (setting.list_type != list_type).then_some(list_type),
            security_device_ids: (current_devices != devices)
                .then(|| devices.into_iter().collect()),
        };
        let setting = if change.is_empty() {
            setting
        } else {
            match workbench
                .update_remediation_setting(&setting.id, &change)
                .await
            {
                Ok(updated) => updated,
                Err(err) => {
                    workbench_error(
                        diags,
                        &format!(
                            "changing the {} setting {}",
                            desired.remediation, setting.id
                        ),
                        &err,
                        None,
                    );
                    return None;
                }
            }
        };
        for link in &links {
            let Some(id) = &link.context_list_id else {
                continue;
            };
            if wanted.contains(id) {
                continue;
            }
            if let Err(err) = workbench.unlink_list(link).await {
                workbench_error(
                    diags,
                    &format!(
                        "unlinking context list {id} from the {} setting",
                        desired.remediation
                    ),
                    &err,
                    None,
                );
                return None;
            }
            linked.remove(id);
        }
        Some((setting, linked))
    }

    /// Enables the remediation on the organization's setting, adopting one enabled by hand.
    async fn create(&self, diags: &mut Diagnostics, planned: State) -> Option<State> {
        let workbench = self.data.workbench(diags)?;
        let desired = desired_of(&planned, diags)?;
        let setting = self
            .find_or_create_setting(workbench, desired.remediation, diags)
            .await?;
        if setting.opted_in {
            tracing::info!(id = %setting.id, "adopting a setting that is already opted in");
        }
        let (setting, linked) = self.converge(workbench, setting, &desired, diags).await?;
        Some(state_from(
            setting,
            &linked,
            desired.remediation,
            workbench.organization_id(),
            planned.timeouts,
        ))
    }
}

// Read.

impl AutoRemediationResource {
    /// Refreshes the setting and its lists; a null state when the setting is gone.
    async fn read(&self, diags: &mut Diagnostics, state: State) -> Option<Option<State>> {
        let workbench = self.data.workbench(diags)?;
        let id = known(&state.id, "id", diags)?.clone();
        let setting = match workbench.get_remediation_setting(&id).await {
            Ok(setting) => setting,
            Err(err) if err.is_not_found() => return Some(None),
            Err(err) => {
                workbench_error(
                    diags,
                    &format!("reading remediation setting {id}"),
                    &err,
                    None,
                );
                return None;
            }
        };
        let Some(remediation) = Remediation::from_action_type(&setting.action_type) else {
            diags.root_error(
                format!("Setting {id} is not a Microsoft 365 auto remediation"),
                format!("Its action_type is {}; expel_auto_remediation manages {} and {} only. Import the setting of one of those (remediation:reset_credentials or remediation:remove_malicious_email).", setting.action_type, Remediation::ResetCredentials.action_type(), Remediation::RemoveMaliciousEmail.action_type()),
            );
            return None;
        };
        let links = match workbench.linked_lists(&id).await {
            Ok(links) => links,
            Err(err) => {
                workbench_error(
                    diags,
                    &format!("reading the lists linked to setting {id}"),
                    &err,
                    None,
                );
                return None;
            }
        };
        let prior_org = state.organization_id.as_ref_option().cloned();
        let organization = workbench.organization_id().map(str::to_owned).or(prior_org);
        Some(Some(state_from(
            setting,
            &linked_ids(&links),
            remediation,
            organization.as_deref(),
            state.timeouts,
        )))
    }
}

// Update.

impl AutoRemediationResource {
    /// Changes the setting and its lists; a change of the timeouts alone sends nothing.
    async fn update(&self, diags: &mut Diagnostics, prior: State, planned: State) -> Option<State> {
        if prior.arguments() == planned.arguments() {
            return Some(State {
                opted_in_at: prior.opted_in_at,
                ..planned
            });
        }
        let workbench = self.data.workbench(diags)?;
        let id = known(&prior.id, "id", diags)?.clone();
        let desired = desired_of(&planned, diags)?;
        let setting = match workbench.get_remediation_setting(&id).await {
            Ok(setting) => setting,
            Err(err) => {
                workbench_error(
                    diags,
                    &format!("reading remediation setting {id}"),
                    &err,
                    None,
                );
                return None;
            }
        };
        let (setting, linked) = self.converge(workbench, setting, &desired, diags).await?;
        Some(state_from(
            setting,
            &linked,
            desired.remediation,
            prior.organization_id.as_ref_option().map(String::as_str),
            planned.timeouts,
        ))
    }
}

// Delete.

impl AutoRemediationResource {
    /// Opts out and unlinks the lists in state; the setting and the lists stay. A setting
    /// already gone counts as done.
    async fn delete(&self, diags: &mut Diagnostics, prior: State) -> Option<()> {
        let workbench = self.data.workbench(diags)?;
        let id = known(&prior.id, "id", diags)?.clone();
        let ours: BTreeSet<String> = prior
            .lists()
            .into_iter()
            .flat_map(|(_, set)| known_set(set).unwrap_or_default())
            .collect();
        let links = match workbench.linked_lists(&id).await {
            Ok(links) => links,
            Err(err) if err.is_not_found() => return Some(()),
            Err(err) => {
                workbench_error(
                    diags,
                    &format!("reading the lists linked to setting {id}"),
                    &err,
                    None,
                );
                return None;
            }
        };
        let (unlink, keep): (Vec<&ListLink>, Vec<&ListLink>) = links.iter().partition(|l| {
            l.context_list_id
                .as_ref()
                .is_some_and(|id| ours.contains(id))
        });
        let change = SettingChange {
            opted_in: Some(false),
            // With none of its lists left, a list type would mean "everyone" or "no one".
            list_type: keep.is_empty().then_some(None),
            security_device_ids: None,
        };
        match workbench.update_remediation_setting(&id, &change).await {
            Ok(_) => {}
            Err(err) if err.is_not_found() => return Some(()),
            Err(err) => {
                workbench_error(
                    diags,
                    &format!("opting out of remediation setting {id}"),
                    &err,
                    None,
                );
                return None;
            }
        }
        for link in unlink {
            if let Err(err) = workbench.unlink_list(link).await {
                workbench_error(
                    diags,
                    &format!("unlinking a context list from setting {id}"),
                    &err,
                    None,
                );
                return None;
            }
        }
        Some(())
    }
}

// Trait glue.

#[async_trait]
impl ResourceType for AutoRemediationResource {
    type Model = State;
    type Private = ValueEmpty;

    const NAME: &'static str = "expel_auto_remediation";

    fn schema(&self) -> Schema {
        schema()
    }

    fn timeouts(model: &State) -> &Value<Timeouts> {
        &model.timeouts
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
        config: State,
    ) -> Option<(State, ValueEmpty)> {
        Some((
            self.plan_create(diags, proposed, config).await?,
            ValueEmpty::default(),
        ))
    }

    async fn plan_update(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        proposed: State,
        config: State,
        private: ValueEmpty,
    ) -> Option<(State, ValueEmpty, Vec<AttributePath>)> {
        let (planned, replace) = self.plan_update(diags, prior, proposed, config).await?;
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
mod tests {
    use super::*;

    fn set(values: &[&str]) -> StringSet {
        Value::Value(values.iter().map(|v| Value::Value(v.to_string())).collect())
    }

    fn config(remediation: &str) -> State {
        State {
            remediation: Value::Value(remediation.into()),
            ..State::default()
        }
    }

    fn validated(state: &State) -> Diagnostics {
        let mut diags = Diagnostics::default();
        validate(state, &mut diags);
        diags
    }

    #[test]
    fn import_ids_round_trip() {
        for text in [
            "0f8c7a9e-1111-4222-8333-944455556666",
            "remediation:reset_credentials",
            "remediation:remove_malicious_email",
        ] {
            assert_eq!(text.parse::<ImportId>().unwrap().to_string(), text);
        }
        assert_eq!(
            ImportId::Remediation(Remediation::RemoveMaliciousEmail)
                .to_string()
                .parse::<ImportId>(),
            Ok(ImportId::Remediation(Remediation::RemoveMaliciousEmail))
        );
    }

    #[test]
    fn import_id_errors_show_both_forms() {
        for bad in ["", " ", "a/b", "remediation:", "remediation:reset_password"] {
            let err = bad.parse::<ImportId>().unwrap_err().to_string();
            assert!(err.contains("remediation:<name>"), "{bad:?}: {err}");
        }
        let err = "remediation:reset"
            .parse::<ImportId>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("reset_credentials"), "{err}");
    }

    #[test]
    fn a_plain_configuration_is_valid() {
        let state = State {
            never_list_ids: set(&["l-1"]),
            ..config("remove_malicious_email")
        };
        assert!(validated(&state).errors.is_empty());
    }

    #[test]
    fn both_list_kinds_are_refused_on_always_list_ids() {
        let diags = validated(&State {
            never_list_ids: set(&["l-1"]),
            always_list_ids: set(&["l-2"]),
            ..config("reset_credentials")
        });
        assert_eq!(diags.errors.len(), 1, "{:?}", diags.errors);
        assert_eq!(
            diags.errors[0].attribute,
            AttributePath::new("always_list_ids")
        );
        assert!(diags.errors[0].summary.contains("only one"));
    }

    #[test]
    fn always_lists_are_refused_for_remove_malicious_email() {
        let diags = validated(&State {
            always_list_ids: set(&["l-1"]),
            ..config("remove_malicious_email")
        });
        assert_eq!(diags.errors.len(), 1, "{:?}", diags.errors);
        assert_eq!(
            diags.errors[0].attribute,
            AttributePath::new("always_list_ids")
        );
        assert!(diags.errors[0].detail.contains("never_list_ids"));
    }

    #[test]
    fn unknown_remediations_and_empty_sets_are_refused() {
        let diags = validated(&State {
            never_list_ids: set(&[]),
            security_device_ids: set(&[]),
            ..config("reset_password")
        });
        let attributes: Vec<_> = diags.errors.iter().map(|e| e.attribute.clone()).collect();
        assert_eq!(
            attributes,
            vec![
                AttributePath::new("remediation"),
                AttributePath::new("never_list_ids"),
                AttributePath::new("security_device_ids"),
            ]
        );
    }

    #[test]
    fn unknown_values_wait_for_apply() {
        let diags = validated(&State {
            remediation: Value::Unknown,
            never_list_ids: Value::Unknown,
            ..State::default()
        });
        assert!(diags.errors.is_empty());
    }

    fn setting(list_type: Option<ListType>) -> RemediationSetting {
        RemediationSetting {
            id: "s-1".into(),
            action_type: "RESET_CREDENTIALS_O365".into(),
            opted_in: true,
            opted_in_at: Some("2026-01-01T00:00:00Z".into()),
            list_type,
            organization_id: None,
            security_device_ids: vec!["d-1".into()],
        }
    }

    #[test]
    fn the_list_type_decides_where_linked_lists_show() {
        let linked: BTreeSet<String> = ["l-1".to_owned()].into();
        let read = |t| {
            state_from(
                setting(t),
                &linked,
                Remediation::ResetCredentials,
                Some("o"),
                Value::Null,
            )
        };
        let deny = read(Some(ListType::Deny));
        assert_eq!(
            (deny.never_list_ids, deny.always_list_ids),
            (set(&["l-1"]), Value::Null)
        );
        let allow = read(Some(ListType::Allow));
        assert_eq!(
            (allow.never_list_ids, allow.always_list_ids),
            (Value::Null, set(&["l-1"]))
        );
        // Linked by hand with no list type: still shown, so the drift is seen.
        assert_eq!(read(None).never_list_ids, set(&["l-1"]));
        let none = state_from(
            setting(None),
            &BTreeSet::new(),
            Remediation::ResetCredentials,
            None,
            Value::Null,
        );
        assert_eq!(
            (none.never_list_ids, none.always_list_ids),
            (Value::Null, Value::Null)
        );
        assert_eq!(deny.organization_id, Value::Value("o".into()));
        assert_eq!(deny.security_device_ids, set(&["d-1"]));
    }

    #[test]
    fn desired_state_defaults_to_enabled_on_every_microsoft_365_device() {
        let mut diags = Diagnostics::default();
        let desired = desired_of(
            &State {
                always_list_ids: set(&["l-2"]),
                ..config("reset_credentials")
            },
            &mut diags,
        )
        .unwrap();
        assert!(desired.enabled);
        assert_eq!(desired.devices, None);
        assert_eq!(
            desired.lists,
            Some((ListType::Allow, ["l-2".to_owned()].into()))
        );
    }
}
