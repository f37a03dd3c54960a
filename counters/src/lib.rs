//! Striped counters and gauges: count events from many threads without making every core fight
//! over one cache line.
//!
//! # The pattern
//! An `AtomicU64` shared by every thread is correct, but each `fetch_add` must own the cache line
//! holding it, so under contention the line bounces between cores and every increment waits for
//! it. A [`Counter`] spreads the count over *stripes*, one cache-padded cell per thread, and adds
//! them up only when somebody reads. This is Java's `LongAdder` (Doug Lea, JSR 166): start as one
//! cell, inflate to stripes on the first contended update. Where `LongAdder` hashes threads to
//! cells and updates them with compare-and-swap, each thread here owns a stripe outright (a dense
//! per-thread slot, given back when the thread exits), so an increment on a striped counter is a
//! plain load and store on a line no other thread writes: no `lock` prefix at all.
//! [`take`](Counter::take) still hands out every increment exactly once, by keeping per stripe
//! how much has been taken rather than zeroing cells under their owners' feet.
//!
//! [`Gauge`] (a signed level) and [`MaxGauge`] (a peak) are single atomics with `Relaxed`
//! ordering; they exist so that metrics code reads as what it means.
//!
//! # When to use it
//! Hot counters bumped from several threads: requests served, bytes sent, cache hits, errors.
//! The more threads increment at once, the more a `Counter` wins over an `AtomicU64`, and a
//! `Mutex<u64>` is never the right tool for a counter.
//!
//! # When not to
//! - One thread, or rarely contended: an uninflated `Counter` costs one load and one
//!   compare-exchange per add, a little more than `AtomicU64::fetch_add` (see the numbers
//!   below). Use the atomic, or [`Counter::striped`] to skip straight to the stripes.
//! - Read-heavy: [`sum`](Counter::sum) visits every stripe (O(stripes), up to 256 cache lines)
//!   and is not a linearizable snapshot. If you read as often as you write, use an `AtomicU64`.
//! - Memory-tight, many counters: an inflated counter holds `stripes × 128` bytes
//!   (`2 × cores` rounded up to a power of two, at least 4), e.g. 1 KiB on a 2-core machine,
//!   8 KiB on 32 cores. A counter that never sees contention stays 16 bytes.
//! - As a synchronisation primitive: all counters are statistics, not flags; they don't order
//!   other memory.
//! - More threads than stripes: the first threads to touch a striped counter own the stripes;
//!   any further live thread shares one atomic cell, as with a plain `AtomicU64`.
//!
//! # Measured
#![doc = include_str!("../MEASURED.md")]
//!
//! # Example
//! ```
//! use perfkit_counters::{Counter, Gauge, MaxGauge};
//!
//! static SERVED: Counter = Counter::new();
//! static QUEUED: Gauge = Gauge::new();
//! static PEAK_QUEUED: MaxGauge = MaxGauge::new();
//!
//! std::thread::scope(|s| {
//!     for _ in 0..2 {
//!         s.spawn(|| {
//!             for _ in 0..10_000 {
//!                 QUEUED.inc();
//!                 PEAK_QUEUED.record(QUEUED.get().max(0) as u64);
//!                 SERVED.inc();
//!                 QUEUED.dec();
//!             }
//!         });
//!     }
//! });
//! assert_eq!(SERVED.take(), 20_000);
//! assert_eq!(QUEUED.get(), 0);
//! assert!((1..=2).contains(&PEAK_QUEUED.get()));
//! ```

mod counter;
mod gauge;
mod max_gauge;
mod stripes;
mod sync;

pub use counter::Counter;
pub use gauge::Gauge;
pub use max_gauge::MaxGauge;
/// Moved to [`perfkit_utils`] (the shared base crate); re-exported here so that existing
/// paths keep working.
pub use perfkit_utils::ThreadSlot;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
