use std::fmt;

use crate::stripes::{Stripe, Stripes};
use crate::sync::{AtomicU64, CachePadded, Ordering};
use perfkit_utils::ThreadSlot;

/// A striped counter in the style of Java's `LongAdder`: cheap to increment from many threads
/// at once, O(stripes) to read.
///
/// Until two threads collide it is a single `AtomicU64` updated with `compare_exchange`. The
/// first failed exchange inflates it: it allocates one cache-padded stripe per thread slot
/// (`2 × cores`, rounded up to a power of two, at least 4 and at most 256), and from then on a
/// thread adds to the stripe it owns with a plain load and store, touching no cache line that
/// another thread writes. Threads beyond the number of stripes share the original cell, with
/// `fetch_add`.
///
/// Reads add up every stripe: [`sum`](Self::sum) is O(stripes) and is not a snapshot: adds that
/// run concurrently with it may or may not be counted. [`take`](Self::take) hands out what was
/// added since the last take exactly once, even with concurrent adds and takes.
///
/// All arithmetic wraps modulo 2<sup>64</sup>, as `u64::wrapping_add`. A counter is a statistic:
/// it does not order other memory accesses, so don't use it to publish data to another thread.
///
/// # Examples
/// ```
/// use perfkit_counters::Counter;
///
/// static REQUESTS: Counter = Counter::new();
///
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             for _ in 0..1000 {
///                 REQUESTS.inc();
///             }
///         });
///     }
/// });
/// assert_eq!(REQUESTS.sum(), 4000);
/// assert_eq!(REQUESTS.take(), 4000);
/// assert_eq!(REQUESTS.sum(), 0);
/// ```
pub struct Counter {
    /// The whole count while uncontended; afterwards the cell of threads with no stripe.
    base: AtomicU64,
    stripes: Stripes,
}

impl Counter {
    /// A counter at zero. Allocates nothing until threads contend on it.
    #[cfg(not(perfkit_loom))]
    #[must_use]
    pub const fn new() -> Self {
        Self {
            base: AtomicU64::new(0),
            stripes: Stripes::new(),
        }
    }

    /// A counter at zero (loom build: not `const`).
    #[cfg(perfkit_loom)]
    #[must_use]
    pub fn new() -> Self {
        Self {
            base: AtomicU64::new(0),
            stripes: Stripes::new(),
        }
    }

    /// A counter at zero that starts striped, for counters known to be contended: it skips the
    /// compare-exchange phase and allocates its stripes now.
    ///
    /// # Examples
    /// ```
    /// let hits = perfkit_counters::Counter::striped();
    /// assert!(hits.is_striped());
    /// hits.add(3);
    /// assert_eq!(hits.sum(), 3);
    /// ```
    #[must_use]
    pub fn striped() -> Self {
        let counter = Self::new();
        counter.stripes.get_or_init();
        counter
    }

    /// Adds `n`. Wraps around at `u64::MAX`, as `AtomicU64::fetch_add` does (no panic, no
    /// saturation): counting a billion events a second takes 584 years to get there, so no
    /// checked variant is offered; `take` per export interval keeps totals small anyway.
    #[inline]
    pub fn add(&self, n: u64) {
        if let Some(stripes) = self.stripes.get() {
            return self.add_striped(stripes, n);
        }
        let current = self.base.load(Ordering::Relaxed);
        if self
            .base
            .compare_exchange(
                current,
                current.wrapping_add(n),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_err()
        {
            self.add_contended(n);
        }
    }

    /// Adds one (wrapping, as [`add`](Self::add)).
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Another thread changed the base cell between our load and our exchange: inflate, then
    /// add through the stripes.
    #[cold]
    #[inline(never)]
    fn add_contended(&self, n: u64) {
        self.add_striped(self.stripes.get_or_init(), n);
    }

    /// Adds to the calling thread's own stripe, or to the shared cell if it has none.
    #[inline]
    fn add_striped(&self, stripes: &[CachePadded<Stripe>], n: u64) {
        match ThreadSlot::current() {
            Some(slot) => stripes[slot].add_owned(n),
            None => {
                self.base.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// The total added since creation or the last [`take`](Self::take)/[`reset`](Self::reset).
    ///
    /// O(stripes), and not a snapshot: adds that run concurrently with it may or may not be
    /// counted, but every add that finished before `sum` started is. Wrapping, as
    /// [`add`](Self::add): the result is the total modulo 2^64.
    #[inline]
    #[must_use]
    pub fn sum(&self) -> u64 {
        let mut total = self.base.load(Ordering::Relaxed);
        if let Some(stripes) = self.stripes.get() {
            for stripe in stripes {
                total = total.wrapping_add(stripe.pending());
            }
        }
        total
    }

    /// Returns the total and starts again from zero, as one step per stripe: an add that runs
    /// concurrently is counted either by this `take` or by the next one, never by both and
    /// never lost. The way to export a per-interval rate.
    ///
    /// # Examples
    /// ```
    /// let c = perfkit_counters::Counter::new();
    /// c.add(5);
    /// assert_eq!(c.take(), 5);
    /// c.inc();
    /// assert_eq!(c.take(), 1);
    /// ```
    pub fn take(&self) -> u64 {
        let mut total = self.base.swap(0, Ordering::Relaxed);
        if let Some(stripes) = self.stripes.get() {
            for stripe in stripes {
                total = total.wrapping_add(stripe.take());
            }
        }
        total
    }

    /// Sets the total to zero. Costs the same as [`take`](Self::take).
    pub fn reset(&self) {
        self.take();
    }

    /// Whether the counter has inflated to its striped form (after contention, or from
    /// [`striped`](Self::striped)). Once striped it stays striped.
    #[must_use]
    pub fn is_striped(&self) -> bool {
        self.stripes.get().is_some()
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("sum", &self.sum())
            .field("striped", &self.is_striped())
            .finish()
    }
}
