//! Area `profile`: what perfkit-profile costs a service. The heap profiler on allocation-heavy
//! work (small-object churn, `serde_json::Value` parsing, one alloc/free pair) at rate 0, Go's
//! default 512 KiB and 64 KiB against plain `System`; the CPU profiler at 100 Hz on CPU-bound
//! work; perfkit's profiled lock against std's, uncontended and contended, with contention
//! profiling off and on.
//!
//! Every case is timed on the same counting allocator; the heap cases switch it to forward
//! to `HeapProfiler<System>` for their run (see `alloc::set_heap_profiling`). dhat, the peer
//! that would belong here, cannot share a binary with another global allocator (it must be
//! the global allocator itself), so it is not in these groups.

use std::hint::black_box;
use std::sync::Arc;

use perfkit_profile::CpuProfiler;

use crate::alloc::set_heap_profiling;
use crate::fixture::{Fixture, data_dir};
use crate::measure;
use crate::registry::{CHECK_ITERS, Case, Group, Role, Throughput};

/// How a heap case routes its allocations.
#[derive(Clone, Copy)]
enum Heap {
    System,
    Profiled(u64),
}

impl Heap {
    fn name(self, what: &str) -> String {
        match self {
            Heap::System => format!("{what}, System"),
            Heap::Profiled(0) => format!("{what}, HeapProfiler rate 0 (totals only)"),
            Heap::Profiled(perfkit_profile::DEFAULT_SAMPLE_RATE) => {
                format!("{what}, HeapProfiler 512 KiB (Go's default)")
            }
            Heap::Profiled(rate) => format!("{what}, HeapProfiler {} KiB", rate >> 10),
        }
    }

    fn role(self) -> Role {
        match self {
            Heap::System => Role::Baseline,
            Heap::Profiled(_) => Role::Pattern,
        }
    }

    /// Run `body` with allocations routed this way.
    fn route<R>(self, body: impl FnOnce() -> R) -> R {
        struct Off;
        impl Drop for Off {
            fn drop(&mut self) {
                set_heap_profiling(false);
                perfkit_profile::set_sample_rate(perfkit_profile::DEFAULT_SAMPLE_RATE);
            }
        }
        let _off = Off;
        if let Heap::Profiled(rate) = self {
            perfkit_profile::set_sample_rate(rate);
            set_heap_profiling(true);
        }
        body()
    }
}

const HEAPS: [Heap; 4] = [
    Heap::System,
    Heap::Profiled(0),
    Heap::Profiled(perfkit_profile::DEFAULT_SAMPLE_RATE),
    Heap::Profiled(64 << 10),
];

/// Blocks per churn operation.
const CHURN: u64 = 1_000;

/// One request's worth of small-object churn: 1,000 blocks of 16 to 271 bytes, each freed
/// after the next is made (as parsed fields and temporary strings are).
#[inline(never)]
fn churn() -> u64 {
    let mut keep: Option<Vec<u8>> = None;
    let mut sum = 0u64;
    for i in 0..CHURN {
        let size = 16 + (i * 37) % 256;
        let mut block = Vec::with_capacity(size as usize);
        block.push(i as u8);
        sum += block.capacity() as u64;
        drop(keep.replace(black_box(block)));
    }
    sum
}

/// A request's small-object churn, as a service makes it: eight formatted header pairs, a
/// path, a map of three query parameters and a response line, all dropped at the end (about
/// 30 allocations of 8 to 100 bytes, each written).
#[inline(never)]
fn request(i: u64) -> u64 {
    let headers: Vec<(String, String)> = (0..8)
        .map(|h| (format!("x-header-{h}"), format!("value-{i}-{h}")))
        .collect();
    let path = format!("/api/v1/users/{}/orders", i % 1000);
    let mut params = std::collections::HashMap::with_capacity(4);
    params.insert("limit".to_owned(), (i % 50).to_string());
    params.insert("offset".to_owned(), (i % 7).to_string());
    params.insert("sort".to_owned(), "created_at".to_owned());
    let response = format!("200 OK {} {} {}", path, headers.len(), params.len());
    black_box(&headers);
    (response.len()
        + path.len()
        + headers
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()) as u64
}

fn heap_case(heap: Heap, what: &str, op: impl Fn() -> u64 + Send + Sync + 'static) -> Case {
    Case::new(&heap.name(what), heap.role(), 1, move |iters| {
        heap.route(|| {
            measure::single(iters, |n| {
                (0..n).fold(0u64, |acc, _| acc.wrapping_add(op()))
            })
        })
    })
}

fn heap_groups() -> Vec<Group> {
    let mut groups = vec![
        Group {
            name: "heap-profiler-churn",
            area: "profile",
            about: "1,000 small allocations (16-271 B) and nothing else, each freed after the next",
            throughput: Some(Throughput::Elements(CHURN)),
            notes: "the worst case for heap profiling: allocation and free are all the work (18 GB/s of allocation on one core). A ratio below 1 is the slowdown",
            check_iters: 500,
            cases: HEAPS
                .iter()
                .map(|&h| heap_case(h, "churn", churn))
                .collect(),
        },
        Group {
            name: "heap-profiler-requests",
            area: "profile",
            about: "a request's small objects: 8 header pairs, a path, a 3-entry map, a response line",
            throughput: None,
            notes: "cost of heap profiling on service-like churn (~30 small allocations per request, each written): a ratio below 1 is the slowdown (target at the default rate: at least 0.91)",
            check_iters: 500,
            cases: HEAPS
                .iter()
                .map(|&h| {
                    Case::new(&h.name("request"), h.role(), 1, move |iters| {
                        h.route(|| {
                            measure::single(iters, |n| {
                                (0..n).fold(0u64, |acc, i| acc.wrapping_add(request(i % 4096)))
                            })
                        })
                    })
                })
                .collect(),
        },
        Group {
            name: "heap-profiler-pair",
            area: "profile",
            about: "one Box<u64> allocated and freed",
            throughput: Some(Throughput::Elements(1)),
            notes: "an unsampled alloc+free pair: the difference from System is the profiler's fast path (target: at most 5 ns)",
            check_iters: CHECK_ITERS,
            cases: HEAPS[..3]
                .iter()
                .map(|&h| {
                    heap_case(h, "Box::new + drop", || {
                        let b = black_box(Box::new(black_box(7u64)));
                        *b
                    })
                })
                .collect(),
        },
    ];
    let path = data_dir().join("json/twitter.json");
    if path.exists() {
        let bytes: Fixture<Vec<u8>> = Fixture::new(move || {
            std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        });
        let parse = move || {
            let v: serde_json::Value =
                serde_json::from_slice(black_box(bytes.get())).expect("twitter.json parses");
            v["statuses"].as_array().map_or(0, Vec::len) as u64
        };
        groups.push(Group {
            name: "heap-profiler-json",
            area: "profile",
            about: "parse twitter.json into serde_json::Value and drop it",
            throughput: None,
            notes: "cost of heap profiling on a parse that allocates ~20,000 times (target at the default rate: at least 0.95, 5% slower)",
            check_iters: 20,
            cases: HEAPS.iter().map(|&h| heap_case(h, "serde_json::Value", parse)).collect(),
        });
    }
    groups
}

/// CPU-bound work: a hash over 256 KiB (no allocation, no system call).
#[inline(never)]
fn hash_block(block: &[u64]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &w in block {
        h = (h ^ w).wrapping_mul(0x0100_0000_01b3).rotate_left(5);
    }
    h
}

fn cpu_group() -> Group {
    let block: Arc<Vec<u64>> = Arc::new((0..32 * 1024).map(|i| i * 0x9E37_79B9).collect());
    let case = |name: &str, role: Role, profiled: bool| {
        let block = Arc::clone(&block);
        Case::new(name, role, 1, move |iters| {
            // Started outside the timed region (it reads every loaded object's unwind tables);
            // its drain thread and its signals run inside it.
            let profiler = profiled.then(|| {
                CpuProfiler::start(perfkit_profile::DEFAULT_HZ).expect("no other CPU profile")
            });
            let sample = measure::single(iters, |n| {
                (0..n).fold(0u64, |acc, _| {
                    acc.wrapping_add(hash_block(black_box(&block)))
                })
            });
            drop(profiler);
            sample
        })
    };
    Group {
        name: "cpu-profiler",
        area: "profile",
        about: "hash 256 KiB (CPU only), with and without a CPU profile running",
        throughput: Some(Throughput::Bytes(256 * 1024)),
        notes: "cost of CPU profiling at 100 Hz: a ratio below 1 is the slowdown (target: at least 0.98, 2% slower)",
        check_iters: 200,
        cases: vec![
            case("no profiler", Role::Baseline, false),
            case("CpuProfiler at 100 Hz", Role::Pattern, true),
        ],
    }
}

/// How a lock case reports contention.
#[derive(Clone, Copy)]
enum Reporting {
    Off,
    /// Mutex profile fraction and block profile rate (ns).
    On(u64, u64),
}

fn with_reporting<R>(reporting: Reporting, body: impl FnOnce() -> R) -> R {
    struct Off;
    impl Drop for Off {
        fn drop(&mut self) {
            perfkit_profile::set_mutex_profile_fraction(0);
            perfkit_profile::set_block_profile_rate(0);
        }
    }
    let _off = Off;
    if let Reporting::On(fraction, rate) = reporting {
        perfkit_profile::set_mutex_profile_fraction(fraction);
        perfkit_profile::set_block_profile_rate(rate);
    }
    body()
}

/// Increments under a lock on `threads` threads: the answer is the final count.
fn lock_case<L: Send + Sync + 'static>(
    name: &str,
    role: Role,
    threads: usize,
    reporting: Reporting,
    make: fn() -> L,
    incr: fn(&L),
    read: fn(&L) -> u64,
) -> Case {
    Case::new(name, role, threads, move |iters| {
        with_reporting(reporting, || {
            let lock = make();
            let mut sample = measure::threads(threads, iters, |_, n| {
                for _ in 0..n {
                    incr(&lock);
                }
                0
            });
            sample.answer = read(&lock);
            sample
        })
    })
}

fn lock_groups() -> Vec<Group> {
    type Std = std::sync::Mutex<u64>;
    type Ours = perfkit_utils::lock::Mutex<u64>;
    let std_case = |threads| {
        lock_case::<Std>(
            "std::sync::Mutex",
            Role::Baseline,
            threads,
            Reporting::Off,
            || Std::new(0),
            |m| *m.lock().unwrap() += 1,
            |m| *m.lock().unwrap(),
        )
    };
    let ours = |name: &str, threads, reporting| {
        lock_case::<Ours>(
            name,
            Role::Pattern,
            threads,
            reporting,
            || Ours::new(0),
            |m| *m.lock().unwrap() += 1,
            |m| *m.lock().unwrap(),
        )
    };
    vec![
        Group {
            name: "lock-profiling-uncontended",
            area: "profile",
            about: "lock, increment, unlock on one thread",
            throughput: Some(Throughput::Elements(1)),
            notes: "the uncontended path of perfkit's profiled Mutex against std's (target: level)",
            check_iters: CHECK_ITERS,
            cases: vec![
                std_case(1),
                ours("perfkit Mutex, profiling off", 1, Reporting::Off),
                ours(
                    "perfkit Mutex, profiling every event",
                    1,
                    Reporting::On(1, 1),
                ),
            ],
        },
        Group {
            name: "lock-profiling-contended",
            area: "profile",
            about: "lock, increment, unlock on two threads at once (one lock)",
            throughput: Some(Throughput::Elements(1)),
            notes: "the contended path: profiling off costs a load; on, every contended lock and unlock is timed and sampled events capture a stack",
            check_iters: CHECK_ITERS,
            cases: vec![
                std_case(2),
                ours("perfkit Mutex, profiling off", 2, Reporting::Off),
                ours(
                    "perfkit Mutex, 1/100 mutex, block >= 10 us",
                    2,
                    Reporting::On(100, 10_000),
                ),
                ours(
                    "perfkit Mutex, profiling every event",
                    2,
                    Reporting::On(1, 1),
                ),
            ],
        },
    ]
}

pub(super) fn groups() -> Vec<Group> {
    let mut groups = heap_groups();
    groups.push(cpu_group());
    groups.extend(lock_groups());
    groups
}
