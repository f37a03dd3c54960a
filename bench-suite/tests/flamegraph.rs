//! docs/PROFILING.md's flamegraph example, as a user runs it: the `dispatch` bench's baseline
//! (areas summed through `Vec<Box<dyn Shape>>`) profiled with the bench suite's profiler. The
//! leaf the doc points at, `<Circle as Shape>::area`, must be in the stacks (the `pprof`
//! crate's profiler, used before, lost it), and the flamegraph must be written.

use std::collections::BTreeMap;
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
    // Up to three profiles of 2 s each: a sampler that lands in the leaf ~7% of the time (as
    // here, in the debug build) misses it in all three with odds far below one in a million,
    // so a miss means the unwinder or the symboliser lost the frame. The failure shows the
    // leaves that were sampled instead.
    let mut leaves: BTreeMap<String, u64> = BTreeMap::new();
    let mut samples = 0;
    let mut found = None;
    for _ in 0..3 {
        let profiler = CpuProfiler::start(perfkit_bench::profile::FREQUENCY).expect("profiler");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            (case.run)(100);
        }
        let profile = profiler.stop();
        samples += profile.samples();
        for line in profile.to_folded().lines() {
            let (stack, count) = line.rsplit_once(' ').expect("`stack count` lines");
            let leaf = stack.rsplit(';').next().unwrap_or_default();
            *leaves.entry(leaf.to_owned()).or_default() += count.parse::<u64>().unwrap();
        }
        if leaves
            .keys()
            .any(|leaf| leaf.contains("Circle as") && leaf.ends_with("Shape>::area"))
        {
            found = Some(profile);
            break;
        }
    }
    let Some(profile) = found else {
        let mut top: Vec<_> = leaves.into_iter().collect();
        top.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let top: Vec<String> = top
            .iter()
            .take(25)
            .map(|(l, n)| format!("{n:6} {l}"))
            .collect();
        panic!(
            "no stack ends in <Circle as Shape>::area ({samples} samples); the leaves sampled:\n{}",
            top.join("\n")
        );
    };
    let dir = std::env::temp_dir().join(format!("perfkit-flamegraph-{}", std::process::id()));
    let svg = perfkit_bench::profile::write_flamegraph(&profile, "dispatch", &dir).unwrap();
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("Circle"),
        "flamegraph without the frame"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
