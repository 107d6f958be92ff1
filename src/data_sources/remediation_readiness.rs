//! `expel_remediation_readiness`: read-only prerequisite checks for one remediation and app —
//! permission, directory role, MFA registration, hybrid password writeback, unresettable
//! accounts in the "Always" lists, Message Trace, and the Workbench lists' types — each `ok`,
//! `problem` or `unknown`, with what to fix.
//!
//! A check the provider's identity may not run (a 403 for a missing permission or licence) is
//! `unknown` and names what is missing; it never fails the data source. Any other failure
//! (throttled past the retry budget, Graph down) does, rather than report a guess.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics};

use crate::framework::diagnostics::{graph_error, workbench_error};
use crate::framework::{schema, ProviderData, StringSet};
use crate::graph::readiness::{
    self, is_missing_licence, DirectoryUser, Standing, UserKey, MESSAGE_TRACE_APP_ID,
};
use crate::graph::{Consistency, GraphClient, GraphError};
use crate::remediation::Remediation;
use crate::workbench::{ContextList, ContextType, WorkbenchClient, WorkbenchError};

/// How many users without MFA `users_without_mfa` lists at most.
pub const MFA_SAMPLE: usize = 25;

/// Directory roles whose holders User Administrator may still reset (Microsoft's "Who can
/// reset passwords" table). Any other role, built-in or custom, makes a user unresettable.
const RESETTABLE_ROLES: &[&str] = &[
    "Directory Readers",
    "Groups Administrator",
    "Guest Inviter",
    "Helpdesk Administrator",
    "Message Center Reader",
    "Password Administrator",
    "Reports Reader",
    "User Administrator",
    "User Experience Success Manager",
    "Usage Summary Reports Reader",
];

/// The data source.
#[derive(Debug)]
pub struct RemediationReadinessDataSource {
    data: ProviderData,
}

impl RemediationReadinessDataSource {
    /// A data source reading through the provider's clients.
    pub fn new(data: ProviderData) -> Self {
        Self { data }
    }
}

/// One prerequisite's outcome, as Terraform sees it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CheckState {
    /// The prerequisite, e.g. `mfa_registration`.
    pub name: Value<String>,
    /// `ok`, `problem` or `unknown`.
    pub status: Value<String>,
    /// What was found.
    pub detail: Value<String>,
    /// What to do (empty when ok).
    pub fix: Value<String>,
}

/// The data source's state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// `reset_credentials` or `remove_malicious_email`.
    #[serde(default)]
    pub remediation: Value<String>,
    /// appId of the Expel app or the custom app.
    #[serde(default)]
    pub client_id: Value<String>,
    /// "Always reset" lists whose members the remediation must be able to reset.
    #[serde(default)]
    pub always_list_ids: StringSet,
    /// "Never reset" / "Never remove" lists, checked for existence and type.
    #[serde(default)]
    pub never_list_ids: StringSet,
    /// The operator's word that password writeback is on (not verifiable app-only).
    #[serde(default)]
    pub password_writeback_confirmed: Value<bool>,
    /// The operator's word that Message Trace is set up.
    #[serde(default)]
    pub message_trace_confirmed: Value<bool>,
    /// Every check is `ok`.
    #[serde(default)]
    pub ready: Value<bool>,
    /// One sentence per check that is not `ok`, with its fix.
    #[serde(default)]
    pub problems: Value<Vec<Value<String>>>,
    /// One entry per prerequisite.
    #[serde(default)]
    pub check: Value<Vec<CheckState>>,
    /// Members of the "Always" lists the remediation cannot reset.
    #[serde(default)]
    pub unresettable_accounts: StringSet,
    /// Enabled member users without MFA registered.
    #[serde(default)]
    pub users_without_mfa_count: Value<i64>,
    /// A sorted sample of them (at most [`MFA_SAMPLE`]).
    #[serde(default)]
    pub users_without_mfa: Value<Vec<Value<String>>>,
}

fn check_type() -> AttributeType {
    let fields: HashMap<String, AttributeType> = ["name", "status", "detail", "fix"]
        .into_iter()
        .map(|name| (name.to_owned(), AttributeType::String))
        .collect();
    AttributeType::List(Box::new(AttributeType::Object(fields)))
}

fn string_set() -> AttributeType {
    AttributeType::Set(Box::new(AttributeType::String))
}

fn string_list() -> AttributeType {
    AttributeType::List(Box::new(AttributeType::String))
}

// Checks, in domain terms.

/// A check's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The prerequisite is met.
    Ok,
    /// It is not, and the fix says what to do.
    Problem,
    /// It could not be checked (a permission, a licence, or only the operator knows).
    Unknown,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Problem => "problem",
            Status::Unknown => "unknown",
        }
    }
}

/// One prerequisite's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The prerequisite.
    pub name: &'static str,
    /// The verdict.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do; empty when ok.
    pub fix: String,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: String::new(),
        }
    }

    fn problem(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Problem,
            detail: detail.into(),
            fix: fix.into(),
        }
    }

    fn unknown(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Unknown,
            detail: detail.into(),
            fix: fix.into(),
        }
    }

    /// The check made `unknown` by a refusal, naming the permission (or licence) missing.
    fn refused(name: &'static str, what: &str, err: &GraphError) -> Self {
        if is_missing_licence(err) {
            let message = err.failure().map(|f| f.message.clone()).unwrap_or_default();
            return Self::unknown(
                name,
                format!("Could not read {what}: the tenant has no Microsoft Entra ID P1 or P2 licence ({message})"),
                "The registration reports need Microsoft Entra ID P1 or P2; license the tenant, or check MFA registration in the Entra admin center.",
            );
        }
        let permission = match err {
            GraphError::Forbidden { permission, .. } => permission,
            _ => "a read permission",
        };
        Self::unknown(
            name,
            format!("Could not read {what}: the provider's identity lacks {permission}"),
            format!("Grant the provider's identity the Microsoft Graph application permission {permission} with admin consent."),
        )
    }

    /// The sentence `problems` holds for this check.
    fn sentence(&self) -> String {
        let fix = if self.fix.is_empty() {
            String::new()
        } else {
            format!(" {}", self.fix)
        };
        format!("{}: {}.{fix}", self.name, self.detail.trim_end_matches('.'))
    }
}

/// A failure that fails the data source (anything but a refusal).
struct Failure {
    action: String,
    cause: Box<Cause>,
}

enum Cause {
    Graph(GraphError),
    Workbench(WorkbenchError),
}

fn graph_failure(action: impl Into<String>, err: GraphError) -> Failure {
    Failure {
        action: action.into(),
        cause: Box::new(Cause::Graph(err)),
    }
}

/// `Ok(check)` for a refusal, `Err` for anything else.
fn refused_or_fail(name: &'static str, what: &str, err: GraphError) -> Result<Check, Failure> {
    if matches!(err, GraphError::Forbidden { .. }) {
        Ok(Check::refused(name, what, &err))
    } else {
        Err(graph_failure(format!("reading {what}"), err))
    }
}

/// What the checks were asked.
struct Input {
    remediation: Remediation,
    client_id: String,
    always: Vec<String>,
    never: Vec<String>,
    writeback_confirmed: bool,
    trace_confirmed: bool,
}

/// Everything the checks found.
#[derive(Default)]
struct Report {
    checks: Vec<Check>,
    unresettable: Option<BTreeSet<String>>,
    without_mfa: Option<(usize, Vec<String>)>,
}

/// The permission and role checks.
async fn app_checks(
    graph: &GraphClient,
    data: &ProviderData,
    input: &Input,
) -> Result<[Check; 2], Failure> {
    const PERMISSION: &str = "api_permission";
    const ROLE: &str = "directory_role";
    let r = input.remediation;
    let lookups = data.lookups();
    let what = format!("the service principal of client_id {}", input.client_id);
    let sp = match lookups
        .service_principal(graph, &input.client_id, Duration::ZERO)
        .await
    {
        Ok(Some(sp)) => sp,
        Ok(None) => {
            let detail = format!(
                "No service principal for client_id {} in the tenant",
                input.client_id
            );
            let fix = "For the Expel app, an administrator grants consent with the sign-up link Expel provides; for a custom app, create its service principal (Entra ID > Enterprise applications).";
            let role = format!(
                "No service principal for client_id {} to hold {}",
                input.client_id,
                r.directory_role()
            );
            return Ok([
                Check::problem(PERMISSION, detail, fix),
                Check::problem(ROLE, role, fix),
            ]);
        }
        Err(err) => {
            let check = refused_or_fail(PERMISSION, &what, err)?;
            let role = Check {
                name: ROLE,
                ..check.clone()
            };
            return Ok([check, role]);
        }
    };
    let permission = permission_check(graph, data, input, &sp).await?;
    let role = role_check(graph, data, r, &sp).await?;
    Ok([permission, role])
}

async fn permission_check(
    graph: &GraphClient,
    data: &ProviderData,
    input: &Input,
    sp: &crate::graph::ServicePrincipal,
) -> Result<Check, Failure> {
    const NAME: &str = "api_permission";
    let r = input.remediation;
    let api = r.resource_name();
    let resource = match data
        .lookups()
        .service_principal(graph, r.resource_app_id(), Duration::ZERO)
        .await
    {
        Ok(Some(resource)) => resource,
        Ok(None) => {
            return Ok(Check::problem(
                NAME,
                format!("{api} has no service principal in the tenant"),
                format!("{api} must be provisioned in the tenant (for Exchange Online, a Microsoft 365 subscription with Exchange) before {} can be granted.", r.permission()),
            ))
        }
        Err(err) => return refused_or_fail(NAME, &format!("the service principal of {api}"), err),
    };
    let Some(role) = resource.app_role(r.permission()) else {
        return Ok(Check::problem(
            NAME,
            format!("{api} exposes no application permission {}", r.permission()),
            "Check the tenant's service principal of the API; it may be damaged.",
        ));
    };
    let resource_id = uuid::Uuid::parse_str(&resource.id).ok();
    let grants = match graph.list_app_role_assignments(&sp.id, resource_id).await {
        Ok(grants) => grants,
        Err(err) => {
            return refused_or_fail(
                NAME,
                &format!("the grants of service principal {}", sp.id),
                err,
            )
        }
    };
    let app = sp
        .display_name
        .clone()
        .unwrap_or_else(|| input.client_id.clone());
    if grants
        .iter()
        .any(|g| g.app_role_id.eq_ignore_ascii_case(&role.id))
    {
        return Ok(Check::ok(
            NAME,
            format!(
                "{} of {api} is granted to {app} with admin consent",
                r.permission()
            ),
        ));
    }
    // An app without a registration in this tenant is multi-tenant: Expel's integration app.
    let expel_app = matches!(
        data.lookups()
            .application(graph, &input.client_id, Duration::ZERO)
            .await,
        Ok(None)
    );
    let fix = match (r, expel_app) {
        (Remediation::RemoveMaliciousEmail, true) => "Customers onboarded with the Expel app before 2026-03-12 must grant admin consent again for Exchange.ManageAsApp: use Expel's re-consent link, or an expel_remediation_permissions resource (application_type = \"expel\").".to_owned(),
        (_, true) => format!("Grant admin consent for {} with an expel_remediation_permissions resource (application_type = \"expel\").", r.permission()),
        (_, false) => format!("Declare and grant {} with an expel_remediation_permissions resource (application_type = \"custom\").", r.permission()),
    };
    Ok(Check::problem(
        NAME,
        format!("{app} has not been granted {} of {api}", r.permission()),
        fix,
    ))
}

async fn role_check(
    graph: &GraphClient,
    data: &ProviderData,
    r: Remediation,
    sp: &crate::graph::ServicePrincipal,
) -> Result<Check, Failure> {
    const NAME: &str = "directory_role";
    let role = r.directory_role();
    let definition = match data.lookups().role_definition(graph, role).await {
        Ok(Some(definition)) => definition,
        Ok(None) => {
            return Ok(Check::problem(
                NAME,
                format!("The tenant has no directory role {role}"),
                "Check the tenant's directory roles.",
            ))
        }
        Err(err) => return refused_or_fail(NAME, &format!("the role definition {role}"), err),
    };
    match graph
        .find_role_assignment(&sp.id, &definition.id, "/", Consistency::IMMEDIATE)
        .await
    {
        Ok(Some(_)) => Ok(Check::ok(
            NAME,
            format!("{role} is assigned to service principal {} at directory scope /", sp.id),
        )),
        Ok(None) => Ok(Check::problem(
            NAME,
            format!("{role} is not assigned to service principal {} at directory scope /", sp.id),
            format!("Assign it with an expel_role_assignment resource (principal_id = \"{}\", role = \"{role}\").", sp.id),
        )),
        Err(err) => refused_or_fail(NAME, &format!("the role assignments of {}", sp.id), err),
    }
}

async fn mfa_check(graph: &GraphClient) -> Result<(Check, Option<(usize, Vec<String>)>), Failure> {
    const NAME: &str = "mfa_registration";
    let rows = match graph.users_without_mfa().await {
        Ok(rows) => rows,
        Err(err) => {
            let what = "the MFA registration report";
            return refused_or_fail(NAME, what, err).map(|check| (check, None));
        }
    };
    let mut names: Vec<String> = rows.into_iter().map(|r| r.user_principal_name).collect();
    names.sort_by_key(|n| n.to_ascii_lowercase());
    let count = names.len();
    names.truncate(MFA_SAMPLE);
    let check = if count == 0 {
        Check::ok(
            NAME,
            "Every enabled member user has MFA registered (the report lags live registrations)",
        )
    } else {
        let shown = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        let more = if count > 5 {
            format!(" and {} more", count - 5)
        } else {
            String::new()
        };
        Check::problem(
            NAME,
            format!("{count} enabled member users have no MFA registered: {shown}{more}"),
            "Have them register MFA (https://aka.ms/mfasetup), or require registration with a Conditional Access or registration campaign policy; a reset of a user without MFA locks them out.",
        )
    };
    Ok((check, Some((count, names))))
}

async fn writeback_check(graph: &GraphClient, confirmed: bool) -> Result<Check, Failure> {
    const NAME: &str = "password_writeback";
    let organization = match graph.organization_sync().await {
        Ok(organization) => organization,
        Err(err) => return refused_or_fail(NAME, "the organization's on-premises sync state", err),
    };
    let hybrid = organization
        .as_ref()
        .and_then(|o| o.on_premises_sync_enabled)
        .unwrap_or(false);
    if !hybrid {
        return Ok(Check::ok(NAME, "The tenant is cloud-only (not synchronised from on-premises), so no password writeback is needed"));
    }
    let last = organization
        .and_then(|o| o.on_premises_last_sync_date_time)
        .map(|at| format!(", last sync {at}"))
        .unwrap_or_default();
    if confirmed {
        Ok(Check::ok(NAME, format!("The tenant is synchronised from on-premises{last}; password writeback is confirmed by password_writeback_confirmed (Graph cannot verify it with application permissions)")))
    } else {
        Ok(Check::problem(
            NAME,
            format!("The tenant is synchronised from on-premises{last}, and password writeback (off by default) cannot be verified with application permissions"),
            "Turn on password writeback in Microsoft Entra Connect or Cloud Sync, then set password_writeback_confirmed = true.",
        ))
    }
}

async fn message_trace_check(
    graph: &GraphClient,
    data: &ProviderData,
    confirmed: bool,
) -> Result<Check, Failure> {
    const NAME: &str = "message_trace";
    match data
        .lookups()
        .service_principal(graph, MESSAGE_TRACE_APP_ID, Duration::ZERO)
        .await
    {
        Ok(Some(_)) => Ok(Check::ok(NAME, format!("The service principal of Microsoft's message trace app {MESSAGE_TRACE_APP_ID} is provisioned"))),
        Ok(None) if confirmed => Ok(Check::ok(NAME, "Message Trace is confirmed by message_trace_confirmed (the tenant shows no service principal of Microsoft's message trace app to verify it)")),
        Ok(None) => Ok(Check::unknown(
            NAME,
            format!("The tenant has no service principal of Microsoft's message trace app {MESSAGE_TRACE_APP_ID}, so Message Trace cannot be verified"),
            "Make sure Message Trace works in the Exchange admin center, then set message_trace_confirmed = true.",
        )),
        Err(err) => refused_or_fail(NAME, "the message trace app's service principal", err),
    }
}

/// The lists, each `Ok(None)` when Workbench has no list of that id.
async fn read_lists(
    workbench: &WorkbenchClient,
    ids: &[String],
) -> Result<Vec<(String, Option<ContextList>)>, Failure> {
    let mut lists = Vec::with_capacity(ids.len());
    for id in ids {
        match workbench.get_context_list(id).await {
            Ok(list) => lists.push((id.clone(), Some(list))),
            Err(err) if err.is_not_found() => lists.push((id.clone(), None)),
            Err(err) => {
                return Err(Failure {
                    action: format!("reading context list {id}"),
                    cause: Box::new(Cause::Workbench(err)),
                })
            }
        }
    }
    Ok(lists)
}

/// Types a list of the remediation may have: who to reset, or which inboxes to spare.
fn fitting_types(r: Remediation) -> &'static [ContextType] {
    match r {
        Remediation::ResetCredentials => &[ContextType::Username, ContextType::EmailAddress],
        Remediation::RemoveMaliciousEmail => &[ContextType::EmailAddress],
    }
}

fn lists_check(
    r: Remediation,
    always: &[(String, Option<ContextList>)],
    never: &[(String, Option<ContextList>)],
) -> Check {
    const NAME: &str = "workbench_lists";
    let mut wrong = Vec::new();
    for (kind, lists) in [("Always", always), ("Never", never)] {
        for (id, list) in lists {
            match list {
                None => wrong.push(format!("{kind} list {id} does not exist in Workbench")),
                Some(list) if !fitting_types(r).contains(&list.context_type) => {
                    let fits: Vec<&str> = fitting_types(r).iter().map(|t| t.as_str()).collect();
                    wrong.push(format!(
                        "{kind} list {:?} is of type {}, not {}",
                        list.name,
                        list.context_type,
                        fits.join(" or ")
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let count = always.len() + never.len();
    if wrong.is_empty() {
        Check::ok(
            NAME,
            format!("All {count} lists exist and their context_type fits {r}"),
        )
    } else {
        Check::problem(
            NAME,
            wrong.join("; "),
            "Pass the ids of existing expel_context_list lists of a fitting context_type (context_type cannot change: create a new list).",
        )
    }
}

/// A member of an "Always" list and how it names its user.
fn members(lists: &[(String, Option<ContextList>)]) -> Vec<(UserKey, String)> {
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for list in lists.iter().filter_map(|(_, l)| l.as_ref()) {
        let key = match list.context_type {
            ContextType::Username => UserKey::UserPrincipalName,
            ContextType::EmailAddress => UserKey::Mail,
            _ => continue,
        };
        for value in &list.values {
            if seen.insert((key, value.to_ascii_lowercase())) {
                found.push((key, value.clone()));
            }
        }
    }
    found
}

/// Why a user cannot be reset (empty when it can), and whether a group of it could not be
/// read (so whether it is role-assignable is unknown).
fn blockers(
    standing: &Standing,
    role_names: &BTreeMap<String, (String, bool)>,
) -> (Vec<String>, bool) {
    let mut reasons = Vec::new();
    for assignment in &standing.role_assignments {
        match role_names.get(&assignment.role_definition_id.to_ascii_lowercase()) {
            Some((name, true)) if RESETTABLE_ROLES.contains(&name.as_str()) => {}
            Some((name, built_in)) => reasons.push(if *built_in {
                format!("holds {name}")
            } else {
                format!("holds the custom role {name}")
            }),
            None => reasons.push(format!("holds role {}", assignment.role_definition_id)),
        }
    }
    let mut unknown = false;
    for group in standing.memberships.iter().filter(|m| m.is_group()) {
        match group.is_assignable_to_role {
            Some(true) => reasons.push(format!(
                "is a member of the role-assignable group {}",
                group.display_name.as_deref().unwrap_or(&group.id)
            )),
            Some(false) => {}
            None => unknown = true,
        }
    }
    (reasons, unknown)
}

async fn members_check(
    graph: &GraphClient,
    lists: &[(String, Option<ContextList>)],
) -> Result<(Check, BTreeSet<String>), Failure> {
    const NAME: &str = "always_list_members";
    let keys = members(lists);
    if keys.is_empty() {
        return Ok((
            Check::ok(NAME, "The Always lists name no users"),
            BTreeSet::new(),
        ));
    }
    let found = graph
        .find_users(&keys)
        .await
        .map_err(|err| graph_failure("looking up the Always lists' users", err))?;
    let mut missing = Vec::new();
    let mut users: Vec<DirectoryUser> = Vec::new();
    for ((_, value), result) in keys.iter().zip(found) {
        match result {
            Ok(Some(user)) => users.push(user),
            Ok(None) => missing.push(value.clone()),
            Err(err) => {
                return refused_or_fail(NAME, "the Always lists' users", err)
                    .map(|c| (c, BTreeSet::new()))
            }
        }
    }
    let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    let standings = graph
        .standings(&ids)
        .await
        .map_err(|err| graph_failure("reading the Always lists' users' roles and groups", err))?;
    let mut standing_of = Vec::with_capacity(users.len());
    for result in standings {
        match result {
            Ok(standing) => standing_of.push(standing),
            Err(err) => {
                let what = "the Always lists' users' roles and groups";
                return refused_or_fail(NAME, what, err).map(|c| (c, BTreeSet::new()));
            }
        }
    }
    let mut role_names = BTreeMap::new();
    if standing_of.iter().any(|s| !s.role_assignments.is_empty()) {
        let definitions = graph
            .role_definitions()
            .await
            .map_err(|err| graph_failure("reading the directory role definitions", err))?;
        for d in definitions {
            role_names.insert(
                d.id.to_ascii_lowercase(),
                (d.display_name, d.is_built_in.unwrap_or(true)),
            );
        }
    }
    let mut unresettable = BTreeSet::new();
    let mut named = Vec::new();
    let mut unreadable = Vec::new();
    for (user, standing) in users.iter().zip(&standing_of) {
        let (reasons, unknown) = blockers(standing, &role_names);
        if !reasons.is_empty() {
            unresettable.insert(user.user_principal_name.clone());
            named.push(format!(
                "{} {}",
                user.user_principal_name,
                reasons.join(" and ")
            ));
        } else if unknown {
            unreadable.push(user.user_principal_name.clone());
        }
    }
    let mut parts = Vec::new();
    if !named.is_empty() {
        parts.push(format!(
            "User Administrator cannot reset: {}",
            named.join("; ")
        ));
    }
    if !missing.is_empty() {
        parts.push(format!(
            "no user has the sign-in name or address {}",
            missing.join(", ")
        ));
    }
    if !parts.is_empty() {
        return Ok((
            Check::problem(
                NAME,
                parts.join("; "),
                "Remove these accounts from the Always lists (privileged accounts cannot be forced to change their password), or remove their admin roles and role-assignable group memberships; fix names that match no user.",
            ),
            unresettable,
        ));
    }
    if !unreadable.is_empty() {
        return Ok((
            Check::unknown(
                NAME,
                format!("Could not tell whether groups of {} are role-assignable: the provider's identity lacks {}", unreadable.join(", "), readiness::GROUPS),
                format!("Grant the provider's identity the Microsoft Graph application permission {} with admin consent.", readiness::GROUPS),
            ),
            unresettable,
        ));
    }
    Ok((
        Check::ok(
            NAME,
            format!(
                "User Administrator can reset all {} users of the Always lists",
                users.len()
            ),
        ),
        unresettable,
    ))
}

/// Runs every check of `input.remediation`.
async fn run(
    graph: &GraphClient,
    workbench: Result<&WorkbenchClient, String>,
    data: &ProviderData,
    input: &Input,
) -> Result<Report, Failure> {
    let reset = input.remediation == Remediation::ResetCredentials;
    let lists = async {
        if input.always.is_empty() && input.never.is_empty() {
            return Ok(None);
        }
        match workbench {
            Ok(workbench) => Ok(Some(Ok((
                read_lists(workbench, &input.always).await?,
                read_lists(workbench, &input.never).await?,
            )))),
            Err(why) => Ok(Some(Err(why))),
        }
    };
    let (app, mfa, writeback, trace, lists) = tokio::join!(
        app_checks(graph, data, input),
        async {
            if reset {
                mfa_check(graph).await.map(Some)
            } else {
                Ok(None)
            }
        },
        async {
            if reset {
                writeback_check(graph, input.writeback_confirmed)
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        },
        async {
            if reset {
                Ok(None)
            } else {
                message_trace_check(graph, data, input.trace_confirmed)
                    .await
                    .map(Some)
            }
        },
        lists,
    );
    let mut report = Report::default();
    report.checks.extend(app?);
    if let Some((check, counts)) = mfa? {
        report.checks.push(check);
        report.without_mfa = counts;
    }
    report.checks.extend(writeback?);
    report.checks.extend(trace?);
    match lists? {
        None => {}
        Some(Err(why)) => report.checks.push(Check::unknown(
            "workbench_lists",
            format!("Could not read the Workbench lists: {why}"),
            "Configure api_key (EXPEL_API_KEY) so the provider can read Workbench.",
        )),
        Some(Ok((always, never))) => {
            report
                .checks
                .push(lists_check(input.remediation, &always, &never));
            if reset && !always.is_empty() {
                let (check, unresettable) = members_check(graph, &always).await?;
                report.checks.push(check);
                report.unresettable = Some(unresettable);
            }
        }
    }
    if reset && report.unresettable.is_none() {
        report.unresettable = Some(BTreeSet::new());
    }
    Ok(report)
}

// Terraform glue.

fn strings(set: &StringSet) -> Vec<String> {
    set.as_ref_option()
        .map(|s| {
            s.iter()
                .filter_map(|v| v.as_ref_option().cloned())
                .collect()
        })
        .unwrap_or_default()
}

/// The configuration checked without any API call; `None` after an error diagnostic, or
/// when a value is not known yet.
fn input(config: &State, diags: &mut Diagnostics) -> Option<Option<Input>> {
    let remediation = match &config.remediation {
        Value::Value(name) => match name.parse::<Remediation>() {
            Ok(r) => Some(r),
            Err(err) => {
                diags.error(
                    "Invalid remediation",
                    err.to_string(),
                    AttributePath::new("remediation"),
                );
                return None;
            }
        },
        _ => None,
    };
    if let Value::Value(client_id) = &config.client_id {
        if uuid::Uuid::parse_str(client_id).is_err() {
            diags.error(
                "client_id must be a GUID",
                format!("client_id is {client_id:?}; use the application (client) id of the Expel app or the custom app."),
                AttributePath::new("client_id"),
            );
            return None;
        }
    }
    let always = strings(&config.always_list_ids);
    if remediation == Some(Remediation::RemoveMaliciousEmail) && !always.is_empty() {
        diags.error(
            "always_list_ids is only for reset_credentials",
            "Remove Malicious Email has no \"Always\" list; pass its \"Never remove\" lists as never_list_ids.",
            AttributePath::new("always_list_ids"),
        );
        return None;
    }
    let unknown = [&config.always_list_ids, &config.never_list_ids]
        .iter()
        .any(|s| {
            matches!(s, Value::Unknown)
                || s.as_ref_option()
                    .is_some_and(|s| s.iter().any(|v| matches!(v, Value::Unknown)))
        });
    let (Some(remediation), Value::Value(client_id), false) =
        (remediation, &config.client_id, unknown)
    else {
        return Some(None);
    };
    let flag = |v: &Value<bool>| v.as_ref_option().copied().unwrap_or(false);
    Some(Some(Input {
        remediation,
        client_id: client_id.clone(),
        always,
        never: strings(&config.never_list_ids),
        writeback_confirmed: flag(&config.password_writeback_confirmed),
        trace_confirmed: flag(&config.message_trace_confirmed),
    }))
}

fn state_of(config: State, report: Report) -> State {
    let problems: Vec<Value<String>> = report
        .checks
        .iter()
        .filter(|c| c.status != Status::Ok)
        .map(|c| Value::Value(c.sentence()))
        .collect();
    let check = report
        .checks
        .iter()
        .map(|c| CheckState {
            name: Value::Value(c.name.to_owned()),
            status: Value::Value(c.status.as_str().to_owned()),
            detail: Value::Value(c.detail.clone()),
            fix: Value::Value(c.fix.clone()),
        })
        .collect();
    let (count, sample) = match report.without_mfa {
        Some((count, sample)) => (
            Value::Value(i64::try_from(count).unwrap_or(i64::MAX)),
            Value::Value(sample.into_iter().map(Value::Value).collect()),
        ),
        None => (Value::Null, Value::Null),
    };
    State {
        ready: Value::Value(problems.is_empty()),
        problems: Value::Value(problems),
        check: Value::Value(check),
        unresettable_accounts: report
            .unresettable
            .map(|s| s.into_iter().map(Value::Value).collect())
            .into(),
        users_without_mfa_count: count,
        users_without_mfa: sample,
        ..config
    }
}

#[async_trait]
impl DataSource for RemediationReadinessDataSource {
    type State<'a> = State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        use AttributeConstraint::{Computed, Optional, Required};
        Some(schema::data_source(
            "Checks, read-only, whether the tenant and Workbench are ready for one auto remediation and app, and says what to fix. A check the provider's identity may not run is `unknown`, naming the permission or licence; it never fails the data source.",
            [
                ("remediation", schema::typed(AttributeType::String, Required, "`reset_credentials` or `remove_malicious_email`.")),
                ("client_id", schema::typed(AttributeType::String, Required, "Application (client) id of the Expel app or the custom app.")),
                ("always_list_ids", schema::typed(string_set(), Optional, "Ids of `expel_context_list` \"Always reset\" lists: every member must resolve to a user User Administrator can reset. Only for `reset_credentials`.")),
                ("never_list_ids", schema::typed(string_set(), Optional, "Ids of `expel_context_list` \"Never reset\" / \"Never remove\" lists, checked to exist and to have a fitting `context_type`.")),
                ("password_writeback_confirmed", schema::typed(AttributeType::Bool, Optional, "Your word that password writeback is on in a hybrid tenant (no application permission can read it).")),
                ("message_trace_confirmed", schema::typed(AttributeType::Bool, Optional, "Your word that Message Trace is set up, when the tenant shows nothing to verify it.")),
                ("ready", schema::typed(AttributeType::Bool, Computed, "Whether every check is `ok`.")),
                ("problems", schema::typed(string_list(), Computed, "One sentence per check that is not `ok`, with its fix; ready for an `error_message`.")),
                ("check", schema::typed(check_type(), Computed, "One entry per prerequisite: `name`, `status` (`ok`, `problem` or `unknown`), `detail` and `fix`.")),
                ("unresettable_accounts", schema::typed(string_set(), Computed, "`reset_credentials`: members of the Always lists that User Administrator cannot reset.")),
                ("users_without_mfa_count", schema::typed(AttributeType::Number, Computed, "`reset_credentials`: enabled member users without MFA registered (null when the report cannot be read).")),
                ("users_without_mfa", schema::typed(string_list(), Computed, "`reset_credentials`: up to 25 of them, sorted.")),
            ],
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: State) -> Option<()> {
        input(&config, diags).map(|_| ())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<State> {
        let input = input(&config, diags)??;
        let graph = self.data.graph(diags)?;
        let workbench = if input.always.is_empty() && input.never.is_empty() {
            Err(String::new())
        } else {
            let mut quiet = Diagnostics::default();
            match self.data.workbench(&mut quiet) {
                Some(workbench) => Ok(workbench),
                None => Err(quiet
                    .errors
                    .first()
                    .map(|d| format!("{} {}", d.summary, d.detail))
                    .unwrap_or_default()),
            }
        };
        match run(graph, workbench, &self.data, &input).await {
            Ok(report) => Some(state_of(config, report)),
            Err(Failure { action, cause }) => {
                match *cause {
                    Cause::Graph(err) => graph_error(diags, &action, &err, None),
                    Cause::Workbench(err) => workbench_error(diags, &action, &err, None),
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::readiness::Membership;
    use crate::graph::RoleAssignment;

    fn assignment(role: &str) -> RoleAssignment {
        RoleAssignment {
            id: "a".into(),
            role_definition_id: role.into(),
            principal_id: "u".into(),
            directory_scope_id: "/".into(),
        }
    }

    fn names() -> BTreeMap<String, (String, bool)> {
        [
            ("g", "Global Administrator", true),
            ("h", "Helpdesk Administrator", true),
            ("c", "Helpdesk Administrator", false),
        ]
        .into_iter()
        .map(|(id, name, built_in)| (id.to_owned(), (name.to_owned(), built_in)))
        .collect()
    }

    #[test]
    fn resettable_roles_do_not_block_and_others_are_named() {
        let standing = Standing {
            role_assignments: vec![assignment("h"), assignment("G")],
            memberships: Vec::new(),
        };
        let (reasons, unknown) = blockers(&standing, &names());
        assert_eq!(reasons, vec!["holds Global Administrator"]);
        assert!(!unknown);
    }

    #[test]
    fn a_custom_role_named_like_a_resettable_one_blocks() {
        let standing = Standing {
            role_assignments: vec![assignment("c")],
            memberships: Vec::new(),
        };
        assert_eq!(
            blockers(&standing, &names()).0,
            vec!["holds the custom role Helpdesk Administrator"]
        );
    }

    #[test]
    fn role_assignable_groups_block_and_unreadable_groups_are_unknown() {
        let group = |assignable: Option<bool>| Membership {
            id: "g1".into(),
            odata_type: Some("#microsoft.graph.group".into()),
            display_name: Some("Tier 0".into()),
            is_assignable_to_role: assignable,
        };
        let blocked = Standing {
            role_assignments: Vec::new(),
            memberships: vec![group(Some(true))],
        };
        assert_eq!(
            blockers(&blocked, &names()).0,
            vec!["is a member of the role-assignable group Tier 0"]
        );
        let unreadable = Standing {
            role_assignments: Vec::new(),
            memberships: vec![group(None)],
        };
        assert_eq!(blockers(&unreadable, &names()), (Vec::new(), true));
    }

    #[test]
    fn problems_are_one_sentence_with_the_fix() {
        let check = Check::problem(
            "directory_role",
            "User Administrator is not assigned.",
            "Assign it.",
        );
        assert_eq!(
            check.sentence(),
            "directory_role: User Administrator is not assigned. Assign it."
        );
    }

    #[test]
    fn always_lists_are_refused_for_email_removal_before_any_call() {
        let config = State {
            remediation: Value::Value("remove_malicious_email".into()),
            client_id: Value::Value("00000003-0000-0000-c000-000000000000".into()),
            always_list_ids: Value::Value([Value::Value("1".to_owned())].into()),
            ..State::default()
        };
        let mut diags = Diagnostics::default();
        assert!(input(&config, &mut diags).is_none());
        assert!(format!("{diags:?}").contains("always_list_ids"));
    }

    #[test]
    fn members_are_deduplicated_case_insensitively_and_keyed_by_list_type() {
        let list = |t: ContextType, values: &[&str]| {
            Some(ContextList {
                id: "l".into(),
                name: "n".into(),
                description: None,
                context_type: t,
                values: values.iter().map(|v| (*v).to_owned()).collect(),
                organization_id: None,
            })
        };
        let lists = vec![
            (
                "1".to_owned(),
                list(ContextType::Username, &["A@contoso.com", "a@contoso.com"]),
            ),
            (
                "2".to_owned(),
                list(ContextType::EmailAddress, &["a@contoso.com"]),
            ),
            ("3".to_owned(), list(ContextType::Hostname, &["host"])),
        ];
        assert_eq!(
            members(&lists),
            vec![
                (UserKey::UserPrincipalName, "A@contoso.com".to_owned()),
                (UserKey::Mail, "a@contoso.com".to_owned())
            ]
        );
    }
}
