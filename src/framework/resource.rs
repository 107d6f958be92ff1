//! The one shape of a resource, and the one adapter that serves it to Terraform.
//!
//! A resource file implements [`ResourceType`]: its model, schema, import ID, validation,
//! plans, then create, read, update and delete as plain async functions. [`Managed`] adds what
//! every resource needs the same way: a null state is a bug report, not a panic; each
//! operation runs under its `timeouts` setting and says what it was waiting for when that runs
//! out; plan of a destroy keeps the private state.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tf_provider::schema::{Attribute, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use super::timeouts::{self, Operation, Timeouts};
use super::{present, schema};

/// A Terraform resource type, written in the house order: model, schema, import ID, validate,
/// plan, create, read, update, delete.
#[async_trait]
pub trait ResourceType: Send + Sync + 'static {
    /// The resource's state as a struct.
    type Model: Serialize + DeserializeOwned + Send + Sync;
    /// What the resource keeps in private state.
    type Private: Serialize + DeserializeOwned + Default + Send;

    /// The type name, e.g. `expel_role_assignment`, for messages.
    const NAME: &'static str;

    /// The schema.
    fn schema(&self) -> Schema;

    /// The `timeouts` block of a state.
    fn timeouts(model: &Self::Model) -> &Value<Timeouts>;

    /// The state an import ID stands for (read fills in the rest), or an error diagnostic.
    async fn import(&self, diags: &mut Diagnostics, id: &str) -> Option<Self::Model>;

    /// Checks what can be checked without the APIs.
    fn validate(&self, diags: &mut Diagnostics, config: &Self::Model);

    /// Plans a new object.
    async fn plan_create(
        &self,
        diags: &mut Diagnostics,
        proposed: Self::Model,
        config: Self::Model,
    ) -> Option<(Self::Model, Self::Private)>;

    /// Plans a change: the planned state and the attributes that force replacement.
    async fn plan_update(
        &self,
        diags: &mut Diagnostics,
        prior: Self::Model,
        proposed: Self::Model,
        config: Self::Model,
        private: Self::Private,
    ) -> Option<(Self::Model, Self::Private, Vec<AttributePath>)>;

    /// Creates the object (within the create timeout).
    async fn create(
        &self,
        diags: &mut Diagnostics,
        planned: Self::Model,
        private: Self::Private,
    ) -> Option<(Self::Model, Self::Private)>;

    /// Refreshes the object (within the read timeout); `None` inside means it is gone.
    async fn read(
        &self,
        diags: &mut Diagnostics,
        state: Self::Model,
        private: Self::Private,
    ) -> Option<(Option<Self::Model>, Self::Private)>;

    /// Changes the object in place (within the update timeout).
    async fn update(
        &self,
        diags: &mut Diagnostics,
        prior: Self::Model,
        planned: Self::Model,
        private: Self::Private,
    ) -> Option<(Self::Model, Self::Private)>;

    /// Deletes the object (within the delete timeout).
    async fn delete(
        &self,
        diags: &mut Diagnostics,
        prior: Self::Model,
        private: Self::Private,
    ) -> Option<()>;
}

/// A resource's schema (version 0): its attributes, described, plus the `timeouts` block.
pub fn resource_schema(
    description: &str,
    attributes: impl IntoIterator<Item = (&'static str, Attribute)>,
) -> Schema {
    let mut schema = schema::data_source(description, attributes);
    schema.block.blocks = [(timeouts::BLOCK.to_owned(), timeouts::block())].into();
    schema
}

/// A [`ResourceType`] served to Terraform.
#[derive(Debug)]
pub struct Managed<R>(pub R);

/// How long `operation` of `model` may take, or an error on the setting that is not a duration.
fn limit<R: ResourceType>(
    model: &R::Model,
    operation: Operation,
    diags: &mut Diagnostics,
) -> Option<std::time::Duration> {
    timeouts::limit(R::timeouts(model), operation, diags)
}

#[async_trait]
impl<R: ResourceType> Resource for Managed<R> {
    type State<'a> = Option<R::Model>;
    type PrivateState<'a> = R::Private;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(self.0.schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Option<R::Model>) -> Option<()> {
        let config = present(config, diags)?;
        self.0.validate(diags, &config);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Option<R::Model>,
        private: R::Private,
        _meta: ValueEmpty,
    ) -> Option<(Option<R::Model>, R::Private)> {
        let state = present(state, diags)?;
        let limit = limit::<R>(&state, Operation::Read, diags)?;
        timeouts::run(
            R::NAME,
            Operation::Read,
            limit,
            self.0.read(diags, state, private),
        )
        .await
        .unwrap_or_else(|timed_out| timed_out.report(diags))
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed: Option<R::Model>,
        config: Option<R::Model>,
        _meta: ValueEmpty,
    ) -> Option<(Option<R::Model>, R::Private)> {
        let proposed = present(proposed, diags)?;
        let config = present(config, diags)?;
        let (planned, private) = self.0.plan_create(diags, proposed, config).await?;
        Some((Some(planned), private))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: Option<R::Model>,
        proposed: Option<R::Model>,
        config: Option<R::Model>,
        private: R::Private,
        _meta: ValueEmpty,
    ) -> Option<(Option<R::Model>, R::Private, Vec<AttributePath>)> {
        let prior = present(prior, diags)?;
        let proposed = present(proposed, diags)?;
        let config = present(config, diags)?;
        let (planned, private, replace) = self
            .0
            .plan_update(diags, prior, proposed, config, private)
            .await?;
        Some((Some(planned), private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: Option<R::Model>,
        private: R::Private,
        _meta: ValueEmpty,
    ) -> Option<R::Private> {
        Some(private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: Option<R::Model>,
        _config: Option<R::Model>,
        private: R::Private,
        _meta: ValueEmpty,
    ) -> Option<(Option<R::Model>, R::Private)> {
        let planned = present(planned, diags)?;
        let limit = limit::<R>(&planned, Operation::Create, diags)?;
        let work = self.0.create(diags, planned, private);
        let (created, private) = timeouts::run(R::NAME, Operation::Create, limit, work)
            .await
            .unwrap_or_else(|timed_out| timed_out.report(diags))?;
        Some((Some(created), private))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: Option<R::Model>,
        planned: Option<R::Model>,
        _config: Option<R::Model>,
        private: R::Private,
        _meta: ValueEmpty,
    ) -> Option<(Option<R::Model>, R::Private)> {
        let prior = present(prior, diags)?;
        let planned = present(planned, diags)?;
        let limit = limit::<R>(&planned, Operation::Update, diags)?;
        let work = self.0.update(diags, prior, planned, private);
        let (updated, private) = timeouts::run(R::NAME, Operation::Update, limit, work)
            .await
            .unwrap_or_else(|timed_out| timed_out.report(diags))?;
        Some((Some(updated), private))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: Option<R::Model>,
        private: R::Private,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let prior = present(prior, diags)?;
        let limit = limit::<R>(&prior, Operation::Delete, diags)?;
        timeouts::run(
            R::NAME,
            Operation::Delete,
            limit,
            self.0.delete(diags, prior, private),
        )
        .await
        .unwrap_or_else(|timed_out| timed_out.report(diags))
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Option<R::Model>, R::Private)> {
        let model = self.0.import(diags, &id).await?;
        Some((Some(model), R::Private::default()))
    }
}
