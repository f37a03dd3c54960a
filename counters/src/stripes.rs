//! The lazily published stripe array of a [`Counter`](crate::Counter). All of the crate's
//! `unsafe` lives here, behind a safe API.
//!
//! Why a raw `AtomicPtr` and not `std::sync::OnceLock`: publication must be lock-free (an
//! increment never waits for another thread, even one descheduled mid-initialisation), and it
//! must be visible to the loom model checker, which cannot see inside `OnceLock`. The protocol is
//! the one of `once_cell::race::OnceBox`: allocate, try to install with one `compare_exchange`,
//! and free the allocation if another thread installed first.

use crate::sync::{AtomicPtr, AtomicU64, CachePadded, Ordering};
use perfkit_utils::ThreadSlot;

/// One thread's cell. `value` is written only by the thread that owns this stripe's slot (plain
/// load + store, no read-modify-write); `taken` records how much of `value` has been handed out
/// by `take`, and is written only by `compare_exchange`.
#[derive(Debug)]
pub(crate) struct Stripe {
    value: AtomicU64,
    taken: AtomicU64,
    /// Under loom: reports a stripe array that is never freed.
    #[cfg(perfkit_loom)]
    _track: loom::alloc::Track<()>,
}

impl Stripe {
    fn new() -> Self {
        Self {
            value: AtomicU64::new(0),
            taken: AtomicU64::new(0),
            #[cfg(perfkit_loom)]
            _track: loom::alloc::Track::new(()),
        }
    }

    /// Adds `n`. Only the owner of this stripe's slot may call it.
    #[inline]
    pub(crate) fn add_owned(&self, n: u64) {
        let value = self.value.load(Ordering::Relaxed);
        self.value.store(value.wrapping_add(n), Ordering::Relaxed);
    }

    /// What was added and not yet taken.
    #[inline]
    pub(crate) fn pending(&self) -> u64 {
        // `taken` first: a `taken` written by a `take` that read `value == v` is followed by a
        // read of `value` that returns `v` or later (Acquire, then read-read coherence), so the
        // difference never goes negative.
        let taken = self.taken.load(Ordering::Acquire);
        self.value.load(Ordering::Relaxed).wrapping_sub(taken)
    }

    /// Moves `taken` up to the current `value` and returns the difference. Concurrent takes
    /// each get a disjoint part: every unit is returned by exactly one `take`.
    pub(crate) fn take(&self) -> u64 {
        let mut taken = self.taken.load(Ordering::Acquire);
        loop {
            let value = self.value.load(Ordering::Relaxed);
            match self.taken.compare_exchange_weak(
                taken,
                value,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return value.wrapping_sub(taken),
                Err(actual) => taken = actual,
            }
        }
    }
}

/// A stripe array of `ThreadSlot::count()` elements, allocated on first use and freed on drop.
#[derive(Debug)]
pub(crate) struct Stripes {
    /// Null, or the first element of a leaked `Box<[CachePadded<Stripe>]>` of `ThreadSlot::count()`
    /// elements. Never changes once non-null, until `drop`.
    ptr: AtomicPtr<CachePadded<Stripe>>,
}

impl Stripes {
    #[cfg(not(perfkit_loom))]
    pub(crate) const fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    #[cfg(perfkit_loom)]
    pub(crate) fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The array, if it was installed.
    #[inline]
    pub(crate) fn get(&self) -> Option<&[CachePadded<Stripe>]> {
        let ptr = self.ptr.load(Ordering::Acquire);
        if ptr.is_null() {
            return None;
        }
        // (1) A non-null `ptr` was installed by `get_or_init` from a boxed slice of exactly
        // `ThreadSlot::count()` initialised elements, and `ThreadSlot::count()` never changes; (2) the
        // Acquire load pairs with the installing Release CAS, so the elements' initialisation
        // is visible; (3) the allocation is freed only in `drop`, which has `&mut self`.
        // SAFETY: by (1)-(3), `ptr` points to `ThreadSlot::count()` live, initialised elements that
        // outlive the `&self` borrow this slice is tied to.
        Some(unsafe { std::slice::from_raw_parts(ptr, ThreadSlot::count()) })
    }

    /// The array, installing a new one if there is none yet.
    #[cold]
    pub(crate) fn get_or_init(&self) -> &[CachePadded<Stripe>] {
        if let Some(stripes) = self.get() {
            return stripes;
        }
        let fresh: Box<[CachePadded<Stripe>]> = (0..ThreadSlot::count())
            .map(|_| CachePadded::new(Stripe::new()))
            .collect();
        let fresh = Box::into_raw(fresh).cast::<CachePadded<Stripe>>();
        if let Err(_installed) = self.ptr.compare_exchange(
            std::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: `fresh` came from `Box::into_raw` of a slice of `ThreadSlot::count()` elements
            // just above and was never published (the CAS failed), so this thread still owns it
            // and nobody else can reach it.
            drop(unsafe { boxed_slice(fresh) });
        }
        self.get()
            .expect("an array is installed once the CAS has run")
    }
}

impl Drop for Stripes {
    fn drop(&mut self) {
        let ptr = self.ptr.swap(std::ptr::null_mut(), Ordering::Relaxed);
        if !ptr.is_null() {
            // SAFETY: a non-null `ptr` came from `Box::into_raw` of `ThreadSlot::count()` elements in
            // `get_or_init`; `&mut self` means no borrow from `get` is alive; the field is
            // nulled above, so it is freed once.
            drop(unsafe { boxed_slice(ptr) });
        }
    }
}

/// Rebuilds the box that `get_or_init` leaked.
///
/// # Safety
/// - `ptr` must come from `Box::into_raw` of a `Box<[CachePadded<Stripe>]>` of exactly
///   `ThreadSlot::count()` elements.
/// - The caller must own it: no other reference to the elements is alive, and it is not freed
///   twice.
unsafe fn boxed_slice(ptr: *mut CachePadded<Stripe>) -> Box<[CachePadded<Stripe>]> {
    let slice = std::ptr::slice_from_raw_parts_mut(ptr, ThreadSlot::count());
    // SAFETY: the caller's first duty makes this the pointer and length `Box::into_raw`
    // returned; the second makes this the only owner.
    unsafe { Box::from_raw(slice) }
}
