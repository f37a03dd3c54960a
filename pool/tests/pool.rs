//! `Pool`: objects come back reset, the pool stays bounded, nothing is handed to two holders,
//! nothing leaks or is dropped twice, and panics neither poison nor leak.
#![cfg(not(perfkit_loom))]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use perfkit_pool::{Pool, Reset};

mod common;

/// Operations per thread in the stress tests (see `common::stress`).
fn stress_ops() -> usize {
    common::stress(20_000)
}

/// Fills an object through `fill`, returns it, and checks the next `get` (the same object, by
/// address) comes back reset according to `is_reset`.
fn comes_back_reset<T: Reset + Send + 'static>(
    create: fn() -> T,
    fill: fn(&mut T),
    is_reset: fn(&T) -> bool,
) {
    let pool = Pool::new(create);
    let first = {
        let mut obj = pool.get();
        fill(&mut obj);
        assert!(!is_reset(&obj), "fill must change the object");
        std::ptr::from_ref::<T>(&obj) as usize
    };
    let obj = pool.get();
    assert_eq!(
        std::ptr::from_ref::<T>(&obj) as usize,
        first,
        "the same object is reused"
    );
    assert!(is_reset(&obj), "the reused object was not reset");
    assert_eq!(pool.stats().misses, 1);
    assert_eq!(pool.stats().hits, 1);
}

#[test]
fn every_std_reset_impl_hands_out_reset_objects() {
    comes_back_reset(
        || Vec::<u8>::with_capacity(64),
        |v| v.extend_from_slice(b"abc"),
        |v| v.is_empty() && v.capacity() >= 64,
    );
    comes_back_reset(
        || String::with_capacity(64),
        |s| s.push_str("dirty"),
        |s| s.is_empty() && s.capacity() >= 64,
    );
    comes_back_reset(
        || VecDeque::<u32>::with_capacity(16),
        |d| d.push_back(7),
        VecDeque::is_empty,
    );
    comes_back_reset(
        || HashMap::<u32, u32>::with_capacity(16),
        |m| {
            m.insert(1, 2);
        },
        |m| m.is_empty() && m.capacity() >= 16,
    );
    comes_back_reset(
        || HashSet::<u32>::with_capacity(16),
        |s| {
            s.insert(3);
        },
        |s| s.is_empty() && s.capacity() >= 16,
    );
    comes_back_reset(
        BTreeMap::<u32, u32>::new,
        |m| {
            m.insert(1, 2);
        },
        BTreeMap::is_empty,
    );
    comes_back_reset(
        BTreeSet::<u32>::new,
        |s| {
            s.insert(1);
        },
        BTreeSet::is_empty,
    );
    comes_back_reset(|| Box::new(vec![0u8; 0]), |b| b.push(1), |b| b.is_empty());
}

#[cfg(feature = "bytes")]
#[test]
fn bytes_mut_comes_back_reset() {
    comes_back_reset(
        || bytes::BytesMut::with_capacity(256),
        |b| b.extend_from_slice(b"payload"),
        |b| b.is_empty() && b.capacity() >= 256,
    );
}

#[cfg(feature = "bumpalo")]
#[test]
fn bump_comes_back_reset() {
    comes_back_reset(
        bumpalo::Bump::new,
        |b| {
            b.alloc_slice_fill_copy(1000, 7u64);
        },
        |b| b.allocated_bytes() > 0 && unsafe_free_check(b),
    );
    // A reset arena hands out its space again from the start: allocating the same amount does
    // not grow it.
    fn unsafe_free_check(b: &bumpalo::Bump) -> bool {
        let before = b.allocated_bytes();
        b.alloc_slice_fill_copy(1000, 1u64);
        b.allocated_bytes() == before
    }
}

#[test]
fn builder_reset_closure_for_types_without_reset() {
    #[derive(Debug)]
    struct Parser {
        stack: Vec<u32>,
        depth: usize,
    }
    let pool = Pool::builder(|| Parser {
        stack: Vec::with_capacity(8),
        depth: 0,
    })
    .reset(|p: &mut Parser| {
        p.stack.clear();
        p.depth = 0;
    })
    .build();
    {
        let mut p = pool.get();
        p.stack.extend([1, 2, 3]);
        p.depth = 3;
    }
    let p = pool.get();
    assert!(p.stack.is_empty());
    assert_eq!(p.depth, 0);
    assert!(format!("{p:?}").contains("Parser"));
}

#[test]
fn a_burst_leaves_at_most_max_idle() {
    let pool = Pool::builder(|| vec![0u8; 16]).max_idle(8).build();
    let burst: Vec<_> = (0..100).map(|_| pool.get()).collect();
    assert_eq!(pool.stats().misses, 100);
    drop(burst);
    let stats = pool.stats();
    assert_eq!(stats.idle, 8);
    assert_eq!(stats.dropped, 92);
}

#[test]
fn a_concurrent_burst_leaves_at_most_max_idle() {
    let pool = Pool::builder(|| vec![0u8; 16]).max_idle(6).build();
    let threads = 4;
    let held = Barrier::new(threads);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let burst: Vec<_> = (0..25).map(|_| pool.get()).collect();
                held.wait(); // all 100 objects are out at once
                drop(burst);
            });
        }
    });
    let stats = pool.stats();
    assert!(stats.idle <= 6, "{stats:?}");
    assert_eq!(stats.misses, 100);
    assert_eq!(stats.idle as u64 + stats.dropped, 100, "{stats:?}");
}

#[test]
fn max_idle_zero_keeps_nothing() {
    let pool = Pool::builder(String::new).max_idle(0).build();
    drop(pool.get());
    drop(pool.get());
    let stats = pool.stats();
    assert_eq!(
        (stats.misses, stats.hits, stats.idle, stats.dropped),
        (2, 0, 0, 2)
    );
}

#[test]
fn retain_drops_objects_that_grew_too_big() {
    let pool = Pool::builder(|| Vec::<u8>::with_capacity(64))
        .retain(|v: &Vec<u8>| v.capacity() <= 1024)
        .build();
    pool.get().extend_from_slice(&[0u8; 10_000]); // grows past the limit: dropped
    assert_eq!(pool.stats().dropped, 1);
    assert_eq!(pool.idle(), 0);
    drop(pool.get()); // a fresh, small one
    let v = pool.get();
    assert!(v.capacity() < 1024);
    assert_eq!(pool.stats().misses, 2);
}

#[test]
fn detached_objects_never_return() {
    let pool = Pool::new(Vec::<u8>::new);
    let mut v = pool.get();
    v.push(1);
    let kept: Vec<u8> = v.detach();
    assert_eq!(kept, [1]);
    let stats = pool.stats();
    assert_eq!((stats.detached, stats.idle), (1, 0));

    let pool = Arc::new(pool);
    let owned = pool.get_owned();
    assert_eq!(owned.detach(), Vec::<u8>::new());
    assert_eq!(pool.stats().detached, 2);
    // The detached guard let go of its `Arc` exactly once.
    assert_eq!(Arc::strong_count(&pool), 1);
}

#[test]
fn owned_guards_return_from_other_threads() {
    let pool = Arc::new(
        Pool::builder(|| Vec::<u64>::with_capacity(4))
            .max_idle(16)
            .build(),
    );
    let guards: Vec<_> = (0..8).map(|_| pool.get_owned()).collect();
    std::thread::scope(|s| {
        for (i, mut g) in guards.into_iter().enumerate() {
            s.spawn(move || g.push(i as u64));
        }
    });
    assert_eq!(pool.idle(), 8);
    for _ in 0..8 {
        assert!(pool.get().is_empty());
    }
    assert_eq!(pool.stats().misses, 8);
}

#[test]
fn put_try_get_prefill_and_no_thread_cache() {
    let pool = Pool::builder(String::new)
        .max_idle(3)
        .prefill(10)
        .thread_cache(false)
        .build();
    assert_eq!(pool.idle(), 3, "prefill stops at max_idle");
    assert_eq!(pool.stats().misses, 0, "prefilling is not a miss");
    let a = pool.try_get().expect("prefilled");
    let b = pool.try_get().expect("prefilled");
    let c = pool.try_get().expect("prefilled");
    assert!(pool.try_get().is_none(), "try_get never creates");
    drop((a, b, c));
    assert!(pool.put("extra".to_owned()).is_err(), "full");
    let _one = pool.get();
    assert_eq!(pool.put("x".to_owned()), Ok(()));
    assert!(pool.get().is_empty(), "put resets too");
}

/// An object that fails the test if two holders ever have it at once.
#[derive(Debug, Default)]
struct Exclusive {
    busy: AtomicBool,
    uses: usize,
}

#[test]
fn stress_no_object_is_ever_held_twice() {
    for (max_idle, thread_cache) in [(2, true), (64, true), (3, false)] {
        let pool = Pool::builder(Exclusive::default)
            .reset(|e: &mut Exclusive| e.uses = 0)
            .max_idle(max_idle)
            .thread_cache(thread_cache)
            .build();
        std::thread::scope(|s| {
            for t in 0..4 {
                let pool = &pool;
                s.spawn(move || {
                    for i in 0..stress_ops() {
                        let mut a = pool.get();
                        assert!(!a.busy.swap(true, Ordering::Acquire), "handed out twice");
                        assert_eq!(a.uses, 0, "not reset");
                        a.uses += 1;
                        // Sometimes hold two at once, so objects also move through the queue.
                        if (i + t) % 3 == 0 {
                            let mut b = pool.get();
                            assert!(!b.busy.swap(true, Ordering::Acquire), "handed out twice");
                            b.uses += 1;
                            b.busy.store(false, Ordering::Release);
                        }
                        a.busy.store(false, Ordering::Release);
                    }
                });
            }
        });
        let stats = pool.stats();
        assert!(stats.idle <= max_idle, "{stats:?}");
        let gets = stats.hits + stats.misses;
        let expected: u64 = (0..4)
            .map(|t| {
                (0..stress_ops())
                    .map(|i| 1 + u64::from((i + t) % 3 == 0))
                    .sum::<u64>()
            })
            .sum();
        assert_eq!(gets, expected, "{stats:?}");
        assert_eq!(stats.misses, stats.idle as u64 + stats.dropped, "{stats:?}");
    }
}

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Counts live instances, to prove every object is dropped exactly once.
#[derive(Debug)]
struct Counted;

impl Counted {
    fn new() -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn every_object_is_dropped_exactly_once() {
    {
        let pool = Arc::new(
            Pool::builder(Counted::new)
                .reset(|_: &mut Counted| {})
                .max_idle(5)
                .build(),
        );
        // Objects in this thread's entry (including one lent and returned elsewhere), in the
        // queue, detached, dropped for being over max_idle, and dropped by panicking holders.
        let held: Vec<_> = (0..9).map(|_| pool.get()).collect();
        let owned = pool.get_owned();
        std::thread::spawn(move || drop(owned)).join().unwrap();
        drop(pool.get().detach());
        drop(held);
        let pool2 = Arc::clone(&pool);
        let _ = std::thread::spawn(move || {
            let _g = pool2.get();
            panic!("holder panics");
        })
        .join();
        assert_eq!(
            LIVE.load(Ordering::SeqCst),
            pool.idle(),
            "live objects are the idle ones"
        );
    }
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        0,
        "dropping the pool drops every idle object"
    );
}

#[test]
fn a_panicking_holder_neither_poisons_nor_leaks() {
    let pool = Pool::new(Vec::<u32>::new);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut v = pool.get();
        v.push(1);
        panic!("holder fails mid-update");
    }));
    assert!(result.is_err());
    let stats = pool.stats();
    assert_eq!(
        (stats.dropped, stats.idle),
        (1, 0),
        "the half-updated object is not reused"
    );
    let mut v = pool.get();
    v.push(2);
    assert_eq!(&v[..], [2]);
}

#[test]
fn a_panicking_reset_neither_poisons_nor_leaks() {
    let pool = Pool::builder(Vec::<u32>::new)
        .reset(|v: &mut Vec<u32>| {
            assert!(v.len() < 3, "reset refuses long vectors");
            v.clear();
        })
        .build();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut v = pool.get();
        v.extend([1, 2, 3]);
    }));
    assert!(result.is_err());
    assert_eq!(pool.stats().dropped, 1);
    drop(pool.get());
    assert_eq!(pool.stats().idle, 1, "the pool still works");
}

#[test]
fn usable_from_a_static() {
    use std::sync::LazyLock;
    static SCRATCH: LazyLock<Pool<String>> = LazyLock::new(|| Pool::new(String::new));
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Pool<String>>();
    assert_send_sync::<Pool<bumpalo_free::NotSync>>();
    SCRATCH.get().push('x');
    assert!(SCRATCH.get().is_empty());
    assert!(format!("{:?}", *SCRATCH).contains("max_idle"));
}

mod bumpalo_free {
    /// `Send` but not `Sync`, like `bumpalo::Bump`: a pool of it is still `Sync`.
    pub(crate) struct NotSync(pub(crate) std::cell::Cell<u32>);
    impl perfkit_pool::Reset for NotSync {
        fn reset(&mut self) {
            self.0.set(0);
        }
    }
}

#[test]
fn a_huge_buffer_is_shrunk_on_return_so_idle_memory_stays_bounded() {
    use perfkit_pool::object::MAX_RETAINED_BYTES;
    let pool = Pool::new(Vec::<u8>::new);
    {
        let mut big = pool.get();
        big.resize(100 << 20, 1); // a 100 MiB request
    }
    let again = pool.get();
    assert!(again.is_empty());
    assert!(
        again.capacity() <= MAX_RETAINED_BYTES,
        "kept {} bytes",
        again.capacity()
    );
    drop(again);
    // Small buffers keep their capacity.
    let mut s = String::with_capacity(4096);
    s.push('x');
    s.reset();
    assert!(s.capacity() >= 4096);
    let mut wide: Vec<u64> = Vec::with_capacity(MAX_RETAINED_BYTES); // 8 MiB of u64
    wide.reset();
    assert_eq!(wide.capacity() * 8, MAX_RETAINED_BYTES);
}

#[test]
fn shrink_idle_and_clear_drop_the_shared_queues_objects() {
    let pool = Pool::builder(|| Vec::<u8>::with_capacity(16))
        .max_idle(8)
        .build();
    // Eight buffers out at once, all returned: one lands in this thread's slot, the rest in
    // the shared queue.
    let held: Vec<_> = (0..8).map(|_| pool.get()).collect();
    drop(held);
    assert_eq!(pool.idle(), 8);
    assert_eq!(pool.shrink_idle(3), 4);
    assert_eq!(pool.idle(), 4);
    assert_eq!(pool.clear(), 3);
    assert_eq!(pool.idle(), 1, "this thread's private slot stays");
    // The freed budget is usable again.
    let held: Vec<_> = (0..8).map(|_| pool.get()).collect();
    drop(held);
    assert_eq!(pool.idle(), 8);
}
