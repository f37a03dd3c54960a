//! Our compact serializer against serde_json's: the same bytes for every value, the same
//! errors, and `to_writer` in large blocks.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::PathBuf;

use perfkit_json::ErrorKind;
use proptest::prelude::*;
use serde::Serialize;

/// Both serializers on `value`: the same bytes, or an error from both.
fn same<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let theirs = serde_json::to_vec(value);
    let ours = perfkit_json::to_vec(value);
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
            // Every other compact entry point writes the same bytes.
            let mut into = b"kept".to_vec();
            perfkit_json::to_vec_into(&mut into, value).unwrap();
            assert_eq!(&into[4..], &ours[..]);
            let mut written = Vec::new();
            perfkit_json::to_writer(&mut written, value).unwrap();
            assert_eq!(written, ours);
            assert_eq!(
                perfkit_json::to_string(value).unwrap().as_bytes(),
                &ours[..]
            );
            ours
        }
        (Err(ours), Err(theirs)) => {
            assert_eq!(ours.classify(), theirs.classify(), "{ours} / {theirs}");
            Vec::new()
        }
        (ours, theirs) => panic!("ours {ours:?}, serde_json's {theirs:?}"),
    }
}

#[derive(Serialize)]
enum Shape {
    Point,
    Circle(f64),
    Rect(u32, u32),
    Poly { sides: u8, name: &'static str },
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
enum KeyKind {
    Alpha,
    Beta,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct KeyId(u32);

#[derive(Serialize)]
struct Unit;

#[derive(Serialize)]
struct Meters(f32);

#[derive(Serialize)]
#[serde(tag = "type")]
enum Tagged {
    A { x: i8 },
    B(BTreeMap<String, u8>),
}

#[derive(Serialize)]
#[serde(untagged)]
enum Untagged {
    Int(i64),
    Text(String),
}

#[derive(Serialize)]
struct Everything {
    b: (bool, bool),
    ints: (i8, i16, i32, i64, i128, u8, u16, u32, u64, u128),
    extremes: (i64, u64, i128, u128),
    f32s: Vec<f32>,
    f64s: Vec<f64>,
    chars: Vec<char>,
    strings: Vec<String>,
    opt: (Option<u8>, Option<&'static str>),
    shapes: Vec<Shape>,
    unit: (Unit, ()),
    meters: Meters,
    #[serde(with = "serde_bytes_like")]
    bytes: Vec<u8>,
    by_int: BTreeMap<i64, u8>,
    by_u128: BTreeMap<u128, u8>,
    by_bool: BTreeMap<bool, u8>,
    by_char: BTreeMap<char, u8>,
    by_kind: BTreeMap<KeyKind, u8>,
    by_id: BTreeMap<KeyId, u8>,
    by_opt: BTreeMap<Option<u8>, u8>,
    by_name: HashMap<String, Vec<Option<i8>>>,
    tagged: Vec<Tagged>,
    untagged: Vec<Untagged>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<u8>,
    #[serde(rename = "renamed \"field\"\n")]
    renamed: u16,
    #[serde(flatten)]
    flat: BTreeMap<String, u8>,
    display: std::net::Ipv4Addr,
    empty: (Vec<u8>, BTreeMap<String, u8>, [u8; 0]),
}

/// `serialize_bytes`, which serde_json writes as an array of numbers.
mod serde_bytes_like {
    pub(super) fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }
}

fn strings() -> Vec<String> {
    let mut all: String = (0u8..0x80).map(char::from).collect();
    all.push_str("é日本語😀\u{7f}\u{80}\u{2028}\u{2029}\u{feff}");
    vec![
        String::new(),
        all.clone(),
        all.repeat(3),
        "plain text, a little longer than a word".to_owned(),
        "\"quoted\" and \\back\\slashed\\".to_owned(),
        "tab\there\nnew line\r\n".to_owned(),
    ]
}

#[test]
fn every_shape_of_the_serde_data_model_is_serde_jsons_bytes() {
    let mut by_name = HashMap::new();
    by_name.insert("k".to_owned(), vec![Some(-1), None]);
    let value = Everything {
        b: (true, false),
        ints: (-8, -16, -32, -64, -128, 8, 16, 32, 64, 128),
        extremes: (i64::MIN, u64::MAX, i128::MIN, u128::MAX),
        f32s: vec![
            0.1,
            -0.0,
            1.0,
            f32::MAX,
            f32::MIN_POSITIVE,
            1e-45,
            f32::NAN,
            f32::INFINITY,
            16_777_216.0,
            3.402_823_5e38,
        ],
        f64s: vec![
            0.1,
            -0.0,
            0.0,
            1.0,
            -1.5,
            1e21,
            1e22,
            123_456_789.0,
            1e-7,
            5e-324,
            f64::MAX,
            f64::MIN,
            f64::NAN,
            f64::NEG_INFINITY,
            2.0f64.powi(53),
            std::f64::consts::PI,
        ],
        chars: vec!['a', '"', '\\', '\n', '\u{0}', '\u{1f}', 'é', '😀'],
        strings: strings(),
        opt: (None, Some("some")),
        shapes: vec![
            Shape::Point,
            Shape::Circle(1.5),
            Shape::Rect(3, 4),
            Shape::Poly {
                sides: 6,
                name: "hex",
            },
        ],
        unit: (Unit, ()),
        meters: Meters(2.5),
        bytes: vec![0, 1, 255],
        by_int: [(-1, 1), (0, 2), (i64::MAX, 3)].into(),
        by_u128: [(u128::MAX, 1)].into(),
        by_bool: [(true, 1), (false, 0)].into(),
        by_char: [('"', 1), ('x', 2)].into(),
        by_kind: [(KeyKind::Alpha, 1), (KeyKind::Beta, 2)].into(),
        by_id: [(KeyId(7), 1)].into(),
        by_opt: [(Some(3), 1)].into(),
        by_name,
        tagged: vec![Tagged::A { x: -1 }, Tagged::B([("b".to_owned(), 2)].into())],
        untagged: vec![Untagged::Int(5), Untagged::Text("five".to_owned())],
        skipped: None,
        renamed: 9,
        flat: [("flat \u{1}".to_owned(), 1)].into(),
        display: std::net::Ipv4Addr::new(10, 0, 0, 1),
        empty: (Vec::new(), BTreeMap::new(), []),
    };
    let out = same(&value);
    assert!(out.len() > 500, "{}", String::from_utf8_lossy(&out));
}

#[test]
fn keys_serde_json_refuses_are_refused_alike() {
    same(&BTreeMap::from([(vec![1u8], 1)]));
    same(&BTreeMap::from([((), 1)]));
    same(&BTreeMap::from([(None::<u8>, 1)]));
    same(&BTreeMap::from([((1, 2), 1)]));
    same(&HashMap::from([(f64::NAN.to_bits(), 1)]));
    // Float keys: finite ones are quoted, non-finite ones an error in both.
    struct FloatKey(f64);
    impl Serialize for FloatKey {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(&self.0, &1)?;
            map.end()
        }
    }
    for x in [1.5, -0.0, 1e300, f64::NAN, f64::INFINITY] {
        same(&FloatKey(x));
    }
    let err = perfkit_json::to_vec(&FloatKey(f64::NAN)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Syntax);
    assert!(
        err.to_string().starts_with("float key must be finite"),
        "{err}"
    );
}

#[test]
fn raw_values_are_written_as_they_are() {
    let raw = serde_json::value::RawValue::from_string(r#"{"a": [1, 2 ,3]}"#.to_owned()).unwrap();
    #[derive(Serialize)]
    struct WithRaw<'a> {
        raw: &'a serde_json::value::RawValue,
        after: u8,
    }
    let out = same(&WithRaw {
        raw: &raw,
        after: 1,
    });
    assert_eq!(out, br#"{"raw":{"a": [1, 2 ,3]},"after":1}"#);
}

#[test]
fn serde_jsons_documented_examples() {
    // serde_json's `to_string` / `to_vec` / `to_writer` examples.
    #[derive(Serialize)]
    struct User {
        fingerprint: String,
        location: String,
    }
    let user = User {
        fingerprint: "0xF9BA143B95FF6D82".to_owned(),
        location: "Menlo Park, CA".to_owned(),
    };
    assert_eq!(
        perfkit_json::to_string(&user).unwrap(),
        r#"{"fingerprint":"0xF9BA143B95FF6D82","location":"Menlo Park, CA"}"#
    );
    let mut stdout_like = Vec::new();
    perfkit_json::to_writer(&mut stdout_like, &user).unwrap();
    assert_eq!(stdout_like, perfkit_json::to_vec(&user).unwrap());
    same(&serde_json::json!({
        "code": 200,
        "success": true,
        "payload": { "features": ["serde", "json"], "homepage": null }
    }));
}

/// A writer that records the size of each write and can fail after some bytes.
struct Recording {
    bytes: Vec<u8>,
    writes: Vec<usize>,
    fail_after: usize,
}

impl Write for Recording {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > self.fail_after {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "peer went away"));
        }
        self.bytes.extend_from_slice(buf);
        self.writes.push(buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn to_writer_writes_large_blocks_and_reports_a_failing_writer() {
    let rows: Vec<BTreeMap<String, String>> = (0..20_000)
        .map(|i| [("row".to_owned(), format!("value number {i}"))].into())
        .collect();
    let expected = serde_json::to_vec(&rows).unwrap();
    let mut sink = Recording {
        bytes: Vec::new(),
        writes: Vec::new(),
        fail_after: usize::MAX,
    };
    perfkit_json::to_writer(&mut sink, &rows).unwrap();
    assert_eq!(sink.bytes, expected);
    // A few large writes, not one per token.
    assert!(
        sink.writes.len() <= expected.len() / (32 * 1024) + 1,
        "{:?}",
        sink.writes
    );

    let mut broken = Recording {
        bytes: Vec::new(),
        writes: Vec::new(),
        fail_after: 100_000,
    };
    let err = perfkit_json::to_writer(&mut broken, &rows).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.is_io());
    // What was written is a prefix of the document.
    assert!(expected.starts_with(&broken.bytes));

    // A value that serializes JSON itself, inside `to_writer`: the nested call works.
    struct Nested;
    impl Serialize for Nested {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut inner = Vec::new();
            perfkit_json::to_writer(&mut inner, &[1, 2]).expect("nested");
            s.serialize_str(std::str::from_utf8(&inner).expect("UTF-8"))
        }
    }
    let mut out = Vec::new();
    perfkit_json::to_writer(&mut out, &[Nested, Nested]).unwrap();
    assert_eq!(out, br#"["[1,2]","[1,2]"]"#);
}

#[test]
fn the_bench_files_are_written_byte_for_byte() {
    let dir = std::env::var_os("PERFKIT_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        PathBuf::from,
    );
    let dir = dir.join("json");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} not found: CI must have the bench files",
            dir.display()
        );
        eprintln!("skipping: {} not found", dir.display());
        return;
    };
    let mut files = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        same(&value);
        // Our DOM serializes through the same serializer, with serde_json's bytes.
        let ours = perfkit_json::parse_value(&bytes).unwrap();
        same(&ours);
        files += 1;
    }
    assert!(files >= 5, "{files} files in {}", dir.display());
}

fn arb_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any::<f32>().prop_map(|x| serde_json::Value::from(f64::from(x))),
        any::<String>().prop_map(serde_json::Value::from),
        "[\\x00-\\x7f]{0,40}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_value_is_serde_jsons_bytes(value in arb_value()) {
        same(&value);
    }

    #[test]
    fn any_float_is_printed_as_serde_json_prints_it(bits in any::<u64>(), small in any::<u32>()) {
        same(&f64::from_bits(bits));
        same(&f32::from_bits(small));
        same(&[f64::from_bits(bits)]);
    }

    #[test]
    fn any_string_is_escaped_as_serde_json_escapes_it(s in any::<String>(), ascii in "[\\x00-\\x7f]{0,80}") {
        same(&s);
        same(&ascii);
        same(&BTreeMap::from([(s.clone(), ascii.clone())]));
    }
}
