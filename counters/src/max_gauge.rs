use std::fmt;

use crate::sync::{AtomicU64, Ordering};

/// Records the largest value seen, e.g. the peak queue depth or the slowest request of an
/// interval.
///
/// One `AtomicU64`. [`record`](Self::record) first reads the current maximum and writes only
/// when the new value is larger, so once the peak is reached, recording is a plain read of a
/// cache line that stays shared between cores. Every operation is `Relaxed`: the gauge does not
/// order other memory accesses.
///
/// # Examples
/// ```
/// use perfkit_counters::MaxGauge;
///
/// static PEAK_DEPTH: MaxGauge = MaxGauge::new();
/// for depth in [3, 9, 4] {
///     PEAK_DEPTH.record(depth);
/// }
/// assert_eq!(PEAK_DEPTH.get(), 9);
/// assert_eq!(PEAK_DEPTH.take(), 9); // report the interval's peak, start the next at 0
/// assert_eq!(PEAK_DEPTH.get(), 0);
/// ```
pub struct MaxGauge {
    max: AtomicU64,
}

impl MaxGauge {
    /// A gauge at zero.
    #[cfg(not(perfkit_loom))]
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max: AtomicU64::new(0),
        }
    }

    /// A gauge at zero (loom build: not `const`).
    #[cfg(perfkit_loom)]
    #[must_use]
    pub fn new() -> Self {
        Self {
            max: AtomicU64::new(0),
        }
    }

    /// Raises the maximum to `value` if `value` is larger.
    #[inline]
    pub fn record(&self, value: u64) {
        // Skipping the write is safe: the maximum only grows between resets, so a current
        // value >= `value` stays >= `value` until a take/reset, which may drop it anyway.
        if value > self.max.load(Ordering::Relaxed) {
            self.max.fetch_max(value, Ordering::Relaxed);
        }
    }

    /// The largest value recorded since creation or the last take/reset.
    #[inline]
    #[must_use]
    pub fn get(&self) -> u64 {
        self.max.load(Ordering::Relaxed)
    }

    /// Returns the maximum and resets it to zero in one atomic step: a concurrent `record`
    /// lands either in the returned interval or in the next.
    pub fn take(&self) -> u64 {
        self.max.swap(0, Ordering::Relaxed)
    }

    /// Resets the maximum to zero.
    pub fn reset(&self) {
        self.max.store(0, Ordering::Relaxed);
    }
}

impl Default for MaxGauge {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MaxGauge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MaxGauge").field(&self.get()).finish()
    }
}
