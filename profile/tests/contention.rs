//! perfkit's own locks in the mutex and block profiles: a `Sharded<T>` shard held by one
//! thread while another waits, and a `ResourcePool` whose only resource is leased while
//! another thread checks out.

#![cfg(not(perfkit_loom))]

use perfkit_pool::{Manage, ResourcePool};
use perfkit_sharded::Sharded;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn text(path: &str) -> String {
    let r = perfkit_profile::handle(path, "debug=1", b"");
    assert_eq!(r.status, 200);
    String::from_utf8(r.body).unwrap()
}

#[inline(never)]
fn hold_the_shard(map: &Sharded<u64>, held: &AtomicBool) {
    let mut shard = map.write_shard(0);
    *shard += 1;
    held.store(true, Ordering::Release);
    std::thread::sleep(Duration::from_millis(50));
}

#[inline(never)]
fn wait_on_the_shard(map: &Sharded<u64>) {
    *map.write_shard(0) += 1;
}

struct Numbers;

impl Manage for Numbers {
    type Resource = u64;
    type Error = std::io::Error;
    fn create(&self) -> std::io::Result<u64> {
        Ok(7)
    }
    fn is_valid(&self, _: &mut u64) -> bool {
        true
    }
}

#[inline(never)]
fn wait_for_a_lease(pool: &ResourcePool<Numbers>) {
    drop(pool.checkout().unwrap());
}

#[test]
fn sharded_shards_and_pool_waits_are_profiled() {
    perfkit_profile::set_mutex_profile_fraction(1);
    perfkit_profile::set_block_profile_rate(1);

    let map = Arc::new(Sharded::with_shards(1, |_| 0u64));
    let held = Arc::new(AtomicBool::new(false));
    let (m, h) = (Arc::clone(&map), Arc::clone(&held));
    let holder = std::thread::spawn(move || hold_the_shard(&m, &h));
    // Wait on the shard only once the holder has it.
    while !held.load(Ordering::Acquire) {
        std::thread::yield_now();
    }
    wait_on_the_shard(&map);
    holder.join().unwrap();

    let pool = Arc::new(ResourcePool::builder(Numbers).max_size(1).build());
    let lease = pool.checkout().unwrap();
    let p = Arc::clone(&pool);
    let waiter = std::thread::spawn(move || wait_for_a_lease(&p));
    // Give the lease back only once the waiter waits for it (and a little longer).
    while pool.stats().waits == 0 {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(20));
    drop(lease);
    waiter.join().unwrap();

    let mutex = text("/debug/pprof/mutex");
    assert!(mutex.contains("hold_the_shard"), "{mutex}");
    let block = text("/debug/pprof/block");
    assert!(block.contains("wait_on_the_shard"), "{block}");
    assert!(block.contains("wait_for_a_lease"), "{block}");

    // Off again: nothing more is recorded.
    perfkit_profile::set_mutex_profile_fraction(0);
    perfkit_profile::set_block_profile_rate(0);
    assert!(perfkit_utils::contention::hook().is_none());
}
