//! Typed parsing: the whole file into a struct that reads every field, or a few of them.

use std::fs::File;
use std::path::PathBuf;

use serde::de::DeserializeOwned;

use super::{BenchFile, CHECK_ITERS, case, parse_loop};
use crate::fixture::Fixture;
use crate::registry::{Case, Group, Role, Throughput};

/// The typed-parse cases for shape `T`.
fn typed_cases<T: DeserializeOwned + 'static>(
    path: PathBuf,
    input: Fixture<Vec<u8>>,
    digest: fn(&T) -> u64,
    with_reader: bool,
) -> Vec<Case> {
    let mut cases = vec![
        case(
            "serde_json::from_slice",
            Role::Baseline,
            move |n| {
                parse_loop(n, input.get(), |b| {
                    serde_json::from_slice::<T>(b).expect("valid")
                })
            },
            digest,
        ),
        case(
            "serde_json::from_reader(File)",
            Role::Baseline,
            move |n| {
                parse_loop(n, input.get(), |_| {
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
                parse_loop(n, input.get(), |b| {
                    perfkit_json::from_slice::<T>(b).expect("valid")
                })
            },
            digest,
        ),
        case(
            "simd_json (fresh copy)",
            Role::Peer,
            move |n| {
                parse_loop(n, input.get(), |b| {
                    simd_json::serde::from_slice::<T>(&mut b.to_vec()).expect("valid")
                })
            },
            digest,
        ),
        case(
            "sonic_rs::from_slice",
            Role::Peer,
            move |n| {
                parse_loop(n, input.get(), |b| {
                    sonic_rs::from_slice::<T>(b).expect("valid")
                })
            },
            digest,
        ),
    ];
    if !with_reader {
        cases.remove(1);
    }
    cases
}

pub(super) fn group<T: DeserializeOwned + 'static>(
    name: &'static str,
    about: &'static str,
    file_name: &str,
    digest: fn(&T) -> u64,
    with_reader: bool,
) -> Option<Group> {
    let BenchFile { path, bytes, len } = BenchFile::open(file_name)?;
    Some(Group {
        name,
        area: "json",
        about,
        throughput: Some(Throughput::Bytes(len)),
        notes: "One op parses the whole file into the shape, from memory, and drops the result. \
                from_reader(File) (in the every-field groups) opens the file and reads it \
                unbuffered, one read system call per byte, as the common mistake does; simd_json copies the input first (it parses in place), as a \
                caller that must keep its input has to; perfkit_json copies into a reused \
                per-thread buffer.",
        check_iters: CHECK_ITERS,
        cases: typed_cases(path, bytes, digest, with_reader),
    })
}
