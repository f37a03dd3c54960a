//! Area `profile`, group `allocator-choice`: the same service-like load on glibc's malloc
//! (`System`) and on mimalloc. A process runs on one allocator for its whole life, so each
//! case runs in a child process of the current binary started with `PERFKIT_ALLOCATOR` (see
//! `alloc.rs`); the child times the load and reports its time, its peak RSS and its RSS once
//! the load has ended and everything is freed (what `/debug/vars` shows as
//! `RetainedByAllocator`). `perfkit-bench allocators` prints those memory numbers.

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::measure::Sample;
use crate::registry::{Case, Group, Role};

/// The environment variable that makes a perfkit-bench binary a worker child.
pub(crate) const WORKER_ENV: &str = "PERFKIT_ALLOC_WORKER";

/// Requests in flight per thread: each keeps its buffers until it is this many requests old.
const IN_FLIGHT: usize = 64;

/// One request: a map of 40 buffers of 64 B to 16 KiB (headers, a body, parsed fields),
/// written, then kept while later requests run.
fn request(i: u64) -> Vec<Vec<u8>> {
    (0..40u64)
        .map(|j| {
            let size = 64 << ((i.wrapping_mul(31) + j * 7) % 9);
            let mut buf = Vec::with_capacity(size as usize);
            buf.resize(size as usize, (i + j) as u8);
            buf
        })
        .collect()
}

/// `rounds` requests in all, split over two threads, each request alive while the thread's
/// next 64 run. When both threads are done and have freed everything, `idle` runs while they
/// are still alive (as a service's threads are between bursts); its result comes back too.
fn load<R>(rounds: u64, idle: impl FnOnce() -> R) -> (u64, R) {
    let done = std::sync::Barrier::new(3);
    let release = std::sync::Barrier::new(3);
    std::thread::scope(|s| {
        let (done, release) = (&done, &release);
        let threads: Vec<_> = (0..2u64)
            .map(|t| {
                let rounds = rounds / 2 + u64::from(t < rounds % 2);
                s.spawn(move || {
                    let mut window: std::collections::VecDeque<Vec<Vec<u8>>> =
                        std::collections::VecDeque::with_capacity(IN_FLIGHT + 1);
                    let mut sum = 0u64;
                    for i in 0..rounds {
                        let r = request(i * 2 + t);
                        sum = sum.wrapping_add(r.iter().map(|b| b.len() as u64).sum::<u64>());
                        window.push_back(black_box(r));
                        if window.len() > IN_FLIGHT {
                            drop(window.pop_front());
                        }
                    }
                    drop(window);
                    done.wait();
                    release.wait();
                    sum
                })
            })
            .collect();
        done.wait();
        let idled = idle();
        release.wait();
        let sum = threads
            .into_iter()
            .map(|t| t.join().expect("a load thread"))
            .fold(0, u64::wrapping_add);
        (sum, idled)
    })
}

/// What a worker child measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct WorkerReport {
    /// The load's wall time.
    pub elapsed: Duration,
    /// The checksum of the work.
    pub answer: u64,
    /// Peak resident set size (`VmHWM`), bytes.
    pub peak_rss: u64,
    /// Resident set size after the load ended and freed everything, bytes.
    pub rss_after: u64,
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The child's side: when `PERFKIT_ALLOC_WORKER=<rounds>` is set, run the load, print the
/// report on stdout and exit. Called first thing by every binary of the suite.
///
/// # Panics
/// If the variable does not hold a number.
pub fn run_worker_if_asked() {
    let Some(rounds) = std::env::var_os(WORKER_ENV) else {
        return;
    };
    let rounds: u64 = rounds
        .to_str()
        .and_then(|r| r.parse().ok())
        .expect("PERFKIT_ALLOC_WORKER holds a round count");
    let start = Instant::now();
    let (answer, (elapsed, rss_after)) = load(rounds, || {
        let elapsed = start.elapsed();
        // Idle for a moment, threads alive, everything freed: what the allocator keeps.
        std::thread::sleep(Duration::from_millis(100));
        (elapsed, status_kib("VmRSS:") * 1024)
    });
    println!(
        "{} {} {} {}",
        elapsed.as_nanos(),
        answer,
        status_kib("VmHWM:") * 1024,
        rss_after
    );
    std::process::exit(0);
}

/// Run `rounds` of the load in a child process on `allocator`.
///
/// # Panics
/// If the child cannot be started or reports nothing readable.
#[must_use]
pub fn run_child(allocator: &str, rounds: u64) -> WorkerReport {
    let exe = std::env::current_exe().expect("the current executable");
    let out = Command::new(exe)
        .env(WORKER_ENV, rounds.to_string())
        .env("PERFKIT_ALLOCATOR", allocator)
        .output()
        .expect("start an allocator worker");
    assert!(out.status.success(), "allocator worker failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<u64> = text
        .split_whitespace()
        .map(|f| f.parse().expect("a number from the worker"))
        .collect();
    let [nanos, answer, peak_rss, rss_after] = fields[..] else {
        panic!("allocator worker printed {text:?}");
    };
    WorkerReport {
        elapsed: Duration::from_nanos(nanos),
        answer,
        peak_rss,
        rss_after,
    }
}

fn case(name: &str, role: Role, allocator: &'static str) -> Case {
    Case::new(name, role, 2, move |iters| {
        let r = run_child(allocator, iters);
        Sample {
            elapsed: r.elapsed,
            alloc: crate::alloc::Tally::default(),
            answer: r.answer,
            waits: None,
        }
    })
}

pub(super) fn groups() -> Vec<Group> {
    vec![Group {
        name: "allocator-choice",
        area: "profile",
        about: "a request of 40 buffers (64 B-16 KiB), each kept while the next 64 requests run, on two threads",
        throughput: None,
        notes: "each case runs in a child process on its allocator (allocs/op are not counted there); `perfkit-bench allocators` prints peak RSS and RSS after the load",
        check_iters: 200,
        cases: vec![
            case("System (glibc malloc)", Role::Baseline, "system"),
            case("mimalloc", Role::Peer, "mimalloc"),
        ],
    }]
}
