//! The one place that imports atomics, cells and thread-local storage.
//!
//! Under `--cfg loom` every item comes from [`loom`], so the model checker sees every access;
//! otherwise from `std`. The rest of the crate imports from here and nowhere else.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicI64, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::thread_local;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicI64, AtomicPtr, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::thread_local;

pub(crate) use crossbeam_utils::CachePadded;
pub(crate) use std::cell::Cell;
