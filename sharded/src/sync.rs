//! The one place that imports locks and cells. Under `--cfg perfkit_loom` they come from [`loom`], so
//! the model checker sees every lock and every access to a `ShardedRwLock`'s value.

// perfkit's `RwLock`: std's, whose contended path reports to the contention hook (the
// shards show in `perfkit-profile`'s mutex and block profiles).
#[cfg(not(perfkit_loom))]
pub(crate) use perfkit_utils::lock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

#[cfg(perfkit_loom)]
pub(crate) use loom::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub(crate) use perfkit_utils::CachePadded;

/// Lock a shard for reading, ignoring poison: our shards hold data whose own operations do not
/// panic half-way (a panic in user code leaves a complete, if updated, value), so a panic in
/// one caller need not disable the shard for every other caller (the choice `parking_lot` and
/// `dashmap` make).
pub(crate) fn read<T: ?Sized>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Try to lock a shard for reading without blocking, ignoring poison (see [`read`]).
pub(crate) fn try_read<T: ?Sized>(lock: &RwLock<T>) -> Option<RwLockReadGuard<'_, T>> {
    match lock.try_read() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// Try to lock a shard for writing without blocking, ignoring poison (see [`read`]).
pub(crate) fn try_write<T: ?Sized>(lock: &RwLock<T>) -> Option<RwLockWriteGuard<'_, T>> {
    match lock.try_write() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// Lock a shard for writing, ignoring poison (see [`read`]).
pub(crate) fn write<T: ?Sized>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The value of a `ShardedRwLock`: an `UnsafeCell` whose accesses loom can check.
#[derive(Debug)]
pub(crate) struct Cell<T: ?Sized>(
    #[cfg(not(perfkit_loom))] std::cell::UnsafeCell<T>,
    #[cfg(perfkit_loom)] loom::cell::UnsafeCell<T>,
);

/// A shared access to a [`Cell`]'s value, alive as long as a guard is.
#[cfg(not(perfkit_loom))]
pub(crate) struct SharedAccess<T: ?Sized>(*const T);
#[cfg(perfkit_loom)]
pub(crate) struct SharedAccess<T: ?Sized>(loom::cell::ConstPtr<T>);

/// An exclusive access to a [`Cell`]'s value, alive as long as a guard is.
#[cfg(not(perfkit_loom))]
pub(crate) struct ExclusiveAccess<T: ?Sized>(*mut T);
#[cfg(perfkit_loom)]
pub(crate) struct ExclusiveAccess<T: ?Sized>(loom::cell::MutPtr<T>);

impl<T> Cell<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(not(perfkit_loom))]
        return Self(std::cell::UnsafeCell::new(value));
        #[cfg(perfkit_loom)]
        return Self(loom::cell::UnsafeCell::new(value));
    }

    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> Cell<T> {
    pub(crate) fn shared(&self) -> SharedAccess<T> {
        SharedAccess(self.0.get())
    }

    pub(crate) fn exclusive(&self) -> ExclusiveAccess<T> {
        #[cfg(not(perfkit_loom))]
        return ExclusiveAccess(self.0.get());
        #[cfg(perfkit_loom)]
        return ExclusiveAccess(self.0.get_mut());
    }

    #[cfg(not(perfkit_loom))]
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
}

impl<T: ?Sized> SharedAccess<T> {
    /// # Safety
    /// - No exclusive access to the same cell may be used while the returned reference lives.
    pub(crate) unsafe fn get(&self) -> &T {
        #[cfg(not(perfkit_loom))]
        // SAFETY: the pointer comes from a live `UnsafeCell`; the caller excludes writers.
        return unsafe { &*self.0 };
        #[cfg(perfkit_loom)]
        // SAFETY: as above; loom checks the claim.
        return unsafe { self.0.deref() };
    }
}

impl<T: ?Sized> ExclusiveAccess<T> {
    /// # Safety
    /// - No other access to the same cell may be used while the returned reference lives.
    pub(crate) unsafe fn get(&self) -> &T {
        #[cfg(not(perfkit_loom))]
        // SAFETY: the pointer comes from a live `UnsafeCell`; the caller excludes everyone.
        return unsafe { &*self.0 };
        #[cfg(perfkit_loom)]
        // SAFETY: as above; loom checks the claim.
        return unsafe { &*self.0.deref() };
    }

    /// # Safety
    /// - No other access to the same cell may be used while the returned reference lives.
    pub(crate) unsafe fn get_mut(&mut self) -> &mut T {
        #[cfg(not(perfkit_loom))]
        // SAFETY: the pointer comes from a live `UnsafeCell`; the caller excludes everyone.
        return unsafe { &mut *self.0 };
        #[cfg(perfkit_loom)]
        // SAFETY: as above; loom checks the claim.
        return unsafe { self.0.deref() };
    }
}
