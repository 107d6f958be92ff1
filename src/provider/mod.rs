//! The `expel` provider: its schema, its configure step, and the clients it hands to
//! resources and data sources.

pub mod config;
pub mod diagnostics;
pub mod lookups;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, Schema,
};
use tf_provider::{AttributePath, Diagnostics, DynamicDataSource, DynamicResource, Provider};

use crate::graph::auth::TokenSource;
use crate::graph::GraphClient;
use crate::http::RetryPolicy;
use crate::workbench::WorkbenchClient;
use config::{Kind, ProviderConfig, Settings, Unavailable, ATTRIBUTES};

/// The API clients built by `configure`, or why each cannot be used.
#[derive(Debug)]
pub struct Clients {
    graph: Result<GraphClient, Unavailable>,
    workbench: Result<WorkbenchClient, Unavailable>,
}

/// This process's own recent edits of one application's `requiredResourceAccess`, kept under
/// the application's lock. Each edit re-reads the application and applies only its own change;
/// right after a write Graph may still serve the old list from another replica, so the edits
/// of the last few minutes are applied again on top of what was read, never in its place.
#[derive(Debug, Default)]
pub struct OwnEdits(pub Vec<OwnEdit>);

/// One permission this process declared or removed.
#[derive(Clone, Debug)]
pub struct OwnEdit {
    /// When it was written.
    pub at: std::time::Instant,
    /// appId of the API, e.g. Microsoft Graph's.
    pub resource_app_id: String,
    /// The application permission (app role id).
    pub app_role_id: String,
    /// Declared (true) or removed (false).
    pub declared: bool,
}

#[derive(Debug, Default)]
struct Shared {
    clients: OnceLock<Clients>,
    lookups: lookups::Lookups,
    application_locks: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<OwnEdits>>>>,
}

/// Shared between the provider and everything it serves; filled once by `configure`.
#[derive(Clone, Debug, Default)]
pub struct ProviderData(Arc<Shared>);

impl ProviderData {
    /// Tenant-wide lookups cached for this provider process.
    pub fn lookups(&self) -> &lookups::Lookups {
        &self.0.lookups
    }

    /// The lock serialising read-modify-write cycles on one application registration, whose
    /// `requiredResourceAccess` Graph replaces whole (keyed by the application's appId).
    pub fn application_lock(&self, app_id: &str) -> Arc<tokio::sync::Mutex<OwnEdits>> {
        let mut locks = self
            .0
            .application_locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks
            .entry(app_id.to_ascii_lowercase())
            .or_default()
            .clone()
    }

    fn clients(&self, diags: &mut Diagnostics) -> Option<&Clients> {
        let clients = self.0.clients.get();
        if clients.is_none() {
            diags.root_error(
                "The expel provider is not configured",
                "Terraform did not configure the provider before using it; this is a bug in the provider or Terraform.",
            );
        }
        clients
    }

    /// The Graph client, or an error diagnostic saying what to configure.
    pub fn graph(&self, diags: &mut Diagnostics) -> Option<&GraphClient> {
        match &self.clients(diags)?.graph {
            Ok(graph) => Some(graph),
            Err(why) => {
                diags.root_error(why.summary.clone(), why.detail.clone());
                None
            }
        }
    }

    /// The Workbench client, or an error diagnostic saying what to configure.
    pub fn workbench(&self, diags: &mut Diagnostics) -> Option<&WorkbenchClient> {
        match &self.clients(diags)?.workbench {
            Ok(workbench) => Some(workbench),
            Err(why) => {
                diags.root_error(why.summary.clone(), why.detail.clone());
                None
            }
        }
    }
}

/// The `expel` provider.
#[derive(Debug, Default)]
pub struct ExpelProvider {
    data: ProviderData,
}

impl ExpelProvider {
    /// A provider waiting to be configured.
    pub fn new() -> Self {
        Self::default()
    }
}

fn schema_attribute(spec: &config::AttributeSpec) -> Attribute {
    Attribute {
        attr_type: match spec.kind {
            Kind::Text => AttributeType::String,
            Kind::Flag => AttributeType::Bool,
        },
        description: Description::markdown(format!(
            "{} Environment variable: `{}`.",
            spec.description, spec.env
        )),
        constraint: AttributeConstraint::Optional,
        sensitive: spec.sensitive,
        deprecated: false,
    }
}

#[async_trait]
impl Provider for ExpelProvider {
    type Config<'a> = ProviderConfig;
    type MetaState<'a> = tf_provider::value::ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(Schema {
            version: 0,
            block: Block {
                version: 0,
                attributes: ATTRIBUTES
                    .iter()
                    .map(|spec| (spec.name.to_owned(), schema_attribute(spec)))
                    .collect(),
                description: Description::markdown(
                    "Enables Expel's Microsoft 365 auto remediations: Entra ID permissions and roles through Microsoft Graph, context lists through Expel Workbench.",
                ),
                ..Default::default()
            },
        })
    }

    fn meta_schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(Schema {
            version: 0,
            block: Block {
                version: 0,
                ..Default::default()
            },
        })
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: ProviderConfig) -> Option<()> {
        // Only what the HCL itself says; the environment is consulted at configure time.
        for (name, value) in [
            ("graph_endpoint", &config.graph_endpoint),
            ("authority_host", &config.authority_host),
            ("workbench_url", &config.workbench_url),
        ] {
            if let Some(url) = value.as_ref_option().filter(|u| !u.is_empty()) {
                if let Err(err) = config::validate_endpoint(name, url) {
                    diagnostics::config_error(diags, &err);
                }
            }
        }
        Some(())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        _terraform_version: String,
        config: ProviderConfig,
    ) -> Option<()> {
        let settings = match Settings::resolve(&config, &|name| std::env::var(name).ok()) {
            Ok(settings) => settings,
            Err(errors) => {
                for err in &errors {
                    diagnostics::config_error(diags, err);
                }
                return None;
            }
        };
        let http = match crate::http::client() {
            Ok(http) => http,
            Err(err) => {
                diags.root_error("Could not start the HTTP client", err.to_string());
                return None;
            }
        };
        let retry = RetryPolicy::default();
        let graph = match settings.graph {
            Ok(graph) => {
                let kind = graph.entra.credential.kind();
                match TokenSource::new(graph.entra, http.clone()) {
                    Ok(tokens) => GraphClient::new(
                        http.clone(),
                        &graph.endpoint,
                        Arc::new(tokens),
                        retry.clone(),
                    )
                    .map_err(|err| Unavailable {
                        summary: "The Microsoft Graph endpoint cannot be used".to_owned(),
                        detail: format!("{err}; set graph_endpoint (EXPEL_GRAPH_ENDPOINT) to an https:// URL such as https://graph.microsoft.com."),
                    }),
                    Err(err) => {
                        let attribute = match err {
                            crate::graph::auth::AuthError::Certificate { .. } => {
                                "client_certificate_path"
                            }
                            _ => "client_id",
                        };
                        diags.error(
                            format!("Cannot sign in to Microsoft Entra ID with the {kind}"),
                            err.to_string(),
                            AttributePath::new(attribute),
                        );
                        return None;
                    }
                }
            }
            Err(why) => Err(why),
        };
        let workbench = settings.workbench.and_then(|wb| {
            WorkbenchClient::new(
                http.clone(),
                &wb.url,
                wb.api_key,
                wb.organization_id,
                retry.clone(),
            )
            .map_err(|err| Unavailable {
                summary: "The Workbench URL cannot be used".to_owned(),
                detail: format!("{err}; set workbench_url (EXPEL_WORKBENCH_URL) to an https:// URL such as https://workbench.expel.io."),
            })
        });
        if self
            .data
            .0
            .clients
            .set(Clients { graph, workbench })
            .is_err()
        {
            diags.root_warning(
                "The expel provider was configured twice",
                "The first configuration stays in effect.",
            );
        }
        Some(())
    }

    // tf-provider prefixes these names with the provider's, giving `expel_role_assignment` etc.
    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        let mut resources: HashMap<String, Box<dyn DynamicResource>> = HashMap::new();
        resources.insert(
            "context_list".into(),
            crate::resources::context_list::ContextListResource::new(self.data.clone()).into(),
        );
        resources.insert(
            "remediation_permissions".into(),
            crate::resources::remediation_permissions::RemediationPermissionsResource::new(
                self.data.clone(),
            )
            .into(),
        );
        resources.insert(
            "role_assignment".into(),
            crate::resources::role_assignment::RoleAssignmentResource::new(self.data.clone())
                .into(),
        );
        Some(resources)
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        let mut sources: HashMap<String, Box<dyn DynamicDataSource>> = HashMap::new();
        sources.insert(
            "context_list".into(),
            crate::data_sources::context_list::ContextListDataSource::new(self.data.clone()).into(),
        );
        sources.insert(
            "service_principal".into(),
            crate::data_sources::service_principal::ServicePrincipalDataSource::new(
                self.data.clone(),
            )
            .into(),
        );
        Some(sources)
    }
}
