//! The guard's owning pointer to a pooled object: a box without drop glue.

use std::marker::PhantomData;
use std::ptr;

use super::slots::Boxed;
use crate::sync::CachePadded;

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
