//! The runner: warm-up, calibration, samples taken round-robin, medians and ratios.

use std::io::Write;
use std::time::{Duration, Instant};

use super::schema::{CaseResult, GroupResult};
use crate::check::{WrongAnswer, check};
use crate::registry::{Case, Group, Role};

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
    let mut waits: Vec<Option<crate::waits::Waits>> = vec![None; group.cases.len()];
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
            if let Some(sampled) = &sample.waits {
                waits[i].get_or_insert_with(Default::default).merge(sampled);
            }
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
        .zip(times.iter_mut().zip(allocs).zip(per_sample).zip(waits))
        .map(|(case, (((times, (allocs, bytes)), per_sample), waits))| {
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
                wait: waits.map(|w| w.summary()),
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
