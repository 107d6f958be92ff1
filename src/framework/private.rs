//! The private state of Graph-backed resources: only the time this provider last wrote the
//! object. What that time means for reads (replication lag) is decided in
//! [`crate::graph::consistency`], not here.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::graph::Consistency;

/// When this provider last created or changed the object, in milliseconds since the Unix epoch.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Written {
    /// Time of the last write.
    pub at_ms: u64,
}

/// Private state as stored (absent for imported objects and old states).
pub type Private = Option<Written>;

/// Private state saying the object was written now.
pub fn written_now() -> Private {
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Some(Written { at_ms })
}

/// When the object was last written.
pub fn written_at(private: &Private) -> Option<SystemTime> {
    private
        .as_ref()
        .map(|written| UNIX_EPOCH + Duration::from_millis(written.at_ms))
}

/// How reads of the object treat "not found", given its private state: as replication lag
/// shortly after this provider's own write, at face value otherwise.
pub fn consistency(private: &Private) -> Consistency {
    Consistency::after_write(written_at(private))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_objects_have_no_write_time() {
        assert_eq!(written_at(&None), None);
    }

    #[test]
    fn written_now_round_trips_to_about_now() {
        let at = written_at(&written_now()).expect("written");
        let age = SystemTime::now().duration_since(at).unwrap_or_default();
        assert!(age < Duration::from_secs(5), "{age:?}");
    }
}
