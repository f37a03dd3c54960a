//! docs/PROFILING.md's flamegraph example, as a user runs it: the `dispatch` bench's baseline
//! (areas summed through `Vec<Box<dyn Shape>>`) profiled with the bench suite's profiler. The
//! leaf the doc points at, `<Circle as Shape>::area`, must be in the stacks (the `pprof`
//! crate's profiler, used before, lost it), and the flamegraph must be written.

use std::time::{Duration, Instant};

use perfkit_bench::registry;
use perfkit_profile::CpuProfiler;

#[test]
fn dispatch_flamegraph_has_the_documented_leaf() {
    let groups = registry::area("patterns");
    let group = groups
        .iter()
        .find(|g| g.name == "dispatch")
        .expect("the dispatch group");
    let case = group
        .cases
        .iter()
        .find(|c| c.name == "Vec<Box<dyn Shape>>/1t")
        .expect("the dyn baseline");
    let profiler = CpuProfiler::start(perfkit_bench::profile::FREQUENCY).expect("profiler");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        (case.run)(100);
    }
    let profile = profiler.stop();
    let folded = profile.to_folded();
    let leaf = folded.lines().any(|l| {
        let stack = l.rsplit_once(' ').map_or(l, |(s, _)| s);
        let leaf = stack.rsplit(';').next().unwrap_or_default();
        leaf.contains("Circle as") && leaf.ends_with("Shape>::area")
    });
    assert!(
        leaf,
        "no stack ends in <Circle as Shape>::area ({} samples):\n{}",
        profile.samples(),
        &folded[..folded.len().min(4000)]
    );
    let dir = std::env::temp_dir().join(format!("perfkit-flamegraph-{}", std::process::id()));
    let svg = perfkit_bench::profile::write_flamegraph(&profile, "dispatch", &dir).unwrap();
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("Circle"),
        "flamegraph without the frame"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
