//! docs/PATTERNS.md, entry 12. String building: string concatenation.

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Mutex;

use super::{group, single};
use crate::fixture::Fixture;
use crate::registry::{Group, Role, Throughput};

pub(super) fn concat() -> Group {
    // 64 log fields of 4-12 bytes.
    let pieces: Fixture<Vec<String>> = Fixture::new(|| {
        (0..64)
            .map(|i| format!("k{i}={},", i * 37 % 1000))
            .collect()
    });
    let reused = Mutex::new(String::new());
    group(
        "concat",
        "build one ~480-byte line from 64 short pieces",
        Some(Throughput::Elements(64)),
        "`s = s + piece` moves and regrows the String (amortised doubling, like push_str \
         without a capacity); format! allocates a new String per piece. The patterns size \
         the String once, or reuse one across calls (write! into a cleared String).",
        1000,
        vec![
            single("s = s + piece", Role::Baseline, move || {
                let mut s = String::new();
                for p in black_box(pieces.get()) {
                    s = s + p;
                }
                s.len() as u64
            }),
            single("format!(\"{s}{piece}\")", Role::Baseline, move || {
                let mut s = String::new();
                for p in black_box(pieces.get()) {
                    s = format!("{s}{p}");
                }
                s.len() as u64
            }),
            single("with_capacity + push_str", Role::Pattern, move || {
                let pieces = black_box(pieces.get());
                let mut s = String::with_capacity(pieces.iter().map(String::len).sum());
                for p in pieces {
                    s.push_str(p);
                }
                s.len() as u64
            }),
            single("write! into a reused String", Role::Pattern, move || {
                let mut s = reused.lock().expect("not poisoned");
                s.clear();
                for p in black_box(pieces.get()) {
                    let _ = write!(s, "{p}");
                }
                s.len() as u64
            }),
        ],
    )
}
