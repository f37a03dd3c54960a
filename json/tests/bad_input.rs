//! Bad input: random and mutated bytes never panic or hang, limits hold, errors say where.

use perfkit_json::{ErrorKind, Parser, Value};
use proptest::prelude::*;

const SEED_DOCS: &[&str] = &[
    r#"{"a": [1, 2.5, -3e10, true, false, null], "b": {"c": "d\u00e9\n", "e": []}}"#,
    r#"[{"id": 18446744073709551615, "neg": -9223372036854775808, "f": 1.7976931348623157e308}]"#,
    r#""\ud83d\ude00 and \\ and \" and \/""#,
    r#"{"deep": [[[[[[[[[[{"x": [[[]]]}]]]]]]]]]]}"#,
];

/// Parses `bytes` every way; whatever the outcome, it must return.
fn parse_every_way(parser: &mut Parser, bytes: &[u8]) {
    let value = parser.parse_value(bytes);
    let document = parser.parse_document(bytes).map(|d| d.to_value());
    let typed = parser.parse::<serde_json::Value>(bytes);
    let mut copy = bytes.to_vec();
    let in_place = parser.parse_in_place::<Value>(&mut copy);
    assert_eq!(value.is_ok(), document.is_ok());
    assert_eq!(value.is_ok(), typed.is_ok());
    assert_eq!(value.is_ok(), in_place.is_ok());
    if let Err(e) = value {
        // Every syntax error is located inside the input.
        if e.is_syntax() || e.is_eof() {
            let offset = e.offset().expect("syntax errors have an offset");
            assert!(
                offset <= bytes.len(),
                "offset {offset} past the end of {} bytes",
                bytes.len()
            );
            assert!(e.line().is_some() && e.column().is_some());
        }
        assert!(!e.to_string().is_empty());
    }
}

fn mutate(doc: &[u8], edits: &[(usize, u8, u8)], cut: usize) -> Vec<u8> {
    let mut bytes = doc.to_vec();
    for &(at, op, byte) in edits {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let at = at % bytes.len();
        match op % 4 {
            0 => bytes[at] = byte,
            1 => bytes[at] ^= 1 << (byte % 8),
            2 => bytes.insert(at, byte),
            _ => {
                bytes.remove(at);
            }
        }
    }
    let cut = cut % (bytes.len() + 1);
    bytes.truncate(bytes.len() - cut.min(bytes.len()) / 2);
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        parse_every_way(&mut Parser::new(), &bytes);
    }

    #[test]
    fn json_alphabet_never_panics(bytes in proptest::collection::vec(
        prop::sample::select(b"{}[],:\"\\0123456789.eE+-truefalsn \n\tu\xc3\xa9\xed\xa0\x80".to_vec()), 0..128)
    ) {
        parse_every_way(&mut Parser::new(), &bytes);
    }

    #[test]
    fn mutated_documents_never_panic(
        doc in prop::sample::select(SEED_DOCS),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6),
        cut in any::<usize>(),
    ) {
        let bytes = mutate(doc.as_bytes(), &edits, cut);
        parse_every_way(&mut Parser::new(), &bytes);
    }

    #[test]
    fn agrees_with_serde_json_on_valid_documents(doc in prop::sample::select(SEED_DOCS)) {
        let ours: serde_json::Value = perfkit_json::from_slice(doc.as_bytes()).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(doc).unwrap();
        prop_assert_eq!(ours, theirs);
    }
}

#[test]
fn truncations_of_every_seed_are_errors_or_values() {
    let mut parser = Parser::new();
    for doc in SEED_DOCS {
        for len in 0..doc.len() {
            parse_every_way(&mut parser, &doc.as_bytes()[..len]);
        }
    }
}

#[test]
fn nesting_up_to_the_limit_parses_and_beyond_is_a_depth_error() {
    let nest = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let mut parser = Parser::new();
    assert!(parser.parse_value(nest(1024).as_bytes()).is_ok());
    assert!(
        parser
            .parse::<serde_json::Value>(nest(1024).as_bytes())
            .is_ok()
    );
    assert!(parser.parse::<Value>(nest(1024).as_bytes()).is_ok());
    let err = parser.parse_value(nest(1025).as_bytes()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DepthLimit, "{err}");
    // A hostile document: a million opening brackets is refused, not a stack overflow.
    let err = parser
        .parse_value("[".repeat(1_000_000).as_bytes())
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::DepthLimit | ErrorKind::Syntax),
        "{err}"
    );
    let mut shallow = Parser::builder().max_depth(4).build();
    assert!(shallow.parse_value(nest(4).as_bytes()).is_ok());
    assert_eq!(
        shallow.parse_value(nest(5).as_bytes()).unwrap_err().kind(),
        ErrorKind::DepthLimit
    );
}

#[test]
fn input_over_the_size_limit_is_refused_before_parsing() {
    let mut parser = Parser::builder().max_input(16).build();
    assert!(parser.parse_value(b"[1,2,3]").is_ok());
    let err = parser.parse_value(b"[1,2,3,4,5,6,7,8,9]").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeLimit);
    assert!(err.to_string().contains("16 bytes"), "{err}");
    // A reader is read only up to the limit.
    let endless = std::io::repeat(b' ');
    let err = parser.parse_reader::<Value>(endless).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeLimit);
}

#[test]
fn huge_numbers_and_bad_strings_are_errors_not_panics() {
    let mut parser = Parser::new();
    let cases: &[&[u8]] = &[
        b"[1e999999999]",
        b"[-1e-999999999]",
        b"[123456789012345678901234567890123456789]",
        b"[\"\\ud800\"]",
        b"[\"\\udc00\\ud800\"]",
        b"[\"\xff\xfe\"]",
        b"[\"\xed\xa0\x80\"]",
        b"{\"a\":1,}",
        b"\xef\xbb\xbf[]",
    ];
    for case in cases {
        parse_every_way(&mut parser, case);
    }
    // u64 overflow into a typed field is a data error naming where.
    let err = parser.parse::<Vec<u8>>(b"[1, 2,\n 300]").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Data, "{err}");
    assert_eq!(err.line(), Some(2), "{err}");
}

#[test]
fn syntax_errors_name_line_column_and_offset() {
    let input = b"{\n  \"a\": 1,\n  \"b\": tru\n}";
    let err = perfkit_json::from_slice::<Value>(input).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Syntax);
    // serde_json's place: it read the newline after `tru` looking for the `e`.
    let theirs = serde_json::from_slice::<Value>(input).unwrap_err();
    assert_eq!(
        (err.line(), err.column()),
        (Some(theirs.line() as u64), Some(theirs.column() as u64)),
        "{err} / {theirs}"
    );
    assert_eq!(err.offset(), Some(22), "the newline: {err}");
    let eof = perfkit_json::from_slice::<Value>(b"[1, 2").unwrap_err();
    assert_eq!(eof.kind(), ErrorKind::Eof, "{eof}");
    assert!(eof.is_eof() && !eof.is_syntax(), "{eof}");
    assert_eq!(eof.offset(), Some(5), "{eof}");
    let io: std::io::Error = eof.into();
    assert!(matches!(
        io.kind(),
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
    ));
}

#[test]
fn parser_frees_buffers_after_an_input_over_its_retain_limit() {
    let mut parser = Parser::builder().retain_input(1024).build();
    let big = format!("[{}0]", "1,".repeat(10_000));
    assert!(parser.parse_value(big.as_bytes()).is_ok());
    let debug = format!("{parser:?}");
    assert!(debug.contains("buffered: 0"), "{debug}");
    assert!(parser.parse_value(b"[1]").is_ok());
    // A document borrows the buffers, so they are freed by the next call instead.
    assert_eq!(
        parser
            .parse_document(big.as_bytes())
            .unwrap()
            .root()
            .as_array()
            .map(|a| a.len()),
        Some(10_001)
    );
    assert!(parser.parse_value(b"[1]").is_ok());
    let debug = format!("{parser:?}");
    let buffered: usize = debug
        .split("buffered: ")
        .nth(1)
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(buffered < 1024, "{debug}");
}
