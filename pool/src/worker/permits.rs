//! Slots of a bounded queue, counted apart from the queue so that a non-blocking submit can
//! hand the caller's job back unboxed when the queue is full.
//!
//! Invariant: `jobs in the queue <= used <= capacity`. Every submitter takes a permit before
//! pushing (a blocking submitter waits for one here, not in the queue), and a worker returns
//! it after popping. So a submitter holding a permit always finds room: the push never waits,
//! and `try_execute` never blocks. (A first version let blocking submitters take permits past
//! the capacity and wait in the queue instead; the loom model below caught one overtaking a
//! granted non-blocking submitter and filling its slot.)
//!
//! Waiting: `used` and the number of waiters share one atomic word, so a release (one
//! read-modify-write) either comes before a waiter registered, and the waiter's next try sees
//! the free permit, or after, and the release sees the waiter and wakes it; the re-check under
//! the lock means the wake-up cannot fall between a waiter's failed try and its sleep. (With
//! two separate counters this needs `SeqCst` store-load ordering, which loom cannot check:
//! it reported a lost wake-up.)

use crate::sync::{AtomicU64, ModelCondvar, ModelMutex, Ordering};

/// One waiter, in the upper half of `state`.
const WAITER: u64 = 1 << 32;
/// `used`, in the lower half.
const USED: u64 = WAITER - 1;

#[derive(Debug)]
pub(crate) struct Permits {
    /// `waiters << 32 | used`.
    state: AtomicU64,
    lock: ModelMutex<()>,
    freed: ModelCondvar,
    capacity: u64,
}

impl Permits {
    /// # Panics
    /// If `capacity` does not fit in 32 bits.
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = u64::try_from(capacity)
            .ok()
            .filter(|&c| c < USED)
            .expect("a queue capacity below 2^32");
        Self {
            state: AtomicU64::new(0),
            lock: ModelMutex::new(()),
            freed: ModelCondvar::new(),
            capacity,
        }
    }

    /// A permit if fewer than `capacity` are out.
    pub(crate) fn try_acquire(&self) -> bool {
        self.state
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |state| {
                (state & USED < self.capacity).then_some(state + 1)
            })
            .is_ok()
    }

    /// A permit, waiting for one if need be.
    pub(crate) fn acquire(&self) {
        if self.try_acquire() {
            return;
        }
        self.state.fetch_add(WAITER, Ordering::AcqRel);
        loop {
            if self.try_acquire() {
                break;
            }
            let lock = self
                .lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if self.try_acquire() {
                break;
            }
            drop(
                self.freed
                    .wait(lock)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
        }
        self.state.fetch_sub(WAITER, Ordering::AcqRel);
    }

    /// Returns a permit: after a job left the queue.
    pub(crate) fn release(&self) {
        if self.state.fetch_sub(1, Ordering::AcqRel) >= WAITER {
            let _lock = self
                .lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.freed.notify_one();
        }
    }

    /// Jobs queued or being submitted (approximate under concurrency).
    pub(crate) fn used(&self) -> usize {
        usize::try_from(self.state.load(Ordering::Relaxed) & USED).unwrap_or(usize::MAX)
    }
}

#[cfg(all(test, perfkit_loom))]
mod tests {
    use std::collections::VecDeque;

    use loom::sync::{Arc, Condvar, Mutex};
    use loom::thread;

    use super::Permits;

    /// A one-slot queue: the jobs, and how many submitters are done (pushed or gave up).
    #[derive(Default)]
    struct Queue {
        state: Mutex<(VecDeque<u32>, usize)>,
        changed: Condvar,
    }

    impl Queue {
        /// Pushes `job`, asserting the room the permit promised; marks the submitter done.
        fn push_with_permit(&self, job: Option<u32>) {
            let mut state = self.state.lock().unwrap();
            if let Some(job) = job {
                assert!(
                    state.0.is_empty(),
                    "a submitter holding a permit found the queue full"
                );
                state.0.push_back(job);
            }
            state.1 += 1;
            self.changed.notify_all();
        }
    }

    /// A non-blocking submitter, a blocking one and a worker on a queue of one slot: whoever
    /// holds a permit finds room, and the blocking one is woken when the slot frees.
    #[test]
    fn a_permit_always_finds_room() {
        loom::model(|| {
            let permits = Arc::new(Permits::new(1));
            let queue = Arc::new(Queue::default());
            let non_blocking = {
                let (permits, queue) = (permits.clone(), queue.clone());
                thread::spawn(move || {
                    let job = permits.try_acquire().then_some(1);
                    queue.push_with_permit(job);
                })
            };
            let blocking = {
                let (permits, queue) = (permits.clone(), queue.clone());
                thread::spawn(move || {
                    permits.acquire();
                    queue.push_with_permit(Some(2));
                })
            };
            // The worker: pop, then return the permit, until both submitters are done and the
            // queue is empty.
            loop {
                let mut state = queue.state.lock().unwrap();
                if state.0.pop_front().is_some() {
                    drop(state);
                    permits.release();
                    continue;
                }
                if state.1 == 2 {
                    break;
                }
                drop(queue.changed.wait(state).unwrap());
            }
            non_blocking.join().unwrap();
            blocking.join().unwrap();
            assert_eq!(permits.used(), 0);
        });
    }
}
