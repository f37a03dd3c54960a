//! perfkit's shared low-level primitives, at the bottom of the house (as `crossbeam-utils` is
//! for crossbeam): every other perfkit crate may depend on this one, and it depends on none of
//! them.
//!
//! - [`ThreadSlot`]: a dense index per live thread, the key of every per-thread structure in
//!   perfkit (counter stripes, pool caches, reader slots). Its guarantees are written on the
//!   type; perfkit's `unsafe` code relies on them, so the crates that use it pin this crate's
//!   exact version.
//! - [`CachePadded`]: crossbeam-utils' cache-line padding, re-exported so that every crate
//!   pads the same way.
//! - [`lock`]: `std::sync`'s `Mutex`, `RwLock` and `Condvar`, same API, whose contended path
//!   reports to the [`contention`] hook (what `perfkit-profile`'s mutex and block profiles
//!   read); the uncontended path costs what std's does.
//! - [`sync`]: the loom switch, under perfkit's own `--cfg perfkit_loom` (for perfkit's crates:
//!   what it exports depends on that cfg).
//!
//! # When to use it
//! Building a per-thread structure of your own (one cell per thread, no `thread_local!` per
//! instance): index a fixed array by [`ThreadSlot::current`].
//!
//! # When not to
//! Per-thread data that is one value per thread for the whole process: `thread_local!` is
//! simpler. A thread that finds every slot taken gets `None` and needs a shared fall-back.
//!
//! # Example
//! ```
//! use perfkit_utils::{CachePadded, ThreadSlot};
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! // One padded cell per slot: each thread writes only its own.
//! let cells: Vec<CachePadded<AtomicU64>> =
//!     (0..ThreadSlot::count()).map(|_| CachePadded::new(AtomicU64::new(0))).collect();
//! std::thread::scope(|s| {
//!     for _ in 0..2 {
//!         s.spawn(|| {
//!             let slot = ThreadSlot::current().expect("free slots");
//!             cells[slot].fetch_add(1, Ordering::Relaxed);
//!         });
//!     }
//! });
//! let total: u64 = cells.iter().map(|c| c.load(Ordering::Relaxed)).sum();
//! assert_eq!(total, 2);
//! ```
#![warn(missing_docs)]

pub mod contention;
pub mod lock;
mod slot;
pub mod sync;

pub use crossbeam_utils::CachePadded;
pub use slot::{MAX_SLOTS, ThreadSlot};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
