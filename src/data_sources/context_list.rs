//! `expel_context_list` data source: reads an existing Workbench context list by `name` or `id`.

use async_trait::async_trait;
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics};

use crate::framework::diagnostics::workbench_error;
use crate::framework::{schema, ProviderData};
use crate::resources::context_list::{attributes, lookup, state_of, ImportId, State};

/// The data source.
#[derive(Debug)]
pub struct ContextListDataSource {
    data: ProviderData,
}

impl ContextListDataSource {
    /// A data source reading through the provider's clients.
    pub fn new(data: ProviderData) -> Self {
        Self { data }
    }
}

fn wanted(config: &State, diags: &mut Diagnostics) -> Option<Option<ImportId>> {
    match (&config.id, &config.name) {
        (Value::Unknown, _) | (_, Value::Unknown) => Some(None),
        (Value::Value(id), Value::Null) => Some(Some(ImportId::Id(id.clone()))),
        (Value::Null, Value::Value(name)) => Some(Some(ImportId::Name(name.clone()))),
        (Value::Value(_), Value::Value(_)) => {
            diags.error(
                "Set only one of id and name",
                "The list is looked up by exactly one of id or name.",
                AttributePath::new("name"),
            );
            None
        }
        (Value::Null, Value::Null) => {
            diags.root_error(
                "Set id or name",
                "The list is looked up by exactly one of id or name.",
            );
            None
        }
    }
}

#[async_trait]
impl DataSource for ContextListDataSource {
    type State<'a> = State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema::data_source(
            "Reads a Workbench organization context list by name or id.",
            attributes(false),
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: State) -> Option<()> {
        wanted(&config, diags).map(|_| ())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<State> {
        let id = wanted(&config, diags)??;
        let workbench = self.data.workbench(diags)?;
        match lookup(workbench, &id).await {
            Ok(Some(list)) => Some(state_of(list)),
            Ok(None) => {
                let attribute = if matches!(id, ImportId::Name(_)) {
                    "name"
                } else {
                    "id"
                };
                diags.error(
                    format!("No context list {id}"),
                    "Check the name or id in Workbench (Settings > Org context).",
                    AttributePath::new(attribute),
                );
                None
            }
            Err(err) => {
                workbench_error(diags, &format!("reading context list {id}"), &err, None);
                None
            }
        }
    }
}
