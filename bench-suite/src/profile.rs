//! A criterion [`Profiler`] on the `pprof` crate: `cargo bench --bench <area> -- --profile-time
//! 10 [filter]` samples each selected benchmark's CPU stacks (a `SIGPROF` timer, so it works
//! in VMs without perf counters) and writes
//! `target/criterion/<group>/<case>/profile/flamegraph.svg`.
//!
//! pprof's own criterion glue targets criterion 0.5; the trait is two methods, so here it is
//! for 0.8.

use std::fs::File;
use std::path::Path;

use criterion::Criterion;
use criterion::profiler::Profiler;
use pprof::ProfilerGuard;

/// Samples per second (a prime, so the timer does not beat with periodic work).
pub const FREQUENCY: i32 = 997;

/// Writes a flamegraph per profiled benchmark.
pub struct FlamegraphProfiler {
    frequency: i32,
    active: Option<ProfilerGuard<'static>>,
}

impl FlamegraphProfiler {
    /// A profiler sampling `frequency` times a second.
    #[must_use]
    pub fn new(frequency: i32) -> Self {
        Self {
            frequency,
            active: None,
        }
    }
}

impl std::fmt::Debug for FlamegraphProfiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlamegraphProfiler")
            .field("frequency", &self.frequency)
            .field("active", &self.active.is_some())
            .finish()
    }
}

impl Profiler for FlamegraphProfiler {
    fn start_profiling(&mut self, benchmark_id: &str, _benchmark_dir: &Path) {
        match ProfilerGuard::new(self.frequency) {
            Ok(guard) => self.active = Some(guard),
            Err(e) => eprintln!("cannot profile {benchmark_id}: {e}"),
        }
    }

    fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
        let Some(guard) = self.active.take() else {
            return;
        };
        let written = guard
            .report()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|report| {
                std::fs::create_dir_all(benchmark_dir).map_err(|e| e.to_string())?;
                let path = benchmark_dir.join("flamegraph.svg");
                let file = File::create(&path).map_err(|e| e.to_string())?;
                report.flamegraph(file).map_err(|e| e.to_string())?;
                Ok(path)
            });
        match written {
            Ok(path) => eprintln!("flamegraph of {benchmark_id}: {}", path.display()),
            Err(e) => eprintln!("cannot write the flamegraph of {benchmark_id}: {e}"),
        }
    }
}

/// The criterion configuration of every bench target: default settings plus the flamegraph
/// profiler (idle unless `--profile-time` is given).
#[must_use]
pub fn criterion() -> Criterion {
    Criterion::default().with_profiler(FlamegraphProfiler::new(FREQUENCY))
}
