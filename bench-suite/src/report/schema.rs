//! The result schema: what a report run records (and `report.json` holds, and `fill` reads).

use serde::{Deserialize, Serialize};

use crate::machine::Machine;
use crate::registry::{Role, Throughput};

/// One case's figures.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseResult {
    /// Case name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Threads it ran on.
    pub threads: usize,
    /// Median time per operation, in nanoseconds (aggregate over threads).
    pub median_ns: f64,
    /// 25th percentile of the samples' time per op.
    pub p25_ns: f64,
    /// 75th percentile of the samples' time per op.
    pub p75_ns: f64,
    /// Operations per sample.
    pub iters_per_sample: u64,
    /// Allocations per operation, over all samples.
    pub allocs_per_op: f64,
    /// Bytes allocated per operation, over all samples.
    pub bytes_per_op: f64,
    /// Speedup over the baseline with the same thread count (baseline time / this time).
    pub vs_baseline: Option<f64>,
    /// Speedup over the fastest peer with the same thread count.
    pub vs_best_peer: Option<f64>,
    /// Speedup over the floor with the same thread count (floor time / this time); below 1
    /// means slower.
    pub vs_floor: Option<f64>,
    /// How long its operations waited (connection checkouts), over all samples, for cases
    /// that record it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<crate::waits::WaitSummary>,
}

impl CaseResult {
    /// Throughput in units per second, from the median.
    #[must_use]
    pub fn per_second(&self, throughput: Throughput) -> f64 {
        let units = match throughput {
            Throughput::Elements(n) | Throughput::Bytes(n) => n as f64,
        };
        units * 1e9 / self.median_ns
    }
}

/// One group's figures.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupResult {
    /// Group name.
    pub name: String,
    /// Bench target that runs it under criterion.
    pub area: String,
    /// What one operation is.
    pub about: String,
    /// Work per operation.
    pub throughput: Option<Throughput>,
    /// Caveats.
    pub notes: String,
    /// The cases, in registry order.
    pub cases: Vec<CaseResult>,
}

/// A whole report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Where and when it was measured.
    pub machine: Machine,
    /// Whether `--quick` was used.
    pub quick: bool,
    /// Samples per case.
    pub samples: usize,
    /// The groups.
    pub groups: Vec<GroupResult>,
}
