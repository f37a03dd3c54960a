//! Loom model of the thread-slot protocol: a claim (`compare_exchange`, `Acquire`) and the
//! release at thread exit (`fetch_and`, `Release`) hand a slot from one thread to the next with
//! everything the old owner wrote visible, and live threads never share a slot.
//!
//! Run: `RUSTFLAGS="--cfg perfkit_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2
//!       cargo test -p perfkit-utils --release --test loom --target-dir target-loom`
//! Under loom there are two slots, so one of three threads may find none free.
#![cfg(perfkit_loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use perfkit_utils::ThreadSlot;

#[test]
fn live_threads_never_share_a_slot_and_a_reused_slot_sees_its_past() {
    loom::model(|| {
        assert_eq!(ThreadSlot::count(), 2);
        // Per slot: how many threads hold it now (must never pass 1), and how many have ever
        // held it, counted with plain (relaxed) load and store by each owner in turn: a
        // missing happens-before between owners would lose a count.
        let holders: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let owners: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let (holders, owners) = (holders.clone(), owners.clone());
                thread::spawn(move || {
                    let Some(slot) = ThreadSlot::current() else {
                        return 0;
                    };
                    assert!(slot < 2);
                    assert_eq!(ThreadSlot::claimed(), Some(slot));
                    assert_eq!(
                        holders[slot].fetch_add(1, Ordering::Relaxed),
                        0,
                        "shared slot"
                    );
                    let before = owners[slot].load(Ordering::Relaxed);
                    owners[slot].store(before + 1, Ordering::Relaxed);
                    holders[slot].fetch_sub(1, Ordering::Relaxed);
                    1
                })
            })
            .collect();
        let claimed: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        let counted = owners[0].load(Ordering::Relaxed) + owners[1].load(Ordering::Relaxed);
        assert_eq!(
            counted, claimed,
            "an owner did not see the previous owner's write"
        );
        assert!(
            claimed >= 2,
            "two slots, three threads: at least two claims succeed"
        );
    });
}
