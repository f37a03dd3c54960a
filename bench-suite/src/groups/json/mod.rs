//! Area `json`, one family per file: typed parse (every field, and a few fields: `typed.rs`),
//! DOM parse (`dom.rs`) and serialization (`ser.rs`), with one digest for every DOM (`digest.rs`), of
//! the standard bench files twitter.json, citm_catalog.json and canada.json, read from
//! `../shared/data/json` or `$PERFKIT_DATA/json` (the groups are skipped, saying so, where that
//! folder is absent).

mod digest;
mod dom;
mod ser;
mod shapes;
mod typed;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde::Serialize;
use shapes::{CanadaFew, CanadaFull, CitmFew, CitmFull, TwitterFew, TwitterFull};

use crate::fixture::Fixture;
use crate::measure;
use crate::registry::{Case, Group, Role};

/// Whole-file operations take 0.3-5 ms: a few suffice to check the answers.
const CHECK_ITERS: u64 = 2;

fn data_dir() -> PathBuf {
    crate::fixture::data_dir().join("json")
}

/// A bench file: its path, its bytes (read on first use, not when the registry is built) and
/// its size (from the file system's metadata).
struct BenchFile {
    path: PathBuf,
    bytes: Fixture<Vec<u8>>,
    len: u64,
}

impl BenchFile {
    /// `None`, saying so once, when the data folder is absent.
    fn open(name: &str) -> Option<Self> {
        let path = data_dir().join(name);
        match std::fs::metadata(&path) {
            Ok(meta) => {
                let read = path.clone();
                Some(Self {
                    path,
                    bytes: Fixture::new(move || {
                        std::fs::read(&read)
                            .unwrap_or_else(|e| panic!("reading {}: {e}", read.display()))
                    }),
                    len: meta.len(),
                })
            }
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

fn assert_serialize<T: Serialize>() {}

pub(super) fn groups() -> Vec<Group> {
    assert_serialize::<TwitterFull>();
    [
        typed::group::<TwitterFull>(
            "json-typed-twitter",
            "parse twitter.json (631 KB) into a struct that reads every field",
            "twitter.json",
            TwitterFull::digest,
            true,
        ),
        typed::group::<TwitterFew>(
            "json-few-twitter",
            "parse twitter.json into a struct of 6 fields per status, skipping the rest",
            "twitter.json",
            TwitterFew::digest,
            false,
        ),
        typed::group::<CitmFull>(
            "json-typed-citm",
            "parse citm_catalog.json (1.7 MB) into a struct that reads every field",
            "citm_catalog.json",
            CitmFull::digest,
            true,
        ),
        typed::group::<CitmFew>(
            "json-few-citm",
            "parse citm_catalog.json into 3 fields per performance, skipping the rest",
            "citm_catalog.json",
            CitmFew::digest,
            false,
        ),
        typed::group::<CanadaFull>(
            "json-typed-canada",
            "parse canada.json (2.2 MB, mostly floats) into a struct that reads every field",
            "canada.json",
            CanadaFull::digest,
            true,
        ),
        typed::group::<CanadaFew>(
            "json-few-canada",
            "parse canada.json into the feature names only, skipping the coordinates",
            "canada.json",
            CanadaFew::digest,
            false,
        ),
        dom::group(
            "json-dom-twitter",
            "parse twitter.json into a DOM",
            "twitter.json",
        ),
        dom::group(
            "json-dom-citm",
            "parse citm_catalog.json into a DOM",
            "citm_catalog.json",
        ),
        dom::group(
            "json-dom-canada",
            "parse canada.json into a DOM",
            "canada.json",
        ),
        ser::dom_group(
            "json-ser-twitter",
            "serialize twitter.json's DOM to compact JSON",
            "twitter.json",
        ),
        ser::dom_group(
            "json-ser-citm",
            "serialize citm_catalog.json's DOM to compact JSON",
            "citm_catalog.json",
        ),
        ser::dom_group(
            "json-ser-canada",
            "serialize canada.json's DOM to compact JSON",
            "canada.json",
        ),
        ser::typed_group(),
    ]
    .into_iter()
    .flatten()
    .chain(large_groups())
    .collect()
}

/// Generated bodies of 10 and 100 MB: they need no data folder.
fn large_groups() -> Vec<Group> {
    use crate::bodies::{EventsFew, Order, events, order};
    vec![
        typed::generated_group::<Order>(
            "json-large-order-10mb",
            "parse a 10 MB order (line items) into a struct that reads every field",
            10 << 20,
            order,
            Order::digest,
        ),
        typed::generated_group::<Order>(
            "json-large-order-100mb",
            "parse a 100 MB order into a struct that reads every field",
            100 << 20,
            order,
            Order::digest,
        ),
        typed::generated_group::<EventsFew>(
            "json-large-events-100mb",
            "parse 100 MB of log events into 4 fields per event, skipping the rest",
            100 << 20,
            events,
            EventsFew::digest,
        ),
    ]
}
