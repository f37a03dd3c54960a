//! DOM parsing: the whole file into each library's DOM.

use std::hint::black_box;
use std::sync::Mutex;

use perfkit_json::Parser;

use super::digest::digest;
use super::{BenchFile, CHECK_ITERS, case, parse_loop};
use crate::registry::{Group, Role, Throughput};

pub(super) fn group(name: &'static str, about: &'static str, file_name: &str) -> Option<Group> {
    let BenchFile { bytes, len, .. } = BenchFile::open(file_name)?;
    let parser = || Mutex::new(Parser::new());
    let (borrowed, document) = (parser(), parser());
    Some(Group {
        name,
        area: "json",
        about,
        throughput: Some(Throughput::Bytes(len)),
        notes: "One op parses the whole file into a DOM and drops it. perfkit Value is owned \
                (serde_json's Value, built from simd-json's tape); parse_borrowed borrows strings from the parser's \
                buffer; parse_document is simd-json's tape, read in place (no allocation per \
                value). simd_json borrowed parses a fresh copy of the input, as a caller that \
                keeps its input must.",
        check_iters: CHECK_ITERS,
        cases: vec![
            case(
                "serde_json::Value",
                Role::Baseline,
                move |n| {
                    parse_loop(n, bytes.get(), |b| {
                        serde_json::from_slice::<serde_json::Value>(b).expect("valid")
                    })
                },
                |v| digest(v),
            ),
            case(
                "perfkit_json::parse_value",
                Role::Pattern,
                move |n| {
                    parse_loop(n, bytes.get(), |b| {
                        perfkit_json::parse_value(b).expect("valid")
                    })
                },
                |v| digest(v),
            ),
            // The borrowed DOM and the document borrow their parser, so their digest (a walk
            // over the last result, at most 1/n of the timed work) is taken in the loop.
            case(
                "Parser::parse_borrowed",
                Role::Pattern,
                move |n| {
                    let input = bytes.get();
                    let mut parser = borrowed.lock().expect("not poisoned");
                    let mut answer = None;
                    for i in 0..n {
                        let value = parser.parse_borrowed(black_box(input)).expect("valid");
                        if i + 1 == n {
                            answer = Some(digest(&value));
                        }
                        drop(black_box(value));
                    }
                    answer
                },
                |&a| a,
            ),
            case(
                "Parser::parse_document",
                Role::Pattern,
                move |n| {
                    let input = bytes.get();
                    let mut parser = document.lock().expect("not poisoned");
                    let mut answer = None;
                    for i in 0..n {
                        let doc = parser.parse_document(black_box(input)).expect("valid");
                        if i + 1 == n {
                            answer = Some(digest(doc.root()));
                        }
                        drop(black_box(doc));
                    }
                    answer
                },
                |&a| a,
            ),
            case(
                "simd_json borrowed (fresh copy)",
                Role::Peer,
                move |n| {
                    let input = bytes.get();
                    let mut answer = None;
                    for i in 0..n {
                        let mut copy = black_box(input).to_vec();
                        let value = simd_json::to_borrowed_value(&mut copy).expect("valid");
                        if i + 1 == n {
                            answer = Some(digest(&value));
                        }
                        drop(black_box(value));
                    }
                    answer
                },
                |&a| a,
            ),
            case(
                "sonic_rs::Value",
                Role::Peer,
                move |n| {
                    parse_loop(n, bytes.get(), |b| {
                        sonic_rs::from_slice::<sonic_rs::Value>(b).expect("valid")
                    })
                },
                |v| digest(v),
            ),
        ],
    })
}
