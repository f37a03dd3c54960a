//! Area `pool`, group `workers`: run 10,000 tiny jobs and wait for them all, on a thread per
//! job (baseline) or a pool of workers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use perfkit_pool::WorkerPool;

use crate::measure;
use crate::registry::{Case, Group, Role, Throughput};

const JOBS: u64 = 10_000;
/// Pools get one worker per core of this machine (2 here), as is usual.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// The work of job `i`: a little arithmetic, added to a shared sum.
#[inline]
fn job(sum: &AtomicU64, i: u64) {
    sum.fetch_add(
        i.wrapping_mul(0x9E37_79B9).rotate_left(7) & 0xFFFF,
        Ordering::Relaxed,
    );
}

/// `iters` rounds of 10,000 jobs with `round`, which must run them all before returning; the
/// answer is the sum of every job's value.
fn case<S: Send + Sync + 'static>(
    name: &str,
    role: Role,
    state: S,
    round: fn(&S, &Arc<AtomicU64>),
) -> Case {
    Case::new(name, role, 1, move |iters| {
        let sum = Arc::new(AtomicU64::new(0));
        let mut sample = measure::single(iters, |n| {
            for _ in 0..n {
                round(&state, &sum);
            }
            0
        });
        sample.answer = sum.load(Ordering::Relaxed);
        sample
    })
}

pub(super) fn groups() -> Vec<Group> {
    let threads = workers();
    let cases = vec![
        case("thread::spawn per job", Role::Baseline, (), |(), sum| {
            let handles: Vec<_> = (0..JOBS)
                .map(|i| {
                    let sum = Arc::clone(sum);
                    std::thread::spawn(move || job(&sum, i))
                })
                .collect();
            for handle in handles {
                handle.join().expect("a job thread");
            }
        }),
        case(
            "WorkerPool::execute + join",
            Role::Pattern,
            WorkerPool::new(threads, 1024),
            |pool, sum| {
                for i in 0..JOBS {
                    let sum = Arc::clone(sum);
                    pool.execute(move || job(&sum, i));
                }
                pool.join();
            },
        ),
        case(
            "WorkerPool::scope",
            Role::Pattern,
            WorkerPool::new(threads, 1024),
            |pool, sum| {
                pool.scope(|s| {
                    for i in 0..JOBS {
                        s.execute(move || job(sum, i));
                    }
                });
            },
        ),
        case(
            "rayon::ThreadPool::scope",
            Role::Peer,
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a rayon pool"),
            |pool, sum| {
                pool.scope(|s| {
                    for i in 0..JOBS {
                        s.spawn(move |_| job(sum, i));
                    }
                });
            },
        ),
        case(
            "threadpool::ThreadPool",
            Role::Peer,
            std::sync::Mutex::new(threadpool::ThreadPool::new(threads)),
            |pool, sum| {
                let pool = pool.lock().expect("not poisoned");
                for i in 0..JOBS {
                    let sum = Arc::clone(sum);
                    pool.execute(move || job(&sum, i));
                }
                pool.join();
            },
        ),
    ];
    vec![Group {
        name: "workers",
        area: "pool",
        about: "run 10,000 tiny jobs and wait for all of them; time/op is per round of 10,000",
        throughput: Some(Throughput::Elements(JOBS)),
        notes: "Pools have one worker per core (2 here) and are built before timing; the \
                submitting thread is the bench thread. WorkerPool's queue holds 1,024 jobs \
                (execute blocks when full; scope runs queued jobs on the submitting thread \
                instead). thread::spawn per job spawns all 10,000 threads, then joins them. \
                rayon's allocations/op are not counted: ThreadPool::scope runs its closure on a \
                pool thread, so each spawn boxes its job there, and allocations are tallied per \
                thread of the bench (a shared tally would make every allocation contend).",
        check_iters: 2,
        cases,
    }]
}
