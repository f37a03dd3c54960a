//! Typed parsing against serde_json, the reference a drop-in follows: for every input, each
//! of a few shapes and both engines (simd-json's tape, the streaming reader), the same accept/reject verdict, where both reject the same error
//! classification, line and column, and where both accept the same value
//! (serde_json built with `float_roundtrip`, correctly rounded as ours; floats still compared
//! within one ulp, so that the verdicts are what the target checks).
#![no_main]

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde::de::DeserializeOwned;

#[derive(Debug, PartialEq, Deserialize)]
struct Event {
    id: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    score: Option<i32>,
    #[serde(default)]
    nested: Option<Box<Event>>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "type")]
enum Tagged {
    A { x: i64 },
    B { y: Vec<u8> },
}

#[derive(Debug, PartialEq, Deserialize)]
enum External {
    Unit,
    Pair(u16, bool),
    Named { s: String },
}

/// Strings borrowed from the input where they have no escapes, as serde_json borrows them.
#[derive(Debug, PartialEq, Deserialize)]
struct Borrowing<'a> {
    name: &'a str,
    #[serde(default, borrow)]
    tags: Vec<Cow<'a, str>>,
    #[serde(default, borrow)]
    labels: HashMap<&'a str, &'a str>,
}

/// Both parsers on `data` as a borrowing `T`: the same verdict and value as [`compare`], and
/// each `Cow` borrowed exactly where serde_json's is.
fn compare_borrowed(data: &[u8]) {
    compare_with::<Borrowing<'_>>(data, |a, b| {
        a == b
            && a.tags
                .iter()
                .zip(&b.tags)
                .all(|(x, y)| matches!(x, Cow::Borrowed(_)) == matches!(y, Cow::Borrowed(_)))
    });
}

/// Both parsers on `data` as `T`: same verdict, same value.
fn compare<T: DeserializeOwned + PartialEq + Debug>(data: &[u8], same: impl Fn(&T, &T) -> bool) {
    compare_with::<T>(data, same);
}

fn compare_with<'a, T: Deserialize<'a> + PartialEq + Debug>(
    data: &'a [u8],
    same: impl Fn(&T, &T) -> bool,
) {
    // Both engines: the default (the streaming engine) and simd-json's tape.
    compare_one(perfkit_json::from_slice::<T>(data), data, &same);
    let taped = TAPE.with(|p| p.borrow_mut().parse::<T>(data));
    compare_one(taped, data, &same);
}

thread_local! {
    static TAPE: std::cell::RefCell<perfkit_json::Parser> =
        std::cell::RefCell::new(perfkit_json::Parser::builder().stream_from(usize::MAX).build());
}

fn compare_one<'a, T: Deserialize<'a> + PartialEq + Debug>(
    ours: Result<T, perfkit_json::Error>,
    data: &'a [u8],
    same: &impl Fn(&T, &T) -> bool,
) {
    let theirs = serde_json::from_slice::<T>(data);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert!(same(a, b), "values differ: {a:?} vs {b:?}"),
        // The same error, placed the same (serde_json re-reads what we reject), unless
        // serde_json stopped at its recursion limit (128; ours is deeper).
        (Err(a), Err(b)) if !b.to_string().starts_with("recursion limit exceeded") => {
            assert_eq!(a.classify(), b.classify(), "{a} / {b}");
            assert_eq!(
                (a.line(), a.column()),
                (Some(b.line() as u64), Some(b.column() as u64)),
                "{a} / {b} on {:?} as {}",
                String::from_utf8_lossy(data),
                std::any::type_name::<T>()
            );
        }
        (Err(_), Err(_)) => {}
        _ => panic!(
            "verdicts differ on {:?} as {}: ours {ours:?}, serde_json {theirs:?}",
            String::from_utf8_lossy(data),
            std::any::type_name::<T>()
        ),
    }
}

/// Within one ulp, or both the same non-finite (never produced by JSON) value.
fn close(a: f64, b: f64) -> bool {
    a == b || (a.to_bits().abs_diff(b.to_bits()) <= 1 && a.signum() == b.signum())
}

fn close_values(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::{Array, Number, Object};
    match (a, b) {
        (Number(x), Number(y)) if x.is_f64() || y.is_f64() => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => close(x, y),
            _ => false,
        },
        (Array(x), Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| close_values(a, b))
        }
        (Object(x), Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| close_values(v, w)))
        }
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    // serde_json stops at 128 levels; perfkit-json at 1024: compare only where both can go.
    if data.iter().filter(|&&b| b == b'[' || b == b'{').count() > 100 {
        return;
    }
    compare::<serde_json::Value>(data, close_values);
    compare::<Event>(data, PartialEq::eq);
    compare::<Vec<Tagged>>(data, PartialEq::eq);
    compare::<Vec<External>>(data, PartialEq::eq);
    compare::<HashMap<u32, bool>>(data, PartialEq::eq);
    compare::<BTreeMap<String, Option<i8>>>(data, PartialEq::eq);
    compare::<(u8, i64, String)>(data, PartialEq::eq);
    compare::<Vec<f64>>(data, |a, b| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(*x, *y))
    });
    compare::<u128>(data, PartialEq::eq);
    compare::<char>(data, PartialEq::eq);
    compare_borrowed(data);
});
