//! The tape deserializer against serde_json on the whole serde data model: the same input
//! gives the same value, or an error from both.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Shape {
    Point,
    Circle(f64),
    Rect(u32, u32),
    Poly { sides: u8, name: String },
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Unit;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Meters(f32);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Everything {
    b: bool,
    u8_: u8,
    i16_: i16,
    u32_: u32,
    i64_: i64,
    u64_: u64,
    i128_: i128,
    u128_: u128,
    f32_: f32,
    f64_: f64,
    c: char,
    s: String,
    opt_none: Option<u32>,
    opt_some: Option<Vec<u8>>,
    tuple: (u8, String, bool),
    shapes: Vec<Shape>,
    unit: Unit,
    unit_value: (),
    meters: Meters,
    by_id: BTreeMap<u32, String>,
    by_name: HashMap<String, i64>,
    by_flag: BTreeMap<bool, u8>,
    nested: Vec<Vec<Option<i8>>>,
    #[serde(default)]
    missing: Option<String>,
    #[serde(rename = "renamed-field")]
    renamed: u16,
}

fn everything() -> Everything {
    Everything {
        b: true,
        u8_: 255,
        i16_: -32768,
        u32_: 4_000_000_000,
        i64_: i64::MIN,
        u64_: u64::MAX,
        i128_: -5,
        u128_: 7,
        f32_: 0.1,
        f64_: -1.5e300,
        c: 'é',
        s: "tab\t quote\" back\\ nul\u{0} emoji 😀".into(),
        opt_none: None,
        opt_some: Some(vec![1, 2]),
        tuple: (9, "x".into(), false),
        shapes: vec![
            Shape::Point,
            Shape::Circle(2.5),
            Shape::Rect(3, 4),
            Shape::Poly {
                sides: 6,
                name: "hex".into(),
            },
        ],
        unit: Unit,
        unit_value: (),
        meters: Meters(1.25),
        by_id: [(1, "one".into()), (20, "twenty".into())].into(),
        by_name: [("a".to_owned(), -1)].into(),
        by_flag: [(true, 1), (false, 0)].into(),
        nested: vec![vec![Some(-1), None], vec![]],
        missing: None,
        renamed: 80,
    }
}

fn both<T: DeserializeOwned + PartialEq + std::fmt::Debug>(json: &str) {
    let ours = perfkit_json::from_str::<T>(json);
    let theirs = serde_json::from_str::<T>(json);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{json}"),
        (Err(_), Err(_)) => {}
        _ => panic!("{json}: perfkit_json {ours:?} but serde_json {theirs:?}"),
    }
}

#[test]
fn the_serde_data_model_round_trips() {
    let json = serde_json::to_string(&everything()).unwrap();
    assert_eq!(
        perfkit_json::from_str::<Everything>(&json).unwrap(),
        everything()
    );
    both::<Everything>(&json);
    let pretty = serde_json::to_string_pretty(&everything()).unwrap();
    assert_eq!(
        perfkit_json::from_str::<Everything>(&pretty).unwrap(),
        everything()
    );
}

#[test]
fn type_mismatches_are_errors_in_both() {
    both::<u8>("256");
    both::<u8>("-1");
    both::<i8>("128");
    both::<u64>("1.5");
    both::<u64>("\"1\"");
    both::<f64>("3");
    both::<i64>("9223372036854775808");
    both::<u64>("18446744073709551615");
    both::<bool>("1");
    both::<String>("null");
    both::<char>("\"ab\"");
    both::<Option<u8>>("null");
    both::<Vec<u8>>("{}");
    both::<(u8, u8)>("[1]");
    both::<(u8, u8)>("[1, 2, 3]");
    both::<Shape>("\"Hexagon\"");
    both::<Shape>("{\"Circle\": 1, \"Point\": null}");
    both::<Shape>("{\"Rect\": [1]}");
    both::<BTreeMap<u32, u8>>("{\"x\": 1}");
    both::<BTreeMap<u32, u8>>("{\"7\": 1}");
    both::<Unit>("null");
    both::<Meters>("2");
}

#[test]
fn data_errors_name_types_and_place() {
    let err = perfkit_json::from_str::<Everything>("{\"b\": true,\n \"u8_\": 300}").unwrap_err();
    assert!(err.is_data());
    assert!(err.to_string().contains("300"), "{err}");
    assert_eq!(err.line(), Some(2), "{err}");
    let err = perfkit_json::from_str::<Shape>("{\"Rect\": [1, \"2\"]}").unwrap_err();
    assert!(err.to_string().contains("invalid type"), "{err}");
}

#[test]
fn a_float_serde_json_misreads_is_read_exactly() {
    let text = "6.126114199179019e299";
    let exact: f64 = text.parse().unwrap();
    // serde_json without its `float_roundtrip` feature is one ulp off here.
    assert_eq!(perfkit_json::from_str::<f64>(text).unwrap(), exact);
}

#[test]
fn unknown_fields_of_any_size_are_skipped() {
    #[derive(Debug, PartialEq, Deserialize)]
    struct Few {
        id: u64,
        tail: bool,
    }
    let json = r#"{"junk": {"a": [1, [2, [3, {"b": null}]], "x"], "c": {}}, "id": 5, "more": [[], {}, "s", 1.5], "tail": true, "end": {"z": [0]}}"#;
    assert_eq!(
        perfkit_json::from_str::<Few>(json).unwrap(),
        Few { id: 5, tail: true }
    );
    both::<Few>(json);
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        // Floats with short exact decimals: serde_json (the oracle here) does not round every
        // long one correctly; see `floats_are_correctly_rounded` for those.
        (-1_000_000_000i64..1_000_000_000).prop_map(|n| serde_json::Value::from(n as f64 / 64.0)),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map("\\PC{0,6}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Any finite f64, written in its shortest form, reads back exactly (std's parser is the
    /// oracle: it is correctly rounded; serde_json's default parser is not, always).
    #[test]
    fn floats_are_correctly_rounded(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        for text in [format!("{x:?}"), format!("{x:e}")] {
            let ours: f64 = perfkit_json::from_str(&text).unwrap();
            prop_assert_eq!(ours.to_bits(), text.parse::<f64>().unwrap().to_bits(), "{}", text);
        }
    }

    #[test]
    fn random_documents_read_the_same(value in arb_json()) {
        let json = serde_json::to_string(&value).unwrap();
        let ours: serde_json::Value = perfkit_json::from_str(&json).unwrap();
        prop_assert_eq!(&ours, &value);
        let dom = perfkit_json::parse_value(json.as_bytes()).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&perfkit_json::to_vec(&dom).unwrap()).unwrap();
        prop_assert_eq!(back, value);
    }
}
