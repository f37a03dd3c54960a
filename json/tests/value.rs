//! `Value` is serde_json's: what `parse_value` and `Document::to_value` build is the value
//! serde_json reads, and it indexes, prints and orders keys as serde_json's does.

use std::path::PathBuf;

use perfkit_json::{Parser, Value, json};

fn data_dir(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PERFKIT_DATA")
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
            PathBuf::from,
        )
        .join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} not found: CI must have it",
        dir.display()
    );
    eprintln!("skipping: {} not found", dir.display());
    None
}

/// Where `a` and `b` differ, if they do: equal, floats within one ulp (ours are correctly
/// rounded, serde_json's default parser is not always).
fn differ(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() && y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x.to_bits().abs_diff(y.to_bits()) > 1).then(|| format!("{at}: {x} vs {y}"))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (a, b))| differ(a, b, &format!("{at}/{i}"))),
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() => {
            if !x.keys().eq(y.keys()) {
                return Some(format!("{at}: keys differ in content or order"));
            }
            x.iter()
                .zip(y.values())
                .find_map(|((k, a), b)| differ(a, b, &format!("{at}/{k}")))
        }
        _ => (a != b).then(|| format!("{at}: {a} vs {b}")),
    }
}

/// serde_json's value of `bytes`, and ours by every DOM entry point.
fn same_value(bytes: &[u8]) {
    let theirs: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let ours = perfkit_json::parse_value(bytes).unwrap();
    assert_eq!(differ(&ours, &theirs, ""), None);
    let mut parser = Parser::new();
    let document = parser.parse_document(bytes).unwrap().to_value();
    assert_eq!(document, ours);
}

#[test]
fn the_bench_files_and_the_conformance_suite_read_as_serde_json_reads_them() {
    if let Some(dir) = data_dir("json") {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                same_value(&std::fs::read(&path).unwrap());
            }
        }
    }
    if let Some(dir) = data_dir("JSONTestSuite/test_parsing") {
        let mut accepted = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            // Where both accept (serde_json's recursion limit is 128, ours 1024).
            if serde_json::from_slice::<serde_json::Value>(&bytes).is_ok() {
                let ours =
                    perfkit_json::parse_value(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
                let theirs: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(differ(&ours, &theirs, &name), None);
                accepted += 1;
            }
        }
        assert!(accepted > 90, "{accepted} accepted cases");
    }
}

#[test]
fn indexing_display_and_numbers_are_serde_jsons() {
    let v =
        perfkit_json::parse_value(br#"{"a": [1, -2, 3.5, -0, 18446744073709551615], "s": "x\"y"}"#)
            .unwrap();
    // A missing key or index is `Null`, never a panic.
    assert_eq!(v["missing"], Value::Null);
    assert_eq!(v["a"][5], Value::Null);
    assert_eq!(v["a"][0]["deeper"], Value::Null);
    assert_eq!(v["a"][1], -2);
    assert_eq!(v["a"][2].as_f64(), Some(3.5));
    assert!(v["a"][3].is_f64(), "-0 is a float, as in serde_json");
    assert_eq!(v["a"][4].as_u64(), Some(u64::MAX));
    assert_eq!(v["s"], "x\"y");
    // `Display` is JSON, compact; `{:#}` pretty.
    assert_eq!(
        v.to_string(),
        r#"{"a":[1,-2,3.5,-0.0,18446744073709551615],"s":"x\"y"}"#
    );
    assert!(format!("{v:#}").contains("\n  \"a\": [\n"));
    assert_eq!(v.pointer("/a/2"), Some(&json!(3.5)));
    assert_eq!(perfkit_json::to_string(&v).unwrap(), v.to_string());
}

#[test]
fn object_keys_come_back_in_serde_jsons_order() {
    // More keys than a small-map optimisation keeps in order, out of order in the input.
    let keys: Vec<String> = (0..100)
        .map(|i| format!("k{:03}", (i * 37) % 100))
        .collect();
    let body = format!(
        "{{{}}}",
        keys.iter()
            .enumerate()
            .map(|(i, k)| format!("\"{k}\": {i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let ours = perfkit_json::parse_value(body.as_bytes()).unwrap();
    let theirs: serde_json::Value = serde_json::from_str(&body).unwrap();
    let order = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(order(&ours), order(&theirs));
    if cfg!(feature = "preserve_order") {
        assert_eq!(order(&ours), keys, "insertion order with preserve_order");
    } else {
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(order(&ours), sorted, "sorted by default");
    }
    // A repeated key keeps its last value (and, with preserve_order, its first place).
    let repeated = perfkit_json::parse_value(br#"{"b": 1, "a": 2, "b": 3}"#).unwrap();
    assert_eq!(
        repeated,
        serde_json::from_str::<Value>(r#"{"b": 1, "a": 2, "b": 3}"#).unwrap()
    );
    assert_eq!(
        order(&repeated),
        order(&serde_json::from_str(r#"{"b": 1, "a": 2, "b": 3}"#).unwrap())
    );
}

#[test]
fn to_value_and_from_value_are_serde_jsons() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Point {
        x: i32,
        y: i32,
    }
    // serde_json's documented examples.
    let v = perfkit_json::to_value(Point { x: 1, y: 2 }).unwrap();
    assert_eq!(v, json!({"x": 1, "y": 2}));
    let p: Point = perfkit_json::from_value(json!({"x": 3, "y": 4})).unwrap();
    assert_eq!(p, Point { x: 3, y: 4 });
    let err = perfkit_json::from_value::<Point>(json!({"x": "one"})).unwrap_err();
    let theirs = serde_json::from_value::<Point>(json!({"x": "one"})).unwrap_err();
    assert_eq!(err.classify(), theirs.classify());
    assert_eq!(err.to_string(), theirs.to_string());
    let key_err =
        perfkit_json::to_value(std::collections::BTreeMap::from([(vec![1u8], 1)])).unwrap_err();
    assert!(key_err.is_syntax(), "{key_err}");
}
