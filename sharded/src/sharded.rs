use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};

use crate::sync::{self, CachePadded, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The default number of shards: 64 per available core, rounded up to a power of two (at
/// least 16, at most 4096; 128 on a 2-core machine), so that two threads working on random keys
/// rarely want one shard's lock at the same moment. Sized by cores, not keys: on 2 cores the
/// fastest count for two threads was the same for 10,000, 100,000 and 1,000,000 keys. Each
/// shard costs 128 bytes before it holds anything, so many small maps want
/// [`ShardedMap::with_shards`](crate::ShardedMap::with_shards); the crate docs give what more
/// and fewer shards measured.
#[must_use]
pub fn default_shards() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores * 64).next_power_of_two().clamp(16, 4096)
}

/// N cache-padded `RwLock<T>` shards and a hasher that picks one for a key: the tool under
/// [`ShardedMap`](crate::ShardedMap), for sharding any structure (an LRU, a `Vec`, a counter
/// table) the same way.
///
/// The shard count is a power of two. A key's shard comes from bits 57..57-log2(shards) of its
/// hash, so a `hashbrown` table inside a shard (which uses the low bits for the bucket and the
/// top 7 for its tag) still sees well-spread hashes. Shards are cache-padded so that two
/// threads locking two neighbouring shards do not contend on one cache line.
///
/// Locking: each method holds one shard lock, for as long as its guard lives. Holding a guard
/// while asking for another shard's (or the same shard's) lock can deadlock, as with any
/// `RwLock`. Whole-structure work ([`for_each`](Self::for_each), [`for_each_mut`](Self::for_each_mut))
/// goes shard by shard, never holding two locks.
///
/// # Examples
/// ```
/// use perfkit_sharded::Sharded;
///
/// // A sharded "recently seen" log per user.
/// let seen: Sharded<Vec<(u64, &str)>> = Sharded::new(|_| Vec::new());
/// seen.write(&42u64).push((42, "login"));
/// assert_eq!(seen.read(&42u64).iter().filter(|(user, _)| *user == 42).count(), 1);
/// ```
pub struct Sharded<T, S = RandomState> {
    shards: Box<[CachePadded<RwLock<T>>]>,
    hasher: S,
    /// log2 of the shard count.
    bits: u32,
}

impl<T> Sharded<T> {
    /// [`default_shards`] shards made by `make(index)`, with a random SipHash hasher.
    pub fn new(make: impl FnMut(usize) -> T) -> Self {
        Self::with_shards_and_hasher(default_shards(), RandomState::new(), make)
    }

    /// `shards` shards (rounded up to a power of two, at least 1).
    pub fn with_shards(shards: usize, make: impl FnMut(usize) -> T) -> Self {
        Self::with_shards_and_hasher(shards, RandomState::new(), make)
    }
}

impl<T, S> Sharded<T, S> {
    /// `shards` shards (rounded up to a power of two, at least 1, at most 2^16) hashed with
    /// `hasher`.
    pub fn with_shards_and_hasher(
        shards: usize,
        hasher: S,
        mut make: impl FnMut(usize) -> T,
    ) -> Self {
        let count = shards.clamp(1, 1 << 16).next_power_of_two();
        Self {
            shards: (0..count)
                .map(|i| CachePadded::new(RwLock::new(make(i))))
                .collect(),
            hasher,
            bits: count.trailing_zeros(),
        }
    }

    /// The number of shards.
    #[must_use]
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The hasher.
    #[must_use]
    pub fn hasher(&self) -> &S {
        &self.hasher
    }

    /// The shard of a hash from [`hash`](Self::hash).
    #[inline]
    #[must_use]
    pub fn index_of_hash(&self, hash: u64) -> usize {
        // Bits just below hashbrown's 7-bit tag; `bits` is at most 16.
        ((hash >> (57 - self.bits)) as usize) & (self.shards.len() - 1)
    }

    /// Locks shard `index` for reading.
    ///
    /// # Panics
    /// If `index >= shard_count()`.
    #[inline]
    pub fn read_shard(&self, index: usize) -> RwLockReadGuard<'_, T> {
        sync::read(&self.shards[index])
    }

    /// Locks shard `index` for reading if that needs no waiting.
    ///
    /// # Panics
    /// If `index >= shard_count()`.
    #[inline]
    pub fn try_read_shard(&self, index: usize) -> Option<RwLockReadGuard<'_, T>> {
        sync::try_read(&self.shards[index])
    }

    /// Locks shard `index` for writing.
    ///
    /// # Panics
    /// If `index >= shard_count()`.
    #[inline]
    pub fn write_shard(&self, index: usize) -> RwLockWriteGuard<'_, T> {
        sync::write(&self.shards[index])
    }

    /// Runs `f` on every shard in turn, each under its own write lock (never two at once).
    pub fn for_each_mut(&self, mut f: impl FnMut(&mut T)) {
        for shard in &*self.shards {
            f(&mut sync::write(shard));
        }
    }

    /// Runs `f` on every shard in turn, each under its own read lock (never two at once).
    pub fn for_each(&self, mut f: impl FnMut(&T)) {
        for shard in &*self.shards {
            f(&sync::read(shard));
        }
    }

    /// Every shard, mutably, without locking (`&mut self` excludes other users).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.shards.iter_mut().map(|shard| {
            shard
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        })
    }

    /// The shards' values, in index order.
    pub fn into_inner(self) -> Vec<T> {
        self.shards
            .into_vec()
            .into_iter()
            .map(|shard| {
                CachePadded::into_inner(shard)
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            })
            .collect()
    }
}

impl<T, S: BuildHasher> Sharded<T, S> {
    /// `key`'s hash: compute it once and use it for both the shard and the structure inside.
    #[inline]
    #[allow(
        clippy::manual_hash_one,
        reason = "measured: `hash_one` stayed out of line, a call per operation"
    )]
    pub fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        // Spelled out rather than `BuildHasher::hash_one`, which the compiler kept out of line
        // (a call per operation on the hot path); this inlines.
        let mut state = self.hasher.build_hasher();
        key.hash(&mut state);
        state.finish()
    }

    /// The shard that `key` belongs to.
    #[inline]
    pub fn index<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        self.index_of_hash(self.hash(key))
    }

    /// Locks `key`'s shard for reading.
    #[inline]
    pub fn read<Q: Hash + ?Sized>(&self, key: &Q) -> RwLockReadGuard<'_, T> {
        self.read_shard(self.index(key))
    }

    /// Locks `key`'s shard for writing.
    #[inline]
    pub fn write<Q: Hash + ?Sized>(&self, key: &Q) -> RwLockWriteGuard<'_, T> {
        self.write_shard(self.index(key))
    }
}

impl<T, S> fmt::Debug for Sharded<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sharded")
            .field("shards", &self.shard_count())
            .finish_non_exhaustive()
    }
}
