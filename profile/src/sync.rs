//! The loom switch for the profiler's lock-free protocols (the totals' seqlock and pins, the
//! sample slots): loom's types under `--cfg perfkit_loom`, std's otherwise.

#[cfg(not(perfkit_loom))]
pub(crate) use std::hint::spin_loop;
#[cfg(not(perfkit_loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering, fence};
#[cfg(not(perfkit_loom))]
pub(crate) use std::thread::yield_now;

#[cfg(perfkit_loom)]
pub(crate) use loom::hint::spin_loop;
#[cfg(perfkit_loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering, fence};
#[cfg(perfkit_loom)]
pub(crate) use loom::thread::yield_now;
