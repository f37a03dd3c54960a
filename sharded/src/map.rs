use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash, RandomState};
use std::ops::ControlFlow;

use hashbrown::HashTable;
use hashbrown::hash_table::{Entry, OccupiedEntry};

use crate::hint::TableHint;

use crate::sharded::{Sharded, default_shards};

/// A concurrent hash map: N cache-padded shards, each an `RwLock` around a `hashbrown`
/// table, with a closure-based API in which no lock guard ever escapes a call.
///
/// A key is hashed once; the hash picks the shard and then the slot in that shard's table.
/// Reads take the shard's read lock, writes its write lock, for the duration of one call.
///
/// Locking: every method holds at most one shard lock, and only while it runs. The closures
/// given to [`get_with`](Self::get_with), [`update`](Self::update), [`upsert`](Self::upsert),
/// [`retain`](Self::retain) and [`for_each`](Self::for_each) run under that lock: inside them,
/// do not call back into the same map (a call that lands on the same shard deadlocks). This is
/// the rule dashmap users break by holding a `Ref` while inserting; here there is no guard to
/// hold, so code that does not call the map from inside its own closures cannot deadlock.
/// A panic in a closure does not poison the map. In debug builds, calling back into the same
/// map from inside one of its closures panics at once with a message naming the method, instead
/// of deadlocking when the call lands on the held shard (release builds do not check).
///
/// # Examples
/// ```
/// use perfkit_sharded::ShardedMap;
///
/// let hits: ShardedMap<String, u64> = ShardedMap::new();
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             for page in ["/", "/about", "/"] {
///                 hits.upsert(page.to_owned(), || 1, |n| *n += 1);
///             }
///         });
///     }
/// });
/// assert_eq!(hits.get("/"), Some(8));
/// assert_eq!(hits.get_with("/about", |n| n * 10), Some(40));
/// assert_eq!(hits.len(), 2);
/// ```
pub struct ShardedMap<K, V, S = RandomState> {
    shards: Sharded<HashTable<(K, V)>, S>,
    /// Per shard, where its table lies, for prefetching before the lock (see `hint.rs`).
    hints: Box<[TableHint]>,
}

impl<K, V> ShardedMap<K, V> {
    /// An empty map with [`default_shards`] shards and a random SipHash hasher.
    #[must_use]
    pub fn new() -> Self {
        Self::with_shards_and_hasher(default_shards(), RandomState::new())
    }

    /// An empty map with `shards` shards (rounded up to a power of two).
    #[must_use]
    pub fn with_shards(shards: usize) -> Self {
        Self::with_shards_and_hasher(shards, RandomState::new())
    }

    /// An empty map with room for `capacity` entries spread over the default shards.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_and_hasher(capacity, RandomState::new())
    }
}

impl<K, V, S> ShardedMap<K, V, S> {
    /// An empty map with the default shards, hashing with `hasher`.
    #[must_use]
    pub fn with_hasher(hasher: S) -> Self {
        Self::with_shards_and_hasher(default_shards(), hasher)
    }

    /// An empty map with room for `capacity` entries, hashing with `hasher`.
    #[must_use]
    pub fn with_capacity_and_hasher(capacity: usize, hasher: S) -> Self {
        Self::with_config(default_shards(), capacity, hasher)
    }

    /// An empty map with `shards` shards, hashing with `hasher`.
    #[must_use]
    pub fn with_shards_and_hasher(shards: usize, hasher: S) -> Self {
        Self::with_config(shards, 0, hasher)
    }

    /// An empty map with `shards` shards (rounded up to a power of two) and room for
    /// `capacity` entries in all, hashing with `hasher`.
    #[must_use]
    pub fn with_config(shards: usize, capacity: usize, hasher: S) -> Self {
        let count = shards.clamp(1, 1 << 16).next_power_of_two();
        let per_shard = capacity.div_ceil(count);
        Self {
            shards: Sharded::with_shards_and_hasher(count, hasher, |_| {
                HashTable::with_capacity(per_shard)
            }),
            hints: (0..count).map(|_| TableHint::default()).collect(),
        }
    }

    /// The number of shards.
    #[must_use]
    pub fn shard_count(&self) -> usize {
        self.shards.shard_count()
    }

    /// The number of entries: sums the shards one at a time, so it is exact only when no other
    /// thread is inserting or removing.
    #[must_use]
    pub fn len(&self) -> usize {
        let _held = Held::enter(self, "ShardedMap::len");
        let mut total = 0;
        self.shards.for_each(|table| total += table.len());
        total
    }

    /// Whether the map has no entries (same caveat as [`len`](Self::len)).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        let _held = Held::enter(self, "ShardedMap::is_empty");
        let mut empty = true;
        self.shards.for_each(|table| empty &= table.is_empty());
        empty
    }

    /// Removes every entry, shard by shard (keeps each shard's allocation).
    pub fn clear(&self) {
        let _held = Held::enter(self, "ShardedMap::clear");
        self.shards.for_each_mut(HashTable::clear);
    }

    /// Calls `f` on every entry, one shard at a time under its read lock. Entries inserted or
    /// removed concurrently in shards not yet visited may or may not be seen.
    pub fn for_each(&self, mut f: impl FnMut(&K, &V)) {
        let _held = Held::enter(self, "ShardedMap::for_each");
        self.shards
            .for_each(|table| table.iter().for_each(|(k, v)| f(k, v)));
    }

    /// Calls `f` on every entry with mutable access to the value, one shard at a time under
    /// its write lock.
    pub fn for_each_mut(&self, mut f: impl FnMut(&K, &mut V)) {
        let _held = Held::enter(self, "ShardedMap::for_each_mut");
        self.shards
            .for_each_mut(|table| table.iter_mut().for_each(|(k, v)| f(k, v)));
    }

    /// Keeps only the entries for which `keep` returns `true`, one shard at a time.
    pub fn retain(&self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let _held = Held::enter(self, "ShardedMap::retain");
        self.shards
            .for_each_mut(|table| table.retain(|(k, v)| keep(k, v)));
    }

    /// The entries of every shard, moved out (`&mut self`: no locking).
    pub fn into_entries(self) -> Vec<(K, V)> {
        self.shards.into_inner().into_iter().flatten().collect()
    }
}

impl<K, V, S> ShardedMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    #[inline]
    fn eq<Q>(key: &Q) -> impl Fn(&(K, V)) -> bool + '_
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        move |(k, _)| k.borrow() == key
    }

    /// `hash`'s shard, with the lines its table will read first already on their way.
    #[inline]
    fn shard_of(&self, hash: u64) -> usize {
        let index = self.shards.index_of_hash(hash);
        self.hints[index].prefetch::<(K, V)>(hash);
        index
    }

    /// Records where shard `index`'s table lies after an insert (it may have grown).
    #[inline]
    fn inserted(&self, index: usize, entry: OccupiedEntry<'_, (K, V)>) {
        let bucket = entry.bucket_index();
        let at = std::ptr::from_ref(entry.get());
        let buckets = entry.into_table().num_buckets();
        self.hints[index].note(at, bucket, buckets);
    }

    /// Inserts `value` under `key`, returning the value it replaced.
    #[inline]
    pub fn insert(&self, key: K, value: V) -> Option<V> {
        let _held = Held::enter(self, "ShardedMap::insert");
        let hash = self.shards.hash(&key);
        let index = self.shard_of(hash);
        let mut table = self.shards.write_shard(index);
        let hasher = self.shards.hasher();
        match table.entry(hash, Self::eq(&key), |(k, _)| hasher.hash_one(k)) {
            Entry::Occupied(mut slot) => Some(std::mem::replace(&mut slot.get_mut().1, value)),
            Entry::Vacant(slot) => {
                self.inserted(index, slot.insert((key, value)));
                None
            }
        }
    }

    /// A clone of the value under `key`.
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.get_with(key, V::clone)
    }

    /// Runs `f` on the value under `key` (under the shard's read lock) and returns its result:
    /// reference access with no guard to hold (dashmap's `get` returns a `Ref`).
    #[doc(alias = "get_ref")]
    #[inline]
    pub fn get_with<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let _held = Held::enter(self, "ShardedMap::get_with");
        let hash = self.shards.hash(key);
        let table = self.shards.read_shard(self.shard_of(hash));
        table.find(hash, Self::eq(key)).map(|(_, v)| f(v))
    }

    /// Whether `key` is present.
    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_with(key, |_| ()).is_some()
    }

    /// Runs `f` on the value under `key` with mutable access (under the shard's write lock)
    /// and returns its result; `None` if the key is absent.
    #[doc(alias = "get_mut")]
    #[doc(alias = "alter")]
    #[inline]
    pub fn update<Q, R>(&self, key: &Q, f: impl FnOnce(&mut V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let _held = Held::enter(self, "ShardedMap::update");
        let hash = self.shards.hash(key);
        let mut table = self.shards.write_shard(self.shard_of(hash));
        table.find_mut(hash, Self::eq(key)).map(|(_, v)| f(v))
    }

    /// Inserts `make()` under `key` if it is absent, otherwise runs `modify` on the value, in
    /// one step under the shard's write lock: the way to count, accumulate or build in place
    /// without a race between "look up" and "insert".
    #[inline]
    pub fn upsert(&self, key: K, make: impl FnOnce() -> V, modify: impl FnOnce(&mut V)) {
        let _held = Held::enter(self, "ShardedMap::upsert");
        let hash = self.shards.hash(&key);
        let index = self.shard_of(hash);
        let mut table = self.shards.write_shard(index);
        let hasher = self.shards.hasher();
        match table.entry(hash, Self::eq(&key), |(k, _)| hasher.hash_one(k)) {
            Entry::Occupied(mut slot) => modify(&mut slot.get_mut().1),
            Entry::Vacant(slot) => self.inserted(index, slot.insert((key, make()))),
        }
    }

    /// Removes `key`, returning its value.
    #[inline]
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let _held = Held::enter(self, "ShardedMap::remove");
        let hash = self.shards.hash(key);
        let mut table = self.shards.write_shard(self.shard_of(hash));
        match table.find_entry(hash, Self::eq(key)) {
            Ok(slot) => Some(slot.remove().0.1),
            Err(_) => None,
        }
    }

    /// Runs `f` on the value under `key`, inserting `make()` first if the key is absent, and
    /// returns what `f` returns: dashmap's `f(map.entry(key).or_insert_with(make))` in one step
    /// under the shard's write lock. Counting: `map.entry_or_insert_with(k, || 0, |n| *n += 1)`
    /// (unlike [`upsert`](Self::upsert), `f` also runs on a freshly inserted value).
    #[doc(alias = "entry")]
    #[doc(alias = "or_insert_with")]
    #[doc(alias = "or_insert")]
    #[inline]
    pub fn entry_or_insert_with<R>(
        &self,
        key: K,
        make: impl FnOnce() -> V,
        f: impl FnOnce(&mut V) -> R,
    ) -> R {
        let _held = Held::enter(self, "ShardedMap::entry_or_insert_with");
        let hash = self.shards.hash(&key);
        let index = self.shard_of(hash);
        let mut table = self.shards.write_shard(index);
        let hasher = self.shards.hasher();
        match table.entry(hash, Self::eq(&key), |(k, _)| hasher.hash_one(k)) {
            Entry::Occupied(mut slot) => f(&mut slot.get_mut().1),
            Entry::Vacant(slot) => {
                let mut entry = slot.insert((key, make()));
                let result = f(&mut entry.get_mut().1);
                self.inserted(index, entry);
                result
            }
        }
    }

    /// [`entry_or_insert_with`](Self::entry_or_insert_with) for a borrowed key: the owned key
    /// is made (`to_owned`) only when it is absent, so counting `&str` words allocates a
    /// `String` per distinct word, not per call:
    /// `map.entry_ref_or_insert_with(word, str::to_owned, || 0, |n| *n += 1)`.
    ///
    /// `to_owned(key)` must hash and compare equal to `key` (the `Borrow` contract).
    #[doc(alias = "entry_ref")]
    #[inline]
    pub fn entry_ref_or_insert_with<Q, R>(
        &self,
        key: &Q,
        to_owned: impl FnOnce(&Q) -> K,
        make: impl FnOnce() -> V,
        f: impl FnOnce(&mut V) -> R,
    ) -> R
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let _held = Held::enter(self, "ShardedMap::entry_ref_or_insert_with");
        let hash = self.shards.hash(key);
        let index = self.shard_of(hash);
        let mut table = self.shards.write_shard(index);
        let hasher = self.shards.hasher();
        match table.entry(hash, Self::eq(key), |(k, _)| hasher.hash_one(k)) {
            Entry::Occupied(mut slot) => f(&mut slot.get_mut().1),
            Entry::Vacant(slot) => {
                let owned = to_owned(key);
                debug_assert!(owned.borrow() == key, "to_owned made a different key");
                let mut entry = slot.insert((owned, make()));
                let result = f(&mut entry.get_mut().1);
                self.inserted(index, entry);
                result
            }
        }
    }

    /// Removes `key`'s entry and returns it if `pred(&key, &value)` is true: `pred` decides
    /// under the shard's write lock, so no other thread changes the value between the check
    /// and the removal.
    #[inline]
    pub fn remove_if<Q>(&self, key: &Q, pred: impl FnOnce(&K, &V) -> bool) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let _held = Held::enter(self, "ShardedMap::remove_if");
        let hash = self.shards.hash(key);
        let mut table = self.shards.write_shard(self.shard_of(hash));
        match table.find_entry(hash, Self::eq(key)) {
            Ok(slot) if pred(&slot.get().0, &slot.get().1) => Some(slot.remove().0),
            _ => None,
        }
    }

    /// [`get_with`](Self::get_with) without waiting: [`TryResult::Locked`] when a writer holds
    /// the key's shard.
    #[doc(alias = "try_get")]
    #[inline]
    pub fn try_get_with<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> TryResult<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let _held = Held::enter(self, "ShardedMap::try_get_with");
        let hash = self.shards.hash(key);
        let Some(table) = self.shards.try_read_shard(self.shard_of(hash)) else {
            return TryResult::Locked;
        };
        match table.find(hash, Self::eq(key)) {
            Some((_, v)) => TryResult::Present(f(v)),
            None => TryResult::Absent,
        }
    }
}

/// What [`ShardedMap::try_get_with`] found (dashmap's `TryResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryResult<R> {
    /// The key is there; the closure's result.
    Present(R),
    /// The key is not there.
    Absent,
    /// The key's shard is write-locked; nothing was looked up.
    Locked,
}

impl<K, V, S> ShardedMap<K, V, S> {
    /// Calls `f` on entries, one shard at a time under its read lock, until it returns
    /// `ControlFlow::Break`; returns that, or `Continue` after the last entry. As
    /// [`for_each`](Self::for_each) for concurrent changes.
    pub fn try_for_each<B>(&self, mut f: impl FnMut(&K, &V) -> ControlFlow<B>) -> ControlFlow<B> {
        let _held = Held::enter(self, "ShardedMap::try_for_each");
        for index in 0..self.shards.shard_count() {
            let table = self.shards.read_shard(index);
            for (k, v) in table.iter() {
                f(k, v)?;
            }
        }
        ControlFlow::Continue(())
    }

    /// The first `Some` that `f` returns, visiting entries as [`try_for_each`](Self::try_for_each).
    pub fn find_map<R>(&self, mut f: impl FnMut(&K, &V) -> Option<R>) -> Option<R> {
        match self
            .try_for_each(|k, v| f(k, v).map_or(ControlFlow::Continue(()), ControlFlow::Break))
        {
            ControlFlow::Break(found) => Some(found),
            ControlFlow::Continue(()) => None,
        }
    }

    /// Clones of every entry, taken shard by shard (each shard consistent in itself, not the
    /// map as a whole): dashmap's `iter()` without guards held while you look.
    #[doc(alias = "iter")]
    #[must_use]
    pub fn snapshot(&self) -> Vec<(K, V)>
    where
        K: Clone,
        V: Clone,
    {
        let mut out = Vec::new();
        self.for_each(|k, v| out.push((k.clone(), v.clone())));
        out
    }

    /// Entries the shards can hold without reallocating, summed.
    #[must_use]
    pub fn capacity(&self) -> usize {
        let _held = Held::enter(self, "ShardedMap::capacity");
        let mut total = 0;
        self.shards.for_each(|table| total += table.capacity());
        total
    }
}

impl<K: Hash, V, S: BuildHasher> ShardedMap<K, V, S> {
    /// Shrinks every shard's table to fit its entries, one shard at a time.
    pub fn shrink_to_fit(&self) {
        let _held = Held::enter(self, "ShardedMap::shrink_to_fit");
        for index in 0..self.shards.shard_count() {
            let mut table = self.shards.write_shard(index);
            let hasher = self.shards.hasher();
            table.shrink_to_fit(|(k, _)| hasher.hash_one(k));
            // The table may have moved: the next insert refreshes the hint; until then a
            // prefetch of the old place is only wasted.
        }
    }
}

/// Marks, in debug builds, that this thread is inside a call on one map, so that a call back
/// into the same map from a closure panics instead of deadlocking.
struct Held {
    #[cfg(debug_assertions)]
    previous: usize,
}

#[cfg(debug_assertions)]
std::thread_local! {
    static INSIDE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Held {
    #[inline]
    #[cfg_attr(not(debug_assertions), allow(clippy::unused_self, unused_variables))]
    fn enter<T: ?Sized>(map: &T, method: &'static str) -> Self {
        #[cfg(debug_assertions)]
        {
            let me = std::ptr::from_ref(map).cast::<()>() as usize;
            let previous = INSIDE.replace(me);
            assert!(
                previous != me,
                "{method} called from inside a closure given to the same map: that call can \
                 deadlock on the shard the closure's call holds (do it after the call returns)"
            );
            Self { previous }
        }
        #[cfg(not(debug_assertions))]
        Self {}
    }
}

#[cfg(debug_assertions)]
impl Drop for Held {
    fn drop(&mut self) {
        INSIDE.set(self.previous);
    }
}

impl<K, V> Default for ShardedMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V, S> fmt::Debug for ShardedMap<K, V, S>
where
    K: fmt::Debug,
    V: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        self.for_each(|k, v| {
            map.entry(k, v);
        });
        map.finish()
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> Extend<(K, V)> for ShardedMap<K, V, S> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K, V, S> IntoIterator for ShardedMap<K, V, S> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    /// Every entry, moved out (`into_entries`), shard by shard.
    fn into_iter(self) -> Self::IntoIter {
        self.into_entries().into_iter()
    }
}

impl<K: Hash + Eq + Clone, V: Clone, S: BuildHasher + Clone> Clone for ShardedMap<K, V, S> {
    /// A new map with the same shard count and hasher and clones of every entry, copied shard
    /// by shard (each shard consistent in itself).
    fn clone(&self) -> Self {
        let copy = Self::with_config(self.shard_count(), self.len(), self.shards.hasher().clone());
        self.for_each(|k, v| {
            copy.insert(k.clone(), v.clone());
        });
        copy
    }
}

impl<K: Hash + Eq, V, S: BuildHasher + Default> FromIterator<(K, V)> for ShardedMap<K, V, S> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let map = Self::with_hasher(S::default());
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefetch hint must name the control bytes of each shard's current table: every
    /// entry's bucket lies `index + 1` elements below them (hashbrown's layout), including after
    /// the tables have grown many times and through `upsert` as well as `insert`.
    #[test]
    fn hints_follow_each_table_through_its_growth() {
        let map: ShardedMap<u64, [u64; 3]> = ShardedMap::with_shards(4);
        for k in 0..5_000u64 {
            if k % 2 == 0 {
                map.insert(k, [k; 3]);
            } else {
                map.upsert(k, || [k; 3], |_| unreachable!("each key once"));
            }
        }
        let size = std::mem::size_of::<(u64, [u64; 3])>();
        for index in 0..map.shard_count() {
            let table = map.shards.read_shard(index);
            assert!(table.len() > 1_000, "the keys spread over every shard");
            let ctrl = map.hints[index].ctrl();
            for (k, _) in table.iter() {
                let hash = map.shards.hash(k);
                let bucket = table
                    .find_bucket_index(hash, |(x, _)| x == k)
                    .expect("present");
                let at = std::ptr::from_ref(table.get_bucket(bucket).expect("full"));
                assert_eq!(
                    at.cast::<u8>().wrapping_add((bucket + 1) * size),
                    ctrl.cast_const(),
                    "key {k} in shard {index}"
                );
            }
        }
    }
}
