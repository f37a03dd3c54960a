//! The registry as the report and criterion see it: every group and case name, in order,
//! matches `tests/registry.txt` (so a refactor of the groups cannot drop, rename or reorder
//! one unseen), and building the registry reads no data file.

use perfkit_bench::registry;

/// `group<TAB>area<TAB>case<TAB>role`, one line per case, as the registry lists them.
fn listing() -> String {
    let mut out = String::new();
    for group in registry::all() {
        for case in &group.cases {
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                group.name, group.area, case.name, case.role
            ));
        }
    }
    out
}

fn data_present() -> bool {
    perfkit_bench::fixture::data_dir()
        .join("json/twitter.json")
        .exists()
}

#[test]
fn every_group_and_case_is_where_the_snapshot_says() {
    let expected = include_str!("registry.txt");
    let actual = listing();
    if std::env::var_os("PERFKIT_BLESS").is_some() {
        std::fs::write(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/registry.txt"),
            &actual,
        )
        .unwrap();
        return;
    }
    let expected: String = if perfkit_bench::pg::available() {
        expected.to_owned()
    } else {
        // Without PostgreSQL the connections-pg groups are absent: compare the rest.
        eprintln!("the connections-pg groups were not compared: no PostgreSQL");
        expected
            .lines()
            .filter(|l| !l.starts_with("connections-pg"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let expected = expected.as_str();
    if !data_present() {
        // Without the bench files the json groups are absent: compare the rest.
        let without_json: String = expected
            .lines()
            .filter(|l| l.split('\t').nth(1) != Some("json"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(actual, without_json);
        eprintln!("the json groups were not compared: ../shared/data/json is absent");
        return;
    }
    assert_eq!(
        actual, expected,
        "the registry changed: if on purpose, rerun with PERFKIT_BLESS=1 and review the diff"
    );
}

#[test]
fn each_area_builds_exactly_its_own_groups() {
    let all = registry::all();
    for area in ["counters", "pool", "sharded", "buffers", "json", "patterns"] {
        let want: Vec<_> = all
            .iter()
            .filter(|g| g.area == area)
            .map(|g| g.name)
            .collect();
        let got: Vec<_> = registry::area(area).iter().map(|g| g.name).collect();
        assert_eq!(got, want, "area {area}");
    }
    assert!(registry::area("nonsense").is_empty());
}
