//! docs/PATTERNS.md, entry 16. False sharing: false sharing.

use crate::measure;
use crate::registry::Case;
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering};

use super::group;
use crate::registry::{Group, Role, Throughput};

pub(super) fn false_sharing() -> Group {
    fn case<C: Sync + Send + 'static>(
        name: &str,
        role: Role,
        cells: C,
        get: fn(&C, usize) -> &AtomicU64,
    ) -> Case {
        let cells = std::sync::Arc::new(cells);
        Case::new(name, role, 2, move |iters| {
            for t in 0..2 {
                get(&cells, t).store(0, Ordering::Relaxed);
            }
            let mut sample = measure::threads(2, iters, |t, n| {
                let cell = get(&cells, t);
                for _ in 0..n {
                    cell.fetch_add(1, Ordering::Relaxed);
                }
                0
            });
            sample.answer =
                get(&cells, 0).load(Ordering::Relaxed) + get(&cells, 1).load(Ordering::Relaxed);
            sample
        })
    }
    group(
        "false-sharing",
        "two threads, each incrementing its own counter; time/op is aggregate",
        Some(Throughput::Elements(1)),
        "The counters are separate variables: no data is shared, yet adjacent AtomicU64s sit \
         on one cache line, which both cores must own to write. CachePadded gives each counter \
         its own line (128 bytes on x86_64, for the adjacent-line prefetcher).",
        5_040,
        vec![
            case(
                "adjacent AtomicU64s",
                Role::Baseline,
                [AtomicU64::new(0), AtomicU64::new(0)],
                |c, t| &c[t],
            ),
            case(
                "CachePadded<AtomicU64>",
                Role::Pattern,
                [
                    CachePadded::new(AtomicU64::new(0)),
                    CachePadded::new(AtomicU64::new(0)),
                ],
                |c, t| &c[t],
            ),
        ],
    )
}
