//! `expel_security_device` data source: one Workbench security device of the organization, by
//! `id`, `name` or `vendor`, so configurations need not hunt for the ids that
//! `expel_auto_remediation.security_device_ids` takes.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics};

use crate::framework::diagnostics::workbench_error;
use crate::framework::{schema, ProviderData};
use crate::workbench::SecurityDevice;

/// The data source.
#[derive(Debug)]
pub struct SecurityDeviceDataSource {
    data: ProviderData,
}

impl SecurityDeviceDataSource {
    /// A data source reading through the provider's clients.
    pub fn new(data: ProviderData) -> Self {
        Self { data }
    }
}

/// The data source's state.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    /// Device id.
    #[serde(default)]
    pub id: Value<String>,
    /// Device name.
    #[serde(default)]
    pub name: Value<String>,
    /// Vendor, by name or display name.
    #[serde(default)]
    pub vendor: Value<String>,
    /// The vendor's name as Workbench shows it.
    #[serde(default)]
    pub vendor_display_name: Value<String>,
    /// `ENDPOINT`, `NETWORK`, `SIEM`, `OTHER` or `CLOUD`.
    #[serde(default)]
    pub device_type: Value<String>,
    /// Health status.
    #[serde(default)]
    pub status: Value<String>,
    /// The owning organization.
    #[serde(default)]
    pub organization_id: Value<String>,
}

/// The spellings of Microsoft 365 that `vendor` accepts for the organization's Microsoft 365
/// device, whatever Workbench calls its vendor.
const MICROSOFT_365_ALIASES: &[&str] = &[
    "microsoft_365",
    "microsoft 365",
    "office 365",
    "o365",
    "m365",
];

/// Whether `device` is of the vendor the user named.
fn of_vendor(device: &SecurityDevice, wanted: &str) -> bool {
    if MICROSOFT_365_ALIASES
        .iter()
        .any(|alias| alias.eq_ignore_ascii_case(wanted.trim()))
        && device.is_microsoft_365()
    {
        return true;
    }
    device.vendor.as_ref().is_some_and(|v| {
        [&v.name, &v.display_name]
            .into_iter()
            .flatten()
            .any(|n| n.eq_ignore_ascii_case(wanted.trim()))
    })
}

/// Whether `device` fits every criterion the configuration sets.
fn matches(device: &SecurityDevice, config: &State) -> bool {
    config.id.as_ref_option().is_none_or(|id| &device.id == id)
        && config
            .name
            .as_ref_option()
            .is_none_or(|n| &device.name == n)
        && config
            .vendor
            .as_ref_option()
            .is_none_or(|v| of_vendor(device, v))
}

/// The state of a device, keeping the configured `vendor` spelling.
fn state_of(device: SecurityDevice, config: &State) -> State {
    let vendor = device.vendor.clone();
    State {
        vendor: config
            .vendor
            .as_ref_option()
            .cloned()
            .or_else(|| vendor.as_ref().and_then(|v| v.name.clone()))
            .into(),
        vendor_display_name: vendor.and_then(|v| v.display_name).into(),
        id: Value::Value(device.id),
        name: Value::Value(device.name),
        device_type: device.device_type.into(),
        status: device.status.into(),
        organization_id: device.organization_id.into(),
    }
}

/// What to look for: `None` while a criterion is unknown.
fn criteria(config: &State, diags: &mut Diagnostics) -> Option<bool> {
    let all = [&config.id, &config.name, &config.vendor];
    if all.iter().any(|v| v.is_unknown()) {
        return Some(false);
    }
    if all.iter().all(|v| v.is_null()) {
        diags.root_error(
            "Set id, name or vendor",
            "The device is looked up by its id, its name, its vendor (e.g. vendor = \"microsoft_365\"), or name and vendor together.",
        );
        return None;
    }
    Some(true)
}

#[async_trait]
impl DataSource for SecurityDeviceDataSource {
    type State<'a> = State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        let lookup = |d| {
            schema::typed(
                AttributeType::String,
                AttributeConstraint::OptionalComputed,
                d,
            )
        };
        Some(schema::data_source(
            "Reads one Workbench security device of the organization by id, name or vendor, e.g. the Microsoft 365 device an auto remediation runs on.",
            [
                ("id", lookup("Device id.")),
                ("name", lookup("Device name, exactly as in Workbench.")),
                ("vendor", lookup("Vendor name or display name (any letter case); `microsoft_365` finds the organization's Microsoft 365 device whatever Workbench calls the vendor. Exactly one device must match.")),
                ("vendor_display_name", schema::computed_string("The vendor's name as Workbench shows it.")),
                ("device_type", schema::computed_string("`ENDPOINT`, `NETWORK`, `SIEM`, `OTHER` or `CLOUD`.")),
                ("status", schema::computed_string("`healthy`, `unhealthy` or `health_checks_not_supported`.")),
                ("organization_id", schema::computed_string("The owning Workbench organization.")),
            ],
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: State) -> Option<()> {
        criteria(&config, diags).map(drop)
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<State> {
        if !criteria(&config, diags)? {
            return None;
        }
        let workbench = self.data.workbench(diags)?;
        let devices = match workbench.list_security_devices().await {
            Ok(devices) => devices,
            Err(err) => {
                workbench_error(
                    diags,
                    "listing the organization's security devices",
                    &err,
                    None,
                );
                return None;
            }
        };
        let names: Vec<String> = devices
            .iter()
            .map(|d| {
                let vendor = d
                    .vendor
                    .as_ref()
                    .and_then(|v| v.display_name.clone().or(v.name.clone()));
                format!(
                    "{:?} ({})",
                    d.name,
                    vendor.unwrap_or_else(|| "no vendor".into())
                )
            })
            .collect();
        let mut found: Vec<SecurityDevice> = devices
            .into_iter()
            .filter(|d| matches(d, &config))
            .collect();
        let attribute = if config.name.is_null() {
            "vendor"
        } else {
            "name"
        };
        match found.len() {
            1 => Some(state_of(found.remove(0), &config)),
            0 => {
                diags.error(
                    "No such security device",
                    format!(
                        "No device of the organization matches. Devices: {}.",
                        if names.is_empty() {
                            "none".to_owned()
                        } else {
                            names.join(", ")
                        }
                    ),
                    AttributePath::new(attribute),
                );
                None
            }
            n => {
                let matched: Vec<String> = found
                    .iter()
                    .map(|d| format!("{:?} ({})", d.name, d.id))
                    .collect();
                diags.error(
                    format!("{n} security devices match"),
                    format!("{}. Add name (or use id) to pick one.", matched.join(", ")),
                    AttributePath::new(attribute),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workbench::Vendor;

    fn device(name: &str, vendor: &str, display: &str) -> SecurityDevice {
        SecurityDevice {
            id: format!("id-{name}"),
            name: name.into(),
            device_type: Some("CLOUD".into()),
            status: Some("healthy".into()),
            organization_id: Some("o".into()),
            vendor: Some(Vendor {
                id: "v".into(),
                name: Some(vendor.into()),
                display_name: Some(display.into()),
            }),
        }
    }

    fn by_vendor(vendor: &str) -> State {
        State {
            vendor: Value::Value(vendor.into()),
            ..State::default()
        }
    }

    #[test]
    fn vendors_match_by_name_display_name_or_the_microsoft_365_alias() {
        let m365 = device("Contoso M365", "o365", "Microsoft 365");
        for wanted in ["o365", "microsoft 365", "microsoft_365", "M365"] {
            assert!(matches(&m365, &by_vendor(wanted)), "{wanted}");
        }
        let falcon = device("Falcon", "crowdstrike", "CrowdStrike");
        assert!(!matches(&falcon, &by_vendor("microsoft_365")));
        assert!(matches(&falcon, &by_vendor("CrowdStrike")));
    }

    #[test]
    fn name_and_vendor_together_must_both_match() {
        let config = State {
            name: Value::Value("Falcon".into()),
            ..by_vendor("microsoft_365")
        };
        assert!(!matches(
            &device("Falcon", "crowdstrike", "CrowdStrike"),
            &config
        ));
    }

    #[test]
    fn a_lookup_needs_a_criterion() {
        let mut diags = Diagnostics::default();
        assert_eq!(criteria(&State::default(), &mut diags), None);
        assert!(diags.errors[0].detail.contains("vendor"));
    }

    #[test]
    fn the_state_keeps_the_configured_vendor_spelling() {
        let state = state_of(
            device("M", "o365", "Microsoft 365"),
            &by_vendor("microsoft_365"),
        );
        assert_eq!(state.vendor, Value::Value("microsoft_365".into()));
        assert_eq!(
            state.vendor_display_name,
            Value::Value("Microsoft 365".into())
        );
    }
}
