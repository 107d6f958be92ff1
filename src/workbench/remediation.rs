//! Auto remediation settings (`remediation_action_settings`), the context lists linked to them,
//! and security devices: typed calls and domain types.
//!
//! The public schema leaves two things open (see shared/reference/workbench-api.md, "Auto
//! remediation settings"). Whether a setting exists per organization before anyone opts in is
//! met by looking it up first and creating it only when none exists
//! ([`WorkbenchClient::create_remediation_setting`], which Workbench may refuse). How a chosen
//! context list is linked is decided in one place, [`WorkbenchClient::link_list`], with its
//! reading beside it; [`WorkbenchClient::linked_lists`] and [`WorkbenchClient::unlink_list`]
//! are its mirror images.

use reqwest::Method;
use serde_json::{json, Value};
use url::Url;

use super::types::Resource;
use super::{decode, Document, WorkbenchClient, WorkbenchError};

const SETTINGS: &[&str] = &["api", "v2", "remediation_action_settings"];
const LIST_SOURCES: &[&str] = &["api", "v2", "remediation_action_setting_list_sources"];
const CONTEXT_LABELS: &[&str] = &["api", "v2", "context_labels"];
const SECURITY_DEVICES: &[&str] = &["api", "v2", "security_devices"];

/// The agreement version Workbench records when an organization opts in.
pub const AGREEMENT_VERSION: &str = "V1";

/// The description of the context labels this provider makes to link a list, so it deletes
/// only those when it unlinks.
pub const MANAGED_LABEL_DESCRIPTION: &str =
    "Links a context list to an auto remediation; managed by Terraform (expel_auto_remediation).";

/// What a setting's lists name (`automate_list_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListType {
    /// `DENY`: the "Never …" lists; everything else is remediated.
    Deny,
    /// `ALLOW`: the "Always … / only these" lists; nothing else is remediated.
    Allow,
}

impl ListType {
    /// Workbench's spelling.
    pub fn as_wire(self) -> &'static str {
        match self {
            ListType::Deny => "DENY",
            ListType::Allow => "ALLOW",
        }
    }

    fn from_wire(text: &str) -> Option<Self> {
        match text {
            "DENY" => Some(ListType::Deny),
            "ALLOW" => Some(ListType::Allow),
            _ => None,
        }
    }
}

/// An organization's setting for one remediation action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemediationSetting {
    /// Setting id.
    pub id: String,
    /// The action, e.g. `RESET_CREDENTIALS_O365`.
    pub action_type: String,
    /// Opted in to automated remediation.
    pub opted_in: bool,
    /// When it was opted in.
    pub opted_in_at: Option<String>,
    /// What its lists name; `None` when it uses no list.
    pub list_type: Option<ListType>,
    /// Owning organization, when Workbench says.
    pub organization_id: Option<String>,
    /// The security devices it runs on.
    pub security_device_ids: Vec<String>,
}

/// What to change on a setting; `None` leaves an attribute as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingChange {
    /// Opt in (with [`AGREEMENT_VERSION`]) or out.
    pub opted_in: Option<bool>,
    /// The list type (`Some(None)` clears it).
    pub list_type: Option<Option<ListType>>,
    /// The security devices, replacing the current ones.
    pub security_device_ids: Option<Vec<String>>,
}

impl SettingChange {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self == &SettingChange::default()
    }
}

/// A context list linked to a setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListLink {
    /// The `remediation_action_setting_list_sources` id.
    pub source_id: String,
    /// The context label the source points at.
    pub label_id: Option<String>,
    /// The context list (variable) the label references, when it can be told.
    pub context_list_id: Option<String>,
    /// Whether this provider made the label (and so deletes it on unlinking).
    pub managed_label: bool,
}

/// A vendor of security devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vendor {
    /// Vendor id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Name shown in Workbench.
    pub display_name: Option<String>,
}

/// A security device (an integration such as the organization's Microsoft 365 tenant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityDevice {
    /// Device id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `ENDPOINT`, `NETWORK`, `SIEM`, `OTHER` or `CLOUD`.
    pub device_type: Option<String>,
    /// Health: `healthy`, `unhealthy` or `health_checks_not_supported`.
    pub status: Option<String>,
    /// Owning organization, when Workbench says.
    pub organization_id: Option<String>,
    /// Its vendor, when Workbench includes it.
    pub vendor: Option<Vendor>,
}

impl SecurityDevice {
    /// Whether the vendor is Microsoft's Office 365 / Microsoft 365 entry. [I] Matched on the
    /// vendor's name or display name, spaces, `_` and `-` ignored: `office365`,
    /// `microsoft365`, `o365` or `m365` in it.
    pub fn is_microsoft_365(&self) -> bool {
        let Some(vendor) = &self.vendor else {
            return false;
        };
        [&vendor.name, &vendor.display_name]
            .into_iter()
            .flatten()
            .any(|name| {
                let squashed: String = name
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '_' | '-'))
                    .flat_map(char::to_lowercase)
                    .collect();
                ["office365", "microsoft365", "o365", "m365"]
                    .iter()
                    .any(|known| squashed.contains(known))
            })
    }
}

impl Resource {
    /// The ids of a to-many relationship, when its linkage is included.
    fn related_ids(&self, name: &str) -> Option<Vec<String>> {
        let data = self.relationships.get(name)?.get("data")?.as_array()?;
        Some(
            data.iter()
                .filter_map(|item| item.get("id")?.as_str().map(str::to_owned))
                .collect(),
        )
    }

    fn text_of(&self, name: &str) -> Option<String> {
        self.attributes
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// Reads a setting; its devices come from the relationship's linkage (`None` when absent).
    fn into_setting(self) -> Result<(RemediationSetting, bool), String> {
        let action_type = self
            .text_of("action_type")
            .ok_or("remediation_action_settings entry without action_type")?;
        let devices = self.related_ids("security_devices");
        let has_devices = devices.is_some();
        Ok((
            RemediationSetting {
                opted_in: self
                    .attributes
                    .get("automate_opt_in")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                opted_in_at: self.text_of("automate_opt_in_at"),
                list_type: self
                    .text_of("automate_list_type")
                    .as_deref()
                    .and_then(ListType::from_wire),
                organization_id: self.related_id("organization"),
                security_device_ids: devices.unwrap_or_default(),
                action_type,
                id: self.id,
            },
            has_devices,
        ))
    }

    fn into_vendor(self) -> Vendor {
        Vendor {
            name: self.text_of("name"),
            display_name: self.text_of("display_name"),
            id: self.id,
        }
    }
}

/// Reads a device, its vendor looked up among `vendors` (included with it).
fn device_of(resource: Resource, vendors: &[Vendor]) -> SecurityDevice {
    let vendor = resource
        .related_id("vendor")
        .and_then(|id| vendors.iter().find(|v| v.id == id).cloned());
    SecurityDevice {
        name: resource.text_of("name").unwrap_or_default(),
        device_type: resource.text_of("device_type"),
        status: resource.text_of("status"),
        organization_id: resource.related_id("organization"),
        vendor,
        id: resource.id,
    }
}

/// The JSON:API document that changes a setting (the id in both places, as for context).
fn setting_update_document(id: &str, change: &SettingChange) -> Value {
    let mut attributes = serde_json::Map::new();
    match change.opted_in {
        Some(true) => {
            attributes.insert("automate_opt_in".into(), json!(true));
            attributes.insert(
                "automate_opt_in_agreement_version".into(),
                json!(AGREEMENT_VERSION),
            );
        }
        Some(false) => {
            attributes.insert("automate_opt_in".into(), json!(false));
        }
        None => {}
    }
    if let Some(list_type) = change.list_type {
        attributes.insert(
            "automate_list_type".into(),
            json!(list_type.map(ListType::as_wire)),
        );
    }
    let mut data = json!({
        "type": "remediation_action_settings",
        "id": id,
        "attributes": attributes,
    });
    if let Some(devices) = &change.security_device_ids {
        let linkage: Vec<Value> = devices
            .iter()
            .map(|id| json!({"type": "security_devices", "id": id}))
            .collect();
        data["relationships"] = json!({"security_devices": {"data": linkage}});
    }
    json!({"id": id, "data": data})
}

impl WorkbenchClient {
    /// `filter[<name>]` pairs, with the configured organization added.
    fn filters<'v>(&'v self, filters: &[(&str, &'v str)]) -> Vec<(String, &'v str)> {
        let mut all: Vec<(String, &str)> = filters
            .iter()
            .map(|(name, value)| (format!("filter[{name}]"), *value))
            .collect();
        if let Some(org) = &self.organization_id {
            all.push(("filter[organization][id]".to_owned(), org));
        }
        all
    }

    /// A setting as read or written, its devices followed through the relationship's related
    /// link when the answer carries no linkage.
    async fn setting_of(&self, resource: Resource) -> Result<RemediationSetting, WorkbenchError> {
        let (mut setting, has_devices) = resource
            .into_setting()
            .map_err(WorkbenchError::Unexpected)?;
        if !has_devices {
            let url = self.base.join(
                &[SETTINGS, &[setting.id.as_str(), "security_devices"]].concat(),
                &[],
            );
            setting.security_device_ids =
                self.get_all(url).await?.into_iter().map(|r| r.id).collect();
        }
        Ok(setting)
    }

    /// The organization's setting for `action_type` (e.g. `RESET_CREDENTIALS_O365`), if any.
    pub async fn find_remediation_setting(
        &self,
        action_type: &str,
    ) -> Result<Option<RemediationSetting>, WorkbenchError> {
        let filters = self.filters(&[("action_type", action_type)]);
        let items = self
            .get_all(self.collection_url(SETTINGS, &filters))
            .await?;
        // Filters may match loosely; the action type must match exactly.
        match items
            .into_iter()
            .find(|r| r.attributes.get("action_type").and_then(Value::as_str) == Some(action_type))
        {
            Some(resource) => self.setting_of(resource).await.map(Some),
            None => Ok(None),
        }
    }

    /// Reads a setting by id.
    pub async fn get_remediation_setting(
        &self,
        id: &str,
    ) -> Result<RemediationSetting, WorkbenchError> {
        let resource = self.get_one(self.base.object(SETTINGS, id)).await?;
        self.setting_of(resource).await
    }

    /// Creates the organization's setting for `action_type`. [?] Workbench may keep one
    /// setting per organization and action type and refuse this (HTTP 405 or 403): callers
    /// look the setting up first and come here only when there is none.
    pub async fn create_remediation_setting(
        &self,
        action_type: &str,
    ) -> Result<RemediationSetting, WorkbenchError> {
        let mut data = json!({
            "type": "remediation_action_settings",
            "attributes": {"action_type": action_type},
        });
        if let Some(org) = &self.organization_id {
            data["relationships"] =
                json!({"organization": {"data": {"type": "organizations", "id": org}}});
        }
        let url = self.base.join(SETTINGS, &[]);
        let bytes = self
            .send(Method::POST, url, Some(&json!({ "data": data })))
            .await?;
        self.setting_of(decode::<Document<Resource>>(&bytes)?.data)
            .await
    }

    /// Changes a setting and returns it as Workbench answered.
    pub async fn update_remediation_setting(
        &self,
        id: &str,
        change: &SettingChange,
    ) -> Result<RemediationSetting, WorkbenchError> {
        let body = setting_update_document(id, change);
        let url = self.base.object(SETTINGS, id);
        let bytes = self.send(Method::PATCH, url, Some(&body)).await?;
        self.setting_of(decode::<Document<Resource>>(&bytes)?.data)
            .await
    }

    /// The organization's security devices (deleted ones left out), with their vendors.
    pub async fn list_security_devices(&self) -> Result<Vec<SecurityDevice>, WorkbenchError> {
        let mut url = self.collection_url(SECURITY_DEVICES, &self.filters(&[]));
        url.query_pairs_mut().append_pair("include", "vendor");
        let (items, included) = self.get_all_including(url).await?;
        let vendors: Vec<Vendor> = included
            .into_iter()
            .filter(|r| r.kind == "vendors")
            .map(Resource::into_vendor)
            .collect();
        Ok(items
            .into_iter()
            .filter(|r| r.attributes.get("deleted_at").is_none_or(Value::is_null))
            .map(|r| device_of(r, &vendors))
            .collect())
    }

    // The list linkage. [I] The reading that fits the published schema: a chosen context list
    // is linked through a `context_labels` object whose `definition` references the context
    // variable (and whose `context_variables` relationship names it), and a
    // `remediation_action_setting_list_sources` row with `source_type = CONTEXT_LABEL` that
    // points the setting at that label. If a real tenant shows that Workbench links the
    // variable directly, or defines labels differently, these three functions are the change.

    /// Links the context list `list_id` (named `title` on its label) to the setting.
    pub async fn link_list(
        &self,
        setting_id: &str,
        list_id: &str,
        title: &str,
    ) -> Result<ListLink, WorkbenchError> {
        // The pair in the description makes a twin left by a retried POST recognisable.
        let description = format!("{MANAGED_LABEL_DESCRIPTION} [{setting_id} {list_id}]");
        let mut label = json!({
            "type": "context_labels",
            "attributes": {
                "title": title,
                "description": description,
                "definition": {"context_variable_id": list_id},
            },
            "relationships": {
                "context_variables": {"data": [{"type": "context_variables", "id": list_id}]},
            },
        });
        if let Some(org) = &self.organization_id {
            label["relationships"]["organization"] =
                json!({"data": {"type": "organizations", "id": org}});
        }
        let bytes = self
            .send(
                Method::POST,
                self.base.join(CONTEXT_LABELS, &[]),
                Some(&json!({ "data": label })),
            )
            .await?;
        let label_id = decode::<Document<Resource>>(&bytes)?.data.id;
        self.delete_twin_labels(title, &description, &label_id)
            .await?;
        let source = json!({"data": {
            "type": "remediation_action_setting_list_sources",
            "attributes": {"source_type": "CONTEXT_LABEL"},
            "relationships": {
                "remediation_action_setting": {"data": {"type": "remediation_action_settings", "id": setting_id}},
                "context_label": {"data": {"type": "context_labels", "id": label_id}},
            },
        }});
        let created = self
            .send(
                Method::POST,
                self.base.join(LIST_SOURCES, &[]),
                Some(&source),
            )
            .await;
        match created {
            Ok(bytes) => Ok(ListLink {
                source_id: decode::<Document<Resource>>(&bytes)?.data.id,
                label_id: Some(label_id),
                context_list_id: Some(list_id.to_owned()),
                managed_label: true,
            }),
            // A retried POST whose first answer was lost finds its own list source: adopt it.
            Err(WorkbenchError::Conflict(message)) => {
                let linked = self.linked_lists(setting_id).await?;
                linked
                    .into_iter()
                    .find(|link| link.label_id.as_deref() == Some(label_id.as_str()))
                    .ok_or(WorkbenchError::Conflict(message))
            }
            Err(err) => {
                // Leave no label behind that links nothing.
                if let Err(cleanup) = self.delete(CONTEXT_LABELS, &label_id).await {
                    tracing::warn!(%label_id, error = %cleanup, "could not delete the context label of a failed link");
                }
                Err(err)
            }
        }
    }

    /// The context lists linked to the setting (list sources of type `CONTEXT_LABEL`).
    pub async fn linked_lists(&self, setting_id: &str) -> Result<Vec<ListLink>, WorkbenchError> {
        let filters = [(
            "filter[remediation_action_setting][id]".to_owned(),
            setting_id,
        )];
        let mut url: Url = self.collection_url(LIST_SOURCES, &filters);
        url.query_pairs_mut()
            .append_pair("include", "context_label");
        let (sources, included) = self.get_all_including(url).await?;
        let labels: Vec<Resource> = included
            .into_iter()
            .filter(|r| r.kind == "context_labels")
            .collect();
        Ok(sources
            .into_iter()
            .filter(|s| {
                s.attributes.get("source_type").and_then(Value::as_str) == Some("CONTEXT_LABEL")
            })
            .filter(|s| {
                s.related_id("remediation_action_setting")
                    .is_none_or(|id| id == setting_id)
            })
            .map(|source| {
                let label_id = source.related_id("context_label");
                let label = label_id
                    .as_ref()
                    .and_then(|id| labels.iter().find(|l| &l.id == id));
                ListLink {
                    source_id: source.id,
                    context_list_id: label.and_then(|l| {
                        l.related_ids("context_variables")
                            .and_then(|ids| ids.into_iter().next())
                            .or_else(|| {
                                l.attributes
                                    .get("definition")?
                                    .get("context_variable_id")?
                                    .as_str()
                                    .map(str::to_owned)
                            })
                    }),
                    managed_label: label.is_some_and(|l| {
                        l.text_of("description")
                            .is_some_and(|d| d.starts_with(MANAGED_LABEL_DESCRIPTION))
                    }),
                    label_id,
                }
            })
            .collect())
    }

    /// Unlinks a list: deletes its list source, and the label when this provider made it.
    /// Either already gone counts as deleted.
    pub async fn unlink_list(&self, link: &ListLink) -> Result<(), WorkbenchError> {
        self.delete(LIST_SOURCES, &link.source_id).await?;
        if let (true, Some(label_id)) = (link.managed_label, &link.label_id) {
            self.delete(CONTEXT_LABELS, label_id).await?;
        }
        Ok(())
    }

    /// Deletes the labels titled `title` with this `description` other than `keep`: twins of
    /// a label whose POST was retried after its first answer was lost (they link nothing).
    async fn delete_twin_labels(
        &self,
        title: &str,
        description: &str,
        keep: &str,
    ) -> Result<(), WorkbenchError> {
        let filters = self.filters(&[("title", title)]);
        let labels = self
            .get_all(self.collection_url(CONTEXT_LABELS, &filters))
            .await?;
        for twin in labels
            .iter()
            .filter(|l| l.id != keep && l.text_of("description").as_deref() == Some(description))
        {
            self.delete(CONTEXT_LABELS, &twin.id).await?;
        }
        Ok(())
    }

    /// Deletes one object; absent counts as deleted.
    async fn delete(&self, collection: &[&str], id: &str) -> Result<(), WorkbenchError> {
        match self
            .send(Method::DELETE, self.base.object(collection, id), None)
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if err.is_not_found() => Ok(()),
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(value: Value) -> Resource {
        serde_json::from_value(value).expect("a resource")
    }

    #[test]
    fn opting_in_sends_the_agreement_version_and_the_id_in_both_places() {
        let doc = setting_update_document(
            "s-1",
            &SettingChange {
                opted_in: Some(true),
                list_type: Some(Some(ListType::Deny)),
                security_device_ids: Some(vec!["d-1".into()]),
            },
        );
        assert_eq!(doc["id"], "s-1");
        assert_eq!(doc["data"]["id"], "s-1");
        let attributes = &doc["data"]["attributes"];
        assert_eq!(attributes["automate_opt_in"], true);
        assert_eq!(attributes["automate_opt_in_agreement_version"], "V1");
        assert_eq!(attributes["automate_list_type"], "DENY");
        assert_eq!(
            doc["data"]["relationships"]["security_devices"]["data"][0],
            json!({"type": "security_devices", "id": "d-1"})
        );
    }

    #[test]
    fn clearing_the_list_type_sends_null_and_leaves_the_rest_out() {
        let doc = setting_update_document(
            "s-1",
            &SettingChange {
                list_type: Some(None),
                ..SettingChange::default()
            },
        );
        let attributes = doc["data"]["attributes"].as_object().unwrap();
        assert_eq!(attributes.len(), 1);
        assert_eq!(attributes["automate_list_type"], Value::Null);
        assert!(doc["data"].get("relationships").is_none());
    }

    #[test]
    fn settings_read_their_devices_from_the_linkage() {
        let (setting, has_devices) = resource(json!({
            "type": "remediation_action_settings", "id": "s-1",
            "attributes": {"action_type": "REMOVE_MALICIOUS_EMAIL", "automate_opt_in": true,
                           "automate_opt_in_at": "2026-01-01T00:00:00Z", "automate_list_type": "ALLOW"},
            "relationships": {
                "organization": {"data": {"type": "organizations", "id": "o"}},
                "security_devices": {"data": [{"type": "security_devices", "id": "d-1"}]}
            }
        }))
        .into_setting()
        .unwrap();
        assert!(has_devices && setting.opted_in);
        assert_eq!(setting.list_type, Some(ListType::Allow));
        assert_eq!(setting.security_device_ids, vec!["d-1"]);
        assert_eq!(setting.organization_id.as_deref(), Some("o"));
    }

    #[test]
    fn a_device_relationship_with_links_only_is_followed() {
        let (_, has_devices) = resource(json!({
            "type": "remediation_action_settings", "id": "s-1",
            "attributes": {"action_type": "REMOVE_MALICIOUS_EMAIL"},
            "relationships": {"security_devices": {"links": {"related": "/x"}}}
        }))
        .into_setting()
        .unwrap();
        assert!(!has_devices);
    }

    fn device_of_vendor(name: Option<&str>, display_name: Option<&str>) -> SecurityDevice {
        SecurityDevice {
            id: "d".into(),
            name: "Microsoft 365".into(),
            device_type: None,
            status: None,
            organization_id: None,
            vendor: Some(Vendor {
                id: "v".into(),
                name: name.map(str::to_owned),
                display_name: display_name.map(str::to_owned),
            }),
        }
    }

    #[test]
    fn microsoft_365_is_told_by_the_vendor_in_any_spelling() {
        for (name, display) in [
            (Some("o365"), None),
            (None, Some("Microsoft 365")),
            (Some("Office 365"), None),
            (Some("microsoft_365"), None),
        ] {
            assert!(
                device_of_vendor(name, display).is_microsoft_365(),
                "{name:?} {display:?}"
            );
        }
        assert!(
            !device_of_vendor(Some("crowdstrike"), Some("CrowdStrike Falcon")).is_microsoft_365()
        );
        let mut unnamed = device_of_vendor(None, None);
        unnamed.vendor = None;
        assert!(
            !unnamed.is_microsoft_365(),
            "the device's own name does not count"
        );
    }
}
