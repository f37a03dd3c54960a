//! Prefetching a shard's table before its lock is taken.
//!
//! Taking a shard's lock writes the lock's cache line. When another core wrote that line last,
//! it has to come over first, and no later load starts until the locked instruction is done, so
//! the table's own misses (the control bytes `hashbrown` probes first, then the slot) would
//! follow one after another. Prefetching those two lines before taking the lock lets their
//! misses overlap the lock's transfer.
//!
//! Where to prefetch is known without the lock from a hint per shard: where its table keeps its
//! control bytes, and its bucket mask. The hints sit apart from the locks, in one compact array
//! that is written only when an insert finds its table somewhere new (after a growth), so
//! reading a hint stays a cache hit on every core. A stale or torn hint (its table moved since)
//! only wastes a prefetch: a prefetch never faults and changes nothing.
//!
//! The arithmetic follows `hashbrown`'s layout: bucket `i` lies `i + 1` elements below the
//! control bytes, and a probe for `hash` starts at control byte `hash & mask`. The map's tests
//! check the first against the `hashbrown` in use.

use std::mem::size_of;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::Relaxed};

/// One shard table's whereabouts: see the module docs.
#[derive(Debug, Default)]
pub(crate) struct TableHint {
    /// The table's control bytes; null until the first insert into the table.
    ctrl: AtomicPtr<u8>,
    /// The table's bucket count minus one.
    mask: AtomicUsize,
}

impl TableHint {
    /// Records the table whose bucket `index` (of `buckets`) lies at `entry`. Call under the
    /// shard's write lock, after an insert (the only operation that moves a table).
    #[inline]
    pub(crate) fn note<T>(&self, entry: *const T, index: usize, buckets: usize) {
        if size_of::<T>() == 0 {
            return;
        }
        let ctrl = entry
            .cast::<u8>()
            .wrapping_add((index + 1) * size_of::<T>())
            .cast_mut();
        let mask = buckets - 1;
        // Store only on a change: every other insert leaves the line shared and cached.
        if self.ctrl.load(Relaxed) != ctrl || self.mask.load(Relaxed) != mask {
            self.ctrl.store(ctrl, Relaxed);
            self.mask.store(mask, Relaxed);
        }
    }

    /// Prefetches the lines a lookup of `hash` will read first in a table of `T`: the control
    /// group at the probe's start and the bucket there.
    #[inline]
    pub(crate) fn prefetch<T>(&self, hash: u64) {
        let ctrl = self.ctrl.load(Relaxed);
        if ctrl.is_null() {
            return;
        }
        // hashbrown's first probe position: the low bits of the hash (truncated on 32-bit).
        #[allow(
            clippy::cast_possible_truncation,
            reason = "hashbrown truncates the same way"
        )]
        let pos = (hash as usize) & self.mask.load(Relaxed);
        prefetch_line(ctrl.wrapping_add(pos));
        prefetch_line(ctrl.wrapping_sub((pos + 1) * size_of::<T>()));
    }

    /// The control bytes recorded last (tests).
    #[cfg(test)]
    pub(crate) fn ctrl(&self) -> *mut u8 {
        self.ctrl.load(Relaxed)
    }
}

/// Asks the CPU to bring the line holding `addr` into its caches. A no-op where we have no
/// stable prefetch instruction (anything but x86-64) and under loom.
#[inline(always)]
fn prefetch_line(addr: *const u8) {
    #[cfg(all(target_arch = "x86_64", not(perfkit_loom)))]
    // SAFETY: a prefetch is only a hint: it reads nothing into the program, writes nothing and
    // never faults, whatever the address, so a stale address (a table freed since) is fine.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(addr.cast::<i8>());
    }
    #[cfg(not(all(target_arch = "x86_64", not(perfkit_loom))))]
    let _ = addr;
}
