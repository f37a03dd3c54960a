//! The benchmark groups, one module per area. Adding a pattern touches one of these files.

mod counters;
mod pool;
mod sharded;

use crate::registry::Group;

/// Every group, in report order.
pub(crate) fn all() -> Vec<Group> {
    let mut groups = Vec::new();
    groups.extend(counters::groups());
    groups.extend(pool::groups());
    groups.extend(sharded::groups());
    groups
}
