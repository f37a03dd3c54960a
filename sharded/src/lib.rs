//! Sharded maps and locks: instead of one lock around a whole structure, N locks around N
//! pieces of it, so threads working on different keys do not wait for each other.
//!
//! # The pattern
//! The Go guide's "instead of one `RWMutex` protecting a single map, use N shards each with
//! their own mutex". A key's hash picks its shard; each shard is an `RwLock` on a cache line of
//! its own (two threads locking neighbouring shards would otherwise fight over one line, which
//! defeats the point). Three tools:
//!
//! - [`ShardedMap`]: a concurrent hash map whose API is closures, not guards
//!   ([`get_with`](ShardedMap::get_with), [`update`](ShardedMap::update),
//!   [`upsert`](ShardedMap::upsert)), so no lock outlives a call and code that does not call
//!   the map from inside its own closures cannot deadlock, the trap dashmap users fall into by
//!   holding a `Ref` while inserting. A key is hashed once: the hash picks the shard and then
//!   the slot in that shard's `hashbrown` table, and before the shard is locked it names the
//!   two lines of that table the lookup will read first, which the CPU is asked to prefetch.
//!   Locking a shard waits whenever another core wrote its lock last; with the prefetch, the
//!   table's own cache misses overlap that wait instead of following it (see Measured).
//! - [`Sharded<T>`]: the tool underneath, for sharding any structure (an LRU, a `Vec`, a table
//!   of counters): pick the shard for a key, lock it.
//! - [`ShardedRwLock<T>`]: crossbeam's `ShardedLock` idea for read-mostly data: a reader locks
//!   only its own thread's shard, a writer locks them all.
//!
//! # When to use it
//! Many threads reading and writing different keys of one map (caches, session tables,
//! connection registries, per-key counters), or reading one config far more often than it
//! changes. The more threads, the bigger the win over `Mutex<HashMap>`, whose single lock
//! bounces between cores on every operation.
//!
//! # When not to
//! - One thread, or little contention: `Mutex<HashMap>` is as fast (one lock either way).
//! - One hot key: every thread lands on the same shard; sharding cannot split one key's
//!   traffic (use a [`Counter`](https://docs.rs/perfkit-counters) for a hot count).
//! - Whole-map operations ([`len`](ShardedMap::len), [`retain`](ShardedMap::retain),
//!   [`for_each`](ShardedMap::for_each)) visit every shard and are not atomic snapshots.
//! - Write-heavy data under [`ShardedRwLock`]: each write locks every shard.
//! - Many cores on one map: every operation (a read too) writes its shard's lock word, a cache
//!   line the other cores also write, so reads do not scale as they do in a map whose reads
//!   write nothing shared (see Measured for what two threads pay against a map each).
//!
//! Picking the shard count: the default, [`default_shards`], is 64 per core rounded up to a
//! power of two (128 on 2 cores), so that two threads on random keys rarely want one shard
//! at the same moment, which is when one waits and the lock's cache line crosses between
//! cores. Size by the number of threads that run at once, not by the number of keys: the
//! fastest count measured the same for 10,000 and 1,000,000 keys. More shards cost 128 bytes
//! each, more L1 misses on one thread, and slower whole-map operations; fewer raise the chance
//! that two threads wait for each other (Measured has a 16-shard row).
//!
//! # Measured
#![doc = include_str!("../MEASURED.md")]
//!
//! # Example
//! ```
//! use perfkit_sharded::ShardedMap;
//!
//! let sessions: ShardedMap<u64, Vec<&str>> = ShardedMap::new();
//! std::thread::scope(|s| {
//!     for user in 0..4u64 {
//!         let sessions = &sessions;
//!         s.spawn(move || {
//!             sessions.upsert(user, Vec::new, |_| {});
//!             sessions.update(&user, |events| events.push("login"));
//!         });
//!     }
//! });
//! assert_eq!(sessions.len(), 4);
//! assert_eq!(sessions.get_with(&2, |events| events.len()), Some(1));
//! ```

mod hint;
mod map;
mod rwlock;
mod sharded;
mod sync;

pub use map::{ShardedMap, TryResult};
pub use rwlock::{ShardedReadGuard, ShardedRwLock, ShardedWriteGuard};
pub use sharded::{Sharded, default_shards};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
