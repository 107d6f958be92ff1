//! `expel_remediation_permissions`: grants one remediation's API permission (admin consent)
//! to the Expel integration app or to a custom app, which first gets the permission declared
//! in its registration's `requiredResourceAccess` (guides: "Grant Necessary Permissions",
//! "Add an Additional API Permission").
//!
//! Every argument forces replacement. Destroy revokes the grant and, for custom apps, removes
//! only the one permission entry this resource manages; the editing of `requiredResourceAccess`
//! itself lives in [`crate::graph::declarations`].
//!
//! The file reads in the house order (see CONTRIBUTING.md): model, schema, import ID,
//! validate, plan, create, read, update, delete, then the trait glue.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{self, Value};
use tf_provider::{AttributePath, Diagnostics};

use crate::framework::diagnostics::graph_error;
use crate::framework::private::{consistency, written_now, Private};
use crate::framework::resource::{resource_schema, ResourceType};
use crate::framework::timeouts::{self, Timeouts};
use crate::framework::{known, parsed, schema, ProviderData};
use crate::graph::consistency::{PLAN_REFERENCE_WAIT, REFERENCE_WAIT};
use crate::graph::{
    AppRoleAssignment, Consistency, DeclarationError, GraphClient, GraphError, Permission,
    ServicePrincipal,
};
use crate::remediation::{
    ApplicationType, Remediation, UnknownApplicationType, UnknownRemediation,
};

// Model.

/// The resource.
#[derive(Debug)]
pub struct RemediationPermissionsResource {
    data: ProviderData,
}

impl RemediationPermissionsResource {
    /// A resource acting through the provider's clients.
    pub fn new(data: ProviderData) -> Self {
        Self { data }
    }
}

/// The resource's state.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    /// `<service_principal_id>/<remediation>[/custom]`, the import ID.
    #[serde(default)]
    pub id: Value<String>,
    /// appId of the Expel integration app or of the custom app.
    #[serde(default)]
    pub client_id: Value<String>,
    /// `reset_credentials` or `remove_malicious_email`.
    #[serde(default)]
    pub remediation: Value<String>,
    /// `expel` or `custom`.
    #[serde(default)]
    pub application_type: Value<String>,
    /// Object id of the app's service principal.
    #[serde(default)]
    pub service_principal_id: Value<String>,
    /// Object id of the API's service principal (Microsoft Graph, Exchange Online).
    #[serde(default)]
    pub resource_service_principal_id: Value<String>,
    /// The permission granted, e.g. `User.ReadWrite.All`.
    #[serde(default)]
    pub permission: Value<String>,
    /// The app role granted.
    #[serde(default)]
    pub app_role_id: Value<String>,
    /// The grant (admin consent).
    #[serde(default)]
    pub app_role_assignment_id: Value<String>,
    /// The directory role the remediation also needs.
    #[serde(default)]
    pub required_directory_role: Value<String>,
    /// Operation timeouts.
    #[serde(default, with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// The API permission `app_role_id` of the remediation's API.
fn permission(remediation: Remediation, app_role_id: &str) -> Permission {
    Permission {
        resource_app_id: remediation.resource_app_id().to_owned(),
        app_role_id: app_role_id.to_owned(),
    }
}

/// Everything a grant needs, resolved from the tenant.
struct Resolved {
    client: ServicePrincipal,
    resource: ServicePrincipal,
    app_role_id: String,
}

/// The application type of a state (`expel` when not set).
fn application_type(state: &State) -> ApplicationType {
    state
        .application_type
        .as_ref_option()
        .and_then(|t| t.parse().ok())
        .unwrap_or(ApplicationType::Expel)
}

/// Fills the attributes that follow from the catalog and the resolved objects.
fn complete(
    state: &mut State,
    remediation: Remediation,
    kind: ApplicationType,
    resolved: Option<&Resolved>,
) {
    state.application_type = Value::Value(kind.as_str().to_owned());
    state.permission = Value::Value(remediation.permission().to_owned());
    state.required_directory_role = Value::Value(remediation.directory_role().to_owned());
    if let Some(resolved) = resolved {
        state.service_principal_id = Value::Value(resolved.client.id.clone());
        state.resource_service_principal_id = Value::Value(resolved.resource.id.clone());
        state.app_role_id = Value::Value(resolved.app_role_id.clone());
        state.id = Value::Value(
            ImportId {
                service_principal_id: resolved.client.id.clone(),
                remediation,
                application_type: kind,
            }
            .to_string(),
        );
    }
}

// Schema.

/// The resource's schema.
fn schema() -> Schema {
    resource_schema(
        "Grants the API permission one Expel auto remediation needs, with admin consent.",
        [
            ("id", schema::computed_string("`<service_principal_id>/<remediation>[/custom]`, the import ID.")),
            ("client_id", schema::required_string("Application (client) id of the Expel integration app or of your custom app. Changing it forces replacement.")),
            ("remediation", schema::required_string(&format!("`reset_credentials` or `remove_malicious_email`. Changing it forces replacement. Limits: Reset Credentials — {} Remove Malicious Email — {}", Remediation::ResetCredentials.limits(), Remediation::RemoveMaliciousEmail.limits()))),
            ("application_type", schema::optional_computed_string("`expel` (default): grant admin consent to Expel's integration app. `custom`: also declare the permission in your app registration's API permissions. Changing it forces replacement.")),
            ("service_principal_id", schema::computed_string("Object id of the app's service principal.")),
            ("resource_service_principal_id", schema::computed_string("Object id of Microsoft Graph's or Exchange Online's service principal in the tenant.")),
            ("permission", schema::computed_string("`User.ReadWrite.All` or `Exchange.ManageAsApp`.")),
            ("app_role_id", schema::computed_string("Id of the app role granted.")),
            ("app_role_assignment_id", schema::computed_string("Id of the grant (admin consent).")),
            ("required_directory_role", schema::computed_string("`User Administrator` or `Security Reader`: the role to give the app with `expel_role_assignment`.")),
        ],
    )
}

// Import ID.

/// Import ID: `<service_principal_id>/<remediation>`, with `/custom` appended for custom apps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportId {
    /// Object id of the app's service principal.
    pub service_principal_id: String,
    /// The remediation.
    pub remediation: Remediation,
    /// Expel app or custom app.
    pub application_type: ApplicationType,
}

const IMPORT_FORM: &str = "<service_principal_id>/<remediation>[/custom], e.g. 3f2a…/reset_credentials or 3f2a…/remove_malicious_email/custom";

/// An import ID not of the form `<service_principal_id>/<remediation>[/custom]`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportIdError {
    /// Not two or three parts, or a third part other than `custom`.
    #[error("{0:?} is not an expel_remediation_permissions import ID; expected {IMPORT_FORM}")]
    Form(String),
    /// The first part is not a GUID.
    #[error("{part:?} in import ID {id:?} is not a service principal object id (a GUID); expected {IMPORT_FORM}")]
    ServicePrincipal {
        /// The part.
        part: String,
        /// The whole import ID.
        id: String,
    },
    /// The second part is not a remediation.
    #[error("{source} (import ID {id:?}; expected {IMPORT_FORM})")]
    Remediation {
        /// Why.
        source: UnknownRemediation,
        /// The whole import ID.
        id: String,
    },
}

impl FromStr for ImportId {
    type Err = ImportIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split('/').collect();
        let (sp, remediation, application_type) = match parts.as_slice() {
            [sp, remediation] => (sp, remediation, ApplicationType::Expel),
            [sp, remediation, "custom"] => (sp, remediation, ApplicationType::Custom),
            _ => return Err(ImportIdError::Form(s.to_owned())),
        };
        let sp = uuid::Uuid::parse_str(sp).map_err(|_| ImportIdError::ServicePrincipal {
            part: (*sp).to_owned(),
            id: s.to_owned(),
        })?;
        let remediation =
            remediation
                .parse::<Remediation>()
                .map_err(|source| ImportIdError::Remediation {
                    source,
                    id: s.to_owned(),
                })?;
        Ok(ImportId {
            service_principal_id: sp.hyphenated().to_string(),
            remediation,
            application_type,
        })
    }
}

impl fmt::Display for ImportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.service_principal_id, self.remediation)?;
        if self.application_type == ApplicationType::Custom {
            f.write_str("/custom")?;
        }
        Ok(())
    }
}

// Validate.

/// Checks the configuration without Graph.
fn validate(state: &State, diags: &mut Diagnostics) {
    timeouts::validate(&state.timeouts, diags);
    if let Value::Value(client_id) = &state.client_id {
        if uuid::Uuid::parse_str(client_id).is_err() {
            diags.error(
                "client_id must be a GUID",
                format!("client_id is {client_id:?}; use the application (client) id of the Expel integration app or of your custom app."),
                AttributePath::new("client_id"),
            );
        }
    }
    if let Value::Value(remediation) = &state.remediation {
        if let Err(err) = remediation.parse::<Remediation>() {
            diags.error(
                "Unknown remediation",
                err.to_string(),
                AttributePath::new("remediation"),
            );
        }
    }
    if let Value::Value(kind) = &state.application_type {
        if let Err(err) = kind.parse::<ApplicationType>() {
            let err: UnknownApplicationType = err;
            diags.error(
                "Unknown application_type",
                err.to_string(),
                AttributePath::new("application_type"),
            );
        }
    }
}

// Plan.

impl RemediationPermissionsResource {
    /// Looks up the resource API's service principal and the app role for `remediation`.
    async fn resource(
        &self,
        graph: &GraphClient,
        remediation: Remediation,
        diags: &mut Diagnostics,
    ) -> Option<(ServicePrincipal, String)> {
        let resource = match self
            .data
            .lookups()
            // Microsoft's own APIs are not created in an apply: missing means missing.
            .service_principal(graph, remediation.resource_app_id(), Duration::ZERO)
            .await
        {
            Ok(Some(resource)) => resource,
            Ok(None) => {
                diags.error(
                    format!("{} has no service principal in this tenant", remediation.resource_name()),
                    format!(
                        "{remediation} needs the {} permission of {name} (appId {app}), but the tenant has no service principal for it. An administrator can create it with `az ad sp create --id {app}` (or New-MgServicePrincipal -AppId {app}); it exists in every tenant licensed for Exchange Online.",
                        remediation.permission(),
                        name = remediation.resource_name(),
                        app = remediation.resource_app_id(),
                    ),
                    AttributePath::new("remediation"),
                );
                return None;
            }
            Err(err) => {
                graph_error(
                    diags,
                    &format!("looking up {}", remediation.resource_name()),
                    &err,
                    Some("remediation"),
                );
                return None;
            }
        };
        let Some(role) = resource.app_role(remediation.permission()) else {
            diags.error(
                format!(
                    "{} exposes no application permission {}",
                    remediation.resource_name(),
                    remediation.permission()
                ),
                format!(
                    "The service principal {} has no app role with value {} for applications.",
                    resource.id,
                    remediation.permission()
                ),
                AttributePath::new("remediation"),
            );
            return None;
        };
        if role.id != remediation.documented_app_role_id() {
            tracing::warn!(found = %role.id, documented = remediation.documented_app_role_id(), "app role id differs from Microsoft's documentation; using the tenant's");
        }
        let role_id = role.id.clone();
        Some((resource, role_id))
    }

    /// Looks up the app's service principal by client id, giving one made moments ago up to
    /// `wait` to replicate.
    async fn client(
        &self,
        graph: &GraphClient,
        client_id: &str,
        kind: ApplicationType,
        wait: Duration,
        diags: &mut Diagnostics,
    ) -> Option<ServicePrincipal> {
        match self
            .data
            .lookups()
            .service_principal(graph, client_id, wait)
            .await
        {
            Ok(Some(sp)) => Some(sp),
            Ok(None) => {
                let advice = match kind {
                    ApplicationType::Expel => "The Expel Microsoft 365 Integration app has not been consented in this tenant yet: an administrator must open Expel's onboarding consent link first, which creates its service principal.",
                    ApplicationType::Custom => "Create a service principal for your app registration (Entra ID > Enterprise applications, or `az ad sp create --id <client_id>`).",
                };
                let waited = if wait.is_zero() {
                    String::new()
                } else {
                    format!(
                        " (Waited {} s in case it was created moments ago.)",
                        wait.as_secs()
                    )
                };
                diags.error(
                    format!("No service principal with client_id {client_id}"),
                    format!("{advice}{waited}"),
                    AttributePath::new("client_id"),
                );
                None
            }
            Err(err) => {
                graph_error(
                    diags,
                    &format!("looking up the service principal of client_id {client_id}"),
                    &err,
                    Some("client_id"),
                );
                None
            }
        }
    }

    /// Looks up the API, its app role and the app's service principal.
    async fn resolve(
        &self,
        graph: &GraphClient,
        client_id: &str,
        remediation: Remediation,
        kind: ApplicationType,
        wait: Duration,
        diags: &mut Diagnostics,
    ) -> Option<Resolved> {
        // The API and the app are looked up side by side: one round trip, not two. As when
        // they ran one after the other, an API that fails is the one error shown.
        let (mut resource_diags, mut client_diags) =
            (Diagnostics::default(), Diagnostics::default());
        let (resource, client) = tokio::join!(
            self.resource(graph, remediation, &mut resource_diags),
            self.client(graph, client_id, kind, wait, &mut client_diags)
        );
        diags.add_diagnostics(resource_diags);
        let (resource, app_role_id) = resource?;
        diags.add_diagnostics(client_diags);
        let client = client?;
        Some(Resolved {
            client,
            resource,
            app_role_id,
        })
    }

    /// Plans a grant: the catalog's attributes, and the objects looked up so a wrong
    /// client_id fails before any write.
    async fn plan_create(
        &self,
        diags: &mut Diagnostics,
        mut planned: State,
    ) -> Option<(State, Private)> {
        planned.id = Value::Unknown;
        planned.service_principal_id = Value::Unknown;
        planned.resource_service_principal_id = Value::Unknown;
        planned.app_role_id = Value::Unknown;
        planned.app_role_assignment_id = Value::Unknown;
        let kind = match &planned.application_type {
            Value::Unknown => {
                planned.permission = Value::Unknown;
                planned.required_directory_role = Value::Unknown;
                return Some((planned, None));
            }
            _ => application_type(&planned),
        };
        if !matches!(planned.remediation, Value::Value(_)) {
            planned.application_type = Value::Value(kind.as_str().to_owned());
            planned.permission = Value::Unknown;
            planned.required_directory_role = Value::Unknown;
            return Some((planned, None));
        }
        let remediation: Remediation = parsed(&planned.remediation, "remediation", diags)?;
        // Only a create plans this: the limits show once, when the permission is first granted.
        diags.warning(
            format!("Limits of the {remediation} auto remediation"),
            remediation.limits(),
            AttributePath::new("remediation"),
        );
        let resolved = match planned.client_id.as_ref_option() {
            Some(client_id) => {
                let graph = self.data.graph(diags)?;
                let client_id = client_id.clone();
                let wait = PLAN_REFERENCE_WAIT;
                let resolved = self
                    .resolve(graph, &client_id, remediation, kind, wait, diags)
                    .await?;
                if kind == ApplicationType::Custom {
                    match self
                        .data
                        .lookups()
                        .application(graph, &client_id, wait)
                        .await
                    {
                        Ok(Some(_)) => {}
                        Ok(None) => {
                            report_declare_error(
                                diags,
                                DeclarationError::NoRegistration,
                                &client_id,
                                "declaring",
                            );
                            return None;
                        }
                        Err(err) => {
                            graph_error(
                                diags,
                                &format!("reading app registration {client_id}"),
                                &err,
                                Some("client_id"),
                            );
                            return None;
                        }
                    }
                }
                Some(resolved)
            }
            None => None,
        };
        complete(&mut planned, remediation, kind, resolved.as_ref());
        planned.app_role_assignment_id = Value::Unknown;
        Some((planned, None))
    }
}

impl RemediationPermissionsResource {
    /// Plans a change: every argument forces replacement (letter case aside).
    fn plan_update(
        prior: State,
        mut planned: State,
        prior_private: Private,
    ) -> (State, Private, Vec<AttributePath>) {
        if planned.application_type.is_null() {
            planned.application_type = Value::Value(ApplicationType::Expel.as_str().to_owned());
        }
        let mut replace = Vec::new();
        for (name, new, old) in [
            ("client_id", &planned.client_id, &prior.client_id),
            ("remediation", &planned.remediation, &prior.remediation),
            (
                "application_type",
                &planned.application_type,
                &prior.application_type,
            ),
        ] {
            let same = match (new, old) {
                (Value::Value(a), Value::Value(b)) => a.eq_ignore_ascii_case(b),
                (a, b) => a == b,
            };
            if !same {
                replace.push(AttributePath::new(name));
            }
        }
        if replace.is_empty() {
            // Same object: keep the user's spelling of the client id and the configured
            // timeouts; nothing else changes.
            let (client_id, timeouts) = (planned.client_id.clone(), planned.timeouts.clone());
            planned = State {
                client_id,
                timeouts,
                ..prior
            };
        } else {
            planned.id = Value::Unknown;
            planned.service_principal_id = Value::Unknown;
            planned.resource_service_principal_id = Value::Unknown;
            planned.app_role_id = Value::Unknown;
            planned.app_role_assignment_id = Value::Unknown;
            planned.permission = Value::Unknown;
            planned.required_directory_role = Value::Unknown;
        }
        (planned, prior_private, replace)
    }
}

// Create.

impl RemediationPermissionsResource {
    /// Declares (custom apps) and grants the permission, adopting an existing grant.
    async fn create(&self, diags: &mut Diagnostics, planned: State) -> Option<(State, Private)> {
        let graph = self.data.graph(diags)?;
        let client_id = known(&planned.client_id, "client_id", diags)?.clone();
        let remediation: Remediation = parsed(&planned.remediation, "remediation", diags)?;
        let kind = application_type(&planned);
        let resolved = self
            .resolve(graph, &client_id, remediation, kind, REFERENCE_WAIT, diags)
            .await?;
        if kind == ApplicationType::Custom {
            if let Err(err) = self
                .edit_declaration(graph, &client_id, remediation, &resolved.app_role_id, true)
                .await
            {
                report_declare_error(diags, err, &client_id, "declaring");
                return None;
            }
        }
        match Self::grant(graph, &resolved).await {
            Ok(grant) => {
                let mut state = planned;
                complete(&mut state, remediation, kind, Some(&resolved));
                state.app_role_assignment_id = Value::Value(grant.id);
                Some((state, written_now()))
            }
            Err(err) => {
                let note = if kind == ApplicationType::Custom {
                    " The permission is declared in the app registration; the next apply grants consent and keeps that declaration."
                } else {
                    ""
                };
                graph_error(
                    diags,
                    &format!(
                        "granting {} to client_id {client_id}{note}",
                        remediation.permission()
                    ),
                    &err,
                    None,
                );
                None
            }
        }
    }

    /// Declares (or removes) this permission in the custom app's registration.
    async fn edit_declaration(
        &self,
        graph: &GraphClient,
        client_id: &str,
        remediation: Remediation,
        app_role_id: &str,
        declare: bool,
    ) -> Result<(), DeclarationError> {
        // Declaring follows a registration made moments ago; removing never waits for one.
        let wait = if declare {
            REFERENCE_WAIT
        } else {
            Duration::ZERO
        };
        let registration = self
            .data
            .lookups()
            .application(graph, client_id, wait)
            .await?
            .ok_or(DeclarationError::NoRegistration)?;
        graph
            .edit_declaration(
                &registration,
                &permission(remediation, app_role_id),
                declare,
            )
            .await
    }

    /// Grants the app role, adopting an existing identical grant.
    async fn grant(
        graph: &GraphClient,
        resolved: &Resolved,
    ) -> Result<AppRoleAssignment, GraphError> {
        match graph
            .grant_app_role(
                &resolved.client.id,
                &resolved.resource.id,
                &resolved.app_role_id,
            )
            .await
        {
            Ok(grant) => Ok(grant),
            Err(err) if err.is_already_exists() => {
                let found = graph
                    .find_app_role_assignment(
                        &resolved.client.id,
                        &resolved.resource.id,
                        &resolved.app_role_id,
                        None,
                        Consistency::just_written(),
                    )
                    .await;
                match found {
                    Ok(Some(existing)) => {
                        tracing::info!(id = %existing.id, "adopting an existing admin consent");
                        Ok(existing)
                    }
                    Ok(None) | Err(_) => Err(err),
                }
            }
            Err(err) => Err(err),
        }
    }
}

/// Reports a failed edit of the app registration.
fn report_declare_error(
    diags: &mut Diagnostics,
    err: DeclarationError,
    client_id: &str,
    verb: &str,
) {
    match err {
        DeclarationError::NoRegistration => diags.error(
            format!("No app registration with client_id {client_id} in this tenant"),
            "application_type = \"custom\" edits the app registration's API permissions, so the registration must live in this tenant. For Expel's multi-tenant integration app, use application_type = \"expel\" (admin consent only).",
            AttributePath::new("application_type"),
        ),
        DeclarationError::Graph(err) => graph_error(diags, &format!("{verb} the API permission in app registration {client_id}"), &err, None),
    }
}

// Read.

impl RemediationPermissionsResource {
    /// Refreshes the grant and, for custom apps, the declaration; a null state when either
    /// is gone, so plan grants or declares it again.
    async fn read(
        &self,
        diags: &mut Diagnostics,
        mut state: State,
        private: Private,
    ) -> Option<(Option<State>, Private)> {
        let graph = self.data.graph(diags)?;
        let remediation: Remediation = parsed(&state.remediation, "remediation", diags)?;
        let kind = application_type(&state);
        // After import only the service principal is known: find its client id.
        if state.client_id.is_null() {
            let sp_id = known(&state.service_principal_id, "service_principal_id", diags)?.clone();
            match graph
                .get_service_principal(&sp_id, Consistency::IMMEDIATE)
                .await
            {
                Ok(Some(sp)) => state.client_id = Value::Value(sp.app_id),
                Ok(None) => return Some((None, None)),
                Err(err) => {
                    graph_error(
                        diags,
                        &format!("reading service principal {sp_id}"),
                        &err,
                        None,
                    );
                    return None;
                }
            }
        }
        let client_id = known(&state.client_id, "client_id", diags)?.clone();
        let resolved = match (
            state.service_principal_id.as_ref_option(),
            state.resource_service_principal_id.as_ref_option(),
            state.app_role_id.as_ref_option(),
        ) {
            (Some(client), Some(resource), Some(role))
                if !state.app_role_assignment_id.is_null() =>
            {
                Resolved {
                    client: ServicePrincipal {
                        id: client.clone(),
                        app_id: client_id.clone(),
                        display_name: None,
                        app_roles: vec![],
                    },
                    resource: ServicePrincipal {
                        id: resource.clone(),
                        app_id: remediation.resource_app_id().to_owned(),
                        display_name: None,
                        app_roles: vec![],
                    },
                    app_role_id: role.clone(),
                }
            }
            _ => {
                self.resolve(graph, &client_id, remediation, kind, Duration::ZERO, diags)
                    .await?
            }
        };
        let assignment_id = state.app_role_assignment_id.as_ref_option().cloned();
        let grant = graph
            .find_app_role_assignment(
                &resolved.client.id,
                &resolved.resource.id,
                &resolved.app_role_id,
                assignment_id.as_deref(),
                consistency(&private),
            )
            .await;
        let grant = match grant {
            Ok(Some(grant)) => grant,
            // Consent revoked out of band: plan grants it again.
            Ok(None) => return Some((None, None)),
            Err(err) => {
                graph_error(
                    diags,
                    &format!(
                        "reading the {} consent of client_id {client_id}",
                        remediation.permission()
                    ),
                    &err,
                    None,
                );
                return None;
            }
        };
        if kind == ApplicationType::Custom {
            // Missing right after our own write may be a stale replica: wait within the window.
            let permission = permission(remediation, &resolved.app_role_id);
            let declaration = graph
                .find_declaration(&client_id, &permission, consistency(&private))
                .await;
            match declaration {
                Ok(Some(_)) => {}
                // Declaration removed out of band (or the registration gone): plan declares it again.
                Ok(None) => return Some((None, None)),
                Err(err) => {
                    graph_error(
                        diags,
                        &format!("reading app registration {client_id}"),
                        &err,
                        None,
                    );
                    return None;
                }
            }
        }
        complete(&mut state, remediation, kind, Some(&resolved));
        state.app_role_assignment_id = Value::Value(grant.id);
        Some((Some(state), private))
    }
}

// Update: every argument forces replacement, so nothing is sent.

// Delete.

impl RemediationPermissionsResource {
    /// Revokes the grant and removes this remediation's declaration; what is gone already
    /// counts as removed.
    async fn delete(&self, diags: &mut Diagnostics, prior: State) -> Option<()> {
        let graph = self.data.graph(diags)?;
        let remediation: Remediation = parsed(&prior.remediation, "remediation", diags)?;
        let client_id = known(&prior.client_id, "client_id", diags)?.clone();
        if let (Some(resource), Some(grant)) = (
            prior.resource_service_principal_id.as_ref_option(),
            prior.app_role_assignment_id.as_ref_option(),
        ) {
            if let Err(err) = graph.revoke_app_role(resource, grant).await {
                graph_error(
                    diags,
                    &format!(
                        "revoking the {} consent of client_id {client_id}",
                        remediation.permission()
                    ),
                    &err,
                    None,
                );
                return None;
            }
        }
        if application_type(&prior) == ApplicationType::Custom {
            let app_role_id = known(&prior.app_role_id, "app_role_id", diags)?.clone();
            match self
                .edit_declaration(graph, &client_id, remediation, &app_role_id, false)
                .await
            {
                Ok(()) | Err(DeclarationError::NoRegistration) => {}
                Err(err) => {
                    report_declare_error(diags, err, &client_id, "removing");
                    return None;
                }
            }
        }
        Some(())
    }
}

// Trait glue.

#[async_trait]
impl ResourceType for RemediationPermissionsResource {
    type Model = State;
    type Private = Private;

    const NAME: &'static str = "expel_remediation_permissions";

    fn schema(&self) -> Schema {
        schema()
    }

    fn timeouts(model: &State) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn import(&self, diags: &mut Diagnostics, id: &str) -> Option<State> {
        match id.parse::<ImportId>() {
            Ok(id) => Some(State {
                service_principal_id: Value::Value(id.service_principal_id),
                remediation: Value::Value(id.remediation.as_str().to_owned()),
                application_type: Value::Value(id.application_type.as_str().to_owned()),
                ..Default::default()
            }),
            Err(err) => {
                diags.root_error(
                    "Invalid import ID for expel_remediation_permissions",
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
        _config: State,
    ) -> Option<(State, Private)> {
        self.plan_create(diags, proposed).await
    }

    async fn plan_update(
        &self,
        _diags: &mut Diagnostics,
        prior: State,
        proposed: State,
        _config: State,
        private: Private,
    ) -> Option<(State, Private, Vec<AttributePath>)> {
        Some(Self::plan_update(prior, proposed, private))
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
        // Every argument forces replacement; only the client id's letter case or the
        // timeouts can change here, and neither is sent to Graph.
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

    const SP: &str = "3f2a6b1c-0d4e-4f5a-9b8c-7d6e5f4a3b2c";

    #[test]
    fn import_id_round_trips_for_both_app_kinds() {
        for text in [
            format!("{SP}/reset_credentials"),
            format!("{SP}/remove_malicious_email/custom"),
        ] {
            let id: ImportId = text.parse().unwrap();
            assert_eq!(id.to_string(), text);
        }
    }

    #[test]
    fn import_id_errors_show_the_expected_form() {
        for bad in [
            "",
            "abc/reset_credentials",
            &format!("{SP}/reset"),
            &format!("{SP}/reset_credentials/expel"),
            SP,
        ] {
            let err = bad.parse::<ImportId>().unwrap_err().to_string();
            assert!(
                err.contains("<service_principal_id>/<remediation>[/custom]"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn validation_names_bad_remediation_and_type() {
        let mut diags = Diagnostics::default();
        validate(
            &State {
                remediation: Value::Value("reset_password".into()),
                application_type: Value::Value("azure".into()),
                client_id: Value::Value("expel".into()),
                ..Default::default()
            },
            &mut diags,
        );
        let attributes: Vec<_> = diags.errors.iter().map(|e| e.attribute.clone()).collect();
        assert_eq!(
            attributes,
            vec![
                AttributePath::new("client_id"),
                AttributePath::new("remediation"),
                AttributePath::new("application_type")
            ]
        );
    }
}
