//! docs/PATTERNS.md, entry 18. Inlining: inlining.

use std::hint::black_box;

use super::{group, single};
use crate::fixture::Fixture;
use crate::registry::{Group, Role, Throughput};

/// A small hot function, kept out of line.
#[inline(never)]
fn score_outlined(x: u32) -> u32 {
    (x ^ (x >> 3)).wrapping_mul(0x9E37_79B9) >> 7
}

/// The same function, inlinable (the default for a small function in the same crate).
#[inline]
fn score_inlined(x: u32) -> u32 {
    (x ^ (x >> 3)).wrapping_mul(0x9E37_79B9) >> 7
}

pub(super) fn inlining() -> Group {
    let inputs: Fixture<Vec<u32>> = Fixture::new(|| {
        (0..10_000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect()
    });
    group(
        "inlining",
        "apply a 4-instruction function to 10,000 u32s and sum",
        Some(Throughput::Elements(10_000)),
        "#[inline(never)] costs a call per element and, worse, stops the loop from being \
         vectorised. Rust inlines small functions within a crate by default and across crates \
         for generic or #[inline] functions; the baseline is what an #[inline(never)] (or a \
         non-inlinable call through a function pointer or another crate without LTO) costs.",
        1000,
        vec![
            single("#[inline(never)] fn", Role::Baseline, move || {
                black_box(inputs.get())
                    .iter()
                    .map(|&x| u64::from(score_outlined(x)))
                    .sum()
            }),
            single("inlinable fn", Role::Pattern, move || {
                black_box(inputs.get())
                    .iter()
                    .map(|&x| u64::from(score_inlined(x)))
                    .sum()
            }),
        ],
    )
}
