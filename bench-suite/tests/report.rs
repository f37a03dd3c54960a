//! The report machinery: answers are checked, allocations are counted per op on every thread,
//! work is split exactly across threads, and the renderers produce every case.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use perfkit_bench::machine::Machine;
use perfkit_bench::measure;
use perfkit_bench::registry::{CHECK_ITERS, Case, Group, Role, Throughput};
use perfkit_bench::report::{self, Plan, Report};
use perfkit_bench::{render, svg};

fn group(cases: Vec<Case>) -> Group {
    Group {
        name: "test",
        area: "test",
        about: "a test group",
        throughput: Some(Throughput::Elements(1)),
        notes: "",
        check_iters: CHECK_ITERS,
        cases,
    }
}

fn summing(role: Role, threads: usize, skew: u64) -> Case {
    Case::new("sum", role, threads, move |iters| {
        let total = AtomicU64::new(0);
        let mut sample = measure::threads(threads, iters, |_, n| {
            total.fetch_add(n, Ordering::Relaxed);
            0
        });
        sample.answer = total.load(Ordering::Relaxed) + skew;
        sample
    })
}

#[test]
fn threads_split_the_work_exactly() {
    for threads in 1..=5 {
        for iters in [0, 1, 7, 1000, 1001] {
            let sample = measure::threads(threads, iters, |_, n| n);
            assert_eq!(sample.answer, iters, "{threads} threads, {iters} iters");
        }
    }
}

#[test]
fn a_case_doing_different_work_is_rejected() {
    let ok = group(vec![
        summing(Role::Baseline, 1, 0),
        summing(Role::Baseline, 2, 0),
        summing(Role::Pattern, 2, 0),
    ]);
    assert!(perfkit_bench::check::check(&ok).is_ok());
    let wrong = group(vec![
        summing(Role::Baseline, 1, 0),
        summing(Role::Baseline, 2, 0),
        summing(Role::Pattern, 2, 1),
    ]);
    let err = perfkit_bench::check::check(&wrong).expect_err("the skewed case must be caught");
    assert_eq!(err.got, err.expected + 1);
    assert!(err.to_string().contains("does not do the same work"));
}

#[test]
fn allocations_are_counted_per_op_on_every_thread() {
    let allocating = |threads| {
        Case::new("vec", Role::Pattern, threads, move |iters| {
            measure::threads(threads, iters, |_, n| {
                for i in 0..n {
                    black_box(Vec::<u8>::with_capacity(100 + i as usize % 3));
                }
                0
            })
        })
    };
    let g = group(vec![
        Case::new("none", Role::Baseline, 1, |iters| {
            measure::single(iters, |n| {
                for i in 0..n {
                    black_box(i);
                }
                0
            })
        }),
        allocating(1),
        allocating(2),
    ]);
    let plan = Plan {
        warm_up: std::time::Duration::from_millis(5),
        sample: std::time::Duration::from_millis(2),
        samples: 3,
    };
    let result = report::measure(&g, plan, &mut std::io::sink()).expect("answers agree");
    assert_eq!(result.cases[0].allocs_per_op, 0.0);
    for case in &result.cases[1..] {
        assert_eq!(case.allocs_per_op, 1.0, "{}", case.name);
        assert!(
            (100.0..=102.0).contains(&case.bytes_per_op),
            "{}",
            case.name
        );
    }
    // Speedups compare like with like: the 2-thread case has no 2-thread baseline.
    assert!(result.cases[1].vs_baseline.is_some());
    assert!(result.cases[2].vs_baseline.is_none());

    let report = Report {
        machine: Machine::detect(),
        quick: true,
        samples: 3,
        groups: vec![result],
    };
    let text = render::text(&report);
    let md = render::markdown(&report);
    let chart = svg::chart(&report);
    for name in ["none/1t", "vec/1t", "vec/2t"] {
        assert!(text.contains(name) && md.contains(name), "{name} missing");
    }
    assert!(chart.starts_with("<svg") && chart.contains("vec/1t"));
}

/// A report of one group `g` with the given cases (JSON objects), on a test machine.
fn one_group(cases: &str) -> String {
    format!(
        r#"{{"machine": {{"cpu": "Test CPU", "cores": 2, "os": "linux", "rustc": "rustc 1.95.0",
        "commit": "abc", "date": "2026-11-27 04:00 UTC", "optimized": true}}, "quick": false,
        "samples": 25, "groups": [{{"name": "g", "area": "a", "about": "x", "throughput": null,
        "notes": "", "cases": [{cases}]}}]}}"#
    )
}

#[test]
fn fill_rewrites_marked_regions_from_a_report_and_rejects_unknown_names() {
    let json = &one_group(
        r#"{"name": "base/1t", "role": "baseline", "threads": 1, "median_ns": 20.0, "p25_ns": 19.0,
        "p75_ns": 21.0, "iters_per_sample": 10, "allocs_per_op": 1.0, "bytes_per_op": 8.0,
        "vs_baseline": 1.0, "vs_best_peer": null, "vs_floor": null},
        {"name": "ours/1t", "role": "pattern", "threads": 1, "median_ns": 5.0, "p25_ns": 4.0,
        "p75_ns": 6.0, "iters_per_sample": 10, "allocs_per_op": 0.0, "bytes_per_op": 0.0,
        "vs_baseline": 4.0, "vs_best_peer": null, "vs_floor": null}"#,
    );
    let report: Report = serde_json::from_str(json).unwrap();
    let doc = "a <!-- perfkit:vs g ours/1t -->?<!-- /perfkit --> b <!-- perfkit:time g base/1t -->?<!-- /perfkit -->\n\
               <!-- perfkit:table g -->old<!-- /perfkit -->\n<!-- perfkit:machine --><!-- /perfkit -->";
    perfkit_bench::fill::require_clean(&report).expect("commit abc is clean");
    let mut dirty = report.clone();
    dirty.machine.commit = "abc+dirty".into();
    let refused = perfkit_bench::fill::require_clean(&dirty).expect_err("a dirty tree is refused");
    assert!(refused.contains("abc+dirty"), "{refused}");
    let filled = perfkit_bench::fill::fill(doc, &report).unwrap();
    assert!(
        filled.starts_with("a <!-- perfkit:vs g ours/1t -->4.00x<!-- /perfkit --> b "),
        "{filled}"
    );
    assert!(filled.contains("20.00 ns"), "{filled}");
    assert!(
        filled.contains("| ours/1t | pattern | 5.00 ns | ±20.0% | 0.00 | 4.00x | - |"),
        "{filled}"
    );
    assert!(filled.contains("Test CPU (2 cores)"), "{filled}");
    assert!(!filled.contains("old"));
    assert_eq!(
        perfkit_bench::fill::fill(&filled, &report).unwrap(),
        filled,
        "filling is idempotent"
    );
    for bad in [
        "<!-- perfkit:table nope --><!-- /perfkit -->",
        "<!-- perfkit:vs g nope/1t --><!-- /perfkit -->",
        "<!-- perfkit:speed g ours/1t --><!-- /perfkit -->",
        "<!-- perfkit:table g -->never closed",
    ] {
        assert!(perfkit_bench::fill::fill(bad, &report).is_err(), "{bad}");
    }
}

/// `@native` regions come from the native build's report, or stay as they are without one.
#[test]
fn native_markers_fill_from_the_native_report_or_are_left_alone() {
    let json = &one_group(
        r#"{"name": "ours/1t", "role": "pattern", "threads": 1, "median_ns": 5.0, "p25_ns": 4.0,
        "p75_ns": 6.0, "iters_per_sample": 10, "allocs_per_op": 0.0, "bytes_per_op": 0.0,
        "vs_baseline": 4.0, "vs_best_peer": 1.5, "vs_floor": null}"#,
    );
    let portable: Report = serde_json::from_str(json).unwrap();
    assert_eq!(
        portable.machine.build, "portable",
        "an older report is a portable build"
    );
    let mut native = portable.clone();
    native.machine.build = "native (avx2)".into();
    native.groups[0].cases[0].vs_best_peer = Some(0.75);
    let doc = "<!-- perfkit:peer g ours/1t -->?<!-- /perfkit --> / \
               <!-- perfkit:peer@native g ours/1t -->?<!-- /perfkit --> \
               <!-- perfkit:machine@native -->?<!-- /perfkit -->";
    let (filled, left) = perfkit_bench::fill::fill_with(doc, &portable, Some(&native)).unwrap();
    assert_eq!(left, 0);
    assert!(
        filled.starts_with(
            "<!-- perfkit:peer g ours/1t -->1.50x<!-- /perfkit --> / \
             <!-- perfkit:peer@native g ours/1t -->0.75x<!-- /perfkit -->"
        ),
        "{filled}"
    );
    assert!(filled.contains("native (avx2) build"), "{filled}");
    let (kept, left) = perfkit_bench::fill::fill_with(doc, &portable, None).unwrap();
    assert_eq!(left, 2, "two @native regions, no native report");
    assert!(
        kept.contains("@native g ours/1t -->?<!-- /perfkit -->"),
        "{kept}"
    );
    assert!(
        kept.starts_with("<!-- perfkit:peer g ours/1t -->1.50x"),
        "{kept}"
    );
    let mut missing = native.clone();
    missing.groups.clear();
    assert!(perfkit_bench::fill::fill_with(doc, &portable, Some(&missing)).is_err());
}

/// Every `<!-- perfkit:... -->` marker in the docs names a group and case the registry has,
/// so that renaming a case cannot leave a stale number behind: filling every doc from a
/// report of the whole registry (dummy figures) must succeed.
#[test]
fn every_docs_marker_names_a_real_group_and_case() {
    use perfkit_bench::report::{CaseResult, GroupResult};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let report = Report {
        machine: Machine::detect(),
        quick: true,
        samples: 1,
        groups: perfkit_bench::registry::all()
            .into_iter()
            .map(|g| GroupResult {
                name: g.name.to_owned(),
                area: g.area.to_owned(),
                about: g.about.to_owned(),
                throughput: g.throughput,
                notes: g.notes.to_owned(),
                cases: g
                    .cases
                    .iter()
                    .map(|c| CaseResult {
                        name: c.name.clone(),
                        role: c.role,
                        threads: c.threads,
                        median_ns: 1.0,
                        p25_ns: 1.0,
                        p75_ns: 1.0,
                        iters_per_sample: 1,
                        allocs_per_op: 0.0,
                        bytes_per_op: 0.0,
                        vs_baseline: Some(1.0),
                        vs_best_peer: None,
                        vs_floor: None,
                        wait: Some(perfkit_bench::waits::WaitSummary {
                            p50_ns: 1.0,
                            p99_ns: 1.0,
                            max_ns: 1.0,
                            task_spread: 1.0,
                        }),
                    })
                    .collect(),
            })
            .collect(),
    };
    let docs = [
        "README.md",
        "docs/PATTERNS.md",
        "counters/MEASURED.md",
        "pool/MEASURED.md",
        "sharded/MEASURED.md",
        "buffers/MEASURED.md",
        "json/MEASURED.md",
    ];
    let json_data = perfkit_bench::fixture::data_dir().join("json").exists();
    for doc in docs {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        if !json_data && text.contains("perfkit:table json-") {
            eprintln!("skipping {doc}: the JSON groups need ../shared/data/json");
            continue;
        }
        if !perfkit_bench::pg::available() && text.contains("perfkit:table connections-pg") {
            eprintln!("skipping {doc}: the connections-pg groups need PostgreSQL");
            continue;
        }
        assert!(text.contains("<!-- perfkit:"), "{doc} has no markers");
        if let Err(e) = perfkit_bench::fill::fill(&text, &report) {
            panic!("{doc}: {e}");
        }
    }
}
