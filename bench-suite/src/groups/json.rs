//! Area `json`: typed parse (every field, and a few fields), DOM parse, and serialization of
//! the standard bench files twitter.json, citm_catalog.json and canada.json, read from
//! `../shared/data/json` (the groups are skipped, saying so, where that folder is absent).

mod shapes;

use std::fs::File;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use perfkit_json::Parser;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shapes::{CanadaFew, CanadaFull, CitmFew, CitmFull, TwitterFew, TwitterFull};

use crate::measure;
use crate::registry::{Case, Group, Role, Throughput};

/// Whole-file operations take 0.3-5 ms: a few suffice to check the answers.
const CHECK_ITERS: u64 = 2;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/json")
}

/// A bench file, read once; `None` (with a message) when the data folder is absent.
fn file(name: &str) -> Option<(PathBuf, &'static [u8])> {
    let path = data_dir().join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some((path, bytes.leak())),
        Err(e) => {
            static WARNED: OnceLock<()> = OnceLock::new();
            WARNED.get_or_init(|| {
                eprintln!(
                    "skipping the json groups: cannot read {} ({e})",
                    path.display()
                );
            });
            None
        }
    }
}

/// `n` parses of `input` with `parse`, each result dropped inside the timed loop as a service
/// drops it, except the last, which comes back for the answer.
fn parse_loop<V>(n: u64, input: &[u8], mut parse: impl FnMut(&[u8]) -> V) -> Option<V> {
    let mut last = None;
    for i in 0..n {
        let value = parse(black_box(input));
        if i + 1 == n {
            last = Some(value);
        } else {
            drop(black_box(value));
        }
    }
    last
}

/// A one-thread case whose timed `body` returns its last result; `answer` turns that into the
/// answer outside the timed region (a digest can cost as much as a parse).
fn case<V>(
    name: &str,
    role: Role,
    body: impl Fn(u64) -> Option<V> + Send + Sync + 'static,
    answer: impl Fn(&V) -> u64 + Send + Sync + 'static,
) -> Case {
    Case::new(name, role, 1, move |iters| {
        let mut last = None;
        let mut sample = measure::single(iters, |n| {
            last = body(n);
            0
        });
        sample.answer = last.as_ref().map_or(0, &answer);
        sample
    })
}

/// The typed-parse cases for shape `T`.
fn typed_cases<T: DeserializeOwned + 'static>(
    path: PathBuf,
    input: &'static [u8],
    digest: fn(&T) -> u64,
    with_reader: bool,
) -> Vec<Case> {
    let mut cases = vec![
        case(
            "serde_json::from_slice",
            Role::Baseline,
            move |n| parse_loop(n, input, |b| serde_json::from_slice::<T>(b).expect("valid")),
            digest,
        ),
        case(
            "serde_json::from_reader(File)",
            Role::Baseline,
            move |n| {
                parse_loop(n, input, |_| {
                    serde_json::from_reader::<_, T>(File::open(&path).expect("the bench file"))
                        .expect("valid")
                })
            },
            digest,
        ),
        case(
            "perfkit_json::from_slice",
            Role::Pattern,
            move |n| {
                parse_loop(n, input, |b| {
                    perfkit_json::from_slice::<T>(b).expect("valid")
                })
            },
            digest,
        ),
        case(
            "simd_json (fresh copy)",
            Role::Peer,
            move |n| {
                parse_loop(n, input, |b| {
                    simd_json::serde::from_slice::<T>(&mut b.to_vec()).expect("valid")
                })
            },
            digest,
        ),
        case(
            "sonic_rs::from_slice",
            Role::Peer,
            move |n| parse_loop(n, input, |b| sonic_rs::from_slice::<T>(b).expect("valid")),
            digest,
        ),
    ];
    if !with_reader {
        cases.remove(1);
    }
    cases
}

fn typed_group<T: DeserializeOwned + 'static>(
    name: &'static str,
    about: &'static str,
    file_name: &str,
    digest: fn(&T) -> u64,
    with_reader: bool,
) -> Option<Group> {
    let (path, input) = file(file_name)?;
    Some(Group {
        name,
        area: "json",
        about,
        throughput: Some(Throughput::Bytes(input.len() as u64)),
        notes: "One op parses the whole file into the shape, from memory, and drops the result. \
                from_reader(File) (in the every-field groups) opens the file and reads it \
                unbuffered, one read system call per byte, as the common mistake does; simd_json copies the input first (it parses in place), as a \
                caller that must keep its input has to; perfkit_json copies into a reused \
                per-thread buffer.",
        check_iters: CHECK_ITERS,
        cases: typed_cases(path, input, digest, with_reader),
    })
}

// ---- DOM digests: the same number from every DOM type (order-independent for objects) ----

fn digest_serde(v: &serde_json::Value) -> u64 {
    match v {
        serde_json::Value::Array(a) => a.iter().map(digest_serde).fold(1, u64::wrapping_add),
        serde_json::Value::Object(o) => o
            .iter()
            .map(|(k, v)| (k.len() as u64).wrapping_add(digest_serde(v)))
            .fold(1, u64::wrapping_add),
        serde_json::Value::String(s) => s.len() as u64,
        _ => 1,
    }
}

fn digest_simd(v: &simd_json::BorrowedValue<'_>) -> u64 {
    use simd_json::prelude::*;
    if let Some(a) = v.as_array() {
        a.iter().map(digest_simd).fold(1, u64::wrapping_add)
    } else if let Some(o) = v.as_object() {
        o.iter()
            .map(|(k, v)| (k.len() as u64).wrapping_add(digest_simd(v)))
            .fold(1, u64::wrapping_add)
    } else {
        v.as_str().map_or(1, |s| s.len() as u64)
    }
}

fn digest_owned(v: &perfkit_json::Value) -> u64 {
    use simd_json::prelude::*;
    if let Some(a) = v.as_array() {
        a.iter().map(digest_owned).fold(1, u64::wrapping_add)
    } else if let Some(o) = v.as_object() {
        o.iter()
            .map(|(k, v)| (k.len() as u64).wrapping_add(digest_owned(v)))
            .fold(1, u64::wrapping_add)
    } else {
        v.as_str().map_or(1, |s| s.len() as u64)
    }
}

fn digest_tape(v: perfkit_json::TapeValue<'_, '_>) -> u64 {
    use simd_json::prelude::*;
    if let Some(a) = v.as_array() {
        a.iter().map(digest_tape).fold(1, u64::wrapping_add)
    } else if let Some(o) = v.as_object() {
        o.iter()
            .map(|(k, v)| (k.len() as u64).wrapping_add(digest_tape(v)))
            .fold(1, u64::wrapping_add)
    } else {
        v.as_str().map_or(1, |s| s.len() as u64)
    }
}

fn digest_sonic(v: &sonic_rs::Value) -> u64 {
    use sonic_rs::{JsonContainerTrait, JsonValueTrait};
    if let Some(a) = v.as_array() {
        a.iter().map(digest_sonic).fold(1, u64::wrapping_add)
    } else if let Some(o) = v.as_object() {
        o.iter()
            .map(|(k, v)| (k.len() as u64).wrapping_add(digest_sonic(v)))
            .fold(1, u64::wrapping_add)
    } else {
        v.as_str().map_or(1, |s| s.len() as u64)
    }
}

fn dom_group(name: &'static str, about: &'static str, file_name: &str) -> Option<Group> {
    let (_, input) = file(file_name)?;
    let parser = || Mutex::new(Parser::new());
    let (borrowed, document) = (parser(), parser());
    Some(Group {
        name,
        area: "json",
        about,
        throughput: Some(Throughput::Bytes(input.len() as u64)),
        notes: "One op parses the whole file into a DOM and drops it. perfkit Value is owned \
                (simd-json's OwnedValue); parse_borrowed borrows strings from the parser's \
                buffer; parse_document is simd-json's tape, read in place (no allocation per \
                value). simd_json borrowed parses a fresh copy of the input, as a caller that \
                keeps its input must.",
        check_iters: CHECK_ITERS,
        cases: vec![
            case(
                "serde_json::Value",
                Role::Baseline,
                move |n| {
                    parse_loop(n, input, |b| {
                        serde_json::from_slice::<serde_json::Value>(b).expect("valid")
                    })
                },
                digest_serde,
            ),
            case(
                "perfkit_json::parse_value",
                Role::Pattern,
                move |n| parse_loop(n, input, |b| perfkit_json::parse_value(b).expect("valid")),
                digest_owned,
            ),
            // The borrowed DOM and the document borrow their parser, so their digest (a walk
            // over the last result, at most 1/n of the timed work) is taken in the loop.
            case(
                "Parser::parse_borrowed",
                Role::Pattern,
                move |n| {
                    let mut parser = borrowed.lock().expect("not poisoned");
                    let mut answer = None;
                    for i in 0..n {
                        let value = parser.parse_borrowed(black_box(input)).expect("valid");
                        if i + 1 == n {
                            answer = Some(digest_simd(&value));
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
                    let mut parser = document.lock().expect("not poisoned");
                    let mut answer = None;
                    for i in 0..n {
                        let doc = parser.parse_document(black_box(input)).expect("valid");
                        if i + 1 == n {
                            answer = Some(digest_tape(doc.root()));
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
                    let mut answer = None;
                    for i in 0..n {
                        let mut copy = black_box(input).to_vec();
                        let value = simd_json::to_borrowed_value(&mut copy).expect("valid");
                        if i + 1 == n {
                            answer = Some(digest_simd(&value));
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
                    parse_loop(n, input, |b| {
                        sonic_rs::from_slice::<sonic_rs::Value>(b).expect("valid")
                    })
                },
                digest_sonic,
            ),
        ],
    })
}

/// `n` serializations with `write` into a fresh `Vec` each; the last output comes back.
fn ser_loop(n: u64, mut write: impl FnMut(&mut Vec<u8>)) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for _ in 0..n {
        out = Vec::new();
        write(&mut out);
        black_box(&out);
    }
    Some(out)
}

/// `n` serializations with `write` into one reused `Vec`, cleared each time.
fn ser_loop_reused(
    n: u64,
    reused: &Mutex<Vec<u8>>,
    mut write: impl FnMut(&mut Vec<u8>),
) -> Option<Vec<u8>> {
    let mut buf = reused.lock().expect("not poisoned");
    for _ in 0..n {
        buf.clear();
        write(&mut buf);
        black_box(&*buf);
    }
    Some(buf.clone())
}

#[allow(
    clippy::ptr_arg,
    reason = "called as an answer function of a `Vec` result"
)]
fn reparse_digest(out: &Vec<u8>) -> u64 {
    digest_serde(&serde_json::from_slice(out).expect("valid output"))
}

/// A value built on first use (by the answer check, before any timing), so that constructing
/// the registry (`report --group pool`) does not parse every bench file into every DOM.
fn lazy<T: Send + Sync + 'static>(
    make: impl FnOnce() -> T + Send + 'static,
) -> impl Fn() -> &'static T + Clone + Send + Sync {
    let cell: &'static OnceLock<T> = Box::leak(Box::new(OnceLock::new()));
    let make = Arc::new(Mutex::new(Some(make)));
    move || {
        cell.get_or_init(|| {
            let make = make
                .lock()
                .expect("not poisoned")
                .take()
                .expect("initialised once");
            make()
        })
    }
}

/// The input's length without whitespace between tokens: the throughput of serializing it.
fn minified_len(input: &[u8]) -> u64 {
    let (mut len, mut in_string, mut escaped) = (0u64, false, false);
    for &b in input {
        if in_string {
            len += 1;
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !b.is_ascii_whitespace() {
            len += 1;
            in_string = b == b'"';
        }
    }
    len
}

fn ser_dom_group(name: &'static str, about: &'static str, file_name: &str) -> Option<Group> {
    let (_, input) = file(file_name)?;
    let serde_value =
        lazy(move || serde_json::from_slice::<serde_json::Value>(input).expect("valid"));
    let ours = lazy(move || perfkit_json::parse_value(input).expect("valid"));
    let simd = lazy(move || simd_json::to_owned_value(&mut input.to_vec()).expect("valid"));
    let sonic = lazy(move || sonic_rs::from_slice::<sonic_rs::Value>(input).expect("valid"));
    let reused = Mutex::new(Vec::new());
    let out_len = minified_len(input);
    Some(Group {
        name,
        area: "json",
        about,
        throughput: Some(Throughput::Bytes(out_len)),
        notes: "One op serializes the file's DOM (each library its own DOM type, parsed once \
                before timing) to compact JSON in a Vec. Baseline and peers write into a fresh \
                Vec per op; perfkit_json::to_vec_into appends to a reused one (cleared). The \
                answer re-parses the last output and checks its shape. Throughput counts the \
                input's bytes without the whitespace between tokens (the compact output's length, \
                give or take escapes written differently).",
        check_iters: CHECK_ITERS,
        cases: vec![
            case(
                "serde_json::to_vec(Value)",
                Role::Baseline,
                move |n| {
                    let value = serde_value();
                    ser_loop(n, |out| {
                        serde_json::to_writer(out, black_box(value)).expect("ok")
                    })
                },
                reparse_digest,
            ),
            case(
                "perfkit_json::to_vec_into",
                Role::Pattern,
                move |n| {
                    let value = ours();
                    ser_loop_reused(n, &reused, |out| {
                        perfkit_json::to_vec_into(out, black_box(value)).expect("ok")
                    })
                },
                reparse_digest,
            ),
            case(
                "simd_json Writable::write",
                Role::Peer,
                move |n| {
                    use simd_json::prelude::*;
                    let value = simd();
                    ser_loop(n, |out| black_box(value).write(out).expect("ok"))
                },
                reparse_digest,
            ),
            case(
                "sonic_rs::to_writer(Value)",
                Role::Peer,
                move |n| {
                    let value = sonic();
                    ser_loop(n, |out| {
                        sonic_rs::to_writer(out, black_box(value)).expect("ok")
                    })
                },
                reparse_digest,
            ),
        ],
    })
}

fn ser_typed_group() -> Option<Group> {
    let (_, input) = file("twitter.json")?;
    let value: &'static TwitterFull =
        Box::leak(Box::new(serde_json::from_slice(input).expect("valid")));
    let reused = Mutex::new(Vec::new());
    let out_len = serde_json::to_vec(value).expect("serializable").len() as u64;
    let check = |out: &Vec<u8>| {
        serde_json::from_slice::<TwitterFull>(out)
            .expect("valid output")
            .digest()
    };
    Some(Group {
        name: "json-ser-typed-twitter",
        area: "json",
        about: "serialize twitter.json's typed struct (every field) to compact JSON",
        throughput: Some(Throughput::Bytes(out_len)),
        notes: "Every case serializes the same struct with serde. Baseline and peers write into \
                a fresh Vec per op; perfkit_json::to_vec_into appends to a reused one.",
        check_iters: CHECK_ITERS,
        cases: vec![
            case(
                "serde_json::to_vec",
                Role::Baseline,
                move |n| {
                    ser_loop(n, |out| {
                        serde_json::to_writer(out, black_box(value)).expect("ok")
                    })
                },
                check,
            ),
            case(
                "perfkit_json::to_vec_into",
                Role::Pattern,
                move |n| {
                    ser_loop_reused(n, &reused, |out| {
                        perfkit_json::to_vec_into(out, black_box(value)).expect("ok")
                    })
                },
                check,
            ),
            case(
                "simd_json::serde::to_writer",
                Role::Peer,
                move |n| {
                    ser_loop(n, |out| {
                        simd_json::serde::to_writer(out, black_box(value)).expect("ok")
                    })
                },
                check,
            ),
            case(
                "sonic_rs::to_writer",
                Role::Peer,
                move |n| {
                    ser_loop(n, |out| {
                        sonic_rs::to_writer(out, black_box(value)).expect("ok")
                    })
                },
                check,
            ),
        ],
    })
}

fn assert_serialize<T: Serialize>() {}

pub(super) fn groups() -> Vec<Group> {
    assert_serialize::<TwitterFull>();
    [
        typed_group::<TwitterFull>(
            "json-typed-twitter",
            "parse twitter.json (631 KB) into a struct that reads every field",
            "twitter.json",
            TwitterFull::digest,
            true,
        ),
        typed_group::<TwitterFew>(
            "json-few-twitter",
            "parse twitter.json into a struct of 6 fields per status, skipping the rest",
            "twitter.json",
            TwitterFew::digest,
            false,
        ),
        typed_group::<CitmFull>(
            "json-typed-citm",
            "parse citm_catalog.json (1.7 MB) into a struct that reads every field",
            "citm_catalog.json",
            CitmFull::digest,
            true,
        ),
        typed_group::<CitmFew>(
            "json-few-citm",
            "parse citm_catalog.json into 3 fields per performance, skipping the rest",
            "citm_catalog.json",
            CitmFew::digest,
            false,
        ),
        typed_group::<CanadaFull>(
            "json-typed-canada",
            "parse canada.json (2.2 MB, mostly floats) into a struct that reads every field",
            "canada.json",
            CanadaFull::digest,
            true,
        ),
        typed_group::<CanadaFew>(
            "json-few-canada",
            "parse canada.json into the feature names only, skipping the coordinates",
            "canada.json",
            CanadaFew::digest,
            false,
        ),
        dom_group(
            "json-dom-twitter",
            "parse twitter.json into a DOM",
            "twitter.json",
        ),
        dom_group(
            "json-dom-citm",
            "parse citm_catalog.json into a DOM",
            "citm_catalog.json",
        ),
        dom_group(
            "json-dom-canada",
            "parse canada.json into a DOM",
            "canada.json",
        ),
        ser_dom_group(
            "json-ser-twitter",
            "serialize twitter.json's DOM to compact JSON",
            "twitter.json",
        ),
        ser_dom_group(
            "json-ser-citm",
            "serialize citm_catalog.json's DOM to compact JSON",
            "citm_catalog.json",
        ),
        ser_dom_group(
            "json-ser-canada",
            "serialize canada.json's DOM to compact JSON",
            "canada.json",
        ),
        ser_typed_group(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
