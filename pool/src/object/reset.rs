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
pub trait Reset {
    /// Clears the contents, keeping allocated capacity.
    fn reset(&mut self);
}

impl<T: Reset + ?Sized> Reset for Box<T> {
    fn reset(&mut self) {
        (**self).reset();
    }
}

impl<T> Reset for Vec<T> {
    fn reset(&mut self) {
        self.clear();
    }
}

impl Reset for String {
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T> Reset for VecDeque<T> {
    fn reset(&mut self) {
        self.clear();
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
