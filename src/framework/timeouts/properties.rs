//! Properties of reading timeout settings.

use proptest::prelude::*;
use tf_provider::value::Value;
use tf_provider::Diagnostics;

use super::{limit, Operation, Timeouts};
use crate::test_strategies::{config, text};

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn timeout_settings_of_any_text_give_a_positive_limit_or_name_the_setting(
        setting in prop_oneof![text(), "[0-9]{1,6}(ns|us|ms|s|m|h)([0-9]{1,3}(m|s))?"],
    ) {
        let block = Value::Value(Timeouts {
            update: Value::Value(setting.clone()),
            ..Default::default()
        });
        let mut diags = Diagnostics::default();
        match limit(&block, Operation::Update, &mut diags) {
            Some(limit) => prop_assert!(!limit.is_zero() && diags.errors.is_empty()),
            None => {
                prop_assert_eq!(diags.errors.len(), 1);
                prop_assert!(diags.errors[0].summary.contains("timeouts.update"), "{:?}", diags.errors[0]);
            }
        }
    }
}
