//! Loom models of the pool's hand-offs: the per-thread entries (owner-only plain stores, which
//! rely on `perfkit_utils::ThreadSlot` exclusivity), the lent-hint protocol when an object
//! returns on another thread, and the `max_idle` budget shared with the queue.
//!
//! Run: `RUSTFLAGS="--cfg perfkit_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2
//!       cargo test -p perfkit-pool --release --test loom --target-dir target-loom`
//! Under loom there are two thread slots. Only spawned threads use the pool: loom tears down
//! the main thread's thread-locals after its statics.
#![cfg(perfkit_loom)]

use loom::alloc::Track;
use loom::cell::UnsafeCell;
use loom::thread;
use perfkit_pool::Pool;
use std::sync::Arc;

/// A pooled object whose every access goes through a loom cell: two holders at once, or a
/// holder racing the pool's reset, is reported as a data race; `Track` reports leaks.
struct Probe {
    value: UnsafeCell<u64>,
    _track: Track<()>,
}

fn probe() -> Probe {
    Probe {
        value: UnsafeCell::new(0),
        _track: Track::new(()),
    }
}

fn pool(max_idle: usize) -> Arc<Pool<Probe, fn(&mut Probe)>> {
    // SAFETY: loom's cell reports any access that races with this one.
    let reset: fn(&mut Probe) = |p| p.value.with_mut(|v| unsafe { *v = 0 });
    Arc::new(Pool::builder(probe).reset(reset).max_idle(max_idle).build())
}

/// Holds an object, checks it came reset, and writes to it.
fn use_once(pool: &Pool<Probe, fn(&mut Probe)>, mark: u64) {
    let obj = pool.get();
    // SAFETY: the loom cell checks that no other thread accesses it concurrently.
    obj.value.with_mut(|v| unsafe {
        assert_eq!(*v, 0, "handed out without reset");
        *v = mark;
    });
}

#[test]
fn two_threads_share_entries_and_queue() {
    loom::model(|| {
        let pool = pool(2);
        let handles: Vec<_> = (1..=2)
            .map(|mark| {
                let pool = pool.clone();
                thread::spawn(move || {
                    use_once(&pool, mark);
                    use_once(&pool, mark + 10);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let stats = pool.stats();
        assert!(stats.idle <= 2);
        assert_eq!(stats.hits + stats.misses, 4);
    });
}

#[test]
fn an_owned_guard_returned_on_another_thread() {
    loom::model(|| {
        let pool = pool(1);
        let lender = {
            let pool = pool.clone();
            thread::spawn(move || {
                let guard = pool.get_owned();
                // The object leaves its lending thread; its entry keeps only a hint.
                let returner = thread::spawn(move || {
                    // SAFETY: loom's cell reports any access that races with this one.
                    guard.value.with_mut(|v| unsafe { *v = 5 });
                    drop(guard);
                });
                use_once(&pool, 7);
                returner.join().unwrap();
                use_once(&pool, 9);
            })
        };
        lender.join().unwrap();
        assert!(pool.stats().idle <= 1);
    });
}

#[test]
fn holding_two_objects_spills_to_the_queue() {
    loom::model(|| {
        let pool = pool(2);
        let other = {
            let pool = pool.clone();
            thread::spawn(move || use_once(&pool, 3))
        };
        let holder = {
            let pool = pool.clone();
            thread::spawn(move || {
                let a = pool.get();
                let b = pool.get();
                // SAFETY: loom's cell reports any access that races with these.
                a.value.with_mut(|v| unsafe { *v = 1 });
                // SAFETY: as above.
                b.value.with_mut(|v| unsafe { *v = 2 });
                drop(a); // back to this thread's entry
                drop(b); // the entry is full: to the queue, or dropped
                use_once(&pool, 4);
            })
        };
        other.join().unwrap();
        holder.join().unwrap();
        let stats = pool.stats();
        assert!(stats.idle <= 2, "{stats:?}");
        assert_eq!(stats.misses, stats.idle as u64 + stats.dropped, "{stats:?}");
    });
}
