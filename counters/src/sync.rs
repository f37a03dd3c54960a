//! The one place that imports atomics, cells and thread-local storage: perfkit-utils' loom
//! switch, so that under `--cfg perfkit_loom` every item comes from [`loom`] and the model
//! checker sees every access; otherwise from `std`. The rest of the crate imports from here and
//! nowhere else.

pub(crate) use perfkit_utils::sync::{AtomicI64, AtomicPtr, AtomicU64, CachePadded, Ordering};
