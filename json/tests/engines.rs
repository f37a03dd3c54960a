//! The two engines, simd-json's tape and the streaming reader (`ParserBuilder::stream_from`),
//! each against serde_json: on every JSONTestSuite case, every truncation and many one-byte
//! edits of valid documents, into a DOM, into a typed struct and into `IgnoredAny`, the same
//! verdict, the same value and, for errors, the same kind, line and column. And against each
//! other on the bench files, where the values must be identical (both round floats correctly).

use std::fmt::Debug;
use std::path::PathBuf;

use perfkit_json::{ErrorKind, Parser};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

fn streaming() -> Parser {
    Parser::builder().stream_from(0).build()
}

fn tape() -> Parser {
    Parser::builder().stream_from(usize::MAX).build()
}

fn data() -> Option<PathBuf> {
    let data = std::env::var_os("PERFKIT_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        PathBuf::from,
    );
    if data.is_dir() {
        Some(data)
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} not found: CI must have the shared data",
            data.display()
        );
        eprintln!("skipping: {} not found", data.display());
        None
    }
}

/// serde_json's floats may be an ulp off (its default parser); ours are correctly rounded.
fn alike(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() && y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= x.abs().max(y.abs()) * 4.0 * f64::EPSILON
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| alike(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && alike(vx, vy))
        }
        _ => a == b,
    }
}

/// `input` into `T` by `parser` and by serde_json: the same verdict, values `same`, errors
/// of the same kind at the same line and column (our depth limit aside).
fn check<'a, T: Deserialize<'a> + Debug>(
    parser: &mut Parser,
    input: &'a [u8],
    same: impl Fn(&T, &T) -> bool,
) {
    let ours = parser.parse::<T>(input);
    let theirs = serde_json::from_slice::<T>(input);
    let shown = String::from_utf8_lossy(input);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert!(same(a, b), "{shown:?}: ours {a:?}, serde_json {b:?}"),
        (Err(a), Err(_)) if a.kind() == ErrorKind::DepthLimit => {}
        (Err(a), Err(b)) => {
            assert_eq!(
                (a.classify(), a.line(), a.column()),
                (b.classify(), Some(b.line() as u64), Some(b.column() as u64)),
                "{shown:?}: ours {a}, serde_json {b}"
            );
        }
        _ => panic!("{shown:?}: ours {ours:?}, serde_json {theirs:?}"),
    }
}

#[derive(Debug, PartialEq, Deserialize)]
struct Order<'a> {
    id: u64,
    #[serde(borrow)]
    customer: std::borrow::Cow<'a, str>,
    items: Vec<Item>,
    note: Option<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Item {
    sku: String,
    qty: u32,
    price: f64,
    tags: Vec<String>,
}

fn same_order(a: &Order<'_>, b: &Order<'_>) -> bool {
    let close =
        |x: f64, y: f64| x == y || (x - y).abs() <= x.abs().max(y.abs()) * 4.0 * f64::EPSILON;
    (a.id, &a.customer, &a.note, a.items.len()) == (b.id, &b.customer, &b.note, b.items.len())
        && a.items.iter().zip(&b.items).all(|(x, y)| {
            (&x.sku, x.qty, &x.tags) == (&y.sku, y.qty, &y.tags) && close(x.price, y.price)
        })
}

/// Every way a body is read: as a DOM, into a typed struct, ignored; by both engines.
fn check_all(input: &[u8]) {
    for parser in [&mut streaming(), &mut tape()] {
        check::<Value>(parser, input, alike);
        check::<IgnoredAny>(parser, input, |_, _| true);
        check::<Vec<Value>>(parser, input, |a, b| {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| alike(a, b))
        });
        check::<Order<'_>>(parser, input, same_order);
        let dom = parser.parse_value(input);
        let theirs = serde_json::from_slice::<Value>(input);
        assert_eq!(
            dom.is_ok(),
            theirs.is_ok(),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

const SEEDS: &[&str] = &[
    r#"{"id": 7, "customer": "ACME \"Widgets\"", "items": [{"sku": "A-1", "qty": 3, "price": 12.99, "tags": ["x", "y\u00e9"]}, {"sku": "B", "qty": 0, "price": -0.5e-3, "tags": []}], "note": null}"#,
    r#"[1, -2, 3.25, -0, 1e22, 1E-7, 18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809, 123456789012345678901234567890, 0.1e1, 5e-324, 1.7976931348623157e308]"#,
    r#"{"s": "\ud83d\ude00 \\ \" \/ \b\f\n\r\t caf\u00e9", "t": true, "f": false, "n": null, "e": {}, "a": [[], [{}]]}"#,
    "[\"caf\u{e9} \u{65e5}\u{672c}\", {\"\u{e9}\": 1}]",
];

#[test]
fn valid_documents_and_every_truncation_agree_with_serde_json() {
    for seed in SEEDS {
        let bytes = seed.as_bytes();
        check_all(bytes);
        for len in 0..bytes.len() {
            check_all(&bytes[..len]);
        }
    }
}

#[test]
fn one_byte_edits_agree_with_serde_json() {
    const BYTES: &[u8] = b"\"\\,:[]{}0-.eE+ xtn\x00\x1f\x7f\xc3\xe9\xff";
    for seed in SEEDS {
        let bytes = seed.as_bytes();
        for at in 0..bytes.len() {
            for &b in BYTES {
                let mut edited = bytes.to_vec();
                edited[at] = b;
                check_all(&edited);
            }
            let mut removed = bytes.to_vec();
            removed.remove(at);
            check_all(&removed);
        }
    }
}

#[test]
fn json_test_suite_agrees_with_serde_json() {
    let Some(data) = data() else { return };
    let dir = data.join("JSONTestSuite/test_parsing");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the suite") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("a case");
        // serde_json's own recursion limit (128) rejects the deepest `i_`/`n_` cases, where
        // ours (1024) reads further: the verdicts differ there by design.
        if name.contains("n_structure_100000_opening_arrays")
            || name.contains("n_structure_open_array_object")
            || name.contains("i_structure_500_nested_arrays")
        {
            continue;
        }
        check_all(&bytes);
        seen += 1;
    }
    assert!(seen > 300, "only {seen} cases in {}", dir.display());
}

#[test]
fn the_bench_files_read_the_same_by_both_engines() {
    let Some(data) = data() else { return };
    for file in [
        "twitter.json",
        "citm_catalog.json",
        "canada.json",
        "github_events.json",
        "apache_builds.json",
    ] {
        let bytes = std::fs::read(data.join("json").join(file)).expect("a bench file");
        let streamed = streaming().parse::<Value>(&bytes).unwrap();
        let taped = tape().parse::<Value>(&bytes).unwrap();
        assert!(streamed == taped, "{file}: the engines differ");
        assert_eq!(streaming().parse_value(&bytes).unwrap(), taped, "{file}");
        let theirs: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(alike(&streamed, &theirs), "{file}: not serde_json's value");
    }
}

#[test]
fn floats_are_correctly_rounded_and_f32_is_rounded_once() {
    let mut parser = streaming();
    for text in [
        "2.2250738585072011e-308",
        "2.2250738585072014e-308",
        "4.9406564584124654e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "9007199254740993",
        "9007199254740993.0",
        "9007199254740992.5",
        "1e23",
        "8.98846567431158e307",
        "0.1",
        "0.30000000000000004",
        "123456789012345678e-30",
        "7.3177701707893310e+15",
        "1448997445238699",
        "1e-400",
        "-0.0",
    ] {
        let exact: f64 = text.parse().unwrap();
        let ours: f64 = parser.parse(text.as_bytes()).unwrap();
        assert_eq!(ours.to_bits(), exact.to_bits(), "{text}");
    }
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let digits = 1 + (x % 25) as usize;
        let mantissa: String = (0..digits)
            .map(|k| char::from(b'0' + ((x >> (k % 60)) % 10) as u8))
            .collect();
        let mantissa = mantissa.trim_start_matches('0');
        let mantissa = if mantissa.is_empty() { "1" } else { mantissa };
        let exponent = (x >> 40) as i64 % 700 - 350;
        let point = (x >> 20) as usize % (mantissa.len() + 1);
        let text = match i % 3 {
            0 => format!("{}.{}e{exponent}", &mantissa[..point.max(1)], {
                let rest = &mantissa[point.max(1)..];
                if rest.is_empty() { "0" } else { rest }
            }),
            1 => format!("-{mantissa}e{}", exponent / 10),
            _ => format!("0.{mantissa}"),
        };
        let exact: f64 = text.parse().unwrap();
        match parser.parse::<f64>(text.as_bytes()) {
            Ok(ours) => assert_eq!(ours.to_bits(), exact.to_bits(), "{text}"),
            Err(e) => assert!(exact.is_infinite(), "{text}: {e}"),
        }
        let exact32: f32 = text.parse().unwrap();
        if exact32.is_finite() {
            let ours: f32 = parser.parse(text.as_bytes()).unwrap();
            assert_eq!(ours.to_bits(), exact32.to_bits(), "{text} as f32");
        }
    }
}

#[test]
fn an_f32_from_the_tape_is_rounded_from_its_f64_as_serde_json_rounds_it() {
    // Just above the midpoint of two f32s, and so close to it that the nearest f64 is the
    // midpoint itself: rounded once it goes up, rounded through the f64 it ties to even.
    let text = "1.00000005960464477550";
    let exact: f32 = text.parse().unwrap();
    let through_f64 = text.parse::<f64>().unwrap() as f32;
    assert_ne!(exact, through_f64, "{text} is no double-rounding case");
    let streamed: f32 = streaming().parse(text.as_bytes()).unwrap();
    assert_eq!(streamed.to_bits(), exact.to_bits(), "the streaming engine");
    let taped: f32 = tape().parse(text.as_bytes()).unwrap();
    assert_eq!(taped.to_bits(), through_f64.to_bits(), "the tape");
    let mut in_place = text.as_bytes().to_vec();
    let taped: f32 = perfkit_json::from_mut_slice(&mut in_place).unwrap();
    assert_eq!(taped.to_bits(), through_f64.to_bits(), "from_mut_slice");
    let theirs: f32 = serde_json::from_str(text).unwrap();
    assert_eq!(theirs.to_bits(), through_f64.to_bits(), "serde_json");
}

#[test]
fn the_streaming_engine_borrows_as_serde_json_does() {
    #[derive(Deserialize)]
    struct Request<'a> {
        user: &'a str,
        #[serde(borrow)]
        note: std::borrow::Cow<'a, str>,
    }
    let body = br#"{"user": "ada", "note": "tab\there"}"#;
    let req: Request<'_> = streaming().parse(body).unwrap();
    let range = body.as_ptr_range();
    assert!(
        range.contains(&req.user.as_ptr()),
        "a plain string is borrowed"
    );
    assert!(
        matches!(req.note, std::borrow::Cow::Owned(_)),
        "an escaped one is not"
    );
    assert_eq!(req.note, "tab\there");
    let escaped = br#"{"user": "a\u0064a", "note": ""}"#;
    let err = streaming().parse::<Request<'_>>(escaped).err().unwrap();
    let theirs = serde_json::from_slice::<Request<'_>>(escaped)
        .err()
        .unwrap();
    assert!(
        err.to_string().starts_with(&theirs.to_string()),
        "{err} / {theirs}"
    );
}

#[test]
fn the_depth_limit_holds_in_the_streaming_engine() {
    let mut parser = Parser::builder().stream_from(0).max_depth(8).build();
    let deep = format!("{}{}", "[".repeat(9), "]".repeat(9));
    for result in [
        parser.parse::<Value>(deep.as_bytes()).map(drop),
        parser.parse::<IgnoredAny>(deep.as_bytes()).map(drop),
        parser.parse_value(deep.as_bytes()).map(drop),
    ] {
        assert_eq!(result.unwrap_err().kind(), ErrorKind::DepthLimit);
    }
    let ok = format!("{}{}", "[".repeat(8), "]".repeat(8));
    assert!(parser.parse::<Value>(ok.as_bytes()).is_ok());
}
