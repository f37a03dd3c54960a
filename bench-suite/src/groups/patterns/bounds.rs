//! docs/PATTERNS.md, entry 19. Bounds-check elimination: bounds-check elimination.

use std::hint::black_box;
use std::sync::Mutex;

use super::{group, single};
use crate::fixture::Fixture;
use crate::registry::{Group, Role, Throughput};

/// Two 10,000-element vectors, built on first use.
fn vectors() -> Fixture<(Vec<u64>, Vec<u64>)> {
    Fixture::new(|| {
        (
            (0..10_000u64).collect(),
            (0..10_000u64).map(|i| i * 3 + 1).collect(),
        )
    })
}

/// Indexed loop over two slices: `b[i]` is checked on every iteration (nothing tells the
/// compiler `b` is as long as `a`).
#[inline(never)]
fn dot_indexed(a: &[u64], b: &[u64]) -> u64 {
    let mut sum = 0u64;
    for i in 0..a.len() {
        sum = sum.wrapping_add(a[i].wrapping_mul(b[i]));
    }
    sum
}

/// The same with the length hoisted: one check before the loop, none inside.
#[inline(never)]
fn dot_hoisted(a: &[u64], b: &[u64]) -> u64 {
    let n = a.len();
    let b = &b[..n];
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(a[i].wrapping_mul(b[i]));
    }
    sum
}

/// Iterators: no index, no check.
#[inline(never)]
fn dot_zip(a: &[u64], b: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .fold(0u64, |sum, (x, y)| sum.wrapping_add(x.wrapping_mul(*y)))
}

/// Fixed-size chunks: the compiler sees 4 in-bounds lanes per step.
#[inline(never)]
fn dot_chunks(a: &[u64], b: &[u64]) -> u64 {
    let mut lanes = [0u64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            lanes[k] = lanes[k].wrapping_add(x[k].wrapping_mul(y[k]));
        }
    }
    let tail = ra
        .iter()
        .zip(rb)
        .fold(0u64, |s, (x, y)| s.wrapping_add(x.wrapping_mul(*y)));
    lanes.iter().fold(tail, |s, l| s.wrapping_add(*l))
}

pub(super) fn bounds() -> Group {
    let vectors = vectors();
    let case = move |name: &str, role: Role, f: fn(&[u64], &[u64]) -> u64| {
        single(name, role, move || {
            let (a, b) = black_box(vectors.get());
            f(a, b)
        })
    };
    group(
        "bounds",
        "dot product of two 10,000-element u64 slices",
        Some(Throughput::Elements(10_000)),
        "A finding: LLVM already hoists both checks of this indexed loop (one compare before \
         it, none inside; see docs/PATTERNS.md) and vectorises it, so hoisting by hand or zip \
         changes nothing. chunks_exact(4) wins by giving four independent accumulators.",
        1000,
        vec![
            case("indexed a[i] * b[i]", Role::Baseline, dot_indexed),
            case("hoisted &b[..n]", Role::Pattern, dot_hoisted),
            case("iter().zip()", Role::Pattern, dot_zip),
            case("chunks_exact(4)", Role::Pattern, dot_chunks),
        ],
    )
}

/// Running sums of `a` into `out`, indexed: `out[i]` is checked on every iteration, and the
/// check cannot be hoisted, since the writes before a failing index must have happened.
#[inline(never)]
fn scan_indexed(a: &[u64], out: &mut [u64]) -> u64 {
    let mut acc = 0u64;
    for i in 0..a.len() {
        acc = acc.wrapping_add(a[i]);
        out[i] = acc;
    }
    acc
}

/// The same after `let out = &mut out[..n]`: one check before the loop.
#[inline(never)]
fn scan_hoisted(a: &[u64], out: &mut [u64]) -> u64 {
    let n = a.len();
    let out = &mut out[..n];
    let mut acc = 0u64;
    for i in 0..n {
        acc = acc.wrapping_add(a[i]);
        out[i] = acc;
    }
    acc
}

/// Iterators: no index.
#[inline(never)]
fn scan_zip(a: &[u64], out: &mut [u64]) -> u64 {
    let mut acc = 0u64;
    for (o, x) in out.iter_mut().zip(a) {
        acc = acc.wrapping_add(*x);
        *o = acc;
    }
    acc
}

pub(super) fn bounds_scan() -> Group {
    let vectors = vectors();
    let case = move |name: &str, role: Role, f: fn(&[u64], &mut [u64]) -> u64| {
        let out = Mutex::new(vec![0u64; 10_000]);
        single(name, role, move || {
            let mut out = out.lock().expect("not poisoned");
            f(&black_box(vectors.get()).0, black_box(&mut out[..]))
        })
    };
    group(
        "bounds-scan",
        "running sums of a 10,000-element u64 slice, written to an output slice",
        Some(Throughput::Elements(10_000)),
        "Here the indexed loop keeps a compare-and-branch on out[i] in every iteration (a \
         panic at i must come after the writes before it, so the check cannot move out of \
         the loop); slicing out to n first, or zip, removes it.",
        1000,
        vec![
            case("indexed out[i] = acc", Role::Baseline, scan_indexed),
            case("hoisted &mut out[..n]", Role::Pattern, scan_hoisted),
            case("iter_mut().zip()", Role::Pattern, scan_zip),
        ],
    )
}
