//! The criterion front end: turns the registry's groups for one area into criterion groups.
//! Each case is timed with `iter_custom` over the same `run` function the report uses.

use criterion::{BenchmarkId, Criterion};

use crate::registry::{self, Throughput};

/// Benchmarks every group of `area` (`cargo bench --bench <area>`).
///
/// # Panics
/// If a case's answer differs from its baseline's (the case does not do the same work), or if
/// no group belongs to `area`.
pub fn bench_area(c: &mut Criterion, area: &str) {
    crate::run_worker_if_asked();
    let groups = registry::area(area);
    assert!(!groups.is_empty(), "no benchmark group in area {area:?}");
    for group in groups {
        // Checked when criterion first runs one of the group's cases, so that a filtered run
        // (`cargo bench --bench json -- twitter`) does not pay for the groups it skips.
        let checked = std::cell::OnceCell::new();
        let check = || {
            checked.get_or_init(|| {
                if let Err(wrong) = crate::check::check(&group) {
                    panic!("{wrong}");
                }
            });
        };
        let mut bench = c.benchmark_group(group.name);
        match group.throughput {
            Some(Throughput::Elements(n)) => bench.throughput(criterion::Throughput::Elements(n)),
            Some(Throughput::Bytes(n)) => bench.throughput(criterion::Throughput::Bytes(n)),
            None => &mut bench,
        };
        for case in &group.cases {
            let id = BenchmarkId::from_parameter(format!("{} ({})", case.name, case.role));
            bench.bench_function(id, |b| {
                check();
                b.iter_custom(|iters| (case.run)(iters).elapsed);
            });
        }
        bench.finish();
    }
    registry::cleanup();
}
