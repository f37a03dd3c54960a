//! docs/PATTERNS.md, entry 13. Pre-allocation: pre-allocation.

use std::collections::HashMap;
use std::hint::black_box;

use super::{group, single};
use crate::registry::{Group, Role, Throughput};

const N: u64 = 1000;

pub(super) fn prealloc_vec() -> Group {
    group(
        "prealloc-vec",
        "collect 1,000 u64s into a Vec pushed one by one",
        Some(Throughput::Elements(N)),
        "Vec::new grows by doubling: 10 reallocations (and copies) for 1,000 elements.",
        1000,
        vec![
            single("Vec::new + push", Role::Baseline, || {
                let mut v = Vec::new();
                for i in 0..black_box(N) {
                    v.push(i);
                }
                black_box(&v);
                v.len() as u64
            }),
            single("Vec::with_capacity + push", Role::Pattern, || {
                let n = black_box(N);
                let mut v = Vec::with_capacity(n as usize);
                for i in 0..n {
                    v.push(i);
                }
                black_box(&v);
                v.len() as u64
            }),
        ],
    )
}

pub(super) fn prealloc_map() -> Group {
    group(
        "prealloc-map",
        "insert 1,000 u64 keys into a HashMap",
        Some(Throughput::Elements(N)),
        "HashMap::new rehashes every key at each growth (7 times for 1,000 keys); \
         with_capacity allocates the final table once. Same hasher (std's SipHash) in both.",
        100,
        vec![
            single("HashMap::new + insert", Role::Baseline, || {
                let mut m = HashMap::new();
                for i in 0..black_box(N) {
                    m.insert(i, i);
                }
                m.len() as u64
            }),
            single("HashMap::with_capacity + insert", Role::Pattern, || {
                let n = black_box(N);
                let mut m = HashMap::with_capacity(n as usize);
                for i in 0..n {
                    m.insert(i, i);
                }
                m.len() as u64
            }),
        ],
    )
}
