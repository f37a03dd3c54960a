//! The benchmark groups, one module per area. Adding a pattern touches one of these files.

mod buffers;
mod connections;
mod counters;
mod json;
mod patterns;
mod pool;
mod sharded;
mod workers;

use crate::registry::Group;

/// Every group, in report order.
pub(crate) fn all() -> Vec<Group> {
    let mut groups = Vec::new();
    groups.extend(counters::groups());
    groups.extend(pool::groups());
    groups.extend(connections::groups());
    groups.extend(workers::groups());
    groups.extend(sharded::groups());
    groups.extend(buffers::groups());
    groups.extend(json::groups());
    groups.extend(patterns::groups());
    groups
}

/// Removes the temporary files the groups created (the `buffers` area writes and reads files).
pub(crate) fn cleanup() {
    buffers::cleanup();
}
