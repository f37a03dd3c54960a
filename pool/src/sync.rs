//! The one place that imports atomics, `Arc` and the shared queue.
//!
//! Under `--cfg perfkit_loom` they come from [`loom`] (the queue becomes a loom `Mutex<VecDeque>` with
//! `ArrayQueue`'s API), so the model checker sees every hand-off; otherwise from `std` and
//! `crossbeam-queue`.

#[cfg(not(perfkit_loom))]
pub(crate) use crossbeam_queue::ArrayQueue;
// `std`'s `Arc` even under loom: `Pool::get_owned` takes `self: &Arc<Self>`, which only std's
// `Arc` allows as a receiver; its reference count is not part of any protocol of ours.
pub(crate) use std::sync::{Arc, Weak};
// perfkit's locks (std's, whose contended path reports to the contention hook, so the pools'
// locks show in `perfkit-profile`'s mutex and block profiles) always: the resource and worker
// pools are lock-based (stress-tested, not modelled); the worker queue is crossbeam-channel's.
pub(crate) use perfkit_utils::lock::{Condvar, Mutex, MutexGuard};
pub(crate) use perfkit_utils::sync::{AtomicPtr, AtomicU64, AtomicUsize, CachePadded, Ordering};
// perfkit-utils re-exports no fence (nothing else needs one): loom's under the model checker.
#[cfg(perfkit_loom)]
pub(crate) use loom::sync::atomic::fence;
#[cfg(not(perfkit_loom))]
pub(crate) use std::sync::atomic::fence;

/// `crossbeam_queue::ArrayQueue`'s API over a loom mutex, for models.
#[cfg(perfkit_loom)]
#[derive(Debug)]
pub(crate) struct ArrayQueue<T> {
    items: loom::sync::Mutex<std::collections::VecDeque<T>>,
    capacity: usize,
}

#[cfg(perfkit_loom)]
impl<T> ArrayQueue<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "capacity must be non-zero");
        Self {
            items: loom::sync::Mutex::new(std::collections::VecDeque::new()),
            capacity,
        }
    }

    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        let mut items = self.items.lock().unwrap();
        if items.len() == self.capacity {
            return Err(value);
        }
        items.push_back(value);
        Ok(())
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.items.lock().unwrap().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.lock().unwrap().len()
    }
}
