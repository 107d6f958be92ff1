//! `terraform-provider-expel discover`: finds what a tenant set up by hand already holds of
//! the remediations, so it can be brought under Terraform with `import {}` blocks.
//!
//! Reads only (every call is a GET), through the same Graph and Workbench clients as the
//! provider. What it finds, per app: each grant of a remediation permission (with its
//! declaration, for a custom app), each User Administrator / Security Reader assignment of the
//! app's service principal; each Workbench context list of a type the remediations use; and
//! each auto remediation the organization has opted in to.
//! [`render`] turns the findings into HCL. Nothing here prints: progress goes to a callback.

pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use crate::graph::{
    AppRoleAssignment, Consistency, GraphClient, GraphError, Permission, ServicePrincipal,
};
use crate::remediation::{ListKind, Remediation};
use crate::workbench::remediation::ListType;
use crate::workbench::{ContextType, WorkbenchClient, WorkbenchError};

/// Display name of Expel's multi-tenant integration app, looked for when no client id is given.
pub const EXPEL_APP_DISPLAY_NAME: &str = "Expel Microsoft 365 Integration";

/// The context list types the remediations consult ("Never reset" / "Always reset" hold
/// usernames or email addresses, "Never remove" email addresses).
pub const REMEDIATION_LIST_TYPES: [ContextType; 2] =
    [ContextType::Username, ContextType::EmailAddress];

/// Which apps to look at.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// appIds to look at; empty means Expel's integration app and every app holding one of
    /// the remediation permissions.
    pub client_ids: Vec<String>,
}

/// One object to import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// Resource type, e.g. `expel_role_assignment`.
    pub resource_type: &'static str,
    /// Resource name (a Terraform identifier, unique per type).
    pub name: String,
    /// The import ID.
    pub id: String,
    /// What the object is, in words ("User Administrator for Expel Cloud Service").
    pub comment: String,
}

/// What discovery found.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    /// Objects to import, in output order.
    pub imports: Vec<Import>,
    /// Things worth telling the user that are not imports (half-done setups, skipped sides).
    pub notes: Vec<String>,
}

/// Why discovery could not finish.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// A Graph call failed.
    #[error("Failed {action}: {source}{advice}")]
    Graph {
        /// What was being done.
        action: String,
        /// The failure.
        source: GraphError,
        /// What to do about it (empty, or starting with a blank line).
        advice: String,
    },
    /// A Workbench call failed.
    #[error("Failed {action}: {source}")]
    Workbench {
        /// What was being done.
        action: String,
        /// The failure.
        source: WorkbenchError,
    },
    /// A client id given with `--client-id` has no service principal in the tenant.
    #[error("client_id {0} has no service principal in this tenant; check the id (Enterprise applications > Application ID), or grant admin consent to the app first")]
    UnknownClient(String),
    /// Neither side is configured.
    #[error("Neither Microsoft Entra ID nor Expel Workbench is configured.\n  Microsoft Entra ID: {graph}\n  Expel Workbench: {workbench}")]
    NothingConfigured {
        /// Why Graph cannot be used.
        graph: String,
        /// Why Workbench cannot be used.
        workbench: String,
    },
    /// `--client-id` was given but Graph is not configured.
    #[error("--client-id needs Microsoft Entra ID: {0}")]
    GraphNeeded(String),
}

fn graph_failed(action: impl Into<String>) -> impl FnOnce(GraphError) -> DiscoverError {
    move |source| {
        let advice = crate::framework::diagnostics::graph_advice(&source);
        DiscoverError::Graph {
            action: action.into(),
            advice: if advice.is_empty() {
                String::new()
            } else {
                format!("\n\n{advice}")
            },
            source,
        }
    }
}

/// A remediation's permission as the tenant exposes it.
struct Resolved {
    remediation: Remediation,
    resource: ServicePrincipal,
    app_role_id: String,
}

/// The name and template id of each directory role a remediation needs.
struct Role {
    name: &'static str,
    template_id: String,
}

/// Finds what the tenant (`graph`) and the organization (`workbench`) hold of the
/// remediations. `progress` receives one line per step.
pub async fn discover(
    graph: Result<&GraphClient, String>,
    workbench: Result<&WorkbenchClient, String>,
    options: &Options,
    progress: &dyn Fn(&str),
) -> Result<Findings, DiscoverError> {
    let mut findings = Findings::default();
    let mut names = Names::default();
    match (&graph, &workbench) {
        (Err(graph), Err(workbench)) => {
            return Err(DiscoverError::NothingConfigured {
                graph: graph.clone(),
                workbench: workbench.clone(),
            })
        }
        (Err(why), _) if !options.client_ids.is_empty() => {
            return Err(DiscoverError::GraphNeeded(why.clone()))
        }
        _ => {}
    }
    match graph {
        Ok(graph) => discover_tenant(graph, options, progress, &mut findings, &mut names).await?,
        Err(why) => findings
            .notes
            .push(format!("Microsoft Entra ID was not read: {why}")),
    }
    match workbench {
        Ok(workbench) => {
            discover_lists(workbench, progress, &mut findings, &mut names).await?;
            discover_auto_remediations(workbench, progress, &mut findings, &mut names).await?;
        }
        Err(why) => findings
            .notes
            .push(format!("Expel Workbench was not read: {why}")),
    }
    Ok(findings)
}

/// The grants, declarations and role assignments of the apps.
async fn discover_tenant(
    graph: &GraphClient,
    options: &Options,
    progress: &dyn Fn(&str),
    findings: &mut Findings,
    names: &mut Names,
) -> Result<(), DiscoverError> {
    progress("reading the remediation permissions Microsoft Graph and Exchange Online expose");
    let mut resolved = Vec::new();
    for remediation in Remediation::ALL {
        let resource = graph
            .find_service_principal_by_app_id(remediation.resource_app_id(), Consistency::IMMEDIATE)
            .await
            .map_err(graph_failed(format!(
                "looking up {}",
                remediation.resource_name()
            )))?;
        let Some(resource) = resource else {
            findings.notes.push(format!(
                "{} has no service principal in this tenant, so nothing holds {}: {remediation} is not set up.",
                remediation.resource_name(),
                remediation.permission()
            ));
            continue;
        };
        let Some(role) = resource.app_role(remediation.permission()) else {
            findings.notes.push(format!(
                "{} exposes no application permission {}: {remediation} is not set up.",
                remediation.resource_name(),
                remediation.permission()
            ));
            continue;
        };
        let app_role_id = role.id.clone();
        resolved.push(Resolved {
            remediation,
            resource,
            app_role_id,
        });
    }

    let apps = candidate_apps(graph, options, &resolved, progress).await?;
    if apps.is_empty() {
        findings.notes.push(format!(
            "No app holds a remediation permission and no app is named {EXPEL_APP_DISPLAY_NAME:?}; give --client-id to look at another app."
        ));
        return Ok(());
    }

    progress("reading the User Administrator and Security Reader role definitions");
    let mut roles = Vec::new();
    for name in directory_roles() {
        let definition = graph
            .find_role_definition_by_name(name)
            .await
            .map_err(graph_failed(format!("looking up the {name} role")))?;
        if let Some(definition) = definition {
            let template_id = definition.template_id.unwrap_or(definition.id);
            roles.push(Role { name, template_id });
        }
    }

    for app in &apps {
        let label = app
            .display_name
            .clone()
            .unwrap_or_else(|| app.app_id.clone());
        progress(&format!(
            "reading the grants, registration and roles of {label}"
        ));
        discover_app(graph, app, &label, &resolved, &roles, findings, names).await?;
    }
    Ok(())
}

/// The directory roles the remediations need, in catalog order, without repeats.
fn directory_roles() -> Vec<&'static str> {
    let mut roles = Vec::new();
    for remediation in Remediation::ALL {
        if !roles.contains(&remediation.directory_role()) {
            roles.push(remediation.directory_role());
        }
    }
    roles
}

/// The apps to look at: those given, or Expel's app and every holder of a remediation
/// permission (sorted by display name, then appId, so output is stable).
async fn candidate_apps(
    graph: &GraphClient,
    options: &Options,
    resolved: &[Resolved],
    progress: &dyn Fn(&str),
) -> Result<Vec<ServicePrincipal>, DiscoverError> {
    let mut apps: BTreeMap<String, ServicePrincipal> = BTreeMap::new();
    if !options.client_ids.is_empty() {
        for client_id in &options.client_ids {
            progress(&format!("looking up client_id {client_id}"));
            let sp = graph
                .find_service_principal_by_app_id(client_id, Consistency::IMMEDIATE)
                .await
                .map_err(graph_failed(format!(
                    "looking up the service principal of client_id {client_id}"
                )))?
                .ok_or_else(|| DiscoverError::UnknownClient(client_id.clone()))?;
            apps.insert(sp.id.clone(), sp);
        }
        return Ok(sorted(apps));
    }
    progress(&format!("looking for {EXPEL_APP_DISPLAY_NAME}"));
    for sp in graph
        .find_service_principals_by_display_name(EXPEL_APP_DISPLAY_NAME)
        .await
        .map_err(graph_failed(format!(
            "looking for {EXPEL_APP_DISPLAY_NAME}"
        )))?
    {
        apps.insert(sp.id.clone(), sp);
    }
    let mut holders = BTreeSet::new();
    for r in resolved {
        progress(&format!(
            "listing the apps granted {} on {}",
            r.remediation.permission(),
            r.remediation.resource_name()
        ));
        let grants = graph
            .list_app_role_assigned_to(&r.resource.id)
            .await
            .map_err(graph_failed(format!(
                "listing the grants of {}",
                r.remediation.resource_name()
            )))?;
        holders.extend(
            grants
                .into_iter()
                .filter(|g| g.app_role_id.eq_ignore_ascii_case(&r.app_role_id))
                .map(|g| g.principal_id),
        );
    }
    for id in holders {
        if apps.contains_key(&id) {
            continue;
        }
        let sp = graph
            .get_service_principal(&id, Consistency::IMMEDIATE)
            .await
            .map_err(graph_failed(format!("reading service principal {id}")))?;
        // A grant may be held by a user or group, or outlive its service principal.
        if let Some(sp) = sp {
            apps.insert(sp.id.clone(), sp);
        }
    }
    Ok(sorted(apps))
}

fn sorted(apps: BTreeMap<String, ServicePrincipal>) -> Vec<ServicePrincipal> {
    let mut apps: Vec<ServicePrincipal> = apps.into_values().collect();
    apps.sort_by(|a, b| {
        (a.display_name.as_deref(), &a.app_id).cmp(&(b.display_name.as_deref(), &b.app_id))
    });
    apps
}

/// One app's grants (with their declarations) and directory role assignments.
async fn discover_app(
    graph: &GraphClient,
    app: &ServicePrincipal,
    label: &str,
    resolved: &[Resolved],
    roles: &[Role],
    findings: &mut Findings,
    names: &mut Names,
) -> Result<(), DiscoverError> {
    let registration = graph
        .find_application_by_app_id(&app.app_id, Consistency::IMMEDIATE)
        .await
        .map_err(graph_failed(format!(
            "reading the app registration of client_id {}",
            app.app_id
        )))?;
    let grants: Vec<AppRoleAssignment> = graph
        .list_app_role_assignments(&app.id, None)
        .await
        .map_err(graph_failed(format!("listing the grants of {label}")))?;
    for r in resolved {
        let granted = grants.iter().any(|g| {
            g.resource_id.eq_ignore_ascii_case(&r.resource.id)
                && g.app_role_id.eq_ignore_ascii_case(&r.app_role_id)
        });
        let permission = Permission {
            resource_app_id: r.remediation.resource_app_id().to_owned(),
            app_role_id: r.app_role_id.clone(),
        };
        let declared = registration
            .as_ref()
            .is_some_and(|app| crate::graph::declarations::declares(app, &permission));
        let what = format!(
            "{} ({}, {})",
            title(r.remediation),
            r.remediation.permission(),
            r.remediation.resource_name()
        );
        let (id, comment) = match (granted, registration.is_some(), declared) {
            (false, _, true) => {
                findings.notes.push(format!(
                    "{what} is declared on the app registration of {label} but not granted (no admin consent): nothing to import; an expel_remediation_permissions with application_type = \"custom\" grants it."
                ));
                continue;
            }
            (false, _, false) => continue,
            (true, true, true) => (
                format!("{}/{}/custom", app.id, r.remediation),
                format!("{what}: declared on the custom app {label} and granted with admin consent"),
            ),
            (true, true, false) => (
                format!("{}/{}", app.id, r.remediation),
                format!("{what}: granted to {label} with admin consent (not declared on its app registration)"),
            ),
            (true, false, _) => (
                format!("{}/{}", app.id, r.remediation),
                format!("{what}: admin consent granted to {label}"),
            ),
        };
        findings.imports.push(Import {
            resource_type: "expel_remediation_permissions",
            name: names.unique(
                "expel_remediation_permissions",
                &format!("{label} {}", r.remediation),
            ),
            id,
            comment,
        });
    }

    let assignments = graph
        .list_role_assignments_of(&app.id)
        .await
        .map_err(graph_failed(format!(
            "listing the directory roles of {label}"
        )))?;
    for role in roles {
        for assignment in assignments
            .iter()
            .filter(|a| a.role_definition_id.eq_ignore_ascii_case(&role.template_id))
        {
            let scope = if assignment.directory_scope_id == "/" {
                String::new()
            } else {
                format!(" at scope {}", assignment.directory_scope_id)
            };
            findings.imports.push(Import {
                resource_type: "expel_role_assignment",
                name: names.unique("expel_role_assignment", &format!("{label} {}", role.name)),
                id: assignment.id.clone(),
                comment: format!("{} for {label}{scope}", role.name),
            });
        }
    }
    Ok(())
}

/// A remediation's name in the guides.
fn title(remediation: Remediation) -> &'static str {
    match remediation {
        Remediation::ResetCredentials => "Reset Credentials",
        Remediation::RemoveMaliciousEmail => "Remove Malicious Email",
    }
}

/// The organization's context lists of the types the remediations use.
async fn discover_lists(
    workbench: &WorkbenchClient,
    progress: &dyn Fn(&str),
    findings: &mut Findings,
    names: &mut Names,
) -> Result<(), DiscoverError> {
    progress("reading the Workbench context lists");
    let mut lists =
        workbench
            .list_context_lists()
            .await
            .map_err(|source| DiscoverError::Workbench {
                action: "listing the Workbench context lists".to_owned(),
                source,
            })?;
    lists.retain(|l| REMEDIATION_LIST_TYPES.contains(&l.context_type));
    lists.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    for list in lists {
        let count = list.values.len();
        findings.imports.push(Import {
            resource_type: "expel_context_list",
            name: names.unique("expel_context_list", &list.name),
            comment: format!(
                "Workbench context list {:?} ({}, {count} value{})",
                list.name,
                list.context_type.as_str(),
                if count == 1 { "" } else { "s" }
            ),
            id: list.id,
        });
    }
    Ok(())
}

/// The auto remediations the organization has opted in to (a setting that is not opted in is
/// Workbench's default, not something set up by hand).
async fn discover_auto_remediations(
    workbench: &WorkbenchClient,
    progress: &dyn Fn(&str),
    findings: &mut Findings,
    names: &mut Names,
) -> Result<(), DiscoverError> {
    progress("reading the Workbench auto remediation settings");
    for remediation in Remediation::ALL {
        let failed = |source| DiscoverError::Workbench {
            action: format!(
                "reading the {} auto remediation setting",
                title(remediation)
            ),
            source,
        };
        let setting = workbench
            .find_remediation_setting(remediation.action_type())
            .await
            .map_err(failed)?;
        let Some(setting) = setting.filter(|s| s.opted_in) else {
            continue;
        };
        let lists = workbench.linked_lists(&setting.id).await.map_err(failed)?;
        let kind = match setting.list_type {
            Some(ListType::Deny) => Some(ListKind::Never),
            Some(ListType::Allow) => Some(ListKind::Always),
            None => None,
        };
        let on = match (kind.and_then(|k| remediation.list_name(k)), lists.len()) {
            (Some(name), n) if n > 0 => {
                format!(", on {n} {name:?} list{}", if n == 1 { "" } else { "s" })
            }
            _ => String::new(),
        };
        findings.imports.push(Import {
            resource_type: "expel_auto_remediation",
            name: names.unique("expel_auto_remediation", remediation.as_str()),
            id: format!("remediation:{remediation}"),
            comment: format!("{} auto remediation, opted in{on}", title(remediation)),
        });
    }
    Ok(())
}

/// Resource names handed out so far, per type.
#[derive(Default)]
struct Names(BTreeSet<(String, String)>);

impl Names {
    /// A Terraform identifier made from `text`, unique for `resource_type`.
    fn unique(&mut self, resource_type: &str, text: &str) -> String {
        let base = identifier(text);
        let mut name = base.clone();
        let mut n = 2;
        while !self.0.insert((resource_type.to_owned(), name.clone())) {
            name = format!("{base}_{n}");
            n += 1;
        }
        name
    }
}

/// `text` as a Terraform identifier: lower-case ASCII letters, digits and underscores,
/// starting with a letter.
pub fn identifier(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    match out.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => out,
        Some(_) => format!("r_{out}"),
        None => "unnamed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_terraform_names() {
        assert_eq!(
            identifier("Expel Microsoft 365 Integration reset_credentials"),
            "expel_microsoft_365_integration_reset_credentials"
        );
        assert_eq!(identifier("Never reset [acc 1a2b]"), "never_reset_acc_1a2b");
        assert_eq!(identifier("365 Ops"), "r_365_ops");
        assert_eq!(identifier("—"), "unnamed");
    }

    #[test]
    fn names_are_unique_per_type() {
        let mut names = Names::default();
        assert_eq!(names.unique("a", "Never reset"), "never_reset");
        assert_eq!(names.unique("a", "never-reset"), "never_reset_2");
        assert_eq!(names.unique("b", "Never reset"), "never_reset");
    }

    #[test]
    fn each_directory_role_is_listed_once() {
        assert_eq!(
            directory_roles(),
            vec!["User Administrator", "Security Reader"]
        );
    }
}
