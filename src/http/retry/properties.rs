//! Properties of reading `Retry-After`.

use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;

use super::parse_retry_after;
use crate::test_strategies::{config, text};

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn retry_after_accepts_only_a_whole_number_of_seconds(value in prop::option::of(text())) {
        if let Some(wait) = parse_retry_after(value.as_deref()) {
            let digits = value.as_deref().unwrap_or_default().trim();
            let digits = digits.strip_prefix('+').unwrap_or(digits);
            prop_assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(Some(wait.as_secs()), digits.parse::<u64>().ok());
        }
    }

    #[test]
    fn retry_after_of_any_whole_seconds_is_that_long(
        seconds in any::<u64>(),
        before in "[ \t]{0,2}",
        after in "[ \t]{0,2}",
    ) {
        prop_assert_eq!(
            parse_retry_after(Some(&format!("{before}{seconds}{after}"))),
            Some(Duration::from_secs(seconds))
        );
    }

    #[test]
    fn retry_after_as_an_http_date_is_ignored(
        day in select(&["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
        date in 1u8..=28,
        hour in 0u8..24,
    ) {
        let value = format!("{day}, {date:02} Oct 2015 {hour:02}:28:00 GMT");
        prop_assert_eq!(parse_retry_after(Some(&value)), None);
    }
}
