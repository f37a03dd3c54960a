//! `std::sync`'s `Mutex`, `RwLock` and `Condvar` with contention reporting: drop-in types
//! (same methods, same poisoning, same guards' behaviour) whose contended path reports to the
//! [`contention`] hook, so a profiler can say which lock made which thread
//! wait and who held it.
//!
//! Cost: the uncontended `lock` is std's `try_lock` (the same single compare-and-swap as std's
//! `lock`); a guard's drop adds one relaxed load of a word beside the lock. When a `try_lock`
//! fails the thread reads the hook: with none installed it blocks as std does; with one it
//! also takes two time stamps and books its wait beside the lock, and the holder that releases
//! the lock while it waits reports the delay it caused.
//!
//! ```
//! use perfkit_utils::lock::{Condvar, Mutex};
//! use std::sync::Arc;
//!
//! let pair = Arc::new((Mutex::new(false), Condvar::new()));
//! let pair2 = Arc::clone(&pair);
//! let t = std::thread::spawn(move || {
//!     *pair2.0.lock().unwrap() = true;
//!     pair2.1.notify_one();
//! });
//! let mut ready = pair.0.lock().unwrap();
//! while !*ready {
//!     ready = pair.1.wait(ready).unwrap();
//! }
//! t.join().unwrap();
//! ```

use crate::contention::{self, Event, now_nanos};

/// This file's path as the compiler saw it (`file!()`): a profiler that finds it in a frame's
/// debug info knows the frame is the lock's own, even when the debug info names functions
/// without their paths.
pub const SOURCE_FILE: &str = file!();
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{self as stdsync, LockResult, PoisonError, TryLockError, TryLockResult};
use std::time::Duration;

/// The waiting threads of one lock, booked only while a contention hook is installed.
///
/// Each waiter adds its start time to `sum`; a releaser that sees waiters charges
/// `waiters * now - sum` (the time they waited since they started or since the previous
/// charge, whichever is later) and then moves every waiter's effective start to `now`. A
/// waiter that stops waiting removes its effective start: its own start, or the last charge if
/// that came later (every charge after its start counted it).
#[derive(Default)]
struct Waits {
    /// How many threads are booked as waiting: the guards' one extra load.
    waiters: AtomicU32,
    book: stdsync::Mutex<Book>,
}

#[derive(Default)]
struct Book {
    sum: u128,
    last_charge: u64,
}

impl Waits {
    const fn new() -> Self {
        Self {
            waiters: AtomicU32::new(0),
            book: stdsync::Mutex::new(Book {
                sum: 0,
                last_charge: 0,
            }),
        }
    }

    fn book(&self) -> stdsync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enter(&self, start: u64) -> Waiting<'_> {
        let mut book = self.book();
        book.sum += u128::from(start);
        self.waiters.fetch_add(1, Ordering::Relaxed);
        Waiting { waits: self, start }
    }

    /// Called by a guard that sees waiters as it releases the lock.
    #[cold]
    fn released(&self) {
        let Some(hook) = contention::hook() else {
            return;
        };
        let now = now_nanos();
        let delay = {
            let mut book = self.book();
            let waiters = u128::from(self.waiters.load(Ordering::Relaxed));
            let charged_until = waiters * u128::from(now);
            let delay = charged_until.saturating_sub(book.sum);
            book.sum = charged_until;
            book.last_charge = now;
            delay
        };
        if delay > 0 {
            hook(
                Event::Mutex,
                Duration::from_nanos(u64::try_from(delay).unwrap_or(u64::MAX)),
            );
        }
    }

    #[inline]
    fn on_release(&self) {
        if self.waiters.load(Ordering::Relaxed) != 0 {
            self.released();
        }
    }
}

/// A booked wait; un-booked on drop (also when the wait unwinds).
struct Waiting<'a> {
    waits: &'a Waits,
    start: u64,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut book = self.waits.book();
        book.sum = book
            .sum
            .saturating_sub(u128::from(self.start.max(book.last_charge)));
        self.waits.waiters.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Block on `acquire` the way every perfkit lock does: report the wait when a hook is
/// installed.
#[inline]
fn contended<R>(waits: &Waits, acquire: impl FnOnce() -> R) -> R {
    let Some(hook) = contention::hook() else {
        return acquire();
    };
    let start = now_nanos();
    let waiting = waits.enter(start);
    let acquired = acquire();
    drop(waiting);
    hook(
        Event::Block,
        Duration::from_nanos(now_nanos().saturating_sub(start)),
    );
    acquired
}

fn map_lock<G, H>(result: LockResult<G>, wrap: impl FnOnce(G) -> H) -> LockResult<H> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(poisoned) => Err(PoisonError::new(wrap(poisoned.into_inner()))),
    }
}

fn map_try<G, H>(
    result: TryLockResult<G>,
    wrap: impl FnOnce(G) -> H,
) -> Result<H, TryLockError<H>> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(TryLockError::Poisoned(poisoned)) => Err(TryLockError::Poisoned(PoisonError::new(
            wrap(poisoned.into_inner()),
        ))),
        Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
    }
}

/// What both locks forward to std's unchanged: poisoning, `get_mut`, `Default`, `From`,
/// `Debug`.
macro_rules! std_forwards {
    ($lock:ident) => {
        impl<T: ?Sized> $lock<T> {
            /// Whether a holder panicked while holding it exclusively.
            pub fn is_poisoned(&self) -> bool {
                self.inner.is_poisoned()
            }

            /// Clear the poisoned state.
            pub fn clear_poison(&self) {
                self.inner.clear_poison();
            }

            /// The value, through `&mut` (no locking needed).
            ///
            /// # Errors
            /// As std's: poisoned if a holder panicked.
            pub fn get_mut(&mut self) -> LockResult<&mut T> {
                self.inner.get_mut()
            }
        }

        impl<T: Default> Default for $lock<T> {
            fn default() -> Self {
                Self::new(T::default())
            }
        }

        impl<T> From<T> for $lock<T> {
            fn from(value: T) -> Self {
                Self::new(value)
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $lock<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.inner.fmt(f)
            }
        }
    };
}

/// `std::sync::Mutex` with contention reporting (see the [module docs](self)).
pub struct Mutex<T: ?Sized> {
    waits: Waits,
    inner: stdsync::Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    pub const fn new(value: T) -> Self {
        Self {
            waits: Waits::new(),
            inner: stdsync::Mutex::new(value),
        }
    }

    /// The value, consuming the mutex.
    ///
    /// # Errors
    /// As std's: poisoned if a holder panicked.
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquire the mutex, blocking the current thread until it is free.
    ///
    /// # Errors
    /// As std's: poisoned if a holder panicked (the guard is inside the error).
    #[inline]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let wrap = |inner| MutexGuard::new(&self.waits, inner);
        match self.inner.try_lock() {
            Ok(inner) => Ok(wrap(inner)),
            Err(TryLockError::Poisoned(poisoned)) => {
                Err(PoisonError::new(wrap(poisoned.into_inner())))
            }
            Err(TryLockError::WouldBlock) => self.lock_contended(),
        }
    }

    #[cold]
    fn lock_contended(&self) -> LockResult<MutexGuard<'_, T>> {
        let result = contended(&self.waits, || self.inner.lock());
        map_lock(result, |inner| MutexGuard::new(&self.waits, inner))
    }

    /// Acquire the mutex if it is free.
    ///
    /// # Errors
    /// As std's: `WouldBlock` when held, `Poisoned` if a holder panicked.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError<MutexGuard<'_, T>>> {
        map_try(self.inner.try_lock(), |inner| {
            MutexGuard::new(&self.waits, inner)
        })
    }
}

std_forwards!(Mutex);

/// The guard of a [`Mutex`]: unlocks on drop, reporting the delay it caused if others waited.
pub struct MutexGuard<'a, T: ?Sized> {
    waits: &'a Waits,
    inner: ManuallyDrop<stdsync::MutexGuard<'a, T>>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(waits: &'a Waits, inner: stdsync::MutexGuard<'a, T>) -> Self {
        Self {
            waits,
            inner: ManuallyDrop::new(inner),
        }
    }

    /// Report the release (the lock is about to be given up) and hand out std's guard.
    fn into_std(self) -> (&'a Waits, stdsync::MutexGuard<'a, T>) {
        self.waits.on_release();
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped (ManuallyDrop), so `inner` is taken exactly once.
        let inner = unsafe { ManuallyDrop::take(&mut this.inner) };
        (this.waits, inner)
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.waits.on_release();
        // SAFETY: `inner` is dropped here only, once; `into_std` never runs this drop.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// `std::sync::Condvar` for [`Mutex`] guards. Waiting gives the lock up, so it reports a
/// release exactly as dropping the guard does; with a hook installed, the whole wait (until
/// the lock is held again) is reported as a [`Event::Block`], as Go's block profile counts
/// `sync.Cond.Wait`: a pool's checkout waiting for a free resource shows there.
#[derive(Debug, Default)]
pub struct Condvar {
    inner: stdsync::Condvar,
}

impl Condvar {
    /// A new condition variable.
    pub const fn new() -> Self {
        Self {
            inner: stdsync::Condvar::new(),
        }
    }

    /// Block until notified (spurious wake-ups possible, as std's).
    ///
    /// # Errors
    /// As std's: poisoned if a holder panicked.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        let (waits, inner) = guard.into_std();
        let result = timed_wait(|| self.inner.wait(inner));
        map_lock(result, |inner| MutexGuard::new(waits, inner))
    }

    /// Block while `condition` holds.
    ///
    /// # Errors
    /// As std's: poisoned if a holder panicked.
    pub fn wait_while<'a, T, F: FnMut(&mut T) -> bool>(
        &self,
        guard: MutexGuard<'a, T>,
        condition: F,
    ) -> LockResult<MutexGuard<'a, T>> {
        let (waits, inner) = guard.into_std();
        let result = timed_wait(|| self.inner.wait_while(inner, condition));
        map_lock(result, |inner| MutexGuard::new(waits, inner))
    }

    /// Block until notified or `timeout` passed.
    ///
    /// # Errors
    /// As std's: poisoned if a holder panicked.
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, stdsync::WaitTimeoutResult)> {
        let (waits, inner) = guard.into_std();
        let result = timed_wait(|| self.inner.wait_timeout(inner, timeout));
        map_lock(result, |(inner, timed_out)| {
            (MutexGuard::new(waits, inner), timed_out)
        })
    }

    /// Wake one waiter.
    pub fn notify_one(&self) {
        self.inner.notify_one();
    }

    /// Wake every waiter.
    pub fn notify_all(&self) {
        self.inner.notify_all();
    }
}

/// Run a condition-variable wait, reporting its length as a block event when a hook is set.
fn timed_wait<R>(wait: impl FnOnce() -> R) -> R {
    let Some(hook) = contention::hook() else {
        return wait();
    };
    let start = now_nanos();
    let result = wait();
    hook(
        Event::Block,
        Duration::from_nanos(now_nanos().saturating_sub(start)),
    );
    result
}

/// `std::sync::RwLock` with contention reporting (see the [module docs](self)).
pub struct RwLock<T: ?Sized> {
    waits: Waits,
    inner: stdsync::RwLock<T>,
}

impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`.
    pub const fn new(value: T) -> Self {
        Self {
            waits: Waits::new(),
            inner: stdsync::RwLock::new(value),
        }
    }

    /// The value, consuming the lock.
    ///
    /// # Errors
    /// As std's: poisoned if a writer panicked.
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Acquire shared access, blocking while a writer holds the lock.
    ///
    /// # Errors
    /// As std's: poisoned if a writer panicked (the guard is inside the error).
    #[inline]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let wrap = |inner| RwLockReadGuard::new(&self.waits, inner);
        match self.inner.try_read() {
            Ok(inner) => Ok(wrap(inner)),
            Err(TryLockError::Poisoned(poisoned)) => {
                Err(PoisonError::new(wrap(poisoned.into_inner())))
            }
            Err(TryLockError::WouldBlock) => self.read_contended(),
        }
    }

    #[cold]
    fn read_contended(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let result = contended(&self.waits, || self.inner.read());
        map_lock(result, |inner| RwLockReadGuard::new(&self.waits, inner))
    }

    /// Acquire exclusive access, blocking while anyone holds the lock.
    ///
    /// # Errors
    /// As std's: poisoned if a writer panicked (the guard is inside the error).
    #[inline]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let wrap = |inner| RwLockWriteGuard::new(&self.waits, inner);
        match self.inner.try_write() {
            Ok(inner) => Ok(wrap(inner)),
            Err(TryLockError::Poisoned(poisoned)) => {
                Err(PoisonError::new(wrap(poisoned.into_inner())))
            }
            Err(TryLockError::WouldBlock) => self.write_contended(),
        }
    }

    #[cold]
    fn write_contended(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let result = contended(&self.waits, || self.inner.write());
        map_lock(result, |inner| RwLockWriteGuard::new(&self.waits, inner))
    }

    /// Acquire shared access if no writer holds the lock.
    ///
    /// # Errors
    /// As std's: `WouldBlock` when a writer holds it, `Poisoned` if a writer panicked.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError<RwLockReadGuard<'_, T>>> {
        map_try(self.inner.try_read(), |inner| {
            RwLockReadGuard::new(&self.waits, inner)
        })
    }

    /// Acquire exclusive access if nobody holds the lock.
    ///
    /// # Errors
    /// As std's: `WouldBlock` when held, `Poisoned` if a writer panicked.
    pub fn try_write(
        &self,
    ) -> Result<RwLockWriteGuard<'_, T>, TryLockError<RwLockWriteGuard<'_, T>>> {
        map_try(self.inner.try_write(), |inner| {
            RwLockWriteGuard::new(&self.waits, inner)
        })
    }
}

std_forwards!(RwLock);

macro_rules! rw_guard {
    ($name:ident, $std:ident, $what:literal) => {
        #[doc = concat!("The ", $what, " guard of a [`RwLock`]: releases on drop, reporting the delay it caused if others waited.")]
        pub struct $name<'a, T: ?Sized> {
            waits: &'a Waits,
            inner: stdsync::$std<'a, T>,
        }

        impl<'a, T: ?Sized> $name<'a, T> {
            fn new(waits: &'a Waits, inner: stdsync::$std<'a, T>) -> Self {
                Self { waits, inner }
            }
        }

        impl<T: ?Sized> Drop for $name<'_, T> {
            #[inline]
            fn drop(&mut self) {
                // std's guard (the field) releases after this report.
                self.waits.on_release();
            }
        }

        impl<T: ?Sized> Deref for $name<'_, T> {
            type Target = T;
            #[inline]
            fn deref(&self) -> &T {
                &self.inner
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $name<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<T: ?Sized + fmt::Display> fmt::Display for $name<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    };
}

rw_guard!(RwLockReadGuard, RwLockReadGuard, "shared");
rw_guard!(RwLockWriteGuard, RwLockWriteGuard, "exclusive");

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;
    use std::thread;

    /// The hook is process-wide: tests that lock while it is installed take turns.
    static SERIAL: stdsync::Mutex<()> = stdsync::Mutex::new(());

    static BLOCK_NS: AtomicU64 = AtomicU64::new(0);
    static MUTEX_NS: AtomicU64 = AtomicU64::new(0);
    static BLOCKS: AtomicU64 = AtomicU64::new(0);

    fn record(event: Event, delay: Duration) {
        let nanos = u64::try_from(delay.as_nanos()).unwrap();
        match event {
            Event::Block => {
                BLOCKS.fetch_add(1, Ordering::Relaxed);
                BLOCK_NS.fetch_add(nanos, Ordering::Relaxed)
            }
            Event::Mutex => MUTEX_NS.fetch_add(nanos, Ordering::Relaxed),
        };
    }

    /// One test drives the process-wide hook (tests run in parallel threads).
    #[test]
    fn contention_is_reported_by_waiter_and_holder() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        contention::set_hook(Some(record));
        for kind in 0..2 {
            BLOCK_NS.store(0, Ordering::Relaxed);
            MUTEX_NS.store(0, Ordering::Relaxed);
            BLOCKS.store(0, Ordering::Relaxed);
            let mutex = Arc::new(Mutex::new(0u32));
            let rw = Arc::new(RwLock::new(0u32));
            let hold = Duration::from_millis(50);
            let (m, r) = (Arc::clone(&mutex), Arc::clone(&rw));
            let mg = (kind == 0).then(|| mutex.lock().unwrap());
            let wg = (kind == 1).then(|| rw.write().unwrap());
            let waiter = thread::spawn(move || {
                if kind == 0 {
                    *m.lock().unwrap() += 1;
                } else {
                    let _ = *r.read().unwrap();
                }
            });
            // Let the waiter block, then hold on.
            while mutex.waits.waiters.load(Ordering::Relaxed) == 0
                && rw.waits.waiters.load(Ordering::Relaxed) == 0
            {
                thread::yield_now();
            }
            thread::sleep(hold);
            drop(mg);
            drop(wg);
            waiter.join().unwrap();
            let (block, charged) = (
                BLOCK_NS.load(Ordering::Relaxed),
                MUTEX_NS.load(Ordering::Relaxed),
            );
            assert_eq!(BLOCKS.load(Ordering::Relaxed), 1, "kind {kind}");
            assert!(block >= 50_000_000, "waiter's block time {block} ns");
            assert!(charged >= 50_000_000, "holder charged {charged} ns");
            assert!(charged <= block, "holder charged {charged} of {block} ns");
            assert_eq!(mutex.waits.waiters.load(Ordering::Relaxed), 0);
        }
        // A condition-variable wait is a block event of its whole length.
        BLOCKS.store(0, Ordering::Relaxed);
        BLOCK_NS.store(0, Ordering::Relaxed);
        let pair = (Mutex::new(()), Condvar::new());
        let guard = pair.0.lock().unwrap();
        drop(
            pair.1
                .wait_timeout(guard, Duration::from_millis(20))
                .unwrap(),
        );
        assert_eq!(BLOCKS.load(Ordering::Relaxed), 1);
        assert!(BLOCK_NS.load(Ordering::Relaxed) >= 20_000_000);
        contention::set_hook(None);
        // Without a hook, contention is not booked.
        let mutex = Arc::new(Mutex::new(()));
        let guard = mutex.lock().unwrap();
        let m = Arc::clone(&mutex);
        let waiter = thread::spawn(move || drop(m.lock().unwrap()));
        thread::sleep(Duration::from_millis(20));
        assert_eq!(mutex.waits.waiters.load(Ordering::Relaxed), 0);
        drop(guard);
        waiter.join().unwrap();
    }

    #[test]
    fn poisoning_and_condvar_behave_as_std() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let mutex = Arc::new(Mutex::new(1));
        let m = Arc::clone(&mutex);
        let _ = thread::spawn(move || {
            let _guard = m.lock().unwrap();
            panic!("poison");
        })
        .join();
        assert!(mutex.is_poisoned());
        let guard = mutex.lock().unwrap_err().into_inner();
        assert_eq!(*guard, 1);
        drop(guard);
        mutex.clear_poison();
        assert!(mutex.try_lock().is_ok());

        let pair = (Mutex::new(0), Condvar::new());
        let guard = pair.0.lock().unwrap();
        let (guard, timed_out) = pair
            .1
            .wait_timeout(guard, Duration::from_millis(5))
            .unwrap();
        assert!(timed_out.timed_out());
        assert_eq!(*guard, 0);
        drop(guard);

        let rw = RwLock::new(vec![1]);
        let r1 = rw.read().unwrap();
        let r2 = rw.try_read().unwrap();
        assert!(matches!(rw.try_write(), Err(TryLockError::WouldBlock)));
        drop((r1, r2));
        rw.write().unwrap().push(2);
        assert_eq!(rw.into_inner().unwrap(), vec![1, 2]);
    }
}
