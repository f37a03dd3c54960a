//! The demo service's workloads: each a named function doing one thing a profile should find.
//! Shared by the demo (`cargo run -p perfkit-profile --example demo`) and the test that checks
//! `go tool pprof`'s view of it (`tests/go_pprof.rs`).

#![allow(dead_code)]

use perfkit_profile::Mutex;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Bytes [`retain_64_mib`] keeps alive.
pub(crate) const RETAINED: usize = 64 << 20;

/// A cache that is never emptied: 64 buffers of 1 MiB, kept. The leak a heap profile finds.
#[inline(never)]
pub(crate) fn retain_64_mib() -> Vec<Vec<u8>> {
    (0..RETAINED >> 20)
        .map(|i| {
            let mut block = vec![0u8; 1 << 20];
            block[0] = i as u8;
            black_box(block)
        })
        .collect()
}

/// A session cache nobody evicts: 1 MiB more (256 entries of 4 KiB) each call. The leak a
/// `-base` diff of two heap profiles finds.
#[inline(never)]
pub(crate) fn remember_sessions(cache: &mut Vec<Box<[u8]>>) {
    for i in 0..256 {
        cache.push(vec![i as u8; 4096].into_boxed_slice());
    }
}

/// Request parsing that allocates and frees small blocks: `total` bytes in 32 to 288-byte
/// blocks, each dropped at once. What dominates `alloc_space` and never shows in `inuse`.
#[inline(never)]
pub(crate) fn churn_small_blocks(total: usize) {
    let mut done = 0;
    let mut size = 32;
    while done < total {
        let block: Vec<u8> = Vec::with_capacity(size);
        black_box(&block);
        done += size;
        size = 32 + (size * 7 + 13) % 257;
    }
}

/// A hot loop: what a CPU profile puts on top.
#[inline(never)]
pub(crate) fn burn_cpu(stop: &AtomicBool) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    while !stop.load(Ordering::Relaxed) {
        let mut i = 0;
        while i < 10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            i += 1;
        }
        black_box(x);
    }
    x
}

/// Holds the lock for 2 ms at a time (a slow call made under it): the holder a mutex profile
/// names.
#[inline(never)]
pub(crate) fn hold_lock_long(lock: &Mutex<u64>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let mut guard = lock.lock().unwrap();
        *guard += 1;
        std::thread::sleep(Duration::from_millis(2));
        drop(guard);
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Takes the same lock briefly, again and again: the waiter a block profile names.
#[inline(never)]
pub(crate) fn wait_for_lock(lock: &Mutex<u64>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        *lock.lock().unwrap() += 1;
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// Start the contention pair and `burners` CPU burners on named threads until `stop`.
pub(crate) fn spawn_background(
    stop: &Arc<AtomicBool>,
    burners: usize,
) -> Vec<std::thread::JoinHandle<()>> {
    let lock = Arc::new(Mutex::new(0u64));
    let mut threads = Vec::new();
    let (l, s) = (Arc::clone(&lock), Arc::clone(stop));
    threads.push(
        std::thread::Builder::new()
            .name("lock-holder".into())
            .spawn(move || hold_lock_long(&l, &s))
            .expect("spawn"),
    );
    let (l, s) = (lock, Arc::clone(stop));
    threads.push(
        std::thread::Builder::new()
            .name("lock-waiter".into())
            .spawn(move || wait_for_lock(&l, &s))
            .expect("spawn"),
    );
    for i in 0..burners {
        let s = Arc::clone(stop);
        threads.push(
            std::thread::Builder::new()
                .name(format!("cpu-burner-{i}"))
                .spawn(move || {
                    black_box(burn_cpu(&s));
                })
                .expect("spawn"),
        );
    }
    threads
}
