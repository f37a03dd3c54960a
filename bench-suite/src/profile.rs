//! A criterion [`Profiler`] on perfkit-profile's CPU profiler: `cargo bench --bench <area> --
//! --profile-time 10 [filter]` samples each selected benchmark's CPU stacks (a `SIGPROF` timer,
//! so it works in VMs without perf counters) and writes, under
//! `target/criterion/<group>/<case>/profile/`, `flamegraph.svg` (rendered by inferno),
//! `stacks.folded` (one `outer;...;leaf count` line per stack) and `profile.pb.gz` (for
//! `go tool pprof`).
//!
//! Stacks are unwound from DWARF unwind tables (framehop) and symbolised with inlined frames,
//! so leaf functions and functions inlined into their callers both show. (The `pprof` crate's
//! profiler used before lost leaf frames: docs/PROFILING.md's own example, the dispatch
//! bench's `<Circle as Shape>::area`, was missing from its flamegraphs. A test now checks it.)

use std::path::Path;

use criterion::Criterion;
use criterion::profiler::Profiler;
use perfkit_profile::{CpuProfile, CpuProfiler};

/// Samples per CPU-second asked for (a prime, so the timer does not beat with periodic work;
/// the kernel delivers at most one per timer tick, often 250 Hz).
pub const FREQUENCY: u32 = 997;

/// Writes a flamegraph per profiled benchmark.
pub struct FlamegraphProfiler {
    frequency: u32,
    active: Option<CpuProfiler>,
}

impl FlamegraphProfiler {
    /// A profiler sampling `frequency` times a CPU-second.
    #[must_use]
    pub fn new(frequency: u32) -> Self {
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

/// Write `profile`'s flamegraph, folded stacks and pprof file into `dir`; the flamegraph's
/// path.
///
/// # Errors
/// When a file cannot be written or the flamegraph cannot be rendered.
pub fn write_flamegraph(
    profile: &CpuProfile,
    title: &str,
    dir: &Path,
) -> Result<std::path::PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let folded = profile.to_folded();
    std::fs::write(dir.join("stacks.folded"), &folded).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("profile.pb.gz"), profile.to_pprof()).map_err(|e| e.to_string())?;
    let path = dir.join("flamegraph.svg");
    let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_owned();
    inferno::flamegraph::from_lines(&mut options, folded.lines(), std::io::BufWriter::new(file))
        .map_err(|e| e.to_string())?;
    Ok(path)
}

impl Profiler for FlamegraphProfiler {
    fn start_profiling(&mut self, benchmark_id: &str, _benchmark_dir: &Path) {
        match CpuProfiler::start(self.frequency) {
            Ok(profiler) => self.active = Some(profiler),
            Err(e) => eprintln!("cannot profile {benchmark_id}: {e}"),
        }
    }

    fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
        let Some(profiler) = self.active.take() else {
            return;
        };
        let profile = profiler.stop();
        match write_flamegraph(&profile, benchmark_id, benchmark_dir) {
            Ok(path) => eprintln!(
                "flamegraph of {benchmark_id} ({} samples): {}",
                profile.samples(),
                path.display()
            ),
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
