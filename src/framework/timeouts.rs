//! The `timeouts { create = "10m" … }` block every resource has: how long each operation may
//! retry and wait before it stops, saying what it was waiting for.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tf_provider::schema::{Block, Description, NestedBlock};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use super::schema;
use crate::http::deadline;

/// The block's name in configurations.
pub const BLOCK: &str = "timeouts";

/// A resource operation with a timeout of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Creating (including adopting an identical existing object).
    Create,
    /// Refreshing.
    Read,
    /// Updating in place.
    Update,
    /// Destroying.
    Delete,
}

impl Operation {
    /// Every operation, in the order the block documents them.
    pub const ALL: [Operation; 4] = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Delete,
    ];

    /// The attribute name inside the block.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }

    /// The limit when the block does not set one (those of terraform-provider-azuread).
    pub fn default_limit(self) -> Duration {
        match self {
            Operation::Create | Operation::Update => Duration::from_secs(10 * 60),
            Operation::Read | Operation::Delete => Duration::from_secs(5 * 60),
        }
    }

    fn advice(self) -> String {
        let setting = format!("{BLOCK}.{}", self.name());
        match self {
            Operation::Create | Operation::Update => format!(
                "Nothing done so far is lost: run terraform apply again (an object this run created is found and adopted), or raise {setting}."
            ),
            Operation::Read => format!("Run the command again, or raise {setting}."),
            Operation::Delete => format!(
                "The object may still exist: run terraform destroy (or apply) again, or raise {setting}."
            ),
        }
    }
}

/// The `timeouts` block as configured: a duration such as `30s`, `10m` or `1h30m` per
/// operation, each optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Timeouts {
    /// Limit for create.
    #[serde(default)]
    pub create: Value<String>,
    /// Limit for read (refresh).
    #[serde(default)]
    pub read: Value<String>,
    /// Limit for in-place updates.
    #[serde(default)]
    pub update: Value<String>,
    /// Limit for delete.
    #[serde(default)]
    pub delete: Value<String>,
}

impl Timeouts {
    fn setting(&self, operation: Operation) -> &Value<String> {
        match operation {
            Operation::Create => &self.create,
            Operation::Read => &self.read,
            Operation::Update => &self.update,
            Operation::Delete => &self.delete,
        }
    }
}

/// The block's schema: at most one `timeouts` block.
pub fn block() -> NestedBlock {
    let attributes = Operation::ALL
        .iter()
        .map(|operation| {
            let description = format!(
                "How long {} may take, retries and replication waits included, as a duration such as `30s`, `10m` or `1h30m`. Default `{}`.",
                operation.name(),
                humantime::format_duration(operation.default_limit()),
            );
            (
                operation.name().to_owned(),
                schema::optional_string(&description),
            )
        })
        .collect();
    NestedBlock::Optional(Block {
        version: 0,
        attributes,
        description: Description::markdown(
            "How long each operation may take before it stops retrying and reports what it was waiting for.",
        ),
        ..Default::default()
    })
}

fn path(operation: Operation) -> AttributePath {
    AttributePath::new(BLOCK)
        .index(0)
        .attribute(operation.name())
}

fn parse(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text.trim()) {
        Ok(limit) if !limit.is_zero() => Ok(limit),
        Ok(_) => Err("a timeout must be longer than zero".to_owned()),
        Err(err) => Err(err.to_string()),
    }
}

/// How long `operation` may take under `timeouts`, or an error on the setting that is not a
/// duration.
pub fn limit(
    timeouts: &Value<Timeouts>,
    operation: Operation,
    diags: &mut Diagnostics,
) -> Option<Duration> {
    let Value::Value(timeouts) = timeouts else {
        return Some(operation.default_limit());
    };
    let Value::Value(text) = timeouts.setting(operation) else {
        return Some(operation.default_limit());
    };
    match parse(text) {
        Ok(limit) => Some(limit),
        Err(reason) => {
            diags.error(
                format!("Invalid {BLOCK}.{}", operation.name()),
                format!(
                    "{BLOCK}.{} is {text:?}: {reason}. Use a duration such as \"30s\", \"10m\" or \"1h30m\".",
                    operation.name()
                ),
                path(operation),
            );
            None
        }
    }
}

/// Reports every setting of the block that is not a positive duration.
pub fn validate(timeouts: &Value<Timeouts>, diags: &mut Diagnostics) {
    for operation in Operation::ALL {
        let _ = limit(timeouts, operation, diags);
    }
}

/// An operation stopped by its timeout.
#[derive(Debug)]
pub struct TimedOut {
    resource: &'static str,
    operation: Operation,
    limit: Duration,
    waiting_for: String,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{BLOCK}.{} ({}) ran out while waiting for {}.",
            self.operation.name(),
            humantime::format_duration(self.limit),
            self.waiting_for
        )
    }
}

impl TimedOut {
    /// Reports the timeout as an error diagnostic; returns the `None` the operation yields.
    pub fn report<T>(self, diags: &mut Diagnostics) -> Option<T> {
        diags.root_error(
            format!(
                "{} {} timed out after {}",
                self.resource,
                self.operation.name(),
                humantime::format_duration(self.limit)
            ),
            format!("{self}\n\n{}", self.operation.advice()),
        );
        None
    }
}

/// Runs `work`, the `operation` of `resource`, within `limit`: past it `work` is dropped,
/// which stops its retries and waits.
pub async fn run<T>(
    resource: &'static str,
    operation: Operation,
    limit: Duration,
    work: impl Future<Output = Option<T>>,
) -> Result<Option<T>, TimedOut> {
    deadline::within(limit, work)
        .await
        .map_err(|elapsed| TimedOut {
            resource,
            operation,
            limit,
            waiting_for: elapsed.waiting_for,
        })
}

/// Serde for a `timeouts` field in a state shared with a data source, which has no such
/// block: `None` (the data source) writes nothing; `Some` is the resource's block.
pub mod shared_state {
    use serde::{Deserializer, Serializer};
    use tf_provider::value::{serde_as_vec, Value};

    use super::Timeouts;

    /// Writes the block when the state has one.
    pub fn serialize<S: Serializer>(
        timeouts: &Option<Value<Timeouts>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match timeouts {
            Some(block) => serde_as_vec::serialize(block, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads the block (only called when Terraform sent one).
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Value<Timeouts>>, D::Error> {
        serde_as_vec::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn with(create: &str) -> Value<Timeouts> {
        Value::Value(Timeouts {
            create: Value::Value(create.to_owned()),
            ..Default::default()
        })
    }

    #[test]
    fn an_absent_block_gives_every_default() {
        let mut diags = Diagnostics::default();
        for operation in Operation::ALL {
            assert_eq!(
                limit(&Value::Null, operation, &mut diags),
                Some(operation.default_limit())
            );
        }
        assert!(diags.errors.is_empty());
    }

    #[test]
    fn unset_settings_fall_back_to_their_default() {
        let mut diags = Diagnostics::default();
        assert_eq!(
            limit(&with("2m"), Operation::Delete, &mut diags),
            Some(Operation::Delete.default_limit())
        );
    }

    #[test]
    fn go_style_durations_are_understood() {
        for (text, seconds) in [("30s", 30), ("10m", 600), ("1h30m", 5400), ("2h", 7200)] {
            let mut diags = Diagnostics::default();
            assert_eq!(
                limit(&with(text), Operation::Create, &mut diags),
                Some(Duration::from_secs(seconds)),
                "{text}"
            );
        }
    }

    #[test]
    fn a_setting_that_is_not_a_duration_is_named_with_the_fix() {
        for bad in ["5 minutes please", "ten", "0s", "-1m", ""] {
            let mut diags = Diagnostics::default();
            assert_eq!(limit(&with(bad), Operation::Create, &mut diags), None);
            assert_eq!(diags.errors.len(), 1, "{bad}");
            assert_eq!(diags.errors[0].attribute, path(Operation::Create));
            assert!(diags.errors[0].detail.contains("\"10m\""), "{bad}");
        }
    }

    #[test]
    fn unknown_settings_are_not_validated() {
        let mut diags = Diagnostics::default();
        let timeouts = Value::Value(Timeouts {
            create: Value::Unknown,
            ..Default::default()
        });
        validate(&timeouts, &mut diags);
        assert!(diags.errors.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn an_operation_past_its_limit_reports_what_it_waited_for() {
        let outcome: Result<Option<()>, _> = run(
            "expel_context_list",
            Operation::Delete,
            Duration::from_secs(3),
            async {
                deadline::waiting_for(|| "Expel Workbench to answer DELETE /x".into());
                std::future::pending().await
            },
        )
        .await;
        let mut diags = Diagnostics::default();
        let _: Option<()> = outcome.unwrap_err().report(&mut diags);
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(
            diags.errors[0].summary,
            "expel_context_list delete timed out after 3s"
        );
        let detail = &diags.errors[0].detail;
        assert!(detail.contains("timeouts.delete (3s) ran out while waiting for Expel Workbench to answer DELETE /x"), "{detail}");
        assert!(detail.contains("raise timeouts.delete"), "{detail}");
    }
}
