//! `WorkerPool`: every job runs, the queue bounds submitters (blocking or handing the job
//! back), panics are contained and reported, scopes wait for borrowed jobs, drop drains.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use perfkit_pool::WorkerPool;

mod common;

#[test]
fn every_job_runs_once_under_concurrent_submitters() {
    let pool = WorkerPool::new(3, 8);
    let sum = Arc::new(AtomicU64::new(0));
    let rejected = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let (pool, sum, rejected) = (&pool, &sum, &rejected);
            s.spawn(move || {
                for i in 0..2_000u64 {
                    let value = t * 1_000_000 + i;
                    let sum2 = Arc::clone(sum);
                    let job = move || {
                        sum2.fetch_add(value, Ordering::Relaxed);
                    };
                    if i % 2 == 0 {
                        pool.execute(job);
                    } else if let Err(full) = pool.try_execute(job) {
                        // Run it here instead: the job comes back whole.
                        rejected.fetch_add(1, Ordering::Relaxed);
                        full.into_inner()();
                    }
                }
            });
        }
    });
    pool.join();
    let expected: u64 = (0..4u64)
        .map(|t| (0..2_000u64).map(|i| t * 1_000_000 + i).sum::<u64>())
        .sum();
    assert_eq!(sum.load(Ordering::Relaxed), expected);
    let stats = pool.stats();
    assert_eq!(stats.executed + rejected.load(Ordering::Relaxed), 8_000);
    assert_eq!((stats.queued, stats.panicked, stats.threads), (0, 0, 3));
}

/// One worker held on a channel: the queue's capacity is exactly what fits.
#[test]
fn a_full_queue_blocks_execute_and_hands_back_try_execute() {
    let pool = WorkerPool::new(1, 2);
    let (release, wait) = mpsc::channel::<()>();
    let started = Arc::new(Barrier::new(2));
    let started2 = Arc::clone(&started);
    pool.execute(move || {
        started2.wait();
        wait.recv().unwrap();
    });
    started.wait(); // the worker is busy; the queue is empty
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..2 {
        let ran = Arc::clone(&ran);
        assert!(
            pool.try_execute(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .is_ok()
        );
    }
    let ran3 = Arc::clone(&ran);
    let back = pool
        .try_execute(move || {
            ran3.fetch_add(100, Ordering::SeqCst);
        })
        .unwrap_err();
    assert_eq!(back.to_string(), "the worker pool's queue is full");
    std::thread::scope(|s| {
        let blocked = s.spawn(|| {
            let ran = Arc::clone(&ran);
            pool.execute(move || {
                ran.fetch_add(10, Ordering::SeqCst);
            });
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !blocked.is_finished(),
            "execute returned while the queue was full"
        );
        release.send(()).unwrap();
        blocked.join().unwrap();
    });
    pool.join();
    assert_eq!(ran.load(Ordering::SeqCst), 12);
    back.into_inner()();
    assert_eq!(ran.load(Ordering::SeqCst), 112);
}

#[test]
fn a_panicking_job_does_not_kill_its_worker() {
    let pool = WorkerPool::new(1, 4);
    pool.execute(|| panic!("job 1 failed"));
    let after = Arc::new(AtomicUsize::new(0));
    let after2 = Arc::clone(&after);
    pool.execute(move || {
        after2.fetch_add(1, Ordering::SeqCst);
    });
    // join re-raises the first panic, after everything ran.
    let raised =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.join())).unwrap_err();
    assert_eq!(raised.downcast_ref::<&str>(), Some(&"job 1 failed"));
    assert_eq!(
        after.load(Ordering::SeqCst),
        1,
        "the worker went on after the panic"
    );
    pool.join(); // already reported: does not raise again
    pool.execute(|| panic!("job 3 failed"));
    std::thread::sleep(Duration::from_millis(20));
    pool.execute(|| {});
    let stats = pool.stats();
    let panics = loop {
        let panics = pool.take_panics();
        if !panics.is_empty() {
            break panics;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(panics.len(), 1);
    pool.join(); // taken: nothing to re-raise
    assert_eq!(pool.stats().panicked, 2);
    assert!(stats.executed >= 2);
}

#[test]
fn scope_runs_borrowed_jobs_and_waits_for_all() {
    let pool = WorkerPool::new(2, 4);
    let mut cells = vec![0u64; 64];
    let shared_input: Vec<u64> = (0..64).collect();
    let total = pool.scope(|s| {
        for (cell, x) in cells.iter_mut().zip(&shared_input) {
            s.execute(move || *cell = x * x);
        }
        "done"
    });
    assert_eq!(total, "done");
    assert_eq!(
        cells.iter().sum::<u64>(),
        (0..64u64).map(|x| x * x).sum::<u64>()
    );
}

#[test]
fn scope_reraises_a_job_panic_after_every_job_finished() {
    let pool = WorkerPool::new(2, 4);
    let finished = AtomicUsize::new(0);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.scope(|s| {
            s.execute(|| panic!("scoped job failed"));
            for _ in 0..10 {
                s.execute(|| {
                    std::thread::sleep(Duration::from_millis(2));
                    finished.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
    }));
    assert!(result.is_err());
    assert_eq!(
        finished.load(Ordering::SeqCst),
        10,
        "the scope returned before its jobs finished"
    );
    // A panic in the scope's own closure also waits for the jobs.
    let finished2 = AtomicUsize::new(0);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.scope(|s| {
            s.execute(|| {
                std::thread::sleep(Duration::from_millis(20));
                finished2.fetch_add(1, Ordering::SeqCst);
            });
            panic!("the scope body failed");
        });
    }));
    assert!(result.is_err());
    assert_eq!(finished2.load(Ordering::SeqCst), 1);
    assert_eq!(
        pool.stats().panicked,
        0,
        "scoped panics are the scope's, not the pool's"
    );
}

#[test]
fn nested_scopes_on_one_worker_do_not_deadlock() {
    let pool = WorkerPool::new(1, 1);
    let count = AtomicUsize::new(0);
    pool.scope(|outer| {
        for _ in 0..3 {
            outer.execute(|| {
                pool.scope(|inner| {
                    for _ in 0..3 {
                        inner.execute(|| {
                            count.fetch_add(1, Ordering::SeqCst);
                        });
                    }
                });
            });
        }
    });
    assert_eq!(count.load(Ordering::SeqCst), 9);
}

#[test]
fn drop_runs_queued_jobs_and_joins_the_workers() {
    let ran = Arc::new(AtomicUsize::new(0));
    {
        let pool = WorkerPool::builder()
            .threads(2)
            .queue_capacity(100)
            .thread_name("drain")
            .build();
        for _ in 0..100 {
            let ran = Arc::clone(&ran);
            pool.execute(move || {
                std::thread::sleep(Duration::from_micros(100));
                ran.fetch_add(1, Ordering::SeqCst);
            });
        }
    }
    assert_eq!(ran.load(Ordering::SeqCst), 100);
}

#[test]
fn builder_sets_names_and_stack_size() {
    let pool = WorkerPool::builder()
        .threads(2)
        .thread_name("api")
        .stack_size(256 << 10)
        .build();
    let (tx, rx) = mpsc::channel();
    for _ in 0..2 {
        let tx = tx.clone();
        pool.execute(move || {
            // A 100 KiB frame fits the 256 KiB stack.
            let buf = std::hint::black_box([1u8; 100 << 10]);
            tx.send((std::thread::current().name().map(str::to_owned), buf[0]))
                .unwrap();
        });
    }
    for _ in 0..2 {
        let (name, byte) = rx.recv().unwrap();
        assert!(name.unwrap().starts_with("api-"));
        assert_eq!(byte, 1);
    }
}

/// A panic payload whose `Drop` panics again, with another `Bomb`.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        std::panic::panic_any(Bomb);
    }
}

/// Runs `f` on its own thread and fails the test if it does not end within `secs`.
fn within<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("hung (or the thread died)")
}

#[test]
fn payloads_that_panic_when_dropped_lose_no_worker() {
    let (executed, panicked) = within(30, || {
        let pool = WorkerPool::new(2, 8);
        // More than the 16 payloads kept: the rest are dropped by the pool, and each drop
        // panics again.
        for _ in 0..40 {
            pool.execute(|| std::panic::panic_any(Bomb));
        }
        let ran = Arc::new(AtomicUsize::new(0));
        let ran2 = Arc::clone(&ran);
        pool.execute(move || {
            ran2.fetch_add(1, Ordering::SeqCst);
        });
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.join())) {
            // The first Bomb, re-raised: forget it, as its drop would panic here.
            Err(payload) => std::mem::forget(payload),
            Ok(()) => panic!("join did not re-raise the jobs' panic"),
        }
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        // The workers are alive: more jobs run.
        let ran2 = Arc::clone(&ran);
        pool.execute(move || {
            ran2.fetch_add(1, Ordering::SeqCst);
        });
        pool.join();
        assert_eq!(ran.load(Ordering::SeqCst), 2);
        let stats = pool.stats();
        (stats.executed, stats.panicked)
    });
    assert_eq!((executed, panicked), (42, 40));
}

#[test]
fn a_scope_waits_for_every_job_when_payloads_panic_when_dropped() {
    let finished = within(30, || {
        let pool = WorkerPool::new(2, 4);
        let mut done = [false; 40];
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.scope(|s| {
                for (i, slot) in done.iter_mut().enumerate() {
                    s.execute(move || {
                        std::thread::sleep(Duration::from_micros(200));
                        *slot = true;
                        if i % 2 == 0 {
                            std::panic::panic_any(Bomb);
                        }
                    });
                }
            });
        }));
        match outcome {
            Err(payload) => std::mem::forget(payload),
            Ok(()) => panic!("the scope did not re-raise the jobs' panic"),
        }
        done.iter().filter(|&&d| d).count()
    });
    assert_eq!(finished, 40, "the scope returned before its jobs finished");
}

#[test]
fn join_from_inside_a_job_panics_with_a_clear_message() {
    let message = within(30, || {
        let pool = Arc::new(WorkerPool::new(2, 8));
        let (tx, rx) = mpsc::channel();
        let inner = Arc::clone(&pool);
        pool.execute(move || {
            let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.join()))
                .expect_err("join inside a job must not wait for itself");
            let message = err
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            tx.send(message).unwrap();
        });
        let message = rx.recv().unwrap();
        pool.join(); // from outside, it works
        message
    });
    assert!(
        message.contains("from inside one of the pool's own jobs"),
        "{message}"
    );
}

#[test]
fn the_last_handle_dropped_inside_a_job_stops_the_pool_cleanly() {
    let ran = within(30, || {
        let pool = Arc::new(WorkerPool::new(2, 64));
        let ran = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        {
            let (pool2, ran2) = (Arc::clone(&pool), Arc::clone(&ran));
            pool.execute(move || {
                rx.recv().unwrap(); // wait until the test has let go of its handle
                ran2.fetch_add(1, Ordering::SeqCst);
                drop(pool2); // the last handle: the pool drops on its own worker
            });
        }
        for _ in 0..20 {
            let ran2 = Arc::clone(&ran);
            pool.execute(move || {
                ran2.fetch_add(1, Ordering::SeqCst);
            });
        }
        drop(pool);
        tx.send(()).unwrap();
        // Every queued job still runs; nothing panics with "Resource deadlock avoided".
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while ran.load(Ordering::SeqCst) < 21 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        ran.load(Ordering::SeqCst)
    });
    assert_eq!(ran, 21);
}

#[test]
fn stress_scopes_with_panicking_payloads_wait_for_every_job() {
    let rounds = common::stress(50);
    let pool = WorkerPool::new(2, 4);
    for round in 0..rounds {
        let mut done = [0u8; 16];
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.scope(|s| {
                for (i, slot) in done.iter_mut().enumerate() {
                    s.execute(move || {
                        *slot = 1;
                        if (i + round) % 3 == 0 {
                            // `resume_unwind`: no panic message per job.
                            std::panic::resume_unwind(Box::new(Bomb));
                        }
                    });
                }
            });
        }));
        if let Err(payload) = outcome {
            std::mem::forget(payload);
        }
        assert_eq!(done.iter().map(|&d| usize::from(d)).sum::<usize>(), 16);
    }
    assert_eq!(
        pool.stats().panicked,
        0,
        "scope jobs' panics go to the scope"
    );
}

#[test]
fn active_queued_and_panic_counts_as_threadpool_names_them() {
    let pool = WorkerPool::new(1, 8);
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    pool.execute(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
    });
    started_rx.recv().unwrap();
    pool.execute(|| {});
    pool.execute(|| panic!("counted"));
    assert_eq!(pool.active_count(), 1);
    assert_eq!(pool.queued_count(), 2);
    let stats = pool.stats();
    assert_eq!((stats.active, stats.queued), (1, 2));
    go_tx.send(()).unwrap();
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.join()));
    assert_eq!(
        (pool.active_count(), pool.queued_count(), pool.panic_count()),
        (0, 0, 1)
    );
}

#[test]
fn spawn_returns_each_job_result_or_its_panic() {
    let pool = WorkerPool::new(2, 4);
    let handles: Vec<_> = (0..20u64).map(|i| pool.spawn(move || i * i)).collect();
    let boom = pool.spawn(|| -> u64 { std::panic::panic_any(7u8) });
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, (0..20u64).map(|i| i * i).sum());
    let payload = boom.join().unwrap_err();
    assert_eq!(payload.downcast_ref::<u8>(), Some(&7));
    // The panic went to the handle, not to the pool's join.
    pool.join();
    assert_eq!(pool.panic_count(), 0);
    // A dropped handle: the job still runs.
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = Arc::clone(&ran);
    drop(pool.spawn(move || ran2.fetch_add(1, Ordering::SeqCst)));
    pool.join();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[test]
fn wait_collects_every_panic_where_join_raises_the_first() {
    let pool = WorkerPool::new(2, 16);
    for i in 0..5u32 {
        pool.execute(move || std::panic::panic_any(i));
    }
    pool.wait();
    let mut seen: Vec<u32> = pool
        .take_panics()
        .into_iter()
        .map(|p| *p.downcast::<u32>().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 2, 3, 4]);
}

#[test]
fn start_and_stop_hooks_run_once_per_worker_and_may_panic() {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    {
        let (s, t) = (Arc::clone(&started), Arc::clone(&stopped));
        let pool = WorkerPool::builder()
            .threads(3)
            .on_thread_start(move || {
                if s.fetch_add(1, Ordering::SeqCst) == 0 {
                    std::panic::resume_unwind(Box::new("a start hook panics"));
                }
            })
            .on_thread_stop(move || {
                t.fetch_add(1, Ordering::SeqCst);
            })
            .build();
        let handles: Vec<_> = (0..30).map(|i| pool.spawn(move || i)).collect();
        assert_eq!(
            handles.into_iter().map(|h| h.join().unwrap()).sum::<i32>(),
            435
        );
    }
    assert_eq!(started.load(Ordering::SeqCst), 3);
    assert_eq!(
        stopped.load(Ordering::SeqCst),
        3,
        "every worker stopped, the panicked one too"
    );
}

#[test]
fn shutdown_timeout_waits_at_most_its_timeout_and_the_queue_still_runs() {
    let pool = WorkerPool::new(1, 8);
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..4 {
        let done = Arc::clone(&done);
        pool.execute(move || {
            std::thread::sleep(Duration::from_millis(40));
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    let start = std::time::Instant::now();
    assert!(!pool.shutdown_timeout(Duration::from_millis(10)));
    assert!(
        start.elapsed() < Duration::from_millis(150),
        "{:?}",
        start.elapsed()
    );
    // The detached worker finishes the queue by itself.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while done.load(Ordering::SeqCst) < 4 {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    let quick = WorkerPool::new(2, 8);
    quick.execute(|| {});
    assert!(quick.shutdown_timeout(Duration::from_secs(10)));
}

/// Scopes reuse the pool's spare states (a job holds no reference count of its own): many
/// scopes in a row and at once, from threads that are and are not workers, each see exactly
/// their own jobs, and `join` sees every job of the pool's own queue counted.
#[test]
fn scopes_one_after_another_and_at_once_each_wait_for_exactly_their_jobs() {
    within(60, || {
        let pool = Arc::new(WorkerPool::new(2, 8));
        let outer: Vec<_> = (0..4u64)
            .map(|t| {
                let pool = Arc::clone(&pool);
                std::thread::spawn(move || {
                    for round in 0..300u64 {
                        let mut parts = vec![0u64; 1 + (round % 37) as usize];
                        pool.scope(|s| {
                            for (i, part) in parts.iter_mut().enumerate() {
                                s.execute(move || *part = t * 1_000_000 + round * 100 + i as u64);
                            }
                        });
                        // Every job of this scope has finished by now, and only this scope's.
                        for (i, part) in parts.iter().enumerate() {
                            assert_eq!(*part, t * 1_000_000 + round * 100 + i as u64);
                        }
                    }
                })
            })
            .collect();
        // Meanwhile a scope inside a job (on a worker), and plain jobs joined at the end.
        let nested = Arc::new(AtomicU64::new(0));
        for _ in 0..50 {
            let (p, n) = (Arc::clone(&pool), Arc::clone(&nested));
            pool.execute(move || {
                let mut hits = [0u64; 4];
                p.scope(|s| {
                    for h in &mut hits {
                        s.execute(move || *h = 1);
                    }
                });
                n.fetch_add(hits.iter().sum(), Ordering::Relaxed);
            });
        }
        for t in outer {
            t.join().expect("a scope thread");
        }
        pool.join();
        assert_eq!(nested.load(Ordering::Relaxed), 200);
        assert_eq!(pool.stats().queued, 0);
        assert_eq!(pool.stats().active, 0);
    });
}
