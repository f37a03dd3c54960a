//! Loom model of `ShardedRwLock`'s protocol: readers lock one shard, writers lock all in
//! order. Loom's cell tracking reports any reader/writer overlap on the value.
//!
//! Run: `RUSTFLAGS="--cfg perfkit_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2
//!       cargo test -p perfkit-sharded --release --test loom --target-dir target-loom`
#![cfg(perfkit_loom)]

use loom::thread;
use perfkit_sharded::ShardedRwLock;
use std::sync::Arc;

#[test]
fn readers_and_a_writer_never_overlap() {
    loom::model(|| {
        let lock = Arc::new(ShardedRwLock::with_shards((0u32, 0u32), 2));
        let writer = {
            let lock = lock.clone();
            thread::spawn(move || {
                let mut guard = lock.write();
                guard.0 += 1;
                guard.1 += 1;
            })
        };
        let reader = {
            let lock = lock.clone();
            thread::spawn(move || {
                let guard = lock.read();
                assert_eq!(guard.0, guard.1);
            })
        };
        writer.join().unwrap();
        reader.join().unwrap();
        // Not `lock.read()`: the main thread must not claim a thread slot (loom tears down its
        // thread-locals after its statics).
        let lock = Arc::try_unwrap(lock).ok().expect("threads joined");
        assert_eq!(lock.into_inner(), (1, 1));
    });
}

#[test]
fn two_writers_serialise() {
    loom::model(|| {
        let lock = Arc::new(ShardedRwLock::with_shards(0u32, 2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let lock = lock.clone();
                thread::spawn(move || *lock.write() += 1)
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let lock = Arc::try_unwrap(lock).ok().expect("threads joined");
        assert_eq!(lock.into_inner(), 2);
    });
}
