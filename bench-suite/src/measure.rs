//! Timing loops shared by every case: one thread, or N scoped threads released together by a
//! barrier. Both count the allocations of the timed region on every thread involved.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::alloc::{Tally, thread_tally};

/// One timed run of a case: `iters` operations in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// Wall time from the first thread's start to the last thread's end.
    pub elapsed: Duration,
    /// Allocations made by the timed region, summed over its threads.
    pub alloc: Tally,
    /// The case's result for this run, compared across cases to check they did the same work.
    pub answer: u64,
    /// How long each operation waited, for cases that record it (connection checkouts).
    pub waits: Option<Box<crate::waits::Waits>>,
}

/// Times `body(iters)` on the calling thread. `body` returns its answer.
pub fn single(iters: u64, body: impl FnOnce(u64) -> u64) -> Sample {
    let before = thread_tally();
    let start = Instant::now();
    let answer = body(iters);
    let elapsed = start.elapsed();
    Sample {
        elapsed,
        alloc: thread_tally() - before,
        answer,
        waits: None,
    }
}

/// Times `threads` threads that together do `iters` operations: thread `t` runs
/// `body(t, its_share)`. The threads are spawned first and released together by a spinning
/// barrier, so spawning is not timed and every thread is running, not waking up, when the
/// clock starts. (With a sleeping barrier, an idle virtual CPU can take milliseconds to wake:
/// the first thread then does much of its share alone and a contended case looks uncontended.)
/// The answer is the wrapping sum of the threads' answers; callers usually replace it with the
/// shared state's final value.
///
/// # Panics
/// If `threads` is zero, or a thread panics.
pub fn threads<F>(threads: usize, iters: u64, body: F) -> Sample
where
    F: Fn(usize, u64) -> u64 + Sync,
{
    assert!(threads > 0, "a case needs at least one thread");
    let arrived = AtomicUsize::new(0);
    let runs: Vec<(Instant, Instant, u64, Tally)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let share = iters / threads as u64 + u64::from((t as u64) < iters % threads as u64);
                let (arrived, body) = (&arrived, &body);
                s.spawn(move || {
                    spin_barrier(arrived, threads);
                    let before = thread_tally();
                    let start = Instant::now();
                    let answer = body(t, share);
                    let end = Instant::now();
                    (start, end, answer, thread_tally() - before)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a benchmark thread panicked"))
            .collect()
    });
    let first = runs.iter().map(|r| r.0).min().expect("at least one thread");
    let last = runs.iter().map(|r| r.1).max().expect("at least one thread");
    let mut sample = Sample {
        elapsed: last - first,
        ..Sample::default()
    };
    for (_, _, answer, tally) in runs {
        sample.answer = sample.answer.wrapping_add(answer);
        sample.alloc.allocs += tally.allocs;
        sample.alloc.bytes += tally.bytes;
    }
    sample
}

/// Waits, spinning, until `threads` threads have arrived. Yields now and then so that, with
/// more threads than cores, the threads not yet scheduled get a core to arrive on.
fn spin_barrier(arrived: &AtomicUsize, threads: usize) {
    arrived.fetch_add(1, Ordering::AcqRel);
    let mut spins = 0u32;
    while arrived.load(Ordering::Acquire) < threads {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(1024) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}
