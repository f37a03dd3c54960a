//! JSONTestSuite (`../shared/data/JSONTestSuite/test_parsing`, or under `$PERFKIT_DATA`):
//! every `y_` case parses, every `n_` case is rejected with an error, every `i_` case returns
//! (either way) without panicking. Skips, saying so, where the folder is absent; fails instead
//! under `CI=true`, where the data must be there.

use std::path::PathBuf;

use perfkit_json::{Parser, Value};

fn suite() -> Option<Vec<(String, Vec<u8>)>> {
    let data = std::env::var_os("PERFKIT_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        PathBuf::from,
    );
    let dir = data.join("JSONTestSuite/test_parsing");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} not found: CI must have the conformance suite",
            dir.display()
        );
        eprintln!("skipping: {} not found", dir.display());
        return None;
    };
    let mut cases: Vec<(String, Vec<u8>)> = entries
        .map(|e| {
            let path = e.expect("a directory entry").path();
            let name = path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&path).expect("a readable case");
            (name, bytes)
        })
        .filter(|(name, _)| name.ends_with(".json"))
        .collect();
    cases.sort();
    Some(cases)
}

/// Every way this crate parses a document, so that each entry point is held to the suite.
fn parse_all_ways(parser: &mut Parser, bytes: &[u8]) -> Result<(), String> {
    let value = parser.parse_value(bytes).map_err(|e| e.to_string());
    let document = parser
        .parse_document(bytes)
        .map(|d| d.to_value())
        .map_err(|e| e.to_string());
    let typed = perfkit_json::from_slice::<serde_json::Value>(bytes).map_err(|e| e.to_string());
    let mut copy = bytes.to_vec();
    let in_place = perfkit_json::from_mut_slice::<Value>(&mut copy).map_err(|e| e.to_string());
    let outcomes = [
        value.is_ok(),
        document.is_ok(),
        typed.is_ok(),
        in_place.is_ok(),
    ];
    assert!(
        outcomes.iter().all(|&ok| ok == outcomes[0]),
        "entry points disagree: value {value:?}, document {document:?}, typed {typed:?}, in place {in_place:?}"
    );
    if let (Ok(a), Ok(b)) = (&value, &document) {
        assert_eq!(a, b, "parse_value and parse_document disagree");
    }
    value.map(drop)
}

#[test]
fn json_test_suite() {
    let Some(cases) = suite() else { return };
    let mut parser = Parser::new();
    let (mut y, mut n, mut i_ok, mut i_err) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for (name, bytes) in &cases {
        let outcome = parse_all_ways(&mut parser, bytes);
        match (&name[..2], outcome) {
            ("y_", Ok(())) => y += 1,
            ("y_", Err(e)) => failures.push(format!("{name}: must parse, got {e}")),
            ("n_", Err(_)) => n += 1,
            ("n_", Ok(())) => failures.push(format!("{name}: must be rejected, was accepted")),
            ("i_", Ok(())) => i_ok += 1,
            ("i_", Err(_)) => i_err += 1,
            _ => {}
        }
    }
    eprintln!(
        "JSONTestSuite: {} cases; y_ accepted {y}; n_ rejected {n}; i_ accepted {i_ok}, rejected {i_err}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        y > 90 && n > 180,
        "the suite looks incomplete: {y} y_, {n} n_"
    );
}
