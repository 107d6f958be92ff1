//! OData `$filter` expressions, written the way Graph documents them: string properties take a
//! single-quoted literal, GUID-typed properties (such as `resourceId` of an app role
//! assignment) an unquoted GUID.

/// Quotes a string literal for `$filter`: single quotes, with inner quotes doubled.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `<property> eq '<value>'`, for a string-typed property.
pub fn eq(property: &str, value: &str) -> String {
    format!("{property} eq {}", quote(value))
}

/// `<property> eq <guid>`, for a GUID-typed property (Graph refuses a quoted GUID there).
pub fn eq_guid(property: &str, value: uuid::Uuid) -> String {
    format!("{property} eq {}", value.hyphenated())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_inside_values_are_doubled() {
        assert_eq!(
            eq("displayName", "Bob's app"),
            "displayName eq 'Bob''s app'"
        );
    }

    #[test]
    fn plain_values_are_single_quoted() {
        assert_eq!(quote("abc"), "'abc'");
    }

    #[test]
    fn guid_properties_are_compared_unquoted() {
        let id = uuid::Uuid::parse_str("6B7D8C1E-0F6A-4F53-9B8E-0C2F3A4B5C6D").unwrap();
        assert_eq!(
            eq_guid("resourceId", id),
            "resourceId eq 6b7d8c1e-0f6a-4f53-9b8e-0c2f3a4b5c6d"
        );
    }
}
