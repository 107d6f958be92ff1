//! Properties of route templates.

use proptest::prelude::*;

use super::route_template;
use crate::test_strategies::{config, text};

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn route_templates_keep_every_segment_of_any_path(path in text()) {
        let template = route_template(&path);
        prop_assert_eq!(template.split('/').count(), path.split('/').count());
    }
}
