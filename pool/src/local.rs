//! Per-thread private slots: one cache-padded `AtomicPtr` per thread slot, each holding at most
//! one idle object (sync.Pool's per-P "private"). All of the object pool's `unsafe` lives here
//! (the only other block is the worker pool's scope, in `worker/scope.rs`).
//!
//! A thread uses the entry of its [`ThreadSlot`] index. `ThreadSlot` guarantees that no two
//! live threads hold the same index, and that a released index is handed out again only after
//! a release/acquire pair on its registry; so each entry has one writer at a time and the
//! owner can move boxes in and out with plain (`Relaxed`) loads and stores: no locked
//! instruction on the fast path. Entries are atomics only so that [`LocalSlots::idle`] can
//! count them from any thread without a data race; it never dereferences what it reads.

use std::marker::PhantomData;
use std::ptr;

use perfkit_counters::ThreadSlot;

use crate::sync::{AtomicPtr, AtomicU64, CachePadded, Ordering};

/// How the pool stores an object: boxed, on cache lines of its own, so that two threads using
/// two pooled objects never write the same cache line.
pub(crate) type Boxed<T> = Box<CachePadded<T>>;

/// One thread's entry: its cached object and how many gets it served, on one cache line.
///
/// The entry owns `obj` exactly when `obj` is non-null and not lent. `get` sets the lent bit
/// and leaves `obj` in place as a hint, so that when the same object comes back (the common
/// case) `put` only clears the bit: the pointer is never rewritten, and the next `get` reads it
/// without waiting on a store from the previous round trip.
struct Entry<T> {
    /// Null, or a pointer from `Box::into_raw`; owned by the entry only while not lent.
    obj: AtomicPtr<CachePadded<T>>,
    /// `hits << 1 | lent`: whether `obj` is out with a guard (then the entry does not own
    /// it), and how many gets the entry served. One word, so a get is one store.
    state: AtomicU64,
}

const LENT: u64 = 1;
/// One hit, in `state`'s upper bits.
const HIT: u64 = 2;

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
                        state: AtomicU64::new(0),
                    })
                })
                .collect(),
            _owns: PhantomData,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The calling thread's entry, if it holds a thread slot within range.
    #[inline]
    fn mine(&self) -> Option<&Entry<T>> {
        let i = ThreadSlot::current()?;
        self.slots.get(i).map(|entry| &**entry)
    }

    /// Takes the calling thread's cached object, if any, counting the hit.
    #[inline]
    pub(crate) fn take(&self) -> Option<Boxed<T>> {
        let entry = self.mine()?;
        let state = entry.state.load(Ordering::Relaxed);
        if state & LENT != 0 {
            return None;
        }
        let raw = entry.obj.load(Ordering::Relaxed);
        if raw.is_null() {
            return None;
        }
        // Only this thread writes `state`: a plain store, no read-modify-write.
        entry
            .state
            .store(state.wrapping_add(HIT) | LENT, Ordering::Relaxed);
        // (1) Only the thread holding this entry's `ThreadSlot` writes it (module docs), and
        // that is us, so nothing changed between our loads and stores; (2) `obj` was non-null
        // and not lent, so the entry owned `raw`, a pointer from `Box::into_raw` in `put`, and
        // setting the lent bit gave that ownership up; (3) it was stored by this thread, or by
        // an earlier holder of the slot whose release happens-before our claim of it.
        // SAFETY: by (1)-(3), `raw` is a live box that only we own, with visible contents.
        Some(unsafe { Box::from_raw(raw) })
    }

    /// Caches `obj` in the calling thread's entry. An entry that never held an object first
    /// asks `reserve` for a unit of the pool's `max_idle` budget, and keeps it for good: after
    /// that, a round trip through the entry changes nothing shared. Hands `obj` back if the
    /// entry already owns an object, the budget is spent, or the thread has no entry.
    #[inline]
    pub(crate) fn put(
        &self,
        obj: Boxed<T>,
        reserve: impl FnOnce() -> bool,
    ) -> Result<(), Boxed<T>> {
        let Some(entry) = self.mine() else {
            return Err(obj);
        };
        let current = entry.obj.load(Ordering::Relaxed);
        let state = entry.state.load(Ordering::Relaxed);
        if current.is_null() {
            if !reserve() {
                return Err(obj);
            }
        } else if state & LENT == 0 {
            return Err(obj); // the entry owns another object: full
        }
        let raw = Box::into_raw(obj);
        // Usually the object we lent comes back: leave the pointer as it is, so the next
        // `take` reads it without depending on a store made just now.
        if current != raw {
            entry.obj.store(raw, Ordering::Relaxed);
        }
        entry.state.store(state & !LENT, Ordering::Relaxed);
        Ok(())
    }

    /// Objects cached right now (a racy count, for statistics).
    pub(crate) fn idle(&self) -> usize {
        self.slots.iter().filter(|e| e.owned().is_some()).count()
    }

    /// Gets served by the entries so far (not a snapshot).
    pub(crate) fn hits(&self) -> u64 {
        self.slots
            .iter()
            .map(|e| e.state.load(Ordering::Relaxed) / HIT)
            .fold(0, u64::wrapping_add)
    }
}

impl<T> Entry<T> {
    /// The object the entry owns, if any (racy when read by another thread: statistics only).
    fn owned(&self) -> Option<*mut CachePadded<T>> {
        let raw = self.obj.load(Ordering::Acquire);
        (!raw.is_null() && self.state.load(Ordering::Acquire) & LENT == 0).then_some(raw)
    }
}

impl<T> Drop for LocalSlots<T> {
    fn drop(&mut self) {
        for entry in &*self.slots {
            if let Some(raw) = entry.owned() {
                entry.obj.store(ptr::null_mut(), Ordering::Relaxed);
                // SAFETY: the entry owned this pointer from `Box::into_raw` (non-null, not
                // lent); `&mut self` means no thread can reach the entries any more, and the
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

/// An object out with a guard: owns its box like `Boxed<T>` but has no destructor, so a guard
/// holding one has no drop glue beyond its own `Drop` (which returns the object) and that
/// return path can be inlined into the caller.
pub(crate) struct Lent<T> {
    ptr: ptr::NonNull<CachePadded<T>>,
    _owns: PhantomData<Boxed<T>>,
}

// SAFETY: `Lent<T>` owns a `T` exactly like `Box<T>` does, so it is `Send` when `T` is.
unsafe impl<T: Send> Send for Lent<T> {}
// SAFETY: as for `Box<T>`: `&Lent<T>` gives out only `&T`.
unsafe impl<T: Sync> Sync for Lent<T> {}

impl<T> Lent<T> {
    #[inline]
    pub(crate) fn new(obj: Boxed<T>) -> Self {
        Self {
            ptr: ptr::NonNull::from(Box::leak(obj)),
            _owns: PhantomData,
        }
    }

    /// Gives the box back, to be returned to the pool or dropped.
    #[inline]
    pub(crate) fn into_box(self) -> Boxed<T> {
        // SAFETY: `ptr` came from `Box::leak` in `new` and `self` is consumed, so the box is
        // rebuilt exactly once and nothing else refers to it.
        unsafe { Box::from_raw(self.ptr.as_ptr()) }
    }

    #[inline]
    pub(crate) fn get(&self) -> &T {
        // SAFETY: `ptr` is a live, uniquely owned box (see `new`); `&self` makes this a shared
        // borrow of it.
        unsafe { self.ptr.as_ref() }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self) -> &mut T {
        // SAFETY: as in `get`, and `&mut self` makes this the only borrow.
        unsafe { self.ptr.as_mut() }
    }
}
