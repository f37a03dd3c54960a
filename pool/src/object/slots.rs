//! Per-thread private slots: one cache-padded entry per thread slot, each holding at most one
//! idle object (sync.Pool's per-P "private"). The object pool's `unsafe` lives here and in
//! `lent.rs` (the guard's owning pointer), but for the guard moving its fields out in
//! `guard.rs` (so that it needs no `Option` and its drop is small enough to inline); the only
//! other block is the worker pool's scope, in `worker/scope.rs`.
//!
//! A thread uses the entry of its [`ThreadSlot`] index. `ThreadSlot` guarantees that no two
//! live threads hold the same index, and that a released index is handed out again only after
//! a release/acquire pair on its registry; so each entry has one writer at a time and the
//! owner can move boxes in and out with plain (`Relaxed`) loads and stores: no locked
//! instruction on the fast path. Entries are atomics only so that [`LocalSlots::idle`] can
//! count them from any thread without a data race; it never dereferences what it reads.

use std::marker::PhantomData;
use std::ptr;

use perfkit_utils::ThreadSlot;

use crate::sync::{AtomicPtr, AtomicU64, AtomicUsize, CachePadded, Ordering};

/// How the pool stores an object: boxed, on cache lines of its own, so that two threads using
/// two pooled objects never write the same cache line.
pub(crate) type Boxed<T> = Box<CachePadded<T>>;

/// One thread's entry: its cached object, whether it owns it, and how many gets it served,
/// on one cache line.
///
/// The entry owns `obj` exactly when `idle` is set. `take` clears `idle` and leaves `obj` in
/// place as a hint, so that when the same object comes back (the common case) `put` only sets
/// `idle` again: the pointer is not rewritten.
///
/// `idle` and `hits` are separate words so that the fast path's stores to `idle` are
/// constants: the only value carried from one get to the next is the hit count.
struct Entry<T> {
    /// Null until the entry first keeps an object (it then holds a unit of the `max_idle`
    /// budget for good); after that, a pointer from `Box::into_raw`, owned only while `idle`.
    obj: AtomicPtr<CachePadded<T>>,
    /// `IDLE` when the entry owns `obj`, `EMPTY` when it is lent out or was never filled.
    idle: AtomicUsize,
    /// Gets the entry served.
    hits: AtomicU64,
}

const EMPTY: usize = 0;
const IDLE: usize = 1;

pub(crate) struct LocalSlots<T> {
    /// Entry `i` is written only by the thread holding `ThreadSlot` `i` (or with `&mut self`).
    slots: Box<[CachePadded<Entry<T>>]>,
    /// The entries own boxes (for drop-check); `Send`/`Sync` are implemented below.
    _owns: PhantomData<Boxed<T>>,
}

// SAFETY: the entries own `T`s that threads move in and out, which needs `T: Send`; no `&T` is
// ever shared between threads through them (only whole boxes move), so `T: Sync` is not
// needed. This is the bound `Mutex<T>` has for the same reason.
unsafe impl<T: Send> Send for LocalSlots<T> {}
// SAFETY: as above: `&LocalSlots<T>` only lets the thread that owns an entry move owned boxes
// in and out of it.
unsafe impl<T: Send> Sync for LocalSlots<T> {}

impl<T> LocalSlots<T> {
    /// `count` entries (0 disables the per-thread cache).
    pub(crate) fn new(count: usize) -> Self {
        Self {
            slots: (0..count)
                .map(|_| {
                    CachePadded::new(Entry {
                        obj: AtomicPtr::new(ptr::null_mut()),
                        idle: AtomicUsize::new(EMPTY),
                        hits: AtomicU64::new(0),
                    })
                })
                .collect(),
            _owns: PhantomData,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The calling thread's entry, if it holds a thread slot within range; a thread without
    /// a slot claims one.
    fn mine(&self) -> Option<&Entry<T>> {
        let i = ThreadSlot::current()?;
        self.slots.get(i).map(|entry| &**entry)
    }

    /// The calling thread's entry index, if it already holds a thread slot within range: the fast
    /// paths' lookup (one thread-local load), whose slow paths go through [`put`](Self::put),
    /// which claims a slot.
    #[inline]
    fn mine_claimed(&self) -> Option<usize> {
        // An index rather than an `Option<&Entry>`: the compiler cannot prove the entry's
        // address non-null, and would test it.
        ThreadSlot::claimed().filter(|&i| i < self.slots.len())
    }

    /// Takes the calling thread's cached object, if any, counting the hit.
    #[inline]
    pub(crate) fn take(&self) -> Option<Boxed<T>> {
        let entry: &Entry<T> = &self.slots[self.mine_claimed()?];
        if entry.idle.load(Ordering::Relaxed) != IDLE {
            return None;
        }
        // Only this thread writes the entry: plain stores, no read-modify-write.
        entry.idle.store(EMPTY, Ordering::Relaxed);
        let hits = entry.hits.load(Ordering::Relaxed);
        entry.hits.store(hits.wrapping_add(1), Ordering::Relaxed);
        let raw = entry.obj.load(Ordering::Relaxed);
        debug_assert!(!raw.is_null(), "an idle entry holds an object");
        // (1) Only the thread holding this entry's `ThreadSlot` writes it (module docs), and
        // that is us, so nothing changed between our loads and stores; (2) `idle` was set, so
        // the entry owned `raw`, a pointer from `Box::into_raw` in `put`, and clearing `idle`
        // gave that ownership up; (3) it was stored by this thread, or by an earlier holder of
        // the slot whose release happens-before our claim of it.
        // SAFETY: by (1)-(3), `raw` is a live box that only we own, with visible contents.
        Some(unsafe { Box::from_raw(raw) })
    }

    /// Caches `obj` in the calling thread's entry if the entry is empty and already holds a
    /// unit of the `max_idle` budget: the return path of a round trip, changing nothing
    /// shared. Otherwise hands `obj` back, for [`put`](Self::put) or the shared queue.
    #[inline]
    pub(crate) fn put_fast(&self, obj: Boxed<T>) -> Result<(), Boxed<T>> {
        let Some(i) = self.mine_claimed() else {
            return Err(obj);
        };
        let entry: &Entry<T> = &self.slots[i];
        let current = entry.obj.load(Ordering::Relaxed);
        if current.is_null() || entry.idle.load(Ordering::Relaxed) != EMPTY {
            return Err(obj);
        }
        Self::keep(entry, current, obj);
        Ok(())
    }

    /// Caches `obj` in the calling thread's entry. An entry that never held an object first
    /// asks `reserve` for a unit of the pool's `max_idle` budget, and keeps it for good: after
    /// that, a round trip through the entry changes nothing shared. Hands `obj` back if the
    /// entry already owns an object, the budget is spent, or the thread has no entry.
    pub(crate) fn put(
        &self,
        obj: Boxed<T>,
        reserve: impl FnOnce() -> bool,
    ) -> Result<(), Boxed<T>> {
        let Some(entry) = self.mine() else {
            return Err(obj);
        };
        if entry.idle.load(Ordering::Relaxed) != EMPTY {
            return Err(obj); // the entry owns another object: full
        }
        let current = entry.obj.load(Ordering::Relaxed);
        if current.is_null() && !reserve() {
            return Err(obj);
        }
        Self::keep(entry, current, obj);
        Ok(())
    }

    /// Stores `obj` in `entry` (empty; `current` is its pointer) and marks it idle.
    #[inline(always)]
    fn keep(entry: &Entry<T>, current: *mut CachePadded<T>, obj: Boxed<T>) {
        let raw = Box::into_raw(obj);
        // Usually the object we lent comes back: leave the pointer as it is, so the next
        // `take` reads it without depending on a store made just now.
        if current != raw {
            entry.obj.store(raw, Ordering::Relaxed);
        }
        entry.idle.store(IDLE, Ordering::Relaxed);
    }

    /// Objects cached right now (a racy count, for statistics).
    pub(crate) fn idle(&self) -> usize {
        self.slots.iter().filter(|e| e.owned().is_some()).count()
    }

    /// Gets served by the entries so far (not a snapshot).
    pub(crate) fn hits(&self) -> u64 {
        self.slots
            .iter()
            .map(|e| e.hits.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

impl<T> Entry<T> {
    /// The object the entry owns, if any (racy when read by another thread: statistics only).
    fn owned(&self) -> Option<*mut CachePadded<T>> {
        let raw = self.obj.load(Ordering::Acquire);
        (!raw.is_null() && self.idle.load(Ordering::Acquire) == IDLE).then_some(raw)
    }
}

impl<T> Drop for LocalSlots<T> {
    fn drop(&mut self) {
        for entry in &*self.slots {
            if let Some(raw) = entry.owned() {
                entry.obj.store(ptr::null_mut(), Ordering::Relaxed);
                entry.idle.store(EMPTY, Ordering::Relaxed);
                // SAFETY: the entry owned this pointer from `Box::into_raw` (non-null and
                // idle); `&mut self` means no thread can reach the entries any more, and the
                // entry was nulled, so it is freed once.
                drop(unsafe { Box::from_raw(raw) });
            }
        }
    }
}

impl<T> std::fmt::Debug for LocalSlots<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSlots")
            .field("slots", &self.len())
            .field("idle", &self.idle())
            .finish()
    }
}
