//! Timing loops shared by every case: one thread, or N scoped threads released together by a
//! barrier. Both count the allocations of the timed region on every thread involved.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::alloc::{Tally, thread_tally};

/// One timed run of a case: `iters` operations in all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// Wall time from the first thread's start to the last thread's end.
    pub elapsed: Duration,
    /// Allocations made by the timed region, summed over its threads.
    pub alloc: Tally,
    /// The case's result for this run, compared across cases to check they did the same work.
    pub answer: u64,
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
    }
}

/// Times `threads` threads that together do `iters` operations: thread `t` runs
/// `body(t, its_share)`. The threads are spawned first and released together by a barrier, so
/// spawning is not timed and every thread is busy for (nearly) the whole interval. The answer
/// is the wrapping sum of the threads' answers; callers usually replace it with the shared
/// state's final value.
///
/// # Panics
/// If `threads` is zero, or a thread panics.
pub fn threads<F>(threads: usize, iters: u64, body: F) -> Sample
where
    F: Fn(usize, u64) -> u64 + Sync,
{
    assert!(threads > 0, "a case needs at least one thread");
    let barrier = Barrier::new(threads);
    let runs: Vec<(Instant, Instant, u64, Tally)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let share = iters / threads as u64 + u64::from((t as u64) < iters % threads as u64);
                let (barrier, body) = (&barrier, &body);
                s.spawn(move || {
                    barrier.wait();
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
