//! Serialization: a DOM, or the typed struct, to compact JSON.

use std::hint::black_box;
use std::sync::Mutex;

use super::digest::digest;
use super::shapes::TwitterFull;
use super::{BenchFile, CHECK_ITERS, case};
use crate::fixture::Fixture;
use crate::registry::{Group, Role, Throughput};

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
    digest(&serde_json::from_slice::<serde_json::Value>(out).expect("valid output"))
}

pub(super) fn dom_group(name: &'static str, about: &'static str, file_name: &str) -> Option<Group> {
    let BenchFile { bytes, len, .. } = BenchFile::open(file_name)?;
    let serde_value = Fixture::new(move || {
        serde_json::from_slice::<serde_json::Value>(bytes.get()).expect("valid")
    });
    let ours = Fixture::new(move || perfkit_json::parse_value(bytes.get()).expect("valid"));
    let simd =
        Fixture::new(move || simd_json::to_owned_value(&mut bytes.get().clone()).expect("valid"));
    let sonic =
        Fixture::new(move || sonic_rs::from_slice::<sonic_rs::Value>(bytes.get()).expect("valid"));
    let reused = Mutex::new(Vec::new());
    Some(Group {
        name,
        area: "json",
        about,
        throughput: Some(Throughput::Bytes(len)),
        notes: "One op serializes the file's DOM (each library its own DOM type, parsed once \
                before timing) to compact JSON in a Vec. Baseline and peers write into a fresh \
                Vec per op; perfkit_json::to_vec_into appends to a reused one (cleared). The \
                answer re-parses the last output and checks its shape. Throughput counts the \
                input file's bytes (the output is the same document, compact).",
        check_iters: CHECK_ITERS,
        cases: vec![
            case(
                "serde_json::to_vec(Value)",
                Role::Baseline,
                move |n| {
                    let value = serde_value.get();
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
                    let value = ours.get();
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
                    let value = simd.get();
                    ser_loop(n, |out| black_box(value).write(out).expect("ok"))
                },
                reparse_digest,
            ),
            case(
                "sonic_rs::to_writer(Value)",
                Role::Peer,
                move |n| {
                    let value = sonic.get();
                    ser_loop(n, |out| {
                        sonic_rs::to_writer(out, black_box(value)).expect("ok")
                    })
                },
                reparse_digest,
            ),
        ],
    })
}

pub(super) fn typed_group() -> Option<Group> {
    let BenchFile { bytes, len, .. } = BenchFile::open("twitter.json")?;
    let value: Fixture<TwitterFull> =
        Fixture::new(move || serde_json::from_slice(bytes.get()).expect("valid"));
    let reused = Mutex::new(Vec::new());
    let check = |out: &Vec<u8>| {
        serde_json::from_slice::<TwitterFull>(out)
            .expect("valid output")
            .digest()
    };
    Some(Group {
        name: "json-ser-typed-twitter",
        area: "json",
        about: "serialize twitter.json's typed struct (every field) to compact JSON",
        throughput: Some(Throughput::Bytes(len)),
        notes: "Every case serializes the same struct with serde. Baseline and peers write into \
                a fresh Vec per op; perfkit_json::to_vec_into appends to a reused one. \
                Throughput counts the input file's bytes.",
        check_iters: CHECK_ITERS,
        cases: vec![
            case(
                "serde_json::to_vec",
                Role::Baseline,
                move |n| {
                    ser_loop(n, |out| {
                        serde_json::to_writer(out, black_box(value.get())).expect("ok")
                    })
                },
                check,
            ),
            case(
                "perfkit_json::to_vec_into",
                Role::Pattern,
                move |n| {
                    ser_loop_reused(n, &reused, |out| {
                        perfkit_json::to_vec_into(out, black_box(value.get())).expect("ok")
                    })
                },
                check,
            ),
            case(
                "simd_json::serde::to_writer",
                Role::Peer,
                move |n| {
                    ser_loop(n, |out| {
                        simd_json::serde::to_writer(out, black_box(value.get())).expect("ok")
                    })
                },
                check,
            ),
            case(
                "sonic_rs::to_writer",
                Role::Peer,
                move |n| {
                    ser_loop(n, |out| {
                        sonic_rs::to_writer(out, black_box(value.get())).expect("ok")
                    })
                },
                check,
            ),
        ],
    })
}
