use std::fmt;
use std::ops::{Deref, DerefMut};

use perfkit_utils::ThreadSlot;

use crate::sync::{
    self, CachePadded, Cell, ExclusiveAccess, RwLock, RwLockReadGuard, RwLockWriteGuard,
    SharedAccess,
};

/// A reader-writer lock for read-mostly data, in the style of crossbeam's `ShardedLock`: a
/// reader locks only its own shard (one cache-padded `RwLock` per thread slot), so readers on
/// different cores never write the same cache line; a writer locks every shard, in order.
///
/// Reads scale with cores where a single `RwLock`'s reader count bounces between them; writes
/// cost one lock per shard (and one small allocation for the guards: crossbeam's `ShardedLock`
/// allocates none, a difference kept because std's guards cannot be stored without one).
/// Readers reach their shard through [`ThreadSlot`], the dense per-thread index of
/// `perfkit-utils`. `Debug` never blocks: under a writer it prints `<locked>`, as crossbeam's.
///
/// Locking: as with any `RwLock`, taking `write` while this thread holds a read guard (or
/// taking `read` twice while another thread waits to write) can deadlock. The lock does not
/// poison: a panic under a write guard leaves whatever the writer had done.
///
/// # Examples
/// ```
/// use perfkit_sharded::ShardedRwLock;
///
/// let config = ShardedRwLock::new(vec!["a.example".to_owned()]);
/// std::thread::scope(|s| {
///     for _ in 0..2 {
///         s.spawn(|| assert!(!config.read().is_empty()));
///     }
/// });
/// config.write().push("b.example".to_owned());
/// assert_eq!(config.read().len(), 2);
/// ```
pub struct ShardedRwLock<T: ?Sized> {
    shards: Box<[CachePadded<RwLock<()>>]>,
    value: Cell<T>,
}

// SAFETY: the lock owns a `T` and hands it to whichever thread holds it: `T: Send` suffices
// to send the lock, as for `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send> Send for ShardedRwLock<T> {}
// SAFETY: readers on several threads share `&T` (needs `T: Sync`); a writer gets `&mut T` on
// whichever thread it is (needs `T: Send`). Same bounds as `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send + Sync> Sync for ShardedRwLock<T> {}

impl<T> ShardedRwLock<T> {
    /// A lock with one shard per thread slot ([`ThreadSlot::count`]: twice the cores, rounded
    /// up to a power of two).
    pub fn new(value: T) -> Self {
        Self::with_shards(value, ThreadSlot::count())
    }

    /// A lock with `shards` shards (rounded up to a power of two, at least 1, at most 1024).
    /// More shards than reader threads buys nothing; fewer makes readers share.
    pub fn with_shards(value: T, shards: usize) -> Self {
        let count = shards.clamp(1, 1024).next_power_of_two();
        Self {
            shards: (0..count)
                .map(|_| CachePadded::new(RwLock::new(())))
                .collect(),
            value: Cell::new(value),
        }
    }

    /// The value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> ShardedRwLock<T> {
    /// The number of shards.
    #[must_use]
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Locks for reading: one shard, the calling thread's.
    #[inline]
    pub fn read(&self) -> ShardedReadGuard<'_, T> {
        let shard = reader_shard() & (self.shards.len() - 1);
        let lock = sync::read(&self.shards[shard]);
        ShardedReadGuard {
            value: self.value.shared(),
            _lock: lock,
        }
    }

    /// Locks for reading if that needs no waiting: `None` while a writer holds (or is taking)
    /// the calling thread's shard.
    #[inline]
    pub fn try_read(&self) -> Option<ShardedReadGuard<'_, T>> {
        let shard = reader_shard() & (self.shards.len() - 1);
        let lock = sync::try_read(&self.shards[shard])?;
        Some(ShardedReadGuard {
            value: self.value.shared(),
            _lock: lock,
        })
    }

    /// Locks for writing if that needs no waiting: `None` if any shard is held. The shards
    /// taken before finding a busy one are released.
    pub fn try_write(&self) -> Option<ShardedWriteGuard<'_, T>> {
        let locks = self
            .shards
            .iter()
            .map(|shard| sync::try_write(shard))
            .collect::<Option<Vec<_>>>()?;
        Some(ShardedWriteGuard {
            value: self.value.exclusive(),
            _locks: locks,
        })
    }

    /// Locks for writing: every shard, in index order (so two writers cannot deadlock).
    pub fn write(&self) -> ShardedWriteGuard<'_, T> {
        let locks = self.shards.iter().map(|shard| sync::write(shard)).collect();
        ShardedWriteGuard {
            value: self.value.exclusive(),
            _locks: locks,
        }
    }

    /// The value, without locking (`&mut self` excludes everyone else).
    #[cfg(not(perfkit_loom))]
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

/// The calling thread's shard: its thread slot, or (for the rare thread without one) a hash of
/// its id.
#[inline]
fn reader_shard() -> usize {
    ThreadSlot::current().unwrap_or_else(|| {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        BuildHasherDefault::<DefaultHasher>::default().hash_one(std::thread::current().id())
            as usize
    })
}

impl<T: Default> Default for ShardedRwLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ShardedRwLock<T> {
    /// Never blocks: a value under a writer (the caller's own, say) prints as `<locked>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Locked;
        impl fmt::Debug for Locked {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("<locked>")
            }
        }
        let mut d = f.debug_struct("ShardedRwLock");
        d.field("shards", &self.shard_count());
        match self.try_read() {
            Some(guard) => d.field("value", &&*guard),
            None => d.field("value", &Locked),
        };
        d.finish()
    }
}

/// Shared access to a [`ShardedRwLock`]'s value; releases the reader's shard when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct ShardedReadGuard<'a, T: ?Sized> {
    // Declared first, so it is dropped before the lock it depends on.
    value: SharedAccess<T>,
    _lock: RwLockReadGuard<'a, ()>,
}

impl<T: ?Sized> Deref for ShardedReadGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this guard holds a read lock on one shard; a writer holds the write lock of
        // every shard while it has an exclusive access, so none exists while we live.
        unsafe { self.value.get() }
    }
}

// SAFETY: a `&ShardedReadGuard` gives only `&T` (through `Deref`), so sharing the guard between
// threads shares `&T`, which `T: Sync` allows; the read lock it holds is std's, whose guard is
// `Sync` under the same bound.
unsafe impl<T: ?Sized + Sync> Sync for ShardedReadGuard<'_, T> {}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ShardedReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to a [`ShardedRwLock`]'s value; releases every shard when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct ShardedWriteGuard<'a, T: ?Sized> {
    // Declared first, so it is dropped before the locks it depends on.
    value: ExclusiveAccess<T>,
    _locks: Vec<RwLockWriteGuard<'a, ()>>,
}

impl<T: ?Sized> Deref for ShardedWriteGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the write lock of every shard, so no reader (who needs one
        // shard's read lock) and no other writer (who needs them all) has an access.
        unsafe { self.value.get() }
    }
}

impl<T: ?Sized> DerefMut for ShardedWriteGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow of the guard.
        unsafe { self.value.get_mut() }
    }
}

// SAFETY: a `&ShardedWriteGuard` gives only `&T` (`DerefMut` needs `&mut` to the guard), so
// sharing it shares `&T`, which `T: Sync` allows; std's write guards are `Sync` likewise.
unsafe impl<T: ?Sized + Sync> Sync for ShardedWriteGuard<'_, T> {}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ShardedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
