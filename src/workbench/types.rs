//! Workbench objects in domain terms, and their JSON:API wire form (kept private here).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What the values of a context list are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContextType {
    /// User names.
    Username,
    /// Email addresses.
    EmailAddress,
    /// Host names.
    Hostname,
    /// IPv4 or IPv6 addresses.
    IpAddress,
    /// CIDR blocks.
    CidrBlock,
    /// DNS domains.
    Domain,
    /// URLs.
    Url,
    /// File hashes (MD5, SHA-1, SHA-256).
    FileHash,
    /// TCP/UDP ports.
    Port,
    /// Anything else.
    Other,
}

impl ContextType {
    /// Every context type, in documentation order.
    pub const ALL: [ContextType; 10] = [
        ContextType::Username,
        ContextType::EmailAddress,
        ContextType::Hostname,
        ContextType::IpAddress,
        ContextType::CidrBlock,
        ContextType::Domain,
        ContextType::Url,
        ContextType::FileHash,
        ContextType::Port,
        ContextType::Other,
    ];

    /// The Workbench name, e.g. `email_address`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContextType::Username => "username",
            ContextType::EmailAddress => "email_address",
            ContextType::Hostname => "hostname",
            ContextType::IpAddress => "ip_address",
            ContextType::CidrBlock => "cidr_block",
            ContextType::Domain => "domain",
            ContextType::Url => "url",
            ContextType::FileHash => "file_hash",
            ContextType::Port => "port",
            ContextType::Other => "other",
        }
    }

    /// Workbench's `value_type` for this context type.
    pub fn value_type(self) -> &'static str {
        match self {
            ContextType::IpAddress => "ip_address",
            ContextType::CidrBlock => "cidr_block",
            ContextType::Port => "integer",
            _ => "string",
        }
    }
}

impl fmt::Display for ContextType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a context type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown context type {name:?}; use one of {}", ContextType::ALL.map(ContextType::as_str).join(", "))]
pub struct UnknownContextType {
    /// The name given.
    pub name: String,
}

impl FromStr for ContextType {
    type Err = UnknownContextType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContextType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownContextType { name: s.to_owned() })
    }
}

/// A list-valued organization context entry ("Org Context" in Workbench).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextList {
    /// Context variable id.
    pub id: String,
    /// Name, unique in the organization.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Type of the values.
    pub context_type: ContextType,
    /// The values, as text.
    pub values: Vec<String>,
    /// Owning organization, when Workbench says.
    pub organization_id: Option<String>,
}

/// What to create or change on a context list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextListSpec {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Type of the values (ignored on update: immutable).
    pub context_type: ContextType,
    /// The values.
    pub values: Vec<String>,
}

/// An organization the API key can see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    /// Organization id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
}

/// A JSON:API resource object as Workbench sends it.
#[derive(Deserialize, Serialize, Debug)]
pub(crate) struct Resource {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub attributes: serde_json::Map<String, Value>,
    #[serde(default)]
    pub relationships: serde_json::Map<String, Value>,
}

impl Resource {
    fn text(&self, name: &str) -> Option<String> {
        self.attributes
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The id of a to-one relationship, when its linkage is included.
    pub fn related_id(&self, name: &str) -> Option<String> {
        self.relationships
            .get(name)?
            .get("data")?
            .get("id")?
            .as_str()
            .map(str::to_owned)
    }

    /// Reads a context variable. Entries that are not list-valued are not context lists.
    pub fn into_context_list(self) -> Result<ContextList, String> {
        let context_type: ContextType = self
            .text("context_type")
            .ok_or("context_variables entry without context_type")?
            .parse()
            .map_err(|err: UnknownContextType| err.to_string())?;
        let values = match self.attributes.get("value") {
            Some(Value::Array(items)) => items.iter().map(scalar_text).collect(),
            Some(Value::Null) | None => Vec::new(),
            Some(other) => {
                return Err(format!(
                    "context variable {} is not a list (value {other})",
                    self.id
                ))
            }
        };
        Ok(ContextList {
            name: self.text("name").unwrap_or_default(),
            description: self.text("description"),
            organization_id: self.related_id("organization"),
            id: self.id,
            context_type,
            values,
        })
    }

    /// Reads an organization.
    pub fn into_organization(self) -> Organization {
        Organization {
            name: self.text("name"),
            id: self.id,
        }
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The `value` attribute: integers for ports, strings otherwise.
fn wire_values(spec: &ContextListSpec) -> Value {
    let items = spec.values.iter().map(|v| match spec.context_type {
        ContextType::Port => v.parse::<u64>().map_or_else(|_| json!(v), |n| json!(n)),
        _ => json!(v),
    });
    Value::Array(items.collect())
}

/// The JSON:API document that creates a context list.
pub(crate) fn create_document(spec: &ContextListSpec, organization_id: Option<&str>) -> Value {
    let mut data = json!({
        "type": "context_variables",
        "attributes": {
            "name": spec.name,
            "description": spec.description,
            "context_type": spec.context_type.as_str(),
            "value_type": spec.context_type.value_type(),
            "is_array": true,
            "value": wire_values(spec),
        },
    });
    if let Some(org) = organization_id {
        data["relationships"] =
            json!({"organization": {"data": {"type": "organizations", "id": org}}});
    }
    json!({ "data": data })
}

/// The JSON:API document that updates a context list's mutable attributes.
pub(crate) fn update_document(id: &str, spec: &ContextListSpec) -> Value {
    // The official client puts the id at the top level; JSON:API puts it in data. Send both.
    json!({
        "id": id,
        "data": {
            "type": "context_variables",
            "id": id,
            "attributes": {
                "name": spec.name,
                "description": spec.description,
                "value": wire_values(spec),
            },
        },
    })
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(context_type: ContextType, values: &[&str]) -> ContextListSpec {
        ContextListSpec {
            name: "Never reset".into(),
            description: None,
            context_type,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn context_types_round_trip_through_their_names() {
        for t in ContextType::ALL {
            assert_eq!(t.as_str().parse::<ContextType>(), Ok(t));
        }
        assert!("mac_address"
            .parse::<ContextType>()
            .unwrap_err()
            .to_string()
            .contains("email_address"));
    }

    #[test]
    fn ports_are_sent_as_integers() {
        let doc = create_document(&spec(ContextType::Port, &["443", "8443"]), None);
        assert_eq!(doc["data"]["attributes"]["value"], json!([443, 8443]));
        assert_eq!(doc["data"]["attributes"]["value_type"], "integer");
    }

    #[test]
    fn organization_is_sent_as_a_relationship() {
        let doc = create_document(&spec(ContextType::EmailAddress, &["a@b.c"]), Some("org-1"));
        assert_eq!(
            doc["data"]["relationships"]["organization"]["data"]["id"],
            "org-1"
        );
        assert_eq!(doc["data"]["attributes"]["is_array"], true);
    }

    #[test]
    fn updates_carry_the_id_in_both_places() {
        let doc = update_document("cv-1", &spec(ContextType::Username, &["bob"]));
        assert_eq!(doc["id"], "cv-1");
        assert_eq!(doc["data"]["id"], "cv-1");
        assert!(doc["data"]["attributes"].get("context_type").is_none());
    }

    #[test]
    fn integer_values_read_back_as_text() {
        let resource: Resource = serde_json::from_value(json!({
            "type": "context_variables", "id": "cv-1",
            "attributes": {"name": "ports", "context_type": "port", "value": [22, 443]},
            "relationships": {"organization": {"data": {"type": "organizations", "id": "o"}}}
        }))
        .unwrap();
        let list = resource.into_context_list().unwrap();
        assert_eq!(list.values, vec!["22", "443"]);
        assert_eq!(list.organization_id.as_deref(), Some("o"));
    }
}
