//! Declaring application permissions in an app registration's `requiredResourceAccess`.
//!
//! Graph replaces that list whole, and other writers (the portal, azuread, a colleague) edit it
//! too. So each edit, under a per-application lock, reads the registration as Graph holds it
//! now, changes only its own permission, and PATCHes only when the list changed. Right after
//! a write Graph may still serve the old list from another replica, so this process's own
//! edits of the last few minutes are applied again on top of what was read, never in its place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::consistency::WRITE_WINDOW;
use super::ResourceAccess;
use super::{Application, Consistency, GraphClient, GraphError, RequiredResourceAccess};
use crate::http::deadline;

/// One application permission of an API, e.g. Microsoft Graph's `User.ReadWrite.All`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    /// appId of the API.
    pub resource_app_id: String,
    /// The app role id.
    pub app_role_id: String,
}

/// Why a declaration could not be edited.
#[derive(Debug, thiserror::Error)]
pub enum DeclarationError {
    /// The client id has no app registration in this tenant (e.g. Expel's multi-tenant app).
    #[error("no app registration in this tenant")]
    NoRegistration,
    /// Graph refused or failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// One permission this process declared or removed.
#[derive(Clone, Debug)]
struct OwnEdit {
    at: Instant,
    permission: Permission,
    declared: bool,
}

/// The per-application locks, each guarding this process's recent edits of that application.
#[derive(Debug, Default)]
pub(crate) struct Declarations {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Vec<OwnEdit>>>>>,
}

impl Declarations {
    fn lock(&self, app_id: &str) -> Arc<tokio::sync::Mutex<Vec<OwnEdit>>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks
            .entry(app_id.to_ascii_lowercase())
            .or_default()
            .clone()
    }
}

impl GraphClient {
    /// Declares (`declare`) or removes one application permission in `registration`'s
    /// `requiredResourceAccess`, leaving every other entry as Graph holds it now.
    pub async fn edit_declaration(
        &self,
        registration: &Application,
        permission: &Permission,
        declare: bool,
    ) -> Result<(), DeclarationError> {
        let lock = self.declarations().lock(&registration.app_id);
        deadline::waiting_for(|| {
            format!(
                "another edit of app registration {} in this run to finish (edits of one registration take turns)",
                registration.app_id
            )
        });
        let mut own = lock.lock().await;
        let current = self
            .get_application(&registration.id)
            .await?
            .ok_or(DeclarationError::NoRegistration)?
            .required_resource_access;
        own.retain(|edit| edit.at.elapsed() < WRITE_WINDOW);
        let edit = OwnEdit {
            at: Instant::now(),
            permission: permission.clone(),
            declared: declare,
        };
        let mut entries = current.clone();
        for earlier in own.iter().chain(std::iter::once(&edit)) {
            apply(&mut entries, earlier);
        }
        if entries != current {
            self.set_required_resource_access(&registration.id, &entries)
                .await?;
        }
        own.push(edit);
        Ok(())
    }

    /// Whether the registration of `app_id` declares `permission` (`None`: it does not, or
    /// there is no registration), looking again within `consistency` while it does not.
    pub async fn find_declaration(
        &self,
        app_id: &str,
        permission: &Permission,
        consistency: Consistency,
    ) -> Result<Option<Application>, GraphError> {
        let what = format!(
            "the declaration of app role {} in app registration {app_id}",
            permission.app_role_id
        );
        consistency
            .find(&what, || async {
                let app = self
                    .find_application_by_app_id(app_id, Consistency::IMMEDIATE)
                    .await?;
                Ok(app.filter(|app| declared(&app.required_resource_access, permission)))
            })
            .await
    }
}

/// Applies one declaration or removal; returns whether the list changed.
fn apply(entries: &mut Vec<RequiredResourceAccess>, edit: &OwnEdit) -> bool {
    if edit.declared {
        add_permission(entries, &edit.permission)
    } else {
        remove_permission(entries, &edit.permission)
    }
}

/// Whether `access` is `permission` as an application permission (not a delegated scope).
fn is_permission(access: &ResourceAccess, permission: &Permission) -> bool {
    access.id.eq_ignore_ascii_case(&permission.app_role_id) && access.kind == "Role"
}

/// Adds one application permission; returns whether the list changed.
fn add_permission(entries: &mut Vec<RequiredResourceAccess>, permission: &Permission) -> bool {
    let access = ResourceAccess {
        id: permission.app_role_id.clone(),
        kind: "Role".to_owned(),
    };
    match entries.iter_mut().find(|e| {
        e.resource_app_id
            .eq_ignore_ascii_case(&permission.resource_app_id)
    }) {
        Some(entry)
            if entry
                .resource_access
                .iter()
                .any(|a| is_permission(a, permission)) =>
        {
            false
        }
        Some(entry) => {
            entry.resource_access.push(access);
            true
        }
        None => {
            entries.push(RequiredResourceAccess {
                resource_app_id: permission.resource_app_id.clone(),
                resource_access: vec![access],
            });
            true
        }
    }
}

/// Removes one application permission, and its API's entry if nothing else is left in it;
/// returns whether the list changed. Other permissions are never touched.
fn remove_permission(entries: &mut Vec<RequiredResourceAccess>, permission: &Permission) -> bool {
    let of_api = |e: &RequiredResourceAccess| {
        e.resource_app_id
            .eq_ignore_ascii_case(&permission.resource_app_id)
    };
    let mut changed = false;
    for entry in entries.iter_mut().filter(|e| of_api(e)) {
        let before = entry.resource_access.len();
        entry
            .resource_access
            .retain(|a| !is_permission(a, permission));
        changed |= entry.resource_access.len() != before;
    }
    if changed {
        entries.retain(|e| !(of_api(e) && e.resource_access.is_empty()));
    }
    changed
}

/// Whether `entries` declare `permission`.
/// Whether an application registration declares `permission` as an application permission.
pub fn declares(app: &Application, permission: &Permission) -> bool {
    declared(&app.required_resource_access, permission)
}

fn declared(entries: &[RequiredResourceAccess], permission: &Permission) -> bool {
    entries.iter().any(|e| {
        e.resource_app_id
            .eq_ignore_ascii_case(&permission.resource_app_id)
            && e.resource_access
                .iter()
                .any(|a| is_permission(a, permission))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRAPH: &str = "00000003-0000-0000-c000-000000000000";

    fn entry(app: &str, ids: &[&str]) -> RequiredResourceAccess {
        RequiredResourceAccess {
            resource_app_id: app.into(),
            resource_access: ids
                .iter()
                .map(|id| ResourceAccess {
                    id: id.to_string(),
                    kind: "Role".into(),
                })
                .collect(),
        }
    }

    fn permission(app: &str, id: &str) -> Permission {
        Permission {
            resource_app_id: app.into(),
            app_role_id: id.into(),
        }
    }

    #[test]
    fn adding_keeps_other_permissions_of_the_same_api() {
        let mut entries = vec![entry(GRAPH, &["other-role"])];
        assert!(add_permission(&mut entries, &permission(GRAPH, "741f")));
        assert_eq!(entries, vec![entry(GRAPH, &["other-role", "741f"])]);
    }

    #[test]
    fn adding_twice_changes_nothing() {
        let mut entries = vec![entry(GRAPH, &["741f"])];
        assert!(!add_permission(&mut entries, &permission(GRAPH, "741F")));
    }

    #[test]
    fn removing_leaves_other_entries_alone() {
        let mut entries = vec![
            entry(GRAPH, &["other-role", "741f"]),
            entry("exchange", &["dc50"]),
        ];
        assert!(remove_permission(&mut entries, &permission(GRAPH, "741f")));
        assert_eq!(
            entries,
            vec![entry(GRAPH, &["other-role"]), entry("exchange", &["dc50"])]
        );
    }

    #[test]
    fn removing_the_last_permission_drops_the_api_entry() {
        let mut entries = vec![entry(GRAPH, &["741f"]), entry("exchange", &["dc50"])];
        assert!(remove_permission(&mut entries, &permission(GRAPH, "741f")));
        assert_eq!(entries, vec![entry("exchange", &["dc50"])]);
    }

    #[test]
    fn delegated_scopes_with_the_same_id_are_not_removed() {
        let mut entries = vec![RequiredResourceAccess {
            resource_app_id: GRAPH.into(),
            resource_access: vec![ResourceAccess {
                id: "741f".into(),
                kind: "Scope".into(),
            }],
        }];
        assert!(!remove_permission(&mut entries, &permission(GRAPH, "741f")));
        assert!(!declared(&entries, &permission(GRAPH, "741f")));
    }

    #[test]
    fn own_edits_are_applied_again_on_top_of_a_stale_read() {
        let stale = vec![entry("exchange", &["dc50"])];
        let earlier = OwnEdit {
            at: Instant::now(),
            permission: permission(GRAPH, "741f"),
            declared: true,
        };
        let mut entries = stale.clone();
        apply(&mut entries, &earlier);
        assert!(declared(&entries, &permission(GRAPH, "741f")));
        assert!(declared(&entries, &permission("exchange", "dc50")));
    }
}
