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
//!   warms up and calibrates every case of a group, then takes their samples round-robin (one
//!   sample of each case per round, so a slow spell of a shared machine hits all cases alike),
//!   reports the median time per op with its spread and the allocations per op counted by the
//!   [`alloc::CountingAlloc`] global allocator, prints a table per group with speedups over the
//!   baseline and the best peer, and writes `target/perfkit/report.{md,json,svg}`.
//!
//! Multi-threaded cases start their threads at a spinning barrier and time from the first
//! thread's start to the last one's end ([`measure::threads`]), so every thread is running for
//! the whole measured interval.
//!
//! Adding a pattern touches one file: a module in `src/groups/` that returns its groups.

pub mod alloc;
pub mod bodies;
pub mod check;
pub mod echo;
pub mod fill;
pub mod fixture;
pub mod front;
mod groups;

/// The allocator-choice group's child processes (see `groups/allocators.rs`).
pub use groups::allocators::{WorkerReport, run_child, run_worker_if_asked};
pub mod machine;
pub mod measure;
pub mod pg;
pub mod profile;
pub mod registry;
pub mod render;
pub mod report;
pub mod svg;
pub mod waits;

/// Every binary linking this crate counts allocations per thread.
#[global_allocator]
static GLOBAL: alloc::CountingAlloc = alloc::CountingAlloc;
