//! Small builders for Terraform schema attributes, so resource schemas read as tables.

use tf_provider::schema::{Attribute, AttributeConstraint, AttributeType, Description};

fn attribute(
    attr_type: AttributeType,
    constraint: AttributeConstraint,
    description: &str,
) -> Attribute {
    Attribute {
        attr_type,
        description: Description::markdown(description),
        constraint,
        sensitive: false,
        deprecated: false,
    }
}

/// A required string.
pub fn required_string(description: &str) -> Attribute {
    attribute(
        AttributeType::String,
        AttributeConstraint::Required,
        description,
    )
}

/// An optional string the provider may fill in (a default or a looked-up value).
pub fn optional_computed_string(description: &str) -> Attribute {
    attribute(
        AttributeType::String,
        AttributeConstraint::OptionalComputed,
        description,
    )
}

/// An optional string.
pub fn optional_string(description: &str) -> Attribute {
    attribute(
        AttributeType::String,
        AttributeConstraint::Optional,
        description,
    )
}

/// A computed string.
pub fn computed_string(description: &str) -> Attribute {
    attribute(
        AttributeType::String,
        AttributeConstraint::Computed,
        description,
    )
}

/// An attribute of any type with a constraint.
pub fn typed(
    attr_type: AttributeType,
    constraint: AttributeConstraint,
    description: &str,
) -> Attribute {
    attribute(attr_type, constraint, description)
}

/// A data source's schema (version 0): its attributes, described. A resource's adds its
/// `timeouts` block to this (`resource::resource_schema`).
pub fn data_source(
    description: &str,
    attributes: impl IntoIterator<Item = (&'static str, Attribute)>,
) -> tf_provider::schema::Schema {
    tf_provider::schema::Schema {
        version: 0,
        block: tf_provider::schema::Block {
            version: 0,
            attributes: attributes
                .into_iter()
                .map(|(name, attribute)| (name.to_owned(), attribute))
                .collect(),
            description: Description::markdown(description),
            ..Default::default()
        },
    }
}
