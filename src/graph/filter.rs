//! OData `$filter` expressions, quoted the way Graph expects.

/// Quotes a string literal for `$filter`: single quotes, with inner quotes doubled.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `<property> eq '<value>'`.
pub fn eq(property: &str, value: &str) -> String {
    format!("{property} eq {}", quote(value))
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
}
