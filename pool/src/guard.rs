use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::local::{Boxed, Lent};
use crate::pool::Pool;
use crate::reset::{DefaultReset, ResetWith};
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
    /// `None` only after `detach`.
    obj: Option<Lent<T>>,
}

/// A guard from [`Pool::get`], borrowing the pool.
pub type Pooled<'a, T, R = DefaultReset> = PoolGuard<&'a Pool<T, R>, T, R>;

/// A guard from [`Pool::get_owned`], holding an `Arc` of the pool.
pub type OwnedPooled<T, R = DefaultReset> = PoolGuard<Arc<Pool<T, R>>, T, R>;

const HELD: &str = "a guard holds its object until dropped or detached";

impl<P, T, R> PoolGuard<P, T, R>
where
    P: Deref<Target = Pool<T, R>>,
    R: ResetWith<T>,
{
    #[inline]
    pub(crate) fn new(pool: P, obj: Boxed<T>) -> Self {
        Self {
            pool,
            obj: Some(Lent::new(obj)),
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
    #[allow(
        clippy::missing_panics_doc,
        reason = "the object is `None` only after `detach`, which consumes the guard"
    )]
    pub fn detach(mut self) -> T {
        self.pool.note_detached();
        let lent = self.obj.take().expect(HELD);
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
        self.obj.as_ref().expect(HELD).get()
    }
}

impl<P, T, R> DerefMut for PoolGuard<P, T, R>
where
    P: Deref<Target = Pool<T, R>>,
    R: ResetWith<T>,
{
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        self.obj.as_mut().expect(HELD).get_mut()
    }
}

impl<P, T, R> Drop for PoolGuard<P, T, R>
where
    P: Deref<Target = Pool<T, R>>,
    R: ResetWith<T>,
{
    #[inline]
    fn drop(&mut self) {
        if let Some(lent) = self.obj.take() {
            self.pool.give_back(lent.into_box());
        }
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
