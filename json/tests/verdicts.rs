//! Where perfkit-json and serde_json must give the same verdict and the same value: numbers at
//! and beyond 64 bits, `-0`, out-of-range floats in ignored fields, numeric map keys; error
//! positions of in-place parses; the depth limit and the stack.

use std::collections::HashMap;
use std::fmt::Debug;

use perfkit_json::{ErrorKind, MAX_DEPTH, Parser, Value};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// `input` into `T` through both crates: the same accept/reject verdict and the same value.
fn same_as_serde_json<T: DeserializeOwned + PartialEq + Debug>(input: &str) -> Option<T> {
    let ours = perfkit_json::from_str::<T>(input);
    let theirs = serde_json::from_str::<T>(input);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{input:?}"),
        (Err(a), Err(b)) => assert_eq!(
            a.kind() == ErrorKind::Data,
            b.is_data(),
            "{input:?}: ours {a}, serde_json {b}"
        ),
        _ => panic!("{input:?}: ours {ours:?}, serde_json {theirs:?}"),
    }
    ours.ok()
}

#[derive(Debug, PartialEq, Deserialize)]
struct Wide {
    x: u128,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Float {
    x: f64,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Small {
    x: i8,
}

#[derive(Debug, PartialEq, Deserialize)]
struct OnlyA {
    a: u8,
}

#[test]
fn integers_beyond_64_bits_read_as_serde_json_reads_them() {
    let big = same_as_serde_json::<serde_json::Value>("[18446744073709551616]").unwrap();
    assert_eq!(big[0].as_f64(), Some(18_446_744_073_709_551_616.0));
    same_as_serde_json::<Vec<f64>>("[18446744073709551616, -9223372036854775809]").unwrap();
    assert_eq!(
        same_as_serde_json::<Wide>(r#"{"x": 18446744073709551616}"#),
        Some(Wide { x: 1 << 64 })
    );
    same_as_serde_json::<Vec<u64>>("[18446744073709551616]");
    same_as_serde_json::<i64>("-9223372036854775809");
    same_as_serde_json::<f64>("-9223372036854775809").unwrap();
    // Every DOM agrees.
    let mut parser = Parser::new();
    let input = b"[18446744073709551616, -9223372036854775809]";
    let value = parser.parse_value(input).unwrap();
    assert_eq!(parser.parse_document(input).unwrap().to_value(), value);
    let mut copy = input.to_vec();
    assert_eq!(parser.parse_in_place::<Value>(&mut copy).unwrap(), value);
}

#[test]
fn minus_zero_is_a_float_with_its_sign() {
    let x = same_as_serde_json::<Float>(r#"{"x": -0}"#).unwrap().x;
    assert!(x == 0.0 && x.is_sign_negative(), "{x}");
    assert!(same_as_serde_json::<Small>(r#"{"x": -0}"#).is_none());
    assert!(same_as_serde_json::<i64>("-0").is_none());
    assert!(same_as_serde_json::<u64>("-0").is_none());
    assert_eq!(
        same_as_serde_json::<Small>(r#"{"x": 0}"#),
        Some(Small { x: 0 })
    );
    let v = same_as_serde_json::<serde_json::Value>("[-0, 0, -0.0]").unwrap();
    assert_eq!(v.to_string(), "[-0.0,0,-0.0]");
    let ours = perfkit_json::parse_value(b"-0").unwrap();
    let f = ours.as_f64().unwrap();
    assert!(f == 0.0 && f.is_sign_negative());
}

#[test]
fn an_out_of_range_float_in_an_ignored_field_is_skipped_like_serde_json() {
    assert_eq!(
        same_as_serde_json::<OnlyA>(r#"{"ignored": 1e400, "a": 1}"#),
        Some(OnlyA { a: 1 })
    );
    // serde_json does not read a skipped string, so invalid UTF-8 in one is no error either.
    let bytes = b"{\"ignored\": \"x\xff\", \"a\": 2}";
    assert_eq!(
        perfkit_json::from_slice::<OnlyA>(bytes).unwrap(),
        OnlyA { a: 2 }
    );
    assert!(serde_json::from_slice::<OnlyA>(bytes).is_ok());
    assert!(perfkit_json::from_slice::<serde_json::Value>(bytes).is_err());
    // Where the value is read, both reject it.
    assert!(same_as_serde_json::<serde_json::Value>(r#"{"x": 1e400}"#).is_none());
    assert!(same_as_serde_json::<Float>(r#"{"x": 1e400}"#).is_none());
}

#[test]
fn numeric_map_keys_follow_the_json_number_grammar() {
    for key in [
        "1",
        "+1",
        "01",
        "-0",
        "0",
        "-1",
        " 1",
        "1 ",
        "1.0",
        "1e2",
        "0x10",
        "",
        "256",
        "-129",
        "inf",
        "NaN",
        "1.",
        ".5",
        "-",
        "1e",
        "99999999999999999999",
        "true",
        "false",
        "-5e-3",
    ] {
        let input = format!(r#"{{"{key}": true}}"#);
        same_as_serde_json::<HashMap<u32, bool>>(&input);
        same_as_serde_json::<HashMap<u8, bool>>(&input);
        same_as_serde_json::<HashMap<i32, bool>>(&input);
        same_as_serde_json::<HashMap<i8, bool>>(&input);
        same_as_serde_json::<HashMap<u128, bool>>(&input);
        same_as_serde_json::<HashMap<i128, bool>>(&input);
    }
    assert!(same_as_serde_json::<HashMap<u32, bool>>(r#"{"+1": true}"#).is_none());
    assert!(same_as_serde_json::<HashMap<u32, bool>>(r#"{"7": true}"#).is_some());
}

#[test]
fn in_place_errors_give_an_offset_and_no_invented_position() {
    for input in [
        &b"[1,2"[..],
        b"[\"ab",
        b"{\"a\":1} x",
        b"{\"a\":",
        b"[",
        b"",
        b"   ",
        b"[1,\n 2,, 3]",
        b"[\"\\ud800\"]",
        b"[\xff]",
        b"[1e400]",
    ] {
        let copied = Parser::new().parse::<Value>(input).unwrap_err();
        let mut copy = input.to_vec();
        let in_place = Parser::new()
            .parse_in_place::<Value>(&mut copy)
            .unwrap_err();
        // The in-place parse cannot ask serde_json (the input is rewritten): simd-json's
        // classification and offset, both syntax errors.
        assert!(!copied.is_data() && !in_place.is_data(), "{input:?}");
        assert!(in_place.offset().unwrap() <= input.len(), "{input:?}");
        assert_eq!(
            (in_place.line(), in_place.column()),
            (None, None),
            "{input:?}"
        );
        // The copying parse counts the line and column from its offset.
        assert!(copied.line().is_some(), "{input:?}");
    }
}

#[test]
fn number_errors_are_placed_where_serde_json_places_them() {
    for input in [&b"1e400"[..], b"[1, 1e400]", b"{\"x\": -1e999}", b"[1.5e]"] {
        let err = perfkit_json::parse_value(input).unwrap_err();
        let theirs = serde_json::from_slice::<serde_json::Value>(input).unwrap_err();
        assert_eq!(
            (err.line(), err.column()),
            (Some(theirs.line() as u64), Some(theirs.column() as u64)),
            "{input:?}: {err} / {theirs}"
        );
        assert!(err.offset().is_some_and(|o| o < input.len()), "{err}");
    }
}

#[test]
fn a_depth_limit_over_max_depth_is_refused() {
    let refused = std::panic::catch_unwind(|| Parser::builder().max_depth(MAX_DEPTH + 1));
    let message = refused.expect_err("over MAX_DEPTH must panic");
    let message = message.downcast_ref::<String>().unwrap();
    assert!(message.contains("MAX_DEPTH"), "{message}");
    let _ = Parser::builder().max_depth(MAX_DEPTH).build();
}

#[test]
fn every_entry_point_handles_max_depth_on_a_2_mib_stack() {
    let deepest = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
    let too_deep = format!("[{deepest}]");
    // AddressSanitizer's redzones make every frame about three times larger: CI's sanitizer
    // run says so (PERFKIT_ASAN) and gets 8 MiB; every other build, 2 MiB.
    let stack = if std::env::var_os("PERFKIT_ASAN").is_some() {
        8 << 20
    } else {
        2 << 20
    };
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let mut parser = Parser::new();
            for doc in [&deepest, &objects] {
                let input = doc.as_bytes();
                drop(parser.parse_value(input).unwrap());
                drop(parser.parse::<serde_json::Value>(input).unwrap());
                drop(parser.parse::<Value>(input).unwrap());
                {
                    let document = parser.parse_document(input).unwrap();
                    drop(document.to_value());
                }
                drop(parser.parse_borrowed(input).unwrap());
                let mut copy = input.to_vec();
                drop(parser.parse_in_place::<Value>(&mut copy).unwrap());
            }
            let err = parser.parse_value(too_deep.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::DepthLimit);
            let err = parser
                .parse::<serde_json::Value>(too_deep.as_bytes())
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::DepthLimit);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn values_deeper_than_the_recursive_builder_are_built_alike() {
    // The owned builder recurses 64 levels, then walks iteratively: both halves must agree
    // with the value serde_json builds (through the same `Value` type's `Deserialize`).
    for depth in [63usize, 64, 65, 100, 120] {
        let mut doc = String::from("[1, \"s\", -0, {\"k\": [true, null]}]");
        for i in 0..depth {
            doc = if i % 2 == 0 {
                format!(r#"{{"a{i}": {doc}, "n": {i}, "e": [], "o": {{}}}}"#)
            } else {
                format!("[{i}, {doc}, \"x\", []]")
            };
        }
        let ours = perfkit_json::parse_value(doc.as_bytes()).unwrap();
        let theirs: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(ours, theirs, "depth {depth}");
    }
}

/// The bodies a service sees most (truncated, trailing garbage, bad UTF-8, lone surrogates),
/// every truncation of a small document, and each one-byte edit of it: a typed parse fails
/// where serde_json's fails, with the same kind (`Eof` apart from `Syntax`), line and column.
#[test]
fn typed_errors_match_serde_json_kind_line_and_column() {
    use serde_json::error::Category;
    let doc = b"{\"id\": 12, \"tags\": [\"a\", \"b\\n\"],\n \"ok\": true, \"x\": {\"y\": null}}";
    let mut bodies: Vec<Vec<u8>> = [
        &b"[1,2"[..],
        b"[\"ab",
        b"{\"a\":1} x",
        b"{\"a\":",
        b"[\"\\ud800\"]",
        b"[\xff]",
        b"[1,\n 2,, 3]",
        b"",
        b"   ",
    ]
    .iter()
    .map(|b| b.to_vec())
    .collect();
    bodies.extend((0..doc.len()).map(|n| doc[..n].to_vec()));
    for i in 0..doc.len() {
        for byte in [b'"', b'}', b',', b'x', b'\n', 0xff] {
            let mut edited = doc.to_vec();
            edited[i] = byte;
            bodies.push(edited);
        }
    }
    let mut compared = 0;
    for body in &bodies {
        let theirs = serde_json::from_slice::<serde_json::Value>(body);
        let ours = perfkit_json::from_slice::<serde_json::Value>(body);
        // The DOM entry points report the same errors.
        if let Err(theirs) = &theirs {
            for dom in [
                Parser::new().parse_value(body).err(),
                Parser::new().parse_document(body).err(),
            ] {
                let dom = dom.expect("the DOM rejects what serde_json rejects");
                assert_eq!(
                    (dom.line(), dom.column()),
                    (Some(theirs.line() as u64), Some(theirs.column() as u64)),
                    "{dom} / {theirs} on {body:?}"
                );
            }
        }
        match (ours, theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{:?}", String::from_utf8_lossy(body)),
            (Err(a), Err(b)) => {
                let kind = match b.classify() {
                    Category::Eof => ErrorKind::Eof,
                    Category::Syntax => ErrorKind::Syntax,
                    other => panic!("{other:?} from serde_json on {body:?}"),
                };
                assert_eq!(a.kind(), kind, "{a} / {b} on {body:?}");
                assert_eq!(a.classify(), b.classify(), "{a} / {b}");
                assert_eq!(
                    (a.is_syntax(), a.is_eof(), a.is_data(), a.is_io()),
                    (b.is_syntax(), b.is_eof(), b.is_data(), b.is_io()),
                    "{a} / {b}"
                );
                assert_eq!(
                    (a.line(), a.column()),
                    (Some(b.line() as u64), Some(b.column() as u64)),
                    "{a} / {b} on {body:?}"
                );
                assert!(a.offset().is_some_and(|o| o <= body.len()), "{a}");
                compared += 1;
            }
            (a, b) => panic!("verdicts differ on {body:?}: ours {a:?}, serde_json {b:?}"),
        }
    }
    assert!(compared > 300, "{compared} rejections compared");
}

/// serde_json reads a value before what follows it: into a struct, `{"a":1} x` is its
/// "missing field" (a data error), not the trailing `x`; an untagged enum's error has its place.
#[test]
fn typed_errors_are_serde_jsons_even_where_the_kinds_differ() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    #[serde(untagged)]
    enum Either {
        A { a: u32 },
        B(String),
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Request {
        x: u32,
        u: Option<Either>,
    }
    for body in [
        &br#"{"a":1} x"#[..],
        br#"{"x": 1, "u": {"b": 2}}"#,
        br#"{"x": "no"}"#,
        b"[1,2",
    ] {
        let ours = perfkit_json::from_slice::<Request>(body).unwrap_err();
        let theirs = serde_json::from_slice::<Request>(body).unwrap_err();
        assert_eq!(ours.classify(), theirs.classify(), "{ours} / {theirs}");
        assert_eq!(
            (ours.line(), ours.column()),
            (Some(theirs.line() as u64), Some(theirs.column() as u64)),
            "{ours} / {theirs}"
        );
        assert!(
            ours.to_string().starts_with(&theirs.to_string()[..10]),
            "{ours} / {theirs}"
        );
    }
}
