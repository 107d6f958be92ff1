//! The `expel` provider: its schema, its configure step, and the clients it hands to
//! resources and data sources.

pub mod config;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, Schema,
};
use tf_provider::{AttributePath, Diagnostics, DynamicDataSource, DynamicResource, Provider};

use crate::data_sources::remediation_readiness::RemediationReadinessDataSource;
use crate::data_sources::security_device::SecurityDeviceDataSource;
use crate::data_sources::{
    context_list::ContextListDataSource, service_principal::ServicePrincipalDataSource,
};
use crate::framework::resource::Managed;
use crate::framework::{Clients, ProviderData, Unavailable};
use crate::graph::auth::TokenSource;
use crate::graph::GraphClient;
use crate::http::RetryPolicy;
use crate::resources::auto_remediation::AutoRemediationResource;
use crate::resources::{
    context_list::ContextListResource, remediation_permissions::RemediationPermissionsResource,
    role_assignment::RoleAssignmentResource,
};
use crate::workbench::WorkbenchClient;
use config::{ConfigError, Kind, ProviderConfig, Settings, ATTRIBUTES};

/// Reports a configuration problem on its attribute.
fn config_error(diags: &mut Diagnostics, err: &ConfigError) {
    match err.attribute() {
        Some(attribute) => diags.error(err.summary(), err.detail(), AttributePath::new(attribute)),
        None => diags.root_error(err.summary(), err.detail()),
    }
}

/// Why the clients could not be built at all (a side that merely lacks settings is
/// [`Unavailable`] inside [`Clients`] instead).
#[derive(Debug, thiserror::Error)]
#[error("{summary}: {detail}")]
pub struct BuildError {
    /// One line.
    pub summary: String,
    /// What went wrong and what to do.
    pub detail: String,
    /// The provider attribute to fix, if one is to blame.
    pub attribute: Option<&'static str>,
}

/// Builds the Graph and Workbench clients from resolved settings: what `configure` hands to
/// resources, and what `terraform-provider-expel discover` reads the tenant with.
pub fn build_clients(settings: Settings) -> Result<Clients, BuildError> {
    let http = crate::http::client().map_err(|err| BuildError {
        summary: "Could not start the HTTP client".to_owned(),
        detail: err.to_string(),
        attribute: None,
    })?;
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
                    return Err(BuildError {
                        summary: format!("Cannot sign in to Microsoft Entra ID with the {kind}"),
                        detail: err.to_string(),
                        attribute: Some(attribute),
                    });
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
    Ok(Clients { graph, workbench })
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
                    config_error(diags, &err);
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
                    config_error(diags, err);
                }
                return None;
            }
        };
        let clients = match build_clients(settings) {
            Ok(clients) => clients,
            Err(err) => {
                match err.attribute {
                    Some(attribute) => {
                        diags.error(err.summary, err.detail, AttributePath::new(attribute))
                    }
                    None => diags.root_error(err.summary, err.detail),
                }
                return None;
            }
        };
        if !self.data.configure(clients) {
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
        let data = &self.data;
        let resources: Vec<(&str, Box<dyn DynamicResource>)> = vec![
            (
                "auto_remediation",
                Managed(AutoRemediationResource::new(data.clone())).into(),
            ),
            (
                "context_list",
                Managed(ContextListResource::new(data.clone())).into(),
            ),
            (
                "remediation_permissions",
                Managed(RemediationPermissionsResource::new(data.clone())).into(),
            ),
            (
                "role_assignment",
                Managed(RoleAssignmentResource::new(data.clone())).into(),
            ),
        ];
        Some(
            resources
                .into_iter()
                .map(|(name, r)| (name.to_owned(), r))
                .collect(),
        )
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        let data = &self.data;
        let sources: Vec<(&str, Box<dyn DynamicDataSource>)> = vec![
            (
                "security_device",
                SecurityDeviceDataSource::new(data.clone()).into(),
            ),
            (
                "context_list",
                ContextListDataSource::new(data.clone()).into(),
            ),
            (
                "service_principal",
                ServicePrincipalDataSource::new(data.clone()).into(),
            ),
            (
                "remediation_readiness",
                RemediationReadinessDataSource::new(data.clone()).into(),
            ),
        ];
        Some(
            sources
                .into_iter()
                .map(|(name, s)| (name.to_owned(), s))
                .collect(),
        )
    }
}
