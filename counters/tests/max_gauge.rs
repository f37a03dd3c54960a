//! `MaxGauge`: the true maximum under concurrent records, and per-interval peaks via `take`.
#![cfg(not(perfkit_loom))]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use perfkit_counters::MaxGauge;

#[test]
fn records_the_maximum_from_many_threads() {
    let peak = MaxGauge::new();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let peak = &peak;
            s.spawn(move || {
                for i in 0..100_000u64 {
                    peak.record((i * 7 + t) % 100_003);
                }
            });
        }
    });
    let expected = (0..4u64)
        .flat_map(|t| (0..100_000u64).map(move |i| (i * 7 + t) % 100_003))
        .max();
    assert_eq!(Some(peak.get()), expected);
}

#[test]
fn take_splits_peaks_into_intervals_without_losing_the_largest() {
    let peak = MaxGauge::new();
    let done = AtomicBool::new(false);
    let best_taken = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            for v in 0..200_000u64 {
                peak.record(v);
            }
            done.store(true, Ordering::Release);
        });
        s.spawn(|| {
            while !done.load(Ordering::Acquire) {
                best_taken.fetch_max(peak.take(), Ordering::Relaxed);
            }
        });
    });
    let overall = best_taken.load(Ordering::Relaxed).max(peak.take());
    assert_eq!(overall, 199_999);
}

#[test]
fn reset_and_small_values() {
    let peak = MaxGauge::default();
    peak.record(5);
    peak.record(3);
    assert_eq!(peak.get(), 5);
    peak.reset();
    peak.record(2);
    assert_eq!(peak.get(), 2);
    assert_eq!(format!("{peak:?}"), "MaxGauge(2)");
}
