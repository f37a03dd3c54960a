//! The public API end to end: typed parse, in place, reader, DOMs, serialization, NDJSON.

use std::collections::BTreeMap;

use perfkit_json::prelude::*;
use perfkit_json::{ErrorKind, NdjsonReader, NdjsonWriter, Parser, Value};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Order {
    id: u64,
    customer: String,
    lines: Vec<Line>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Line {
    sku: String,
    qty: u32,
    price: f64,
}

const ORDER: &str = r#"{"id": 42, "customer": "ada \u00e9", "lines": [
    {"sku": "a-1", "qty": 2, "price": 9.5, "discount": {"kind": "none"}},
    {"sku": "b\"2", "qty": 1, "price": 0.25}
], "extra": [1, {"x": [null]}]}"#;

fn order() -> Order {
    Order {
        id: 42,
        customer: "ada é".into(),
        lines: vec![
            Line {
                sku: "a-1".into(),
                qty: 2,
                price: 9.5,
            },
            Line {
                sku: "b\"2".into(),
                qty: 1,
                price: 0.25,
            },
        ],
        note: None,
    }
}

#[test]
fn typed_parse_matches_serde_json_and_leaves_the_input_alone() {
    let input = ORDER.as_bytes().to_vec();
    let ours: Order = perfkit_json::from_slice(&input).unwrap();
    assert_eq!(ours, serde_json::from_slice::<Order>(&input).unwrap());
    assert_eq!(ours, order());
    assert_eq!(
        input,
        ORDER.as_bytes(),
        "from_slice must not modify its input"
    );
    assert_eq!(perfkit_json::from_str::<Order>(ORDER).unwrap(), order());
    assert_eq!(
        perfkit_json::from_reader::<_, Order>(ORDER.as_bytes()).unwrap(),
        order()
    );
}

#[test]
fn parse_in_place_borrows_strings() {
    #[derive(Deserialize)]
    struct Borrowed<'a> {
        customer: &'a str,
        #[serde(borrow)]
        lines: Vec<BorrowedLine<'a>>,
    }
    #[derive(Deserialize)]
    struct BorrowedLine<'a> {
        sku: &'a str,
    }
    let mut buf = ORDER.as_bytes().to_vec();
    let range = buf.as_ptr_range();
    let order: Borrowed<'_> = perfkit_json::from_mut_slice(&mut buf).unwrap();
    assert_eq!(order.customer, "ada é");
    assert_eq!(order.lines[0].sku, "a-1");
    assert!(
        range.contains(&order.lines[0].sku.as_ptr()),
        "a borrowed string points into the input"
    );
}

#[test]
fn a_reused_parser_gives_the_same_answers_across_calls_and_errors() {
    let mut parser = Parser::new();
    for round in 0..3 {
        assert_eq!(
            parser.parse::<Order>(ORDER.as_bytes()).unwrap(),
            order(),
            "round {round}"
        );
        assert!(parser.parse::<Order>(b"{\"id\": }").is_err());
        assert!(parser.parse::<Order>(b"{\"id\": \"x\"}").is_err());
        assert_eq!(parser.parse::<Vec<u8>>(b"[1,2]").unwrap(), [1, 2]);
    }
}

#[test]
fn dom_flavours_agree() {
    let mut parser = Parser::new();
    let owned: Value = parser.parse_value(ORDER.as_bytes()).unwrap();
    let from_borrowed =
        perfkit_json::to_value(parser.parse_borrowed(ORDER.as_bytes()).unwrap()).unwrap();
    let from_document = parser.parse_document(ORDER.as_bytes()).unwrap().to_value();
    assert_eq!(owned, from_borrowed);
    assert_eq!(owned, from_document);
    assert_eq!(owned["lines"][1]["sku"], "b\"2");
    assert_eq!(perfkit_json::parse_value(ORDER.as_bytes()).unwrap(), owned);

    let doc = parser.parse_document(ORDER.as_bytes()).unwrap();
    let lines = doc
        .root()
        .get("lines")
        .and_then(|l| l.as_array())
        .expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(doc.root().get("id").and_then(|id| id.as_u64()), Some(42));
}

#[test]
fn serialization_round_trips_and_reuses_the_buffer() {
    let order = order();
    let compact = perfkit_json::to_vec(&order).unwrap();
    assert_eq!(compact, serde_json::to_vec(&order).unwrap());
    assert_eq!(perfkit_json::from_slice::<Order>(&compact).unwrap(), order);
    assert_eq!(perfkit_json::to_string(&order).unwrap().as_bytes(), compact);
    let pretty = perfkit_json::to_string_pretty(&order).unwrap();
    assert!(pretty.contains("\n  \"id\": 42"), "{pretty}");
    assert_eq!(perfkit_json::from_str::<Order>(&pretty).unwrap(), order);

    let mut out = Vec::with_capacity(4096);
    let ptr = out.as_ptr();
    for _ in 0..3 {
        out.clear();
        perfkit_json::to_vec_into(&mut out, &order).unwrap();
        assert_eq!(out, compact);
    }
    assert_eq!(out.as_ptr(), ptr, "a warm buffer is reused");

    let value = perfkit_json::parse_value(ORDER.as_bytes()).unwrap();
    let again = perfkit_json::parse_value(&perfkit_json::to_vec(&value).unwrap()).unwrap();
    assert_eq!(value, again);
}

#[test]
fn serialization_errors_are_errors() {
    let mut map = BTreeMap::new();
    map.insert(vec![1u8], 1);
    let err = perfkit_json::to_vec(&map).unwrap_err();
    // serde_json's classification and message ("key must be a string" is a syntax error there).
    let theirs = serde_json::to_vec(&map).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Syntax);
    assert_eq!(err.classify(), theirs.classify());
    assert!(err.to_string().starts_with("key must be a string"), "{err}");
    assert!(
        theirs.to_string().starts_with("key must be a string"),
        "{theirs}"
    );
}

#[test]
fn ndjson_round_trip_with_blank_lines_crlf_and_errors_by_line() {
    let mut out = NdjsonWriter::new(Vec::new());
    for id in 0..5 {
        out.write(&Line {
            sku: format!("s\n{id}"),
            qty: id,
            price: 1.5,
        })
        .unwrap();
    }
    assert_eq!(out.records(), 5);
    let mut bytes = out.finish().map_err(|e| e.into_parts().0).unwrap();
    assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 5);
    bytes.extend_from_slice(b"\r\n  \n{\"sku\": \"x\", \"qty\": -1, \"price\": 0}\r\n{\"sku\": \"y\", \"qty\": 7, \"price\": 2}");

    let mut reader = NdjsonReader::<_, Line>::new(&bytes[..]);
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for record in reader.by_ref() {
        match record {
            Ok(line) => ok.push(line.qty),
            Err(e) => errors.push((e.line(), e.kind())),
        }
    }
    assert_eq!(ok, [0, 1, 2, 3, 4, 7]);
    assert_eq!(errors, [(Some(8), ErrorKind::Data)]);
    assert_eq!(reader.line_number(), 9);
}

#[test]
fn ndjson_line_limit_and_syntax_errors_name_the_line() {
    let input = format!("[1]\n[{}1]\n[2\n[3]\n", "0,".repeat(100));
    let records: Vec<_> = NdjsonReader::<_, Vec<u32>>::new(input.as_bytes())
        .max_line_len(64)
        .collect();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0].as_ref().unwrap(), &[1]);
    let too_long = records[1].as_ref().unwrap_err();
    assert_eq!(
        (too_long.kind(), too_long.line()),
        (ErrorKind::SizeLimit, Some(2))
    );
    let broken = records[2].as_ref().unwrap_err();
    assert!(broken.is_eof(), "`[2` ends early: {broken}");
    assert_eq!(broken.line(), Some(3), "{broken}");
    assert!(broken.to_string().contains("line 3"), "{broken}");
    assert_eq!(records[3].as_ref().unwrap(), &[3]);
}

#[test]
fn a_deserialize_impl_that_parses_json_itself_gets_its_own_parser() {
    #[derive(Debug, PartialEq)]
    struct Embedded(Vec<u32>);
    impl<'de> Deserialize<'de> for Embedded {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let text = String::deserialize(d)?;
            perfkit_json::from_str(&text)
                .map(Embedded)
                .map_err(serde::de::Error::custom)
        }
    }
    let outer: Vec<Embedded> = perfkit_json::from_slice(br#"["[1,2]", "[3]"]"#).unwrap();
    assert_eq!(outer, [Embedded(vec![1, 2]), Embedded(vec![3])]);
}

#[test]
fn errors_convert_to_io_errors() {
    let err = perfkit_json::from_slice::<Value>(b"{").unwrap_err();
    let io: std::io::Error = err.into();
    assert!(io.to_string().contains("line 1"), "{io}");
    let read_err = perfkit_json::from_reader::<_, Value>(FailingReader).unwrap_err();
    assert_eq!(read_err.kind(), ErrorKind::Io);
    let back: std::io::Error = read_err.into();
    assert_eq!(back.kind(), std::io::ErrorKind::BrokenPipe);
}

struct FailingReader;

impl std::io::Read for FailingReader {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

/// A source whose own data is bad: `InvalidData` from the reader itself, not a long line.
struct CorruptSource(bool);

impl std::io::Read for CorruptSource {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if std::mem::replace(&mut self.0, true) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "gzip: bad checksum",
            ));
        }
        buf[..4].copy_from_slice(b"[1]\n");
        Ok(4)
    }
}

#[test]
fn ndjson_keeps_a_source_error_an_io_error_with_its_source() {
    let mut reader = NdjsonReader::<_, Vec<u32>>::new(CorruptSource(false));
    assert_eq!(reader.next().unwrap().unwrap(), [1]);
    let err = reader.next().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert_eq!(err.line(), Some(2));
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
    assert!(io.to_string().contains("bad checksum"), "{io}");
}
