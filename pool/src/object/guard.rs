use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::ptr;

use super::lent::Lent;
use super::pool::Pool;
use super::reset::{DefaultReset, ResetWith};
use super::slots::Boxed;
use crate::sync::{Arc, CachePadded};

/// An object borrowed from a pool; returns it (reset) when dropped, from whichever thread drops
/// it. `P` is how the guard reaches its pool: see the two aliases, [`Pooled`] (a borrow, from
/// [`Pool::get`]) and [`OwnedPooled`] (an `Arc`, from [`Pool::get_owned`], `'static` so it can
/// move into another thread or an async task).
///
/// Use [`detach`](Self::detach) to keep the object for good.
#[must_use = "dropping the guard returns the object at once"]
pub struct PoolGuard<P, T, R = DefaultReset>
where
    P: Deref<Target = Pool<T, R>>,
    R: ResetWith<T>,
{
    pool: P,
    obj: Lent<T>,
}

/// A guard from [`Pool::get`], borrowing the pool.
pub type Pooled<'a, T, R = DefaultReset> = PoolGuard<&'a Pool<T, R>, T, R>;

/// A guard from [`Pool::get_owned`], holding an `Arc` of the pool.
pub type OwnedPooled<T, R = DefaultReset> = PoolGuard<Arc<Pool<T, R>>, T, R>;

impl<P, T, R> PoolGuard<P, T, R>
where
    P: Deref<Target = Pool<T, R>>,
    R: ResetWith<T>,
{
    #[inline]
    pub(crate) fn new(pool: P, obj: Boxed<T>) -> Self {
        Self {
            pool,
            obj: Lent::new(obj),
        }
    }

    /// Takes the object out of the pool for good: it will not be returned or reset.
    ///
    /// # Examples
    /// ```
    /// let pool = perfkit_pool::Pool::new(String::new);
    /// let mut s = pool.get();
    /// s.push_str("kept");
    /// let s: String = s.detach();
    /// assert_eq!(s, "kept");
    /// assert_eq!(pool.stats().detached, 1);
    /// ```
    #[must_use]
    pub fn detach(self) -> T {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped or used again, so each field is moved out exactly
        // once: the guard's `Drop` (which would return the object) does not run.
        let (pool, lent) = unsafe {
            (
                ptr::read(&raw const this.pool),
                ptr::read(&raw const this.obj),
            )
        };
        pool.note_detached();
        CachePadded::into_inner(*lent.into_box())
    }

    /// The pool this object returns to.
    #[must_use]
    pub fn pool(this: &Self) -> &P {
        &this.pool
    }
}

impl<P, T, R> Deref for PoolGuard<P, T, R>
where
    P: Deref<Target = Pool<T, R>>,
    R: ResetWith<T>,
{
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.obj.get()
    }
}

impl<P, T, R> DerefMut for PoolGuard<P, T, R>
where
    P: Deref<Target = Pool<T, R>>,
    R: ResetWith<T>,
{
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        self.obj.get_mut()
    }
}

impl<P, T, R> Drop for PoolGuard<P, T, R>
where
    P: Deref<Target = Pool<T, R>>,
    R: ResetWith<T>,
{
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `self.obj` is not used again: the guard is being dropped, and `Lent` has no
        // destructor of its own, so this copy is the only owner of the object from here on.
        let lent = unsafe { ptr::read(&raw const self.obj) };
        self.pool.give_back(lent.into_box());
    }
}

impl<P, T, R> fmt::Debug for PoolGuard<P, T, R>
where
    P: Deref<Target = Pool<T, R>>,
    R: ResetWith<T>,
    T: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
