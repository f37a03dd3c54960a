//! One digest for every DOM type: the same number from serde_json's, simd-json's, perfkit's
//! and sonic-rs's DOMs of the same document (order-independent for objects), so that every DOM
//! case's answer can be checked against the baseline's.

use simd_json::prelude::*;
use sonic_rs::{JsonContainerTrait, JsonValueTrait};

/// A node of some DOM, by reference (or by value, for the tape): what the digest needs.
pub(super) trait Node: Copy {
    /// Calls `f` on each element and returns `true`, if this is an array.
    fn items(self, f: impl FnMut(Self)) -> bool;
    /// Calls `f` with each key's length and value and returns `true`, if this is an object.
    fn members(self, f: impl FnMut(usize, Self)) -> bool;
    /// The string's length, if this is a string.
    fn str_len(self) -> Option<usize>;
}

/// 1 + the sum over an array's items; 1 + the sum of key length + value over an object's
/// members; a string's length; 1 for any other scalar.
pub(super) fn digest<N: Node>(node: N) -> u64 {
    let mut sum = 1u64;
    if node.items(|item| sum = sum.wrapping_add(digest(item))) {
        return sum;
    }
    if node.members(|key, value| sum = sum.wrapping_add((key as u64).wrapping_add(digest(value)))) {
        return sum;
    }
    node.str_len().map_or(1, |n| n as u64)
}

/// Every DOM here has `as_array`, `as_object` (iterating key-value pairs) and `as_str`, from
/// its own type or its traits: one implementation serves all of them.
macro_rules! node {
    ($($t:ty),*) => {$(
        impl Node for $t {
            fn items(self, f: impl FnMut(Self)) -> bool {
                self.as_array().map(|a| a.iter().for_each(f)).is_some()
            }
            fn members(self, mut f: impl FnMut(usize, Self)) -> bool {
                self.as_object()
                    .map(|o| o.iter().for_each(|(k, v)| f(k.len(), v)))
                    .is_some()
            }
            fn str_len(self) -> Option<usize> {
                self.as_str().map(str::len)
            }
        }
    )*};
}

node!(
    &serde_json::Value,
    &simd_json::BorrowedValue<'_>,
    perfkit_json::TapeValue<'_, '_>,
    &sonic_rs::Value
);
