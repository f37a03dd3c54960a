//! Area `counters`: increments from 1 and 2 threads, and the cost of reading a counter.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use perfkit_counters::Counter;

use crate::measure::{self, Sample};
use crate::registry::{CHECK_ITERS, Case, Group, Role, Throughput};

/// A counter under test: how to add one and how to take the total out.
trait Incr: Send + Sync + 'static {
    fn incr(&self);
    fn take(&self) -> u64;
}

impl Incr for Mutex<u64> {
    #[inline]
    fn incr(&self) {
        *self.lock().expect("poisoned") += 1;
    }
    fn take(&self) -> u64 {
        std::mem::take(&mut *self.lock().expect("poisoned"))
    }
}

impl Incr for AtomicU64 {
    #[inline]
    fn incr(&self) {
        self.fetch_add(1, Ordering::Relaxed);
    }
    fn take(&self) -> u64 {
        self.swap(0, Ordering::Relaxed)
    }
}

impl Incr for Counter {
    #[inline]
    fn incr(&self) {
        self.inc();
    }
    fn take(&self) -> u64 {
        Counter::take(self)
    }
}

/// `threads` threads incrementing one long-lived shared counter (as a `static` would be); the
/// answer is what the counter holds afterwards, which must equal the number of increments.
fn increments<C: Incr>(name: &str, role: Role, threads: usize, counter: C) -> Case {
    let counter = Arc::new(counter);
    Case::new(name, role, threads, move |iters| {
        let mut sample = measure::threads(threads, iters, |_, n| {
            let counter = black_box(&*counter);
            for _ in 0..n {
                counter.incr();
            }
            0
        });
        sample.answer = counter.take();
        sample
    })
}

/// One thread reading a counter that holds 42; the answer is the sum of the reads.
fn reads(name: &str, role: Role, read: impl Fn() -> u64 + Send + Sync + 'static) -> Case {
    Case::new(name, role, 1, move |iters| -> Sample {
        measure::single(iters, |n| {
            let mut total = 0u64;
            for _ in 0..n {
                total = total.wrapping_add(black_box(read()));
            }
            total
        })
    })
}

pub(super) fn groups() -> Vec<Group> {
    let increment = Group {
        name: "counters",
        area: "counters",
        about: "one increment of a shared counter; time/op is aggregate (wall time / all increments)",
        throughput: Some(Throughput::Elements(1)),
        notes: "Each multi-threaded case runs its threads for the whole interval (barrier start). \
                AtomicU64/1t is the uncontended floor: a striped Counter below it scales. \
                Counter/1t never sees contention, so it stays one compare-exchange cell; \
                Counter::striped/1t shows the owned-stripe path on one thread. \
                AtomicU64/2t is the peer: the contended atomic a user would otherwise write \
                (no maintained crate offers a striped counter with take()).",
        check_iters: CHECK_ITERS,
        cases: vec![
            increments("Mutex<u64>", Role::Baseline, 1, Mutex::new(0u64)),
            increments("AtomicU64", Role::Floor, 1, AtomicU64::new(0)),
            increments("Counter", Role::Pattern, 1, Counter::new()),
            increments("Counter::striped", Role::Pattern, 1, Counter::striped()),
            increments("Mutex<u64>", Role::Baseline, 2, Mutex::new(0u64)),
            increments("AtomicU64", Role::Peer, 2, AtomicU64::new(0)),
            increments("Counter", Role::Pattern, 2, Counter::new()),
        ],
    };

    let mutex = Mutex::new(42u64);
    let atomic = AtomicU64::new(42);
    let plain = Counter::new();
    plain.add(42);
    let striped = Counter::striped();
    striped.add(42);
    let read = Group {
        name: "counters-sum",
        area: "counters",
        about: "one read of a counter's total (lock+load, load, or sum over stripes)",
        throughput: Some(Throughput::Elements(1)),
        notes: "Counter::sum on a striped counter visits every stripe: its cost grows with the \
                stripe count (2 x cores rounded up to a power of two, at least 4). \
                AtomicU64::load is the peer: what a plain atomic counter's read costs.",
        check_iters: CHECK_ITERS,
        cases: vec![
            reads("Mutex<u64>", Role::Baseline, move || {
                *mutex.lock().expect("poisoned")
            }),
            reads("AtomicU64::load", Role::Peer, move || {
                atomic.load(Ordering::Relaxed)
            }),
            reads("Counter::sum", Role::Pattern, move || plain.sum()),
            reads("Counter::sum(striped)", Role::Pattern, move || {
                striped.sum()
            }),
        ],
    };
    vec![increment, read]
}
