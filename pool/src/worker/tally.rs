//! Counting jobs in and out without one counter that every job writes twice.
//!
//! A single `pending` counter, incremented by the submitter and decremented by the worker
//! that ran the job, moves one cache line between the two cores per job: measured, that
//! counter was a quarter of the worker pool's CPU time on 10,000 tiny jobs (the `workers`
//! group). Here the submitters count jobs *in* on one line, and each worker counts the jobs it
//! finished on a line of its own (threads that are not workers share a last one); "all done"
//! is the sum of the finished counters equal to the jobs counted in. Only a thread that waits
//! for that reads the other lines, and workers look for it only while someone waits.
//!
//! Why a sum read stripe by stripe is enough: every counter only grows, a job is counted in
//! before it is queued and counted out after it ran, and every access is `SeqCst` (one total
//! order; a `SeqCst` fence sits between each side's store and the load of the other's line,
//! which is what orders a store before a later load on every target, and what loom checks).
//! [`Tally::is_idle`] reads the finished (and refused) counters first and the counted-in total
//! last, at instant `t`: what it summed is at most what had finished by `t`,
//! which is at most what had been counted in by `t`, which is what it read last. Equal, so
//! every job counted in by `t` had finished by `t`. A waiter registers (`waiters`) before it
//! looks, a worker counts its job out before it looks for waiters: in the total order one of
//! the two sees the other, so the last job's worker cannot miss a waiter that missed its job
//! (`loom_models` below checks both arguments).

use crate::sync::{AtomicU64, AtomicUsize, CachePadded, Ordering, fence};

/// Jobs counted in, out, and the threads waiting for the two to meet.
pub(crate) struct Tally {
    /// Written by submitters only.
    counted_in: CachePadded<CountedIn>,
    /// Jobs finished (run or panicked), one counter per stripe, each written by one thread
    /// (the last shared by the threads that are not workers).
    finished: Box<[CachePadded<AtomicU64>]>,
    /// Threads in [`Waiting`]: read by every finishing job, written only by waiters.
    waiters: CachePadded<AtomicUsize>,
}

struct CountedIn {
    /// Jobs ever submitted, counted before they are queued.
    submitted: AtomicU64,
    /// Jobs submitted but refused by a full queue: they never run.
    refused: AtomicU64,
}

impl Tally {
    /// A tally with `stripes` finished counters (at least one).
    pub(crate) fn new(stripes: usize) -> Self {
        Self {
            counted_in: CachePadded::new(CountedIn {
                submitted: AtomicU64::new(0),
                refused: AtomicU64::new(0),
            }),
            finished: (0..stripes.max(1))
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
            waiters: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    /// Counts a job in; call before it can run.
    pub(crate) fn submit(&self) {
        self.counted_in.submitted.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts out a job that was counted in and then refused (it will never run); `true`
    /// when someone waits, who may need waking (see [`Self::is_idle`]).
    pub(crate) fn refuse(&self) -> bool {
        self.count_out(&self.counted_in.refused)
    }

    /// Counts out a job that ran, on stripe `stripe` (a worker's index; anything larger means
    /// the shared last stripe); `true` when someone waits, who may need waking.
    pub(crate) fn finish(&self, stripe: usize) -> bool {
        let last = self.finished.len() - 1;
        self.count_out(&self.finished[stripe.min(last)])
    }

    /// Adds one to `counter`, then reads whether someone waits.
    fn count_out(&self, counter: &AtomicU64) -> bool {
        counter.fetch_add(1, Ordering::SeqCst);
        // Store then load of another location: the fence (a no-op after a locked RMW on x86)
        // keeps them in order on every target, and under loom.
        fence(Ordering::SeqCst);
        self.waiters.load(Ordering::SeqCst) != 0
    }

    /// The finished and refused counts, then the submitted count: in that order (the module
    /// docs say why).
    fn read(&self) -> (u64, u64, u64) {
        let finished = self
            .finished
            .iter()
            .map(|stripe| stripe.load(Ordering::SeqCst))
            .sum();
        let refused = self.counted_in.refused.load(Ordering::SeqCst);
        (
            finished,
            refused,
            self.counted_in.submitted.load(Ordering::SeqCst),
        )
    }

    /// Whether every job counted in so far has been counted out.
    pub(crate) fn is_idle(&self) -> bool {
        let (finished, refused, submitted) = self.read();
        finished + refused == submitted
    }

    /// Jobs counted in and not out (queued, being submitted, or running): a snapshot.
    pub(crate) fn pending(&self) -> u64 {
        let (finished, refused, submitted) = self.read();
        submitted.saturating_sub(finished + refused)
    }

    /// Jobs finished so far.
    pub(crate) fn finished(&self) -> u64 {
        self.read().0
    }

    /// Registers the calling thread as waiting until it drops the guard: finishing jobs then
    /// report that someone waits. Register before the first [`Self::is_idle`] check.
    pub(crate) fn waiting(&self) -> Waiting<'_> {
        self.waiters.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        Waiting(self)
    }
}

/// A thread waiting on a [`Tally`]; see [`Tally::waiting`].
pub(crate) struct Waiting<'a>(&'a Tally);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiters.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(all(test, perfkit_loom))]
mod loom_models {
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicBool;

    use super::*;

    /// Two jobs on two workers while a third thread submits one more and a waiter polls: when
    /// the waiter sees idle, every job counted in before it looked has run.
    #[test]
    fn idle_means_every_job_counted_in_has_finished() {
        loom::model(|| {
            let tally = Arc::new(Tally::new(3));
            let ran: Arc<[AtomicBool; 3]> = Arc::new(Default::default());
            tally.submit();
            tally.submit();
            let workers: Vec<_> = (0..2)
                .map(|i| {
                    let (tally, ran) = (Arc::clone(&tally), Arc::clone(&ran));
                    loom::thread::spawn(move || {
                        ran[i].store(true, Ordering::SeqCst);
                        tally.finish(i);
                    })
                })
                .collect();
            let late = {
                let (tally, ran) = (Arc::clone(&tally), Arc::clone(&ran));
                loom::thread::spawn(move || {
                    tally.submit();
                    ran[2].store(true, Ordering::SeqCst);
                    tally.finish(usize::MAX); // a helper thread: the shared stripe
                })
            };
            if tally.is_idle() {
                assert!(ran[0].load(Ordering::SeqCst) && ran[1].load(Ordering::SeqCst));
            }
            for worker in workers {
                worker.join().unwrap();
            }
            late.join().unwrap();
            assert!(tally.is_idle());
            assert_eq!(tally.finished(), 3);
        });
    }

    /// The last job's worker and a waiter that just registered: either the waiter sees the
    /// job finished, or the worker sees the waiter (and would wake it).
    #[test]
    fn the_last_job_never_misses_a_waiter_that_missed_it() {
        loom::model(|| {
            let tally = Arc::new(Tally::new(2));
            tally.submit();
            tally.submit();
            tally.refuse();
            let saw_waiter = Arc::new(AtomicBool::new(false));
            let worker = {
                let (tally, saw_waiter) = (Arc::clone(&tally), Arc::clone(&saw_waiter));
                loom::thread::spawn(move || {
                    if tally.finish(0) && tally.is_idle() {
                        saw_waiter.store(true, Ordering::SeqCst);
                    }
                })
            };
            let waiting = tally.waiting();
            let saw_idle = tally.is_idle();
            worker.join().unwrap();
            assert!(
                saw_idle || saw_waiter.load(Ordering::SeqCst),
                "a lost wake-up"
            );
            drop(waiting);
        });
    }
}
