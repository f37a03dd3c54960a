//! Loom models of every protocol in the crate beyond a lone atomic instruction:
//! inflation (base CAS → publish stripes, loser frees its allocation), owned-stripe adds against
//! concurrent `take`/`sum`, thread-slot claim/release/reuse, and `MaxGauge`'s read-then-`fetch_max`.
//!
//! Run: `RUSTFLAGS="--cfg perfkit_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2
//!       cargo test -p perfkit-counters --release --test loom --target-dir target-loom`
//! Under loom there are two stripes, so a third thread exercises the shared fall-back.
#![cfg(perfkit_loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU64, Ordering};
use loom::thread;
use perfkit_counters::{Counter, MaxGauge};

#[test]
fn two_adders_inflate_without_losing_counts_or_leaking() {
    loom::model(|| {
        let counter = Arc::new(Counter::new());
        let handles: Vec<_> = (1..=2)
            .map(|n| {
                let counter = counter.clone();
                thread::spawn(move || {
                    counter.add(n);
                    counter.add(n * 10);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(counter.sum(), 33);
        assert_eq!(counter.take(), 33);
        assert_eq!(counter.sum(), 0);
    });
}

#[test]
fn take_races_owned_adds_and_counts_each_once() {
    loom::model(|| {
        let counter = Arc::new(Counter::striped());
        let adder = {
            let counter = counter.clone();
            thread::spawn(move || {
                counter.add(1);
                counter.add(2);
            })
        };
        let taker = {
            let counter = counter.clone();
            thread::spawn(move || {
                let pending = counter.sum();
                assert!(pending <= 3, "sum saw {pending}");
                counter.take()
            })
        };
        // The main thread takes too (taking claims no slot), so two takes race on one stripe.
        let mine = counter.take();
        adder.join().unwrap();
        let theirs = taker.join().unwrap();
        assert_eq!(mine + theirs + counter.take(), 3);
    });
}

#[test]
fn slot_exhaustion_falls_back_and_slots_are_reused() {
    loom::model(|| {
        // Two stripes under loom and three adding threads: one of them runs on the shared cell,
        // or on a slot freed by a thread that already exited. (Only spawned threads add: loom
        // tears down the main thread's thread-locals after its statics.)
        let counter = Arc::new(Counter::striped());
        let handles: Vec<_> = [1u64, 10, 100]
            .into_iter()
            .map(|n| {
                let counter = counter.clone();
                thread::spawn(move || counter.add(n))
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(counter.sum(), 111);
    });
}

#[test]
fn reused_slot_sees_previous_owners_writes() {
    loom::model(|| {
        let counter = Arc::new(Counter::striped());
        let taken = Arc::new(AtomicU64::new(0));
        // First owner adds and exits; the second thread may claim the same slot while the main
        // thread takes concurrently.
        let first = {
            let counter = counter.clone();
            thread::spawn(move || counter.add(5))
        };
        let second = {
            let counter = counter.clone();
            thread::spawn(move || counter.add(7))
        };
        taken.fetch_add(counter.take(), Ordering::Relaxed);
        first.join().unwrap();
        second.join().unwrap();
        assert_eq!(taken.load(Ordering::Relaxed) + counter.take(), 12);
    });
}

#[test]
fn max_gauge_keeps_the_peak_across_records_and_take() {
    loom::model(|| {
        let peak = Arc::new(MaxGauge::new());
        let handles: Vec<_> = [3u64, 5]
            .into_iter()
            .map(|v| {
                let peak = peak.clone();
                thread::spawn(move || peak.record(v))
            })
            .collect();
        let interval = peak.take();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(interval.max(peak.get()), 5);
    });
}
