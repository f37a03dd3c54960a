//! `Gauge`: exact level after concurrent ups and downs.
#![cfg(not(perfkit_loom))]

use perfkit_counters::Gauge;

#[test]
fn ups_and_downs_from_many_threads_balance() {
    let gauge = Gauge::new();
    std::thread::scope(|s| {
        for t in 0..4i64 {
            let gauge = &gauge;
            s.spawn(move || {
                for _ in 0..50_000 {
                    gauge.inc();
                    gauge.add(t);
                    gauge.sub(t);
                    gauge.dec();
                }
                gauge.add(t);
            });
        }
    });
    assert_eq!(gauge.get(), 1 + 2 + 3);
}

#[test]
fn set_get_negative_and_wrapping() {
    static LEVEL: Gauge = Gauge::new();
    LEVEL.set(-5);
    assert_eq!(LEVEL.get(), -5);
    LEVEL.set(i64::MAX);
    LEVEL.inc();
    assert_eq!(LEVEL.get(), i64::MIN);
    assert_eq!(format!("{:?}", Gauge::default()), "Gauge(0)");
}
