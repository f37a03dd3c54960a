use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;

/// Puts an object back into its "as new" state before the pool hands it to the next user,
/// keeping what is expensive to rebuild (a collection's capacity, an arena's chunks).
///
/// Implemented for the std collections, `bytes::BytesMut` (feature `bytes`) and
/// `bumpalo::Bump` (feature `bumpalo`). For other types, implement it, or give the pool a reset
/// closure through [`Builder::reset`](super::Builder::reset).
///
/// # Examples
/// ```
/// use perfkit_pool::Reset;
///
/// struct Scratch {
///     ids: Vec<u64>,
///     name: String,
/// }
///
/// impl Reset for Scratch {
///     fn reset(&mut self) {
///         self.ids.reset();
///         self.name.reset();
///     }
/// }
///
/// let mut s = Scratch { ids: Vec::with_capacity(64), name: "x".into() };
/// s.ids.push(1);
/// s.reset();
/// assert!(s.ids.is_empty() && s.name.is_empty());
/// assert!(s.ids.capacity() >= 64);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `perfkit_pool::Reset`, so `Pool::new` cannot reset it",
    note = "`bumpalo::Bump` implements `Reset` with perfkit-pool's `bumpalo` feature, \
            `bytes::BytesMut` with its `bytes` feature",
    note = "for any other type, implement `Reset`, or give the pool a reset closure: \
            `Pool::builder(make).reset(|obj| ..).build()`"
)]
pub trait Reset {
    /// Clears the contents, keeping allocated capacity (up to [`MAX_RETAINED_BYTES`] for the
    /// growable std collections).
    fn reset(&mut self);
}

/// The most a `Vec`, `String` or `VecDeque` keeps of its capacity when reset: 1 MiB. Above it,
/// `reset` shrinks it to this size, so that one huge request does not pin its buffer in the pool
/// for good: idle memory is bounded by `max_idle` x 1 MiB by default (the hash maps and sets
/// keep theirs: shrinking them rehashes). For a different bound, give the pool a reset closure
/// (`Builder::reset`) or a `retain` predicate that drops objects that grew too big.
pub const MAX_RETAINED_BYTES: usize = 1 << 20;

/// How many `T`s [`MAX_RETAINED_BYTES`] holds (zero-sized types: no bound needed).
#[inline]
fn retained_elements<T>() -> usize {
    MAX_RETAINED_BYTES / std::mem::size_of::<T>().max(1)
}

impl<T: Reset + ?Sized> Reset for Box<T> {
    fn reset(&mut self) {
        (**self).reset();
    }
}

impl<T> Reset for Vec<T> {
    /// Clears, keeping the capacity up to [`MAX_RETAINED_BYTES`].
    #[inline]
    fn reset(&mut self) {
        self.clear();
        if self.capacity() > retained_elements::<T>() {
            self.shrink_to(retained_elements::<T>());
        }
    }
}

impl Reset for String {
    /// Clears, keeping the capacity up to [`MAX_RETAINED_BYTES`].
    #[inline]
    fn reset(&mut self) {
        self.clear();
        if self.capacity() > MAX_RETAINED_BYTES {
            self.shrink_to(MAX_RETAINED_BYTES);
        }
    }
}

impl<T> Reset for VecDeque<T> {
    /// Clears, keeping the capacity up to [`MAX_RETAINED_BYTES`].
    #[inline]
    fn reset(&mut self) {
        self.clear();
        if self.capacity() > retained_elements::<T>() {
            self.shrink_to(retained_elements::<T>());
        }
    }
}

impl<K, V, S: BuildHasher> Reset for HashMap<K, V, S> {
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T, S: BuildHasher> Reset for HashSet<T, S> {
    fn reset(&mut self) {
        self.clear();
    }
}

/// A B-tree keeps no capacity: resetting one only saves re-creating the value.
impl<K, V> Reset for BTreeMap<K, V> {
    fn reset(&mut self) {
        self.clear();
    }
}

/// A B-tree keeps no capacity: resetting one only saves re-creating the value.
impl<T> Reset for BTreeSet<T> {
    fn reset(&mut self) {
        self.clear();
    }
}

#[cfg(feature = "bytes")]
impl Reset for bytes::BytesMut {
    /// Clears the buffer. Capacity is kept only while no `Bytes` split off it is alive.
    fn reset(&mut self) {
        self.clear();
    }
}

/// How a pool resets objects: [`DefaultReset`] (the type's [`Reset`] impl), or any
/// `Fn(&mut T)` closure or function given to [`Builder::reset`](super::Builder::reset).
///
/// The pool is generic over it (`Pool<T, R = DefaultReset>`), so the reset is a direct,
/// inlinable call on every return rather than a call through a pointer: on the machine of our
/// report, an indirect call cost more than the rest of the return path together.
pub trait ResetWith<T>: Send + Sync + 'static {
    /// Resets `obj`.
    fn reset_with(&self, obj: &mut T);
}

/// The reset of a pool given no closure: [`Reset::reset`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultReset;

impl<T: Reset> ResetWith<T> for DefaultReset {
    #[inline]
    fn reset_with(&self, obj: &mut T) {
        obj.reset();
    }
}

impl<T, F: Fn(&mut T) + Send + Sync + 'static> ResetWith<T> for F {
    #[inline]
    fn reset_with(&self, obj: &mut T) {
        self(obj);
    }
}
