//! Go's `/debug/pprof` for a running Rust service: heap and allocation profiles, CPU
//! profiles, lock contention (mutex and block profiles), a thread dump and memory statistics,
//! served over HTTP in the formats `go tool pprof` reads.
//!
//! # The pattern
//! Measure the service that is slow, while it is slow. Go services carry `net/http/pprof`:
//! one import, and `go tool pprof http://host:6060/debug/pprof/heap` answers "what holds this
//! memory?" on the running process. This crate is that for Rust:
//!
//! ```no_run
//! use perfkit_profile::HeapProfiler;
//! use std::alloc::System;
//!
//! #[global_allocator]
//! static ALLOC: HeapProfiler<System> = HeapProfiler::new(System);
//!
//! fn main() -> std::io::Result<()> {
//!     perfkit_profile::set_mutex_profile_fraction(10); // optional: lock contention
//!     perfkit_profile::set_block_profile_rate(10_000);
//!     let _pprof = perfkit_profile::serve("127.0.0.1:6060")?; // loopback only
//!     // ... the service ...
//!     # Ok(())
//! }
//! ```
//!
//! Then, from a shell: `go tool pprof -http=: http://127.0.0.1:6060/debug/pprof/heap`.
//!
//! | endpoint | what | how |
//! |---|---|---|
//! | `/debug/pprof/heap` | live memory by allocating stack (`inuse_space`; `alloc_*` too) | [`HeapProfiler`]: Go's sampling, one sample per 512 KiB on average |
//! | `/debug/pprof/allocs` | the same, `alloc_space` by default | |
//! | `/debug/pprof/profile?seconds=N` | CPU time by stack, 100 Hz | `SIGPROF` timer; the handler copies the stack, a thread unwinds it |
//! | `/debug/pprof/mutex` | holders of contended locks, with the delay they caused | perfkit's locks ([`Mutex`], [`RwLock`], `perfkit-sharded`, `perfkit-pool`) |
//! | `/debug/pprof/block` | waiters on those locks, with how long they waited | the same hook |
//! | `/debug/pprof/goroutine` | every thread's name and stack (`?debug=1`, `?debug=2` text) | `SIGURG` to each thread |
//! | `/debug/pprof/symbol`, `/cmdline` | Go's symbolz and command line | |
//! | `/debug/vars` | expvar JSON: live bytes and objects, totals, RSS, threads, overhead | exact counters |
//!
//! `heap`, `allocs`, `mutex` and `block` take `?seconds=N` for a delta profile and
//! `?debug=1` for Go's text form. Profiles are gzipped `profile.proto` with one location per
//! address, mappings with build IDs, and functions, files and lines resolved in-process,
//! inlined frames as lines of one location: `-lines`, `-list`, `-top`, `-base` all work
//! without the binary at hand.
//!
//! To mount the endpoints in a service's own router, call [`handle`] (path, query, body in;
//! status, content type, body out). With axum:
//!
//! ```ignore
//! let pprof = axum::routing::any(|uri: axum::http::Uri, body: axum::body::Bytes| async move {
//!     let r = tokio::task::spawn_blocking(move || perfkit_profile::handle(uri.path(), uri.query().unwrap_or(""), &body)).await.unwrap();
//!     (axum::http::StatusCode::from_u16(r.status).unwrap(), [("content-type", r.content_type)], r.body)
//! });
//! let app = axum::Router::new().route("/debug/pprof/{*rest}", pprof.clone()).route("/debug/vars", pprof);
//! ```
//! (`spawn_blocking`: a CPU profile sleeps for its duration.) Whatever serves them, **the
//! endpoints must not face the internet**: they expose code addresses, the command line and
//! memory statistics, and anyone who can reach them can make the process spend CPU on
//! profiling. Bind to loopback, or put them behind the service's admin authentication.
//!
//! # When to use it
//! - A service whose memory grows, or that uses far more than its data: the heap profile and
//!   `/debug/vars` (live bytes against RSS) say which of the two it is.
//! - Latency that profiles of benchmarks do not explain: CPU, mutex and block profiles of the
//!   process under its real load.
//!
//! # When not to
//! - Heap sampling needs [`HeapProfiler`] as the `#[global_allocator]`; a program whose
//!   allocator must stay another wrapper cannot have both (wrap that one instead: the
//!   profiler takes any `GlobalAlloc`).
//! - CPU sampling uses `SIGPROF` and `setitimer(ITIMER_PROF)`, thread dumps `SIGURG`: a
//!   program that uses those for itself should not use these profiles (or the other tool).
//! - Linux only (signals, `/proc`, the loader's object list); CPU and thread stacks need
//!   x86-64 (elsewhere they hold the sampled address alone). Allocation-heavy code where 10%
//!   matters should keep sampling at the default rate or off ([`set_sample_rate`]`(0)` keeps
//!   only the totals).
//!
//! # Cost (measured by the bench suite, `profile` area; tables in `MEASURED.md`)
//! - Heap profiling at Go's default rate: a request's small-object churn runs at
//!   <!-- perfkit:vs heap-profiler-requests request, HeapProfiler 512 KiB (Go's default)/1t -->0.98x<!-- /perfkit -->
//!   of plain `System`'s speed, a `serde_json::Value` parse of twitter.json at
//!   <!-- perfkit:vs heap-profiler-json serde_json::Value, HeapProfiler 512 KiB (Go's default)/1t -->0.98x<!-- /perfkit -->,
//!   one alloc/free pair takes
//!   <!-- perfkit:time heap-profiler-pair Box::new + drop, HeapProfiler 512 KiB (Go's default)/1t -->10.53 ns<!-- /perfkit -->
//!   against <!-- perfkit:time heap-profiler-pair Box::new + drop, System/1t -->9.89 ns<!-- /perfkit -->.
//!   An unsampled allocation or free is a subtraction and a count in the thread's own storage
//!   (plus, for a free, one byte of a 64 KiB summary of the lines that hold sampled blocks);
//!   a sampled one captures its stack with framehop (a few hundred ns with its rule caches
//!   warm).
//! - CPU profiling at 100 Hz: a CPU-bound loop runs at
//!   <!-- perfkit:vs cpu-profiler CpuProfiler at 100 Hz/1t -->1.00x<!-- /perfkit --> of its speed. The
//!   handler copies up to 32 KiB of stack; a profiler thread unwinds the copies.
//! - Locks: perfkit's uncontended `Mutex` takes
//!   <!-- perfkit:time lock-profiling-uncontended perfkit Mutex, profiling off/1t -->12.47 ns<!-- /perfkit -->
//!   against std's <!-- perfkit:time lock-profiling-uncontended std::sync::Mutex/1t -->12.51 ns<!-- /perfkit -->;
//!   contention is booked only on the contended path.
#![warn(missing_docs)]
// Under `--cfg perfkit_loom` only the modelled protocols build, without their users.
#![cfg_attr(perfkit_loom, allow(dead_code, unused_imports))]

#[cfg(not(target_os = "linux"))]
compile_error!("perfkit-profile supports Linux only: it uses signals, /proc and the ELF loader");

// Under `--cfg perfkit_loom` only the lock-free protocols build, with their loom models
// (`cargo test -p perfkit-profile --lib` with that cfg); everything else needs std's statics.
mod slot;
mod sync;
mod totals;

#[cfg(not(perfkit_loom))]
mod contention;
#[cfg(not(perfkit_loom))]
mod cpu;
#[cfg(not(perfkit_loom))]
mod handler;
#[cfg(not(perfkit_loom))]
mod heap;
#[cfg(not(perfkit_loom))]
mod proto;
#[cfg(not(perfkit_loom))]
mod server;
#[cfg(not(perfkit_loom))]
mod symbol;
#[cfg(not(perfkit_loom))]
mod threads;
#[cfg(not(perfkit_loom))]
mod unwind;
#[cfg(not(perfkit_loom))]
mod vars;

#[cfg(not(perfkit_loom))]
pub use contention::{set_block_profile_rate, set_mutex_profile_fraction};
#[cfg(not(perfkit_loom))]
pub use cpu::{CpuProfile, CpuProfileError, CpuProfiler, DEFAULT_HZ, cpu_profile};
#[cfg(not(perfkit_loom))]
pub use handler::{Response, handle};
#[cfg(not(perfkit_loom))]
pub use heap::{
    DEFAULT_SAMPLE_RATE, HeapProfiler, HeapStats, heap_stats, sample_rate, set_sample_rate,
};
#[cfg(not(perfkit_loom))]
pub use perfkit_utils::lock::{
    Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
#[cfg(not(perfkit_loom))]
pub use server::{Server, serve};
#[cfg(not(perfkit_loom))]
pub use vars::{ProcessMemory, process_memory};

#[cfg(not(perfkit_loom))]
/// A profile as gzipped `profile.proto`, without going through HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileKind {
    /// Live memory by allocating stack (`inuse_space` by default in pprof).
    Heap,
    /// The same samples, `alloc_space` by default.
    Allocs,
    /// Holders of contended perfkit locks.
    Mutex,
    /// Waiters on perfkit locks.
    Block,
    /// Every thread's stack.
    Threads,
}

#[cfg(not(perfkit_loom))]
/// The gzipped `profile.proto` of `kind`, now.
pub fn profile(kind: ProfileKind) -> Vec<u8> {
    match kind {
        ProfileKind::Heap => heap::profile(None),
        ProfileKind::Allocs => heap::profile(Some("alloc_space")),
        ProfileKind::Mutex => contention::profile(contention::Kind::Mutex),
        ProfileKind::Block => contention::profile(contention::Kind::Block),
        ProfileKind::Threads => threads::profile(),
    }
    .encode()
}

/// The unit tests run with the profiler as their allocator.
#[cfg(all(test, not(perfkit_loom)))]
#[global_allocator]
static TEST_ALLOC: HeapProfiler<std::alloc::System> = HeapProfiler::new(std::alloc::System);

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
