//! The benchmark groups, one module per area. Adding a pattern touches one of these files.

pub(crate) mod allocators;
mod buffers;
mod connections;
mod connections_pg;
mod counters;
mod json;
mod patterns;
mod pool;
mod profile;
mod sharded;
mod workers;

use crate::registry::Group;

/// A module of groups: its area (the bench target) and the function that builds its groups.
type Module = (&'static str, fn() -> Vec<Group>);

/// Each module's area and its groups, in report order.
const MODULES: &[Module] = &[
    ("counters", counters::groups),
    ("pool", pool::groups),
    ("pool", connections::groups),
    ("pool", connections_pg::groups),
    ("pool", workers::groups),
    ("sharded", sharded::groups),
    ("buffers", buffers::groups),
    ("json", json::groups),
    ("patterns", patterns::groups),
    ("profile", profile::groups),
    ("profile", allocators::groups),
];

/// Every group, in report order.
pub(crate) fn all() -> Vec<Group> {
    MODULES.iter().flat_map(|(_, groups)| groups()).collect()
}

/// The groups of one area only: the other areas' groups are not even built.
pub(crate) fn area(name: &str) -> Vec<Group> {
    MODULES
        .iter()
        .filter(|(area, _)| *area == name)
        .flat_map(|(_, groups)| groups())
        .inspect(|g| debug_assert_eq!(g.area, name, "group {} is in the wrong module", g.name))
        .collect()
}

/// Removes the temporary files the groups created (the `buffers` area writes and reads files).
pub(crate) fn cleanup() {
    buffers::cleanup();
    crate::pg::stop();
}
