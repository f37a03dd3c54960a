//! Area `patterns`: the Go guide's general techniques, each a group of the naive version a
//! real person writes (baseline) against the technique (pattern), on the same data. Some wins
//! are large, some small or nil on this machine: the report says which. One file per technique,
//! each named after its entry in docs/PATTERNS.md.

use crate::measure;
use crate::registry::{Case, Group, Role, Throughput};

pub(super) fn single(name: &str, role: Role, op: impl Fn() -> u64 + Send + Sync + 'static) -> Case {
    Case::new(name, role, 1, move |iters| {
        measure::single(iters, |n| {
            (0..n).fold(0u64, |acc, _| acc.wrapping_add(op()))
        })
    })
}

pub(super) fn group(
    name: &'static str,
    about: &'static str,
    throughput: Option<Throughput>,
    notes: &'static str,
    check_iters: u64,
    cases: Vec<Case>,
) -> Group {
    Group {
        name,
        area: "patterns",
        about,
        throughput,
        notes,
        check_iters,
        cases,
    }
}

mod batching;
mod borrowing;
mod bounds;
mod concat;
mod dispatch;
mod false_sharing;
mod inlining;
mod layout;
mod lock_batch;
mod prealloc;

pub(super) fn groups() -> Vec<Group> {
    vec![
        concat::concat(),
        prealloc::prealloc_vec(),
        prealloc::prealloc_map(),
        borrowing::fields(),
        layout::layout(),
        false_sharing::false_sharing(),
        dispatch::dispatch(),
        inlining::inlining(),
        bounds::bounds(),
        bounds::bounds_scan(),
        lock_batch::lock_batch(),
        batching::batching(),
    ]
}
