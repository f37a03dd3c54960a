//! How long operations waited (a checkout for a connection): a log-linear histogram (eight
//! buckets per power of two, so a percentile is within 12.5% of the true value) and the exact
//! maximum, merged over tasks and samples, then summarised as p50, p99 and max.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Buckets below 16 ns are exact; above, eight per power of two up to 2^64 ns.
const BUCKETS: usize = 16 + 60 * 8;

/// A histogram of waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waits {
    counts: Vec<u64>,
    max_ns: u64,
    /// The slowest task's total time over the fastest's, in thousandths (a fair queue keeps
    /// it near 1000): the largest seen in any merged run.
    spread_milli: u64,
}

impl Default for Waits {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            max_ns: 0,
            spread_milli: 0,
        }
    }
}

fn bucket(ns: u64) -> usize {
    if ns < 16 {
        return ns as usize;
    }
    let exp = 63 - ns.leading_zeros() as usize; // >= 4
    let sub = ((ns >> (exp - 3)) & 7) as usize;
    (16 + (exp - 4) * 8 + sub).min(BUCKETS - 1)
}

/// The largest value in bucket `i`.
fn upper(i: usize) -> u64 {
    if i < 16 {
        return i as u64;
    }
    let exp = (i - 16) / 8 + 4;
    let sub = ((i - 16) % 8) as u128;
    let base = 1u128 << exp;
    let width = base >> 3;
    u64::try_from(base + (sub + 1) * width - 1).unwrap_or(u64::MAX)
}

impl Waits {
    /// Records one wait.
    pub fn record(&mut self, wait: Duration) {
        let ns = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        self.counts[bucket(ns)] += 1;
        self.max_ns = self.max_ns.max(ns);
    }

    /// Adds `other`'s waits.
    pub fn merge(&mut self, other: &Waits) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.max_ns = self.max_ns.max(other.max_ns);
        self.spread_milli = self.spread_milli.max(other.spread_milli);
    }

    /// Records how unevenly `task_times` (each task's total time for its share) came out.
    pub fn record_spread(&mut self, task_times: &[Duration]) {
        let (Some(min), Some(max)) = (task_times.iter().min(), task_times.iter().max()) else {
            return;
        };
        if min.is_zero() {
            return;
        }
        let milli = (max.as_secs_f64() / min.as_secs_f64() * 1000.0) as u64;
        self.spread_milli = self.spread_milli.max(milli);
    }

    /// Waits recorded.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The wait at quantile `q` (0..=1), as the bucket's upper bound (the exact max for 1).
    #[must_use]
    pub fn quantile_ns(&self, q: f64) -> u64 {
        let total = self.count();
        if total == 0 {
            return 0;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return upper(i).min(self.max_ns);
            }
        }
        self.max_ns
    }

    /// p50, p99 and max, and the task spread.
    #[must_use]
    pub fn summary(&self) -> WaitSummary {
        WaitSummary {
            p50_ns: self.quantile_ns(0.5) as f64,
            p99_ns: self.quantile_ns(0.99) as f64,
            max_ns: self.max_ns as f64,
            task_spread: self.spread_milli as f64 / 1000.0,
        }
    }
}

/// What a report shows of a case's waits.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaitSummary {
    /// Median wait, in nanoseconds.
    pub p50_ns: f64,
    /// 99th percentile wait.
    pub p99_ns: f64,
    /// Longest wait.
    pub max_ns: f64,
    /// The slowest task's total time over the fastest's (1.0: every task served alike).
    pub task_spread: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_an_eighth_and_max_is_exact() {
        let mut waits = Waits::default();
        for us in 1..=1000u64 {
            waits.record(Duration::from_micros(us));
        }
        let p50 = waits.quantile_ns(0.5) as f64;
        assert!((p50 / 500_000.0 - 1.0).abs() <= 0.125, "{p50}");
        let p99 = waits.quantile_ns(0.99) as f64;
        assert!((p99 / 990_000.0 - 1.0).abs() <= 0.125, "{p99}");
        assert_eq!(waits.quantile_ns(1.0), 1_000_000);
        let mut other = Waits::default();
        other.record(Duration::from_millis(5));
        waits.merge(&other);
        assert_eq!(waits.summary().max_ns, 5e6);
        assert_eq!(waits.count(), 1001);
        for ns in [0, 1, 15, 16, 17, 1000, 123_456_789, u64::MAX] {
            assert!(upper(bucket(ns)) >= ns, "{ns}");
        }
    }
}
