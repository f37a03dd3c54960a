//! Area `patterns`: the Go guide's general techniques, each a group of the naive version a
//! real person writes (baseline) against the technique (pattern), on the same data. Some wins
//! are large, some small or nil on this machine: the report says which.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use crossbeam_utils::CachePadded;

use crate::measure;
use crate::registry::{Case, Group, Role, Throughput};

fn single(name: &str, role: Role, op: impl Fn() -> u64 + Send + Sync + 'static) -> Case {
    Case::new(name, role, 1, move |iters| {
        measure::single(iters, |n| {
            (0..n).fold(0u64, |acc, _| acc.wrapping_add(op()))
        })
    })
}

fn group(
    name: &'static str,
    about: &'static str,
    throughput: Option<Throughput>,
    notes: &'static str,
    check_iters: u64,
    cases: Vec<Case>,
) -> Group {
    Group {
        name,
        area: "patterns",
        about,
        throughput,
        notes,
        check_iters,
        cases,
    }
}

// ---- string concatenation ----

/// 64 log fields of 4-12 bytes.
fn pieces() -> &'static [String] {
    static PIECES: OnceLock<Vec<String>> = OnceLock::new();
    PIECES.get_or_init(|| {
        (0..64)
            .map(|i| format!("k{i}={},", i * 37 % 1000))
            .collect()
    })
}

fn concat() -> Group {
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
            single("s = s + piece", Role::Baseline, || {
                let mut s = String::new();
                for p in black_box(pieces()) {
                    s = s + p;
                }
                s.len() as u64
            }),
            single("format!(\"{s}{piece}\")", Role::Baseline, || {
                let mut s = String::new();
                for p in black_box(pieces()) {
                    s = format!("{s}{p}");
                }
                s.len() as u64
            }),
            single("with_capacity + push_str", Role::Pattern, || {
                let pieces = black_box(pieces());
                let mut s = String::with_capacity(pieces.iter().map(String::len).sum());
                for p in pieces {
                    s.push_str(p);
                }
                s.len() as u64
            }),
            single("write! into a reused String", Role::Pattern, move || {
                let mut s = reused.lock().expect("not poisoned");
                s.clear();
                for p in black_box(pieces()) {
                    let _ = write!(s, "{p}");
                }
                s.len() as u64
            }),
        ],
    )
}

// ---- pre-allocation ----

const N: u64 = 1000;

fn prealloc_vec() -> Group {
    group(
        "prealloc-vec",
        "collect 1,000 u64s into a Vec pushed one by one",
        Some(Throughput::Elements(N)),
        "Vec::new grows by doubling: 10 reallocations (and copies) for 1,000 elements.",
        1000,
        vec![
            single("Vec::new + push", Role::Baseline, || {
                let mut v = Vec::new();
                for i in 0..black_box(N) {
                    v.push(i);
                }
                black_box(&v);
                v.len() as u64
            }),
            single("Vec::with_capacity + push", Role::Pattern, || {
                let n = black_box(N);
                let mut v = Vec::with_capacity(n as usize);
                for i in 0..n {
                    v.push(i);
                }
                black_box(&v);
                v.len() as u64
            }),
        ],
    )
}

fn prealloc_map() -> Group {
    group(
        "prealloc-map",
        "insert 1,000 u64 keys into a HashMap",
        Some(Throughput::Elements(N)),
        "HashMap::new rehashes every key at each growth (7 times for 1,000 keys); \
         with_capacity allocates the final table once. Same hasher (std's SipHash) in both.",
        100,
        vec![
            single("HashMap::new + insert", Role::Baseline, || {
                let mut m = HashMap::new();
                for i in 0..black_box(N) {
                    m.insert(i, i);
                }
                m.len() as u64
            }),
            single("HashMap::with_capacity + insert", Role::Pattern, || {
                let n = black_box(N);
                let mut m = HashMap::with_capacity(n as usize);
                for i in 0..n {
                    m.insert(i, i);
                }
                m.len() as u64
            }),
        ],
    )
}

// ---- reducing allocations ----

/// A CSV record of 12 fields, as a request would carry.
const RECORD: &str = "2026-11-27T04:02:03Z,GET,/api/v1/items/42,200,1532,0.004,eu-west,api-7,\
                      Mozilla/5.0,gzip,keep-alive,req-9f8e7d";

fn fields() -> Group {
    group(
        "fields",
        "split a 12-field CSV record and sum the field lengths",
        Some(Throughput::Elements(12)),
        "The baseline owns every field (a String each, plus the Vec); the pattern borrows \
         &str slices of the one input buffer, into a Vec reused across records.",
        1000,
        vec![
            single("Vec<String> of owned fields", Role::Baseline, || {
                let fields: Vec<String> = black_box(RECORD).split(',').map(str::to_owned).collect();
                fields.iter().map(|f| f.len() as u64).sum()
            }),
            single("Vec<&str> slices, per record", Role::Pattern, || {
                let fields: Vec<&str> = black_box(RECORD).split(',').collect();
                fields.iter().map(|f| f.len() as u64).sum()
            }),
            single("iterate slices, no Vec", Role::Pattern, || {
                black_box(RECORD).split(',').map(|f| f.len() as u64).sum()
            }),
        ],
    )
}

// ---- struct field layout ----

/// Fields in declaration order under `repr(C)`: padding after each small field.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Padded {
    flag: u8,
    id: u64,
    kind: u8,
    count: u32,
    level: u8,
}

/// The same fields, largest first, still `repr(C)`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Reordered {
    id: u64,
    count: u32,
    flag: u8,
    kind: u8,
    level: u8,
}

/// The same fields in Rust's default layout (the compiler reorders them itself).
#[derive(Clone, Copy, Default)]
struct RustLayout {
    flag: u8,
    id: u64,
    kind: u8,
    count: u32,
    level: u8,
}

const RECORDS: usize = 10_000_000;

macro_rules! scan_case {
    ($name:expr, $role:expr, $ty:ty) => {{
        fn data() -> &'static [$ty] {
            static DATA: OnceLock<Vec<$ty>> = OnceLock::new();
            DATA.get_or_init(|| {
                (0..RECORDS as u64)
                    .map(|i| {
                        <$ty>::from_parts(i as u8, i, (i >> 8) as u8, i as u32, (i >> 16) as u8)
                    })
                    .collect()
            })
        }
        single($name, $role, || {
            black_box(data()).iter().fold(0u64, |acc, r| {
                acc.wrapping_add(r.id ^ u64::from(r.count))
                    .wrapping_add(u64::from(r.flag ^ r.kind ^ r.level))
            })
        })
    }};
}

trait FromParts {
    fn from_parts(flag: u8, id: u64, kind: u8, count: u32, level: u8) -> Self;
}

macro_rules! from_parts {
    ($($ty:ty),*) => {$(
        impl FromParts for $ty {
            fn from_parts(flag: u8, id: u64, kind: u8, count: u32, level: u8) -> Self {
                Self { flag, id, kind, count, level }
            }
        }
    )*};
}
from_parts!(Padded, Reordered, RustLayout);

fn layout() -> Group {
    const NOTES: &str = "Sizes: repr(C) in declaration order 32 bytes, repr(C) largest first 16, \
                         Rust's default layout 16 (it reorders fields itself; repr(C) keeps your \
                         order for FFI, so order it by hand). The scan reads every field of 10 \
                         million records (320 or 160 MB), so it is memory-bound: half the bytes, \
                         about half the time.";
    group(
        "layout",
        "scan 10 million 5-field records, reading every field",
        Some(Throughput::Elements(RECORDS as u64)),
        NOTES,
        1,
        vec![
            scan_case!("repr(C), declaration order (32 B)", Role::Baseline, Padded),
            scan_case!("repr(C), largest first (16 B)", Role::Pattern, Reordered),
            scan_case!("Rust default layout (16 B)", Role::Pattern, RustLayout),
        ],
    )
}

// ---- false sharing ----

fn false_sharing() -> Group {
    fn case<C: Sync + Send + 'static>(
        name: &str,
        role: Role,
        cells: C,
        get: fn(&C, usize) -> &AtomicU64,
    ) -> Case {
        let cells = std::sync::Arc::new(cells);
        Case::new(name, role, 2, move |iters| {
            for t in 0..2 {
                get(&cells, t).store(0, Ordering::Relaxed);
            }
            let mut sample = measure::threads(2, iters, |t, n| {
                let cell = get(&cells, t);
                for _ in 0..n {
                    cell.fetch_add(1, Ordering::Relaxed);
                }
                0
            });
            sample.answer =
                get(&cells, 0).load(Ordering::Relaxed) + get(&cells, 1).load(Ordering::Relaxed);
            sample
        })
    }
    group(
        "false-sharing",
        "two threads, each incrementing its own counter; time/op is aggregate",
        Some(Throughput::Elements(1)),
        "The counters are separate variables: no data is shared, yet adjacent AtomicU64s sit \
         on one cache line, which both cores must own to write. CachePadded gives each counter \
         its own line (128 bytes on x86_64, for the adjacent-line prefetcher).",
        5_040,
        vec![
            case(
                "adjacent AtomicU64s",
                Role::Baseline,
                [AtomicU64::new(0), AtomicU64::new(0)],
                |c, t| &c[t],
            ),
            case(
                "CachePadded<AtomicU64>",
                Role::Pattern,
                [
                    CachePadded::new(AtomicU64::new(0)),
                    CachePadded::new(AtomicU64::new(0)),
                ],
                |c, t| &c[t],
            ),
        ],
    )
}

// ---- dynamic dispatch ----

trait Shape {
    fn area(&self) -> f64;
}

#[derive(Clone, Copy)]
struct Circle(f64);
#[derive(Clone, Copy)]
struct Rect(f64, f64);
#[derive(Clone, Copy)]
struct Tri(f64, f64);

impl Shape for Circle {
    fn area(&self) -> f64 {
        std::f64::consts::PI * self.0 * self.0
    }
}
impl Shape for Rect {
    fn area(&self) -> f64 {
        self.0 * self.1
    }
}
impl Shape for Tri {
    fn area(&self) -> f64 {
        0.5 * self.0 * self.1
    }
}

#[derive(Clone, Copy)]
enum AnyShape {
    Circle(Circle),
    Rect(Rect),
    Tri(Tri),
}

impl AnyShape {
    #[inline]
    fn area(&self) -> f64 {
        match self {
            Self::Circle(c) => c.area(),
            Self::Rect(r) => r.area(),
            Self::Tri(t) => t.area(),
        }
    }
}

const SHAPES: usize = 10_000;

fn shape(i: usize) -> AnyShape {
    let x = (i % 97) as f64 * 0.25;
    match i % 3 {
        0 => AnyShape::Circle(Circle(x)),
        1 => AnyShape::Rect(Rect(x, 2.0)),
        _ => AnyShape::Tri(Tri(x, 3.0)),
    }
}

fn dispatch() -> Group {
    let boxed: Vec<Box<dyn Shape + Send + Sync>> = (0..SHAPES)
        .map(|i| -> Box<dyn Shape + Send + Sync> {
            match shape(i) {
                AnyShape::Circle(c) => Box::new(c),
                AnyShape::Rect(r) => Box::new(r),
                AnyShape::Tri(t) => Box::new(t),
            }
        })
        .collect();
    let enums: Vec<AnyShape> = (0..SHAPES).map(shape).collect();
    // Generics: one Vec per concrete type, each summed by a monomorphised loop. (Summed in
    // the same interleaved order as the others would need the enum; so this case sums per
    // type and its answer is compared by value, rounded.)
    let circles: Vec<Circle> = enums
        .iter()
        .filter_map(|s| {
            if let AnyShape::Circle(c) = s {
                Some(*c)
            } else {
                None
            }
        })
        .collect();
    let rects: Vec<Rect> = enums
        .iter()
        .filter_map(|s| {
            if let AnyShape::Rect(r) = s {
                Some(*r)
            } else {
                None
            }
        })
        .collect();
    let tris: Vec<Tri> = enums
        .iter()
        .filter_map(|s| {
            if let AnyShape::Tri(t) = s {
                Some(*t)
            } else {
                None
            }
        })
        .collect();
    fn total<S: Shape>(shapes: &[S]) -> f64 {
        shapes.iter().map(Shape::area).sum()
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "areas are small and positive"
    )]
    fn rounded(x: f64) -> u64 {
        x.round() as u64
    }
    group(
        "dispatch",
        "sum the areas of 10,000 shapes of 3 kinds",
        Some(Throughput::Elements(SHAPES as u64)),
        "Box<dyn Shape>: a pointer chase and an indirect call per shape, nothing inlined. \
         enum: a match the compiler inlines. Generics: one monomorphised (and vectorisable) \
         loop per type, over values stored by type. Answers are the sum rounded to an integer \
         (the generic case adds in a different order).",
        100,
        vec![
            single("Vec<Box<dyn Shape>>", Role::Baseline, move || {
                rounded(black_box(&boxed).iter().map(|s| s.area()).sum())
            }),
            single("Vec<enum>", Role::Pattern, move || {
                rounded(black_box(&enums).iter().map(AnyShape::area).sum())
            }),
            single("generics, one Vec per type", Role::Pattern, move || {
                rounded(
                    total(black_box(&circles)) + total(black_box(&rects)) + total(black_box(&tris)),
                )
            }),
        ],
    )
}

// ---- inlining ----

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

fn inputs() -> &'static [u32] {
    static INPUTS: OnceLock<Vec<u32>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        (0..10_000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect()
    })
}

fn inlining() -> Group {
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
            single("#[inline(never)] fn", Role::Baseline, || {
                black_box(inputs())
                    .iter()
                    .map(|&x| u64::from(score_outlined(x)))
                    .sum()
            }),
            single("inlinable fn", Role::Pattern, || {
                black_box(inputs())
                    .iter()
                    .map(|&x| u64::from(score_inlined(x)))
                    .sum()
            }),
        ],
    )
}

// ---- bounds-check elimination ----

fn vectors() -> &'static (Vec<u64>, Vec<u64>) {
    static V: OnceLock<(Vec<u64>, Vec<u64>)> = OnceLock::new();
    V.get_or_init(|| {
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

fn bounds() -> Group {
    let case = |name: &str, role: Role, f: fn(&[u64], &[u64]) -> u64| {
        single(name, role, move || {
            let (a, b) = black_box(vectors());
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

fn bounds_scan() -> Group {
    let case = |name: &str, role: Role, f: fn(&[u64], &mut [u64]) -> u64| {
        let out = Mutex::new(vec![0u64; 10_000]);
        single(name, role, move || {
            let mut out = out.lock().expect("not poisoned");
            f(&black_box(vectors()).0, black_box(&mut out[..]))
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

// ---- lock per item vs per batch ("defer in hot loops") ----

fn lock_batch() -> Group {
    let per_item = Mutex::new(Vec::<u64>::with_capacity(1000));
    let per_batch = Mutex::new(Vec::<u64>::with_capacity(1000));
    group(
        "lock-batch",
        "append 1,000 items to a Mutex<Vec> (one thread)",
        Some(Throughput::Elements(1000)),
        "A guard per item is Go's `defer mu.Unlock()` inside the loop: a lock and an unlock \
         (two atomic read-modify-writes) per item. One guard around the batch pays them once. \
         Uncontended here; with contention the gap grows.",
        1000,
        vec![
            single("lock per item", Role::Baseline, move || {
                per_item.lock().expect("not poisoned").clear();
                for i in 0..black_box(1000u64) {
                    per_item.lock().expect("not poisoned").push(i);
                }
                per_item.lock().expect("not poisoned").len() as u64
            }),
            single("one lock per batch", Role::Pattern, move || {
                let mut items = per_batch.lock().expect("not poisoned");
                items.clear();
                for i in 0..black_box(1000u64) {
                    items.push(i);
                }
                items.len() as u64
            }),
        ],
    )
}

// ---- batching ----

fn batching() -> Group {
    const ITEMS: u64 = 10_000;
    const BATCH: usize = 64;
    let case = |name: &str, role: Role, batch: usize| {
        Case::new(name, role, 1, move |iters| {
            measure::single(iters, |n| {
                let (tx, rx) = crossbeam_channel::bounded::<Vec<u64>>(64);
                let (one_tx, one_rx) = crossbeam_channel::bounded::<u64>(64 * BATCH);
                std::thread::scope(|s| {
                    let consumer = s.spawn(move || {
                        if batch == 1 {
                            one_rx.iter().fold(0u64, u64::wrapping_add)
                        } else {
                            rx.iter()
                                .map(|b| b.iter().fold(0u64, |a, x| a.wrapping_add(*x)))
                                .fold(0u64, u64::wrapping_add)
                        }
                    });
                    for _ in 0..n {
                        if batch == 1 {
                            for i in 0..ITEMS {
                                one_tx.send(i).expect("the consumer is alive");
                            }
                        } else {
                            let mut buf = Vec::with_capacity(batch);
                            for i in 0..ITEMS {
                                buf.push(i);
                                if buf.len() == batch {
                                    tx.send(std::mem::replace(&mut buf, Vec::with_capacity(batch)))
                                        .expect("alive");
                                }
                            }
                            if !buf.is_empty() {
                                tx.send(buf).expect("alive");
                            }
                        }
                    }
                    drop((tx, one_tx));
                    consumer.join().expect("the consumer")
                })
            })
        })
    };
    group(
        "batching",
        "send 10,000 u64s to a consumer thread over a bounded channel",
        Some(Throughput::Elements(ITEMS)),
        "One send per item pays the channel's synchronisation (and, when the consumer sleeps, a \
         wake-up) per item; sending Vecs of 64 pays it once per 64 items, for one allocation \
         per batch. The consumer thread is spawned per sample (amortised over the sample).",
        3,
        vec![
            case("send per item", Role::Baseline, 1),
            case("send Vec of 64", Role::Pattern, BATCH),
        ],
    )
}

pub(super) fn groups() -> Vec<Group> {
    vec![
        concat(),
        prealloc_vec(),
        prealloc_map(),
        fields(),
        layout(),
        false_sharing(),
        dispatch(),
        inlining(),
        bounds(),
        bounds_scan(),
        lock_batch(),
        batching(),
    ]
}

#[cfg(test)]
mod tests {
    use super::{Padded, Reordered, RustLayout};

    /// The sizes the `layout` group's notes state.
    #[test]
    fn layout_sizes_are_as_documented() {
        assert_eq!(std::mem::size_of::<Padded>(), 32);
        assert_eq!(std::mem::size_of::<Reordered>(), 16);
        assert_eq!(std::mem::size_of::<RustLayout>(), 16);
    }
}
