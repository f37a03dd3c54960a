//! The comparison report: runs groups, checks every case's answer against the baseline's, and
//! measures time per op (median of samples after a warm-up) with allocations per op.

use std::io::Write;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::machine::Machine;
use crate::registry::{Case, Group, Role, Throughput};

/// How long to measure.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Minimum warm-up time per case.
    pub warm_up: Duration,
    /// Target duration of one sample.
    pub sample: Duration,
    /// Samples per case; the median is reported.
    pub samples: usize,
}

impl Plan {
    /// The default plan: about 1.5 s per case.
    pub const FULL: Plan = Plan {
        warm_up: Duration::from_millis(300),
        sample: Duration::from_millis(50),
        samples: 25,
    };
    /// `--quick`: about 0.15 s per case, for smoke tests and CI.
    pub const QUICK: Plan = Plan {
        warm_up: Duration::from_millis(40),
        sample: Duration::from_millis(10),
        samples: 9,
    };
}

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

/// A case did different work from its group's baseline.
#[derive(Debug)]
pub struct WrongAnswer {
    /// Group name.
    pub group: String,
    /// Case name.
    pub case: String,
    /// What the case answered.
    pub got: u64,
    /// What the baseline answered.
    pub expected: u64,
}

impl std::fmt::Display for WrongAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "group {}: case {} answered {} but the baseline answered {}; it does not do the same work",
            self.group, self.case, self.got, self.expected
        )
    }
}

impl std::error::Error for WrongAnswer {}

/// Checks that every case of `group` gives the same answer as the group's first baseline with
/// the same thread count (threads split the work, so answers may differ between counts).
///
/// # Errors
/// The first case whose answer differs.
pub fn check(group: &Group) -> Result<(), WrongAnswer> {
    let mut expected: Vec<(usize, u64)> = Vec::new();
    for case in group.cases.iter().filter(|c| c.role == Role::Baseline) {
        if !expected.iter().any(|(threads, _)| *threads == case.threads) {
            expected.push((case.threads, (case.run)(group.check_iters).answer));
        }
    }
    for case in &group.cases {
        let Some(&(_, expected)) = expected.iter().find(|(t, _)| *t == case.threads) else {
            continue;
        };
        let got = (case.run)(group.check_iters).answer;
        if got != expected {
            return Err(WrongAnswer {
                group: group.name.to_owned(),
                case: case.name.clone(),
                got,
                expected,
            });
        }
    }
    Ok(())
}

/// Measures every case of `group`, printing progress to `progress`.
///
/// Each case is first warmed up and calibrated (operations per sample) on its own; then the
/// samples are taken round-robin, one sample of every case per round, starting each round one
/// case further on, so that a slow spell of a shared machine (or the after-effects of one case
/// on the next) lands on all cases alike, and the ratios between cases stay meaningful even
/// when absolute times drift.
///
/// # Errors
/// A case whose answer differs from the baseline's.
pub fn measure(
    group: &Group,
    plan: Plan,
    progress: &mut dyn Write,
) -> Result<GroupResult, WrongAnswer> {
    check(group)?;
    let started = Instant::now();
    let _ = write!(progress, "  warming up {} cases", group.cases.len());
    let _ = progress.flush();
    let per_sample: Vec<u64> = group
        .cases
        .iter()
        .map(|case| calibrate(case, plan))
        .collect();
    let _ = writeln!(progress, " ({:.1}s)", started.elapsed().as_secs_f64());

    let mut times = vec![Vec::with_capacity(plan.samples); group.cases.len()];
    let mut allocs = vec![(0u64, 0u64); group.cases.len()];
    for round in 0..plan.samples {
        let _ = write!(progress, "\r  sample round {}/{}", round + 1, plan.samples);
        let _ = progress.flush();
        // Rotate the starting case each round, so that no case always runs right after the
        // same neighbour (whose after-effects, like dirty pages to write back, it would inherit).
        let n = group.cases.len();
        for i in (0..n).map(|k| (k + round) % n) {
            let case = &group.cases[i];
            let sample = (case.run)(per_sample[i]);
            times[i].push(sample.elapsed.as_secs_f64() * 1e9 / per_sample[i] as f64);
            allocs[i].0 += sample.alloc.allocs;
            allocs[i].1 += sample.alloc.bytes;
        }
    }
    let _ = writeln!(
        progress,
        " ({:.1}s in all)",
        started.elapsed().as_secs_f64()
    );

    let mut cases: Vec<CaseResult> = group
        .cases
        .iter()
        .zip(times.iter_mut().zip(allocs).zip(per_sample))
        .map(|(case, ((times, (allocs, bytes)), per_sample))| {
            times.sort_by(f64::total_cmp);
            let total_ops = (per_sample * plan.samples as u64) as f64;
            CaseResult {
                name: case.name.clone(),
                role: case.role,
                threads: case.threads,
                median_ns: percentile(times, 0.5),
                p25_ns: percentile(times, 0.25),
                p75_ns: percentile(times, 0.75),
                iters_per_sample: per_sample,
                allocs_per_op: allocs as f64 / total_ops,
                bytes_per_op: bytes as f64 / total_ops,
                vs_baseline: None,
                vs_best_peer: None,
                vs_floor: None,
            }
        })
        .collect();
    for case in &cases {
        let _ = writeln!(
            progress,
            "    {:<34} {:>10}/op",
            case.name,
            crate::render::nanos(case.median_ns)
        );
    }
    compare(&mut cases);
    Ok(GroupResult {
        name: group.name.to_owned(),
        area: group.area.to_owned(),
        about: group.about.to_owned(),
        throughput: group.throughput,
        notes: group.notes.split_whitespace().collect::<Vec<_>>().join(" "),
        cases,
    })
}

/// Warms `case` up, doubling the work until a run lasts the warm-up time, and returns the
/// operations per sample that make a sample last `plan.sample`.
fn calibrate(case: &Case, plan: Plan) -> u64 {
    let mut iters = 1u64;
    let mut spent = Duration::ZERO;
    let per_op = loop {
        let sample = (case.run)(iters);
        spent += sample.elapsed;
        if spent >= plan.warm_up {
            break sample.elapsed.as_secs_f64() / iters as f64;
        }
        iters = iters.saturating_mul(2);
    };
    ((plan.sample.as_secs_f64() / per_op.max(1e-12)) as u64).max(1)
}

/// Fills in the speedup columns: against the baseline, the fastest peer and the floor with
/// the same thread count.
fn compare(cases: &mut [CaseResult]) {
    let reference: Vec<(Option<f64>, Option<f64>, Option<f64>)> = cases
        .iter()
        .map(|c| {
            let same = || cases.iter().filter(move |o| o.threads == c.threads);
            let baseline = same()
                .find(|o| o.role == Role::Baseline)
                .map(|o| o.median_ns);
            let peer = same()
                .filter(|o| o.role == Role::Peer)
                .map(|o| o.median_ns)
                .min_by(f64::total_cmp);
            let floor = same().find(|o| o.role == Role::Floor).map(|o| o.median_ns);
            (baseline, peer, floor)
        })
        .collect();
    for (case, (baseline, peer, floor)) in cases.iter_mut().zip(reference) {
        case.vs_baseline = baseline.map(|b| b / case.median_ns);
        case.vs_best_peer = peer.map(|p| p / case.median_ns);
        case.vs_floor = floor.map(|f| f / case.median_ns);
    }
}

/// Linear-interpolated percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.5), 2.5);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 1.0), 4.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
