//! The registry: every benchmark group, its cases and their roles. Both front ends (criterion
//! and the report) read it, so they time exactly the same code.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::measure::Sample;

/// What a case stands for in its group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The naive way a real person writes it; speedups are relative to it.
    Baseline,
    /// perfkit's way (or the pattern done with std alone).
    Pattern,
    /// The best crate a user would otherwise pick.
    Peer,
    /// A lower bound for reference (e.g. the uncontended atomic, one big `write`).
    Floor,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Baseline => "baseline",
            Role::Pattern => "pattern",
            Role::Peer => "peer",
            Role::Floor => "floor",
        })
    }
}

/// How much work one operation is, for throughput figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Throughput {
    /// Elements (increments, records, ...) per operation.
    Elements(u64),
    /// Bytes per operation.
    Bytes(u64),
}

/// Runs `iters` operations of a case and reports how long they took.
pub type RunFn = dyn Fn(u64) -> Sample + Send + Sync;

/// One way of doing a group's workload.
pub struct Case {
    /// Short name, unique in its group; multi-threaded cases end in `/<threads>t`.
    pub name: String,
    /// What the case stands for.
    pub role: Role,
    /// Threads the case runs on; speedups compare cases with the same thread count.
    pub threads: usize,
    /// The timed code.
    pub run: Box<RunFn>,
}

impl Case {
    /// A case named `name/<threads>t`.
    pub fn new(
        name: &str,
        role: Role,
        threads: usize,
        run: impl Fn(u64) -> Sample + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: format!("{name}/{threads}t"),
            role,
            threads,
            run: Box::new(run),
        }
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// One workload and the cases that do it.
#[derive(Debug)]
pub struct Group {
    /// Unique name, as given to `report --group` and used as the criterion group name.
    pub name: &'static str,
    /// The bench target (`cargo bench --bench <area>`) that runs this group.
    pub area: &'static str,
    /// One line: what one operation is.
    pub about: &'static str,
    /// Work per operation, if it means something.
    pub throughput: Option<Throughput>,
    /// Caveats printed beside the numbers.
    pub notes: &'static str,
    /// Operations each case runs once to check its answer against the baseline's:
    /// [`CHECK_ITERS`] for fast operations, fewer for slow ones (a whole-file parse).
    pub check_iters: u64,
    /// The cases, baseline first.
    pub cases: Vec<Case>,
}

/// Operations in the answer check by default: divisible by every thread count we use.
pub const CHECK_ITERS: u64 = 5_040;

/// Every group, in report order.
#[must_use]
pub fn all() -> Vec<Group> {
    crate::groups::all()
}

/// The groups of one area (`cargo bench --bench <area>`), built without the others.
#[must_use]
pub fn area(name: &str) -> Vec<Group> {
    crate::groups::area(name)
}

/// Removes temporary files the groups created (call when done with the groups).
pub fn cleanup() {
    crate::groups::cleanup();
}
