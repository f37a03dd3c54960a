//! What the workers share: the queue's receiving end, the tally of jobs `join` waits on, the
//! panic record; and running one job with its accounting in drop guards.

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crossbeam_channel::Receiver;

use crate::panic::drop_payload;
use crate::sync::{Arc, AtomicU64, Condvar, Mutex, Ordering};

pub(crate) use super::job::Job;
use super::scope::State as ScopeState;
pub(crate) use super::tally::Tally;

/// Panic payloads kept for [`WorkerPool::take_panics`] and [`WorkerPool::join`]; later ones
/// are only counted, so a job that panics in a loop cannot grow memory without bound.
pub(super) const KEPT_PANICS: usize = 16;

pub(crate) struct Inner {
    pub(super) receiver: Receiver<Job>,
    /// Jobs counted in (before they are queued) and out (run, or refused by a full queue):
    /// `join` waits for the two to meet. One finished counter per worker and one for the other
    /// threads that run jobs (a waiting `join`, a scope).
    pub(super) tally: Tally,
    /// `join` sleeps here; signalled (under `idle_lock`) when the tally becomes idle.
    pub(super) idle_lock: Mutex<()>,
    pub(super) idle: Condvar,
    pub(super) panicked: AtomicU64,
    pub(super) panics: Mutex<Vec<Box<dyn Any + Send>>>,
    /// Spare scope states: a scope takes one and gives it back; none is freed before the
    /// pool (see `scope::State`). As many as scopes ever ran at once.
    pub(super) scopes: Mutex<Vec<Arc<ScopeState>>>,
}

thread_local! {
    /// The address of the pool whose job this thread runs right now (0 when none): lets
    /// `join` see that it was called from inside one of the pool's own jobs.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
    /// The index of the worker this thread is (`usize::MAX` on other threads): the stripe of
    /// the tallies it counts finished jobs on.
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The calling thread's tally stripe (see `STRIPE`).
pub(super) fn stripe() -> usize {
    STRIPE.with(Cell::get)
}

/// Marks the calling thread as worker `index` of its pool.
pub(super) fn set_stripe(index: usize) {
    STRIPE.set(index);
}

impl Inner {
    /// Runs a job taken from the queue, catching its panic and accounting for it. Nothing the
    /// job does escapes: the bookkeeping is in drop guards and a panic payload is dropped
    /// under `catch_unwind` (its own `Drop` may panic too).
    pub(super) fn run(&self, job: Job) {
        let _finished = Finished(self);
        let _running = Running::enter(self);
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| job.run())) {
            self.panicked.fetch_add(1, Ordering::Relaxed);
            let mut panics = self
                .panics
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if panics.len() < KEPT_PANICS {
                panics.push(payload);
            } else {
                drop(panics);
                drop_payload(payload);
            }
        }
    }

    /// Whether the calling thread is running one of this pool's jobs right now.
    pub(super) fn running_here(&self) -> bool {
        RUNNING.with(Cell::get) == std::ptr::from_ref(self) as usize
    }

    /// Runs one queued job on the calling thread, if there is one.
    pub(crate) fn help(&self) -> bool {
        match self.receiver.try_recv() {
            Ok(job) => {
                self.run(job);
                true
            }
            Err(_) => false,
        }
    }
}

/// Counts a job as finished when dropped, whatever happened inside it.
struct Finished<'a>(&'a Inner);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        if self.0.tally.finish(stripe()) {
            self.0.wake_if_idle();
        }
    }
}

impl Inner {
    /// Counts out a job the full queue refused.
    pub(super) fn refused(&self) {
        if self.tally.refuse() {
            self.wake_if_idle();
        }
    }

    /// Wakes the threads in `join` if no job is left: called after counting a job out while
    /// someone waits.
    fn wake_if_idle(&self) {
        // A queued job is a job not finished: no need to sum the stripes.
        if self.receiver.is_empty() && self.tally.is_idle() {
            // Take the lock so that a `join` between its check and its wait cannot miss this.
            let _idle = self
                .idle_lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.idle.notify_all();
        }
    }
}

/// Marks the thread as running a job of one pool, restoring the previous mark when dropped
/// (a job may run another pool's jobs, or help its own scope).
struct Running(usize);

impl Running {
    fn enter(inner: &Inner) -> Self {
        Self(RUNNING.replace(std::ptr::from_ref(inner) as usize))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.set(self.0);
    }
}
