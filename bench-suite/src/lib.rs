//! perfkit's benchmark suite: one registry of benchmark groups, two front ends.
//!
//! A *group* is one workload; its *cases* do that workload in different ways, each with a
//! [`Role`](registry::Role): `baseline` (the naive way), `pattern` (perfkit's way), `peer` (the
//! best crate a user would otherwise pick) and `floor` (a lower bound for reference). A case is
//! a function "run `iters` operations, return the [`Sample`](measure::Sample)": elapsed time,
//! allocations, and an answer that is checked against the baseline's before anything is timed.
//!
//! - **criterion**: `cargo bench --bench <area>` runs the groups of one area through
//!   [`front::bench_area`], with criterion's statistics, HTML reports and saved baselines.
//! - **the report**: `cargo run -p perfkit-bench --release -- report [--quick] [--group NAME]`
//!   measures every case (median of samples after a warm-up) and its allocations per op through
//!   the [`alloc::CountingAlloc`] global allocator, prints a table per group with speedups over
//!   the baseline and the best peer, and writes `target/perfkit/report.{md,json,svg}`.
//!
//! Adding a pattern touches one file: a module in `src/groups/` that returns its groups.

pub mod alloc;
pub mod front;
mod groups;
pub mod machine;
pub mod measure;
pub mod registry;
pub mod render;
pub mod report;
pub mod svg;

/// Every binary linking this crate counts allocations per thread.
#[global_allocator]
static GLOBAL: alloc::CountingAlloc = alloc::CountingAlloc;
