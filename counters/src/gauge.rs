use std::fmt;

use crate::sync::{AtomicI64, Ordering};

/// A signed value that goes up and down: connections open, bytes in flight, queue length.
///
/// One `AtomicI64`; every operation is a single atomic instruction with `Relaxed` ordering. A
/// gauge is a statistic: it does not order other memory accesses, so don't use it as a flag
/// that publishes data. Arithmetic wraps on overflow, as `i64::wrapping_add`.
///
/// A gauge updated from many threads at once is one contended cache line; if that shows up in a
/// profile, count the ups and the downs in two [`Counter`](crate::Counter)s instead and subtract.
/// Place a hot gauge in its own cache line (`perfkit_utils::CachePadded`) when it sits next to
/// other frequently written data.
///
/// # Examples
/// ```
/// use perfkit_counters::Gauge;
///
/// static IN_FLIGHT: Gauge = Gauge::new();
/// IN_FLIGHT.inc();
/// IN_FLIGHT.add(2);
/// IN_FLIGHT.dec();
/// assert_eq!(IN_FLIGHT.get(), 2);
/// IN_FLIGHT.set(-7);
/// assert_eq!(IN_FLIGHT.get(), -7);
/// ```
pub struct Gauge {
    value: AtomicI64,
}

impl Gauge {
    /// A gauge at zero.
    #[cfg(not(perfkit_loom))]
    #[must_use]
    pub const fn new() -> Self {
        Self {
            value: AtomicI64::new(0),
        }
    }

    /// A gauge at zero (loom build: not `const`).
    #[cfg(perfkit_loom)]
    #[must_use]
    pub fn new() -> Self {
        Self {
            value: AtomicI64::new(0),
        }
    }

    /// Adds `n` (which may be negative). Wraps around at the ends of `i64`, as
    /// `AtomicI64::fetch_add` does; a level that can approach them (bytes in flight is not one)
    /// wants [`checked_add`](Self::checked_add).
    #[inline]
    pub fn add(&self, n: i64) {
        self.value.fetch_add(n, Ordering::Relaxed);
    }

    /// Subtracts `n`, wrapping as [`add`](Self::add).
    #[inline]
    pub fn sub(&self, n: i64) {
        self.value.fetch_sub(n, Ordering::Relaxed);
    }

    /// Adds `n` unless the result would overflow; returns the new value, or `None` (and
    /// changes nothing) on overflow. A compare-exchange loop, so slower than `add` under
    /// contention.
    ///
    /// # Examples
    /// ```
    /// let g = perfkit_counters::Gauge::new();
    /// g.set(i64::MAX - 1);
    /// assert_eq!(g.checked_add(1), Some(i64::MAX));
    /// assert_eq!(g.checked_add(1), None);
    /// assert_eq!(g.get(), i64::MAX);
    /// ```
    #[inline]
    #[must_use = "None means nothing was added"]
    pub fn checked_add(&self, n: i64) -> Option<i64> {
        self.value
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_add(n))
            .ok()
            .map(|old| old + n)
    }

    /// Adds `n`, stopping at `i64::MIN` or `i64::MAX` instead of wrapping; returns the new
    /// value. A compare-exchange loop, as [`checked_add`](Self::checked_add).
    ///
    /// # Examples
    /// ```
    /// let g = perfkit_counters::Gauge::new();
    /// g.set(i64::MIN + 1);
    /// assert_eq!(g.saturating_add(-5), i64::MIN);
    /// ```
    #[inline]
    pub fn saturating_add(&self, n: i64) -> i64 {
        let old = self
            .value
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_add(n))
            })
            .unwrap_or_else(|v| v);
        old.saturating_add(n)
    }

    /// Adds one (wrapping, as [`add`](Self::add)).
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts one (wrapping, as [`add`](Self::add)).
    #[inline]
    pub fn dec(&self) {
        self.sub(1);
    }

    /// Replaces the value.
    #[inline]
    pub fn set(&self, value: i64) {
        self.value.store(value, Ordering::Relaxed);
    }

    /// The current value.
    #[inline]
    #[must_use]
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl Default for Gauge {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Gauge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Gauge").field(&self.get()).finish()
    }
}
