//! The loom switch: the one place the perfkit crates import atomics, cells and thread-local
//! storage from (each crate's own `sync.rs` re-exports from here).
//!
//! Under `--cfg perfkit_loom` every item comes from `loom`, so the model checker sees every
//! access; otherwise from `std`. The cfg is perfkit's own, as crossbeam's is
//! `crossbeam_loom`: a downstream user running their own loom tests with `--cfg loom` keeps
//! perfkit's normal build (`const` constructors included).

#[cfg(not(perfkit_loom))]
pub use std::sync::atomic::{AtomicI64, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(perfkit_loom))]
pub use std::thread_local;

#[cfg(perfkit_loom)]
pub use loom::sync::atomic::{AtomicI64, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
#[cfg(perfkit_loom)]
pub use loom::thread_local;

pub use crossbeam_utils::CachePadded;
pub use std::cell::Cell;
