//! `Counter`: exact totals under contention, take/reset accounting, slot reuse, wrapping.
#![cfg(not(perfkit_loom))]

use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};

use perfkit_counters::Counter;

/// Operations per thread in the stress tests: 100,000 times `PERFKIT_STRESS`, a factor
/// (default 1; CI runs the stress tests again at 4).
fn per_thread() -> u64 {
    let factor: u64 = std::env::var("PERFKIT_STRESS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    100_000 * factor
}

fn hammer(counter: &Counter, threads: usize, each: u64) {
    let start = Barrier::new(threads);
    std::thread::scope(|s| {
        for t in 0..threads {
            let start = &start;
            s.spawn(move || {
                start.wait();
                for i in 0..each {
                    // Mix `inc` and `add` so both paths are exercised.
                    if (i + t as u64).is_multiple_of(3) {
                        counter.add(2)
                    } else {
                        counter.inc()
                    }
                }
            });
        }
    });
}

fn expected(threads: usize, each: u64) -> u64 {
    (0..threads as u64)
        .map(|t| {
            (0..each)
                .map(|i| if (i + t).is_multiple_of(3) { 2 } else { 1 })
                .sum::<u64>()
        })
        .sum()
}

#[test]
fn exact_sum_from_many_threads_starting_uninflated() {
    let counter = Counter::new();
    hammer(&counter, 8, per_thread());
    assert_eq!(counter.sum(), expected(8, per_thread()));
}

#[test]
fn exact_sum_from_many_threads_starting_striped() {
    let counter = Counter::striped();
    hammer(&counter, 8, per_thread());
    assert_eq!(counter.sum(), expected(8, per_thread()));
}

#[test]
fn contention_inflates_and_one_thread_does_not() {
    let counter = Counter::new();
    for _ in 0..10_000 {
        counter.inc();
    }
    assert!(
        !counter.is_striped(),
        "a single thread never fails its compare-exchange"
    );
    // Two threads at once collide sooner or later; give them plenty of chances.
    for _ in 0..50 {
        hammer(&counter, 2, 100_000);
        if counter.is_striped() {
            break;
        }
    }
    assert!(counter.is_striped(), "two threads hammering never collided");
}

#[test]
fn more_live_threads_than_stripes_share_the_base_cell() {
    // 300 threads alive at once exceed the largest possible stripe count (256), so some of
    // them get no slot and must fall back to the shared cell without losing counts.
    let counter = Counter::striped();
    let threads = 300;
    let all_alive = Barrier::new(threads);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                counter.inc();
                all_alive.wait();
                for _ in 0..99 {
                    counter.inc();
                }
            });
        }
    });
    assert_eq!(counter.sum(), 300 * 100);
}

#[test]
fn slots_are_reused_by_later_threads() {
    let counter = Counter::striped();
    for round in 1..=50u64 {
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| counter.add(round));
            }
        });
    }
    assert_eq!(counter.sum(), 3 * (1..=50).sum::<u64>());
}

#[test]
fn concurrent_take_hands_out_every_increment_exactly_once() {
    let counter = Counter::new();
    let taken = AtomicU64::new(0);
    let adders_done = AtomicU64::new(0);
    let adders = 3;
    let each = per_thread();
    std::thread::scope(|s| {
        for _ in 0..adders {
            s.spawn(|| {
                for _ in 0..each {
                    counter.inc();
                }
                adders_done.fetch_add(1, Ordering::Release);
            });
        }
        for _ in 0..2 {
            s.spawn(|| {
                while adders_done.load(Ordering::Acquire) < adders {
                    taken.fetch_add(counter.take(), Ordering::Relaxed);
                }
            });
        }
    });
    let total = taken.load(Ordering::Relaxed) + counter.take();
    assert_eq!(total, adders * each);
    assert_eq!(counter.sum(), 0);
}

#[test]
fn sum_never_exceeds_what_was_added_during_takes() {
    let counter = Counter::striped();
    let stop = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..per_thread() {
                counter.inc();
            }
            stop.store(1, Ordering::Release);
        });
        s.spawn(|| {
            let mut taken = 0u64;
            while stop.load(Ordering::Acquire) == 0 {
                let pending = counter.sum();
                // A wrapped-around (negative) stripe would show up as a huge number.
                assert!(
                    taken + pending <= per_thread(),
                    "sum {pending} after taking {taken}"
                );
                taken += counter.take();
            }
        });
    });
}

#[test]
fn matches_a_plain_u64_on_a_random_sequence() {
    // A single-threaded oracle check over a pseudo-random mix of every operation, on both forms.
    for counter in [Counter::new(), Counter::striped()] {
        let mut oracle = 0u64;
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 10 {
                0 => assert_eq!(counter.take(), std::mem::take(&mut oracle)),
                1 => {
                    counter.reset();
                    oracle = 0;
                }
                2 => assert_eq!(counter.sum(), oracle),
                3 => {
                    counter.add(x >> 1);
                    oracle = oracle.wrapping_add(x >> 1);
                }
                _ => {
                    counter.inc();
                    oracle += 1;
                }
            }
        }
        assert_eq!(counter.sum(), oracle);
    }
}

#[test]
fn arithmetic_wraps() {
    for counter in [Counter::new(), Counter::striped()] {
        counter.add(u64::MAX);
        counter.add(2);
        assert_eq!(counter.sum(), 1);
        assert_eq!(counter.take(), 1);
    }
}

#[test]
fn many_counters_created_and_dropped() {
    for i in 0..1_000u64 {
        let counter = if i % 2 == 0 {
            Counter::striped()
        } else {
            Counter::new()
        };
        counter.add(i);
        assert_eq!(counter.sum(), i);
    }
}

#[test]
fn usable_from_a_static_and_shareable() {
    static HITS: Counter = Counter::new();
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Counter>();
    HITS.add(41);
    HITS.inc();
    assert_eq!(HITS.sum(), 42);
    assert_eq!(format!("{HITS:?}"), "Counter { sum: 42, striped: false }");
    assert_eq!(Counter::default().sum(), 0);
}
