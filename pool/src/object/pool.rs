use std::fmt;

use perfkit_counters::Counter;

use super::builder::Builder;
use super::guard::{OwnedPooled, Pooled};
use super::reset::{DefaultReset, Reset, ResetWith};
use super::slots::{Boxed, LocalSlots};
use super::stats::Stats;
use crate::sync::{Arc, ArrayQueue, AtomicUsize, CachePadded, Ordering};

pub(crate) type CreateFn<T> = dyn Fn() -> T + Send + Sync;
pub(crate) type RetainFn<T> = dyn Fn(&T) -> bool + Send + Sync;

/// An object pool: hands out reset, reusable objects through guards that return them on drop.
///
/// Each thread has a private slot (one object) in front of a shared lock-free queue, and the
/// two together keep at most [`max_idle`](Builder::max_idle) objects. `get` looks in the
/// calling thread's slot, then the queue, then creates; returning resets the object, checks the
/// retain predicate, and puts it back in the thread's slot, or the queue, or drops it when both
/// are full. With one object in use per thread at a time, get and return touch only the
/// thread's own cache line.
///
/// Objects live in a `Box` for their whole life in the pool, so a hand-off moves one pointer,
/// whatever the size of `T`; the box is cache-padded, so two threads working on two pooled
/// objects never write the same cache line (at a cost of at least 128 bytes per object).
///
/// # Examples
/// ```
/// use perfkit_pool::Pool;
///
/// let pool = Pool::new(|| Vec::<u8>::with_capacity(4096));
/// {
///     let mut buf = pool.get();
///     buf.extend_from_slice(b"hello");
///     assert_eq!(&buf[..], b"hello");
/// } // returned: cleared, capacity kept
/// let buf = pool.get();
/// assert!(buf.is_empty() && buf.capacity() >= 4096);
/// assert_eq!(pool.stats().misses, 1);
/// assert_eq!(pool.stats().hits, 1);
/// ```
///
/// A pool in a `static`:
/// ```
/// use std::sync::LazyLock;
/// use perfkit_pool::Pool;
///
/// static SCRATCH: LazyLock<Pool<String>> = LazyLock::new(|| Pool::new(String::new));
///
/// let mut s = SCRATCH.get();
/// s.push_str("request 1");
/// assert_eq!(s.len(), 9);
/// ```
pub struct Pool<T, R = DefaultReset> {
    local: LocalSlots<T>,
    /// `None` when `max_idle` is 0.
    shared: Option<ArrayQueue<Boxed<T>>>,
    /// Units of the `max_idle` budget in use: one per queued object, and one per per-thread
    /// entry that ever held an object (it keeps it). Touched only off the fast path.
    reserved: CachePadded<AtomicUsize>,
    create: Box<CreateFn<T>>,
    reset: R,
    retain: Option<Box<RetainFn<T>>>,
    max_idle: usize,
    /// Hits served by the shared queue (the per-thread entries count their own).
    shared_hits: Counter,
    misses: Counter,
    dropped: Counter,
    detached: Counter,
}

impl<T: Send + 'static> Pool<T> {
    /// A pool that creates objects with `create` and resets them with [`Reset::reset`], with
    /// the default knobs (see [`Builder`]).
    #[must_use]
    pub fn new(create: impl Fn() -> T + Send + Sync + 'static) -> Self
    where
        T: Reset,
    {
        Self::builder(create).build()
    }

    /// A builder for the other knobs: a reset closure (required for types without [`Reset`]),
    /// `max_idle`, a retain predicate, prefilling, and the per-thread cache.
    #[must_use]
    pub fn builder(create: impl Fn() -> T + Send + Sync + 'static) -> Builder<T> {
        Builder::new(Box::new(create))
    }
}

impl<T, R: ResetWith<T>> Pool<T, R> {
    pub(crate) fn from_parts(
        create: Box<CreateFn<T>>,
        reset: R,
        retain: Option<Box<RetainFn<T>>>,
        max_idle: usize,
        local_slots: usize,
    ) -> Self {
        Self {
            local: LocalSlots::new(local_slots.min(max_idle)),
            shared: (max_idle > 0).then(|| ArrayQueue::new(max_idle)),
            reserved: CachePadded::new(AtomicUsize::new(0)),
            create,
            reset,
            retain,
            max_idle,
            shared_hits: Counter::new(),
            misses: Counter::new(),
            dropped: Counter::new(),
            detached: Counter::new(),
        }
    }

    /// An object from the pool, or a new one if none is idle. The guard derefs to `T` and
    /// returns the object (reset) when dropped.
    #[inline]
    #[must_use = "dropping the guard returns the object at once"]
    pub fn get(&self) -> Pooled<'_, T, R> {
        Pooled::new(self, self.take_or_create())
    }

    /// Like [`get`](Self::get), but the guard holds an `Arc` of the pool, so it is `'static`
    /// and can move to another thread or task.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use perfkit_pool::Pool;
    ///
    /// let pool = Arc::new(Pool::new(Vec::<u32>::new));
    /// let mut v = pool.get_owned();
    /// let handle = std::thread::spawn(move || {
    ///     v.push(7);
    ///     v.len()
    /// }); // `v` is returned to the pool from the other thread
    /// assert_eq!(handle.join().unwrap(), 1);
    /// assert!(pool.get().is_empty());
    /// ```
    #[inline]
    #[must_use = "dropping the guard returns the object at once"]
    pub fn get_owned(self: &Arc<Self>) -> OwnedPooled<T, R> {
        OwnedPooled::new(Arc::clone(self), self.take_or_create())
    }

    /// An idle object, if there is one; never creates.
    #[inline]
    #[must_use]
    pub fn try_get(&self) -> Option<Pooled<'_, T, R>> {
        self.take_idle().map(|obj| Pooled::new(self, obj))
    }

    /// Adds an object made elsewhere (it is reset first). Returns it back if the pool is full
    /// or the retain predicate rejects it.
    ///
    /// # Errors
    /// The object, when the pool keeps no more idle objects (then it comes back reset) or the
    /// retain predicate rejects it (then it comes back as it was).
    pub fn put(&self, obj: T) -> Result<(), T> {
        if self.retain.as_ref().is_some_and(|keep| !keep(&obj)) {
            return Err(obj);
        }
        let mut obj = Box::new(CachePadded::new(obj));
        self.reset.reset_with(&mut obj);
        self.store(obj).map_err(|b| CachePadded::into_inner(*b))
    }

    /// The pool's counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        Stats {
            hits: self.local.hits().wrapping_add(self.shared_hits.sum()),
            misses: self.misses.sum(),
            dropped: self.dropped.sum(),
            detached: self.detached.sum(),
            idle: self.idle(),
        }
    }

    /// Objects idle in the pool right now (approximate while other threads use it).
    #[must_use]
    pub fn idle(&self) -> usize {
        self.local.idle() + self.shared.as_ref().map_or(0, ArrayQueue::len)
    }

    /// Drops idle objects from the pool's shared queue until at most `keep` are left there,
    /// e.g. after a burst; returns how many were dropped. Each thread's private slot (at most
    /// one object per thread that used the pool) is left alone: only its owner thread may
    /// touch it, and it is reused by that thread's next `get`.
    pub fn shrink_idle(&self, keep: usize) -> usize {
        let Some(queue) = &self.shared else {
            return 0;
        };
        let mut dropped = 0;
        while queue.len() > keep {
            let Some(obj) = queue.pop() else { break };
            self.reserved.fetch_sub(1, Ordering::Relaxed);
            drop(obj);
            dropped += 1;
        }
        dropped
    }

    /// [`shrink_idle(0)`](Self::shrink_idle): drops every object of the shared queue.
    pub fn clear(&self) -> usize {
        self.shrink_idle(0)
    }

    /// The most idle objects the pool keeps.
    #[must_use]
    pub fn max_idle(&self) -> usize {
        self.max_idle
    }

    #[inline]
    fn take_idle(&self) -> Option<Boxed<T>> {
        match self.local.take() {
            Some(obj) => Some(obj),
            None => self.take_shared(),
        }
    }

    #[inline(never)]
    fn take_shared(&self) -> Option<Boxed<T>> {
        let obj = self.shared.as_ref()?.pop()?;
        self.reserved.fetch_sub(1, Ordering::Relaxed);
        self.shared_hits.inc();
        Some(obj)
    }

    /// Takes one unit of the `max_idle` budget, if any is left.
    fn reserve(&self) -> bool {
        self.reserved
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used < self.max_idle).then_some(used + 1)
            })
            .is_ok()
    }

    /// Queues `obj` if the budget allows.
    fn push_shared(&self, obj: Boxed<T>) -> Result<(), Boxed<T>> {
        let Some(queue) = &self.shared else {
            return Err(obj);
        };
        if !self.reserve() {
            return Err(obj);
        }
        // The queue holds `max_idle` and the budget never exceeds it, so this push succeeds;
        // give the unit back if it ever does not.
        queue.push(obj).inspect_err(|_| {
            self.reserved.fetch_sub(1, Ordering::Relaxed);
        })
    }

    #[inline]
    fn take_or_create(&self) -> Boxed<T> {
        match self.local.take() {
            Some(obj) => obj,
            None => self.take_shared_or_create(),
        }
    }

    #[inline(never)]
    fn take_shared_or_create(&self) -> Boxed<T> {
        if let Some(obj) = self.take_shared() {
            return obj;
        }
        self.misses.inc();
        Box::new(CachePadded::new((self.create)()))
    }

    /// Keeps `obj` if there is room: the thread's entry first, then the shared queue.
    fn store(&self, obj: Boxed<T>) -> Result<(), Boxed<T>> {
        match self.local.put(obj, || self.reserve()) {
            Ok(()) => Ok(()),
            Err(obj) => self.push_shared(obj),
        }
    }

    /// Called by the guards' `drop`: reset and keep, or drop.
    ///
    /// The fast path (no retain predicate, not unwinding, the thread's entry ready for it) is
    /// a few loads and stores, small enough for the compiler to inline into the caller; all
    /// else is in [`give_back_slow`](Self::give_back_slow).
    #[inline]
    pub(crate) fn give_back(&self, mut obj: Boxed<T>) {
        let unchecked = self.retain.is_none() && !std::thread::panicking();
        if unchecked {
            // Reset before looking at the entry: `reset` runs user code, which may itself
            // return objects to this pool.
            self.reset_counted(&mut obj);
            match self.local.put_fast(obj) {
                Ok(()) => return,
                Err(back) => obj = back,
            }
        }
        self.give_back_slow(obj, unchecked);
    }

    /// The rest of the return path: the retain predicate and the unwinding check (unless
    /// `reset_done`), then the thread's entry (reserving budget the first time), the shared
    /// queue, or drop.
    #[cold]
    #[inline(never)]
    fn give_back_slow(&self, mut obj: Boxed<T>, reset_done: bool) {
        if !reset_done {
            // An object whose holder panicked may be half-updated in ways `reset` does not
            // anticipate: drop it rather than hand it to the next user.
            if std::thread::panicking() || self.retain.as_ref().is_some_and(|keep| !keep(&obj)) {
                self.dropped.inc();
                return;
            }
            self.reset_counted(&mut obj);
        }
        if self.store(obj).is_err() {
            self.dropped.inc();
        }
    }

    /// Resets `obj`. If `reset` panics, `obj` is dropped by the unwind and the return counts
    /// as dropped; the pool holds no lock, so it stays fully usable.
    #[inline(always)]
    fn reset_counted(&self, obj: &mut Boxed<T>) {
        let counted = CountOnUnwind(&self.dropped);
        self.reset.reset_with(obj);
        std::mem::forget(counted);
    }

    /// Creates up to `n` idle objects, shared queue first so that every thread can use them.
    /// Not counted as misses: statistics describe use, not set-up.
    pub(crate) fn prefill(&self, n: usize) {
        for _ in 0..n {
            let obj = Box::new(CachePadded::new((self.create)()));
            let stored = self
                .push_shared(obj)
                .or_else(|obj| self.local.put(obj, || self.reserve()));
            if stored.is_err() {
                break;
            }
        }
    }

    pub(crate) fn note_detached(&self) {
        self.detached.inc();
    }
}

/// Increments its counter if dropped, i.e. if the code it guards unwinds.
struct CountOnUnwind<'a>(&'a Counter);

impl Drop for CountOnUnwind<'_> {
    // Runs only while unwinding: kept out of line so the return path stays small.
    #[cold]
    #[inline(never)]
    fn drop(&mut self) {
        self.0.inc();
    }
}

impl<T, R: ResetWith<T>> fmt::Debug for Pool<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("max_idle", &self.max_idle)
            .field("thread_slots", &self.local.len())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
