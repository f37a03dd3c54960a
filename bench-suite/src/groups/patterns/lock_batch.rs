//! docs/PATTERNS.md, entry 20. One lock per batch ("defer in hot loops"): lock per item vs per batch ("defer in hot loops").

use std::hint::black_box;
use std::sync::Mutex;

use super::{group, single};
use crate::registry::{Group, Role, Throughput};

pub(super) fn lock_batch() -> Group {
    let per_item = Mutex::new(Vec::<u64>::with_capacity(1000));
    let per_batch = Mutex::new(Vec::<u64>::with_capacity(1000));
    group(
        "lock-batch",
        "append 1,000 items to a Mutex<Vec> (one thread)",
        Some(Throughput::Elements(1000)),
        "A guard per item is Go's `defer mu.Unlock()` inside the loop: a lock and an unlock \
         (two atomic read-modify-writes) per item. One guard around the batch pays them once. \
         Uncontended here; with contention the gap grows.",
        1000,
        vec![
            single("lock per item", Role::Baseline, move || {
                per_item.lock().expect("not poisoned").clear();
                for i in 0..black_box(1000u64) {
                    per_item.lock().expect("not poisoned").push(i);
                }
                per_item.lock().expect("not poisoned").len() as u64
            }),
            single("one lock per batch", Role::Pattern, move || {
                let mut items = per_batch.lock().expect("not poisoned");
                items.clear();
                for i in 0..black_box(1000u64) {
                    items.push(i);
                }
                items.len() as u64
            }),
        ],
    )
}
