//! `ShardedRwLock`: readers see consistent values while writers update; no poisoning.
#![cfg(not(perfkit_loom))]

use std::sync::atomic::{AtomicBool, Ordering};

use perfkit_sharded::ShardedRwLock;

#[test]
fn readers_never_see_a_half_written_value() {
    // The writer keeps both halves equal; a reader seeing them differ saw a torn write.
    let lock = ShardedRwLock::new((0u64, 0u64));
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let mut reads = 0u64;
                while !done.load(Ordering::Acquire) || reads < 1000 {
                    let guard = lock.read();
                    assert_eq!(guard.0, guard.1, "torn read");
                    reads += 1;
                }
            });
        }
        s.spawn(|| {
            for i in 1..=20_000 {
                let mut guard = lock.write();
                guard.0 = i;
                std::hint::spin_loop();
                guard.1 = i;
            }
            done.store(true, Ordering::Release);
        });
    });
    assert_eq!(lock.into_inner(), (20_000, 20_000));
}

#[test]
fn shards_defaults_and_no_poison() {
    let mut lock = ShardedRwLock::with_shards(vec![1], 3);
    assert_eq!(lock.shard_count(), 4);
    lock.get_mut().push(2);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut guard = lock.write();
        guard.push(3);
        panic!("writer fails");
    }));
    assert!(result.is_err());
    assert_eq!(*lock.read(), [1, 2, 3]);
    assert!(format!("{lock:?}").contains("[1, 2, 3]"));
    assert!(
        ShardedRwLock::<u8>::default()
            .shard_count()
            .is_power_of_two()
    );
}

#[test]
fn try_lock_never_waits_and_debug_never_blocks() {
    let lock = ShardedRwLock::new(vec![1, 2]);
    {
        let w = lock.write();
        assert!(lock.try_read().is_none(), "a writer holds every shard");
        assert!(lock.try_write().is_none());
        // `dbg!(&lock)` under a write guard used to deadlock.
        assert_eq!(
            format!("{lock:?}"),
            format!(
                "ShardedRwLock {{ shards: {}, value: <locked> }}",
                lock.shard_count()
            )
        );
        drop(w);
    }
    {
        let r = lock.try_read().expect("no writer");
        assert_eq!(*r, [1, 2]);
        assert!(lock.try_write().is_none(), "a reader holds its shard");
        assert!(format!("{lock:?}").contains("[1, 2]"));
    }
    lock.try_write().expect("free").push(3);
    assert_eq!(*lock.read(), [1, 2, 3]);
}

#[test]
fn guards_are_sync_when_the_value_is() {
    fn sync<T: Sync>(_: &T) {}
    let lock = ShardedRwLock::new(5u32);
    let r = lock.read();
    sync(&r);
    std::thread::scope(|s| {
        s.spawn(|| assert_eq!(*r, 5));
    });
    drop(r);
    let w = lock.write();
    sync(&w);
}
