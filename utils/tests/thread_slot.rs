//! `ThreadSlot`: claiming, `claimed` never claiming, distinct slots for live threads.
#![cfg(not(perfkit_loom))]

use std::sync::Barrier;

use perfkit_utils::ThreadSlot;

#[test]
fn claimed_reports_a_slot_only_after_current_claims_it() {
    std::thread::spawn(|| {
        assert_eq!(ThreadSlot::claimed(), None, "a fresh thread holds no slot");
        assert_eq!(ThreadSlot::claimed(), None, "`claimed` does not claim");
        let mine = ThreadSlot::current().expect("a free slot");
        assert!(mine < ThreadSlot::count());
        assert_eq!(ThreadSlot::claimed(), Some(mine));
        assert_eq!(ThreadSlot::current(), Some(mine));
    })
    .join()
    .unwrap();
}

#[test]
fn live_threads_hold_distinct_slots() {
    let threads = ThreadSlot::count().min(4);
    let barrier = Barrier::new(threads);
    let mut slots: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let slot = ThreadSlot::current();
                    // Every thread holds its slot until all have claimed one.
                    barrier.wait();
                    slot
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect()
    });
    let claimed = slots.len();
    slots.sort_unstable();
    slots.dedup();
    assert_eq!(slots.len(), claimed, "two live threads shared a slot");
}
