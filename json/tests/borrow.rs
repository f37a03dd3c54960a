//! `from_slice` and `from_str` borrow from the input as serde_json's do: strings without
//! escapes are borrowed, strings with escapes are not (a `&str` field is then an error, a
//! `Cow` owns its value), in every place a string can be.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

#[derive(Debug, PartialEq, Deserialize)]
struct Request<'a> {
    user: &'a str,
    tags: Vec<&'a str>,
    #[serde(borrow)]
    note: Cow<'a, str>,
    #[serde(borrow)]
    labels: HashMap<&'a str, &'a str>,
    count: u32,
    owned: String,
}

/// Whether `s` lies inside `input`.
fn within(input: &[u8], s: &str) -> bool {
    let range = input.as_ptr_range();
    range.contains(&s.as_ptr()) && s.as_bytes().as_ptr_range().end <= range.end
}

#[test]
fn strings_without_escapes_are_borrowed_from_the_input() {
    let body = br#"{"user": "ada", "tags": ["a", "bb", ""], "note": "plain",
        "labels": {"k": "v", "longer key than sixteen bytes": "and a longer value, too"},
        "count": 3, "owned": "x"}"#;
    let ours: Request<'_> = perfkit_json::from_slice(body).unwrap();
    assert_eq!(ours, serde_json::from_slice::<Request<'_>>(body).unwrap());
    assert!(within(body, ours.user));
    assert!(ours.tags.iter().all(|t| within(body, t)));
    assert!(matches!(ours.note, Cow::Borrowed(n) if within(body, n)));
    assert!(
        ours.labels
            .iter()
            .all(|(k, v)| within(body, k) && within(body, v))
    );

    let text = std::str::from_utf8(body).unwrap();
    let from_str: Request<'_> = perfkit_json::from_str(text).unwrap();
    assert!(within(body, from_str.user));

    // A reused parser borrows from each call's input, not from its own buffer.
    let mut parser = perfkit_json::Parser::new();
    let first: Request<'_> = parser.parse(body).unwrap();
    let other = body.to_vec();
    let second: Request<'_> = parser.parse(&other).unwrap();
    assert!(within(body, first.user) && within(&other, second.user));
    assert_eq!(first, second);
}

#[test]
fn strings_with_escapes_are_copied_or_refused_as_serde_json_does() {
    // A `Cow` owns the unescaped value.
    let body = br#"{"user": "ada", "tags": [], "note": "line\nbreak", "labels": {}, "count": 1, "owned": "o"}"#;
    let ours: Request<'_> = perfkit_json::from_slice(body).unwrap();
    assert_eq!(ours, serde_json::from_slice::<Request<'_>>(body).unwrap());
    assert!(matches!(&ours.note, Cow::Owned(n) if n == "line\nbreak"));

    // A `&str` cannot hold an unescaped value: serde_json's error, at its place.
    for body in [
        &br#"{"user": "a\"da", "tags": [], "note": "", "labels": {}, "count": 1, "owned": ""}"#[..],
        br#"{"user": "ada", "tags": ["ok", "\u00e9"], "note": "", "labels": {}, "count": 1, "owned": ""}"#,
        br#"{"user": "ada", "tags": [], "note": "", "labels": {"k\\": "v"}, "count": 1, "owned": ""}"#,
        br#"{"user": "\\", "tags": [], "note": "", "labels": {}, "count": 1, "owned": ""}"#,
        br#"{"user": "ends with a backslash\\", "tags": [], "note": "", "labels": {}, "count": 1, "owned": ""}"#,
    ] {
        let ours = perfkit_json::from_slice::<Request<'_>>(body).unwrap_err();
        let theirs = serde_json::from_slice::<Request<'_>>(body).unwrap_err();
        assert_eq!(ours.classify(), theirs.classify(), "{ours} / {theirs}");
        assert_eq!((ours.line(), ours.column()), (Some(theirs.line() as u64), Some(theirs.column() as u64)));
        assert!(ours.to_string().contains("expected a borrowed string"), "{ours}");
    }
}

#[test]
fn borrowing_works_through_enums_flatten_and_maps() {
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "kind")]
    enum Event<'a> {
        Click { target: &'a str },
        Key { key: &'a str },
    }
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Either<'a> {
        Text(&'a str),
        Number(u64),
    }
    #[derive(Debug, PartialEq, Deserialize)]
    struct Flat<'a> {
        id: u8,
        #[serde(flatten, borrow)]
        rest: BTreeMap<&'a str, &'a str>,
    }
    #[derive(Debug, PartialEq, Deserialize)]
    enum External<'a> {
        Named(&'a str),
    }

    let events = br#"[{"kind": "Click", "target": "button"}, {"kind": "Key", "key": "k"}]"#;
    let ours: Vec<Event<'_>> = perfkit_json::from_slice(events).unwrap();
    assert_eq!(
        ours,
        serde_json::from_slice::<Vec<Event<'_>>>(events).unwrap()
    );

    let either = br#"["text", 5]"#;
    let ours: Vec<Either<'_>> = perfkit_json::from_slice(either).unwrap();
    assert_eq!(
        ours,
        serde_json::from_slice::<Vec<Either<'_>>>(either).unwrap()
    );

    // Unknown keys kept by `flatten` are borrowed too (the struct is read as a map).
    let flat = br#"{"id": 1, "a": "x", "b": "y"}"#;
    let ours: Flat<'_> = perfkit_json::from_slice(flat).unwrap();
    assert_eq!(ours, serde_json::from_slice::<Flat<'_>>(flat).unwrap());
    assert!(
        ours.rest
            .iter()
            .all(|(k, v)| within(flat, k) && within(flat, v))
    );

    let external = br#"{"Named": "n"}"#;
    let ours: External<'_> = perfkit_json::from_slice(external).unwrap();
    assert_eq!(
        ours,
        serde_json::from_slice::<External<'_>>(external).unwrap()
    );

    // Borrowed keys of a plain map, and `&[u8]` is refused alike (JSON has no bytes).
    let map = br#"{"x": 1, "y": 2}"#;
    let ours: HashMap<&str, u8> = perfkit_json::from_slice(map).unwrap();
    assert!(ours.keys().all(|k| within(map, k)));
    assert_eq!(
        perfkit_json::from_slice::<&[u8]>(br#""bytes""#).is_err(),
        serde_json::from_slice::<&[u8]>(br#""bytes""#).is_err()
    );
}

#[test]
fn every_string_shape_borrows_exactly_when_serde_json_does() {
    // Strings of every length around the word sizes of the check, with and without escapes
    // at each end: borrowed into `Cow` exactly when serde_json's is.
    let mut bodies = Vec::new();
    for len in 0..40 {
        let plain = "é".repeat(len / 2) + &"a".repeat(len % 2);
        bodies.push(format!("[\"{plain}\"]"));
        bodies.push(format!("[\"{plain}\\n\"]"));
        bodies.push(format!("[\"\\t{plain}\"]"));
        bodies.push(format!("[\"{plain}\\\\\"]"));
        bodies.push(format!("[\"{plain}\\\"\"]"));
    }
    for body in &bodies {
        #[derive(Deserialize)]
        struct One<'a>(#[serde(borrow)] Cow<'a, str>);
        let ours: (One<'_>,) = perfkit_json::from_str(body).unwrap();
        let theirs: (One<'_>,) = serde_json::from_str(body).unwrap();
        assert_eq!(ours.0.0, theirs.0.0, "{body}");
        assert_eq!(
            matches!(ours.0.0, Cow::Borrowed(_)),
            matches!(theirs.0.0, Cow::Borrowed(_)),
            "{body}"
        );
    }
}
