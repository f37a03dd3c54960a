use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::Duration;

use super::WorkerPool;
use super::inner::{Job, Tally, stripe};
use crate::panic::{AbortOnUnwind, drop_payload};
use crate::sync::{Arc, Condvar, Mutex};

/// Jobs of one [`WorkerPool::scope`] call; they may borrow from outside the scope.
pub struct Scope<'scope, 'env: 'scope> {
    pool: &'scope WorkerPool,
    /// Taken from the pool's spare states and given back after the wait.
    state: Arc<State>,
    /// Invariant in both lifetimes, as `std::thread::Scope`.
    _scope: PhantomData<&'scope mut &'scope ()>,
    _env: PhantomData<&'env mut &'env ()>,
}

/// What a scope's jobs report to. A state is never freed while its pool lives: when the scope
/// ends it goes back to the pool's spares (`Inner::scopes`) for the next scope, so that a job
/// needs no reference count of its own (an `Arc` clone per job, incremented by the submitter
/// and decremented by a worker, was the most expensive instruction of a scope's submit loop).
/// The worker that counts a job out may still look at the state afterwards (is anyone waiting?
/// is the scope idle? wake it): the state is still there, perhaps already another scope's, and
/// the worst such a late look can do is wake that scope's waiter for nothing.
pub(super) struct State {
    /// The scope's jobs counted in and out, a stripe per worker of the pool (see `Tally`);
    /// never reset: a reused state goes on counting, and idle means the two totals meet.
    tally: Tally,
    lock: Mutex<()>,
    done: Condvar,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

impl<'scope> Scope<'scope, '_> {
    /// Queues `job` on the pool; it may borrow anything that outlives the scope. While the
    /// queue is full, the calling thread runs queued jobs itself instead of blocking (so scopes
    /// nested inside jobs cannot deadlock the pool).
    pub fn execute<F: FnOnce() + Send + 'scope>(&'scope self, job: F) {
        self.state.tally.submit();
        let state = StateRef(Arc::as_ptr(&self.state));
        let job = move || {
            // Counts the job as done on every path, after the closure and its captures are gone.
            let done = Done(state);
            if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
                let mut first = done
                    .0
                    .get()
                    .panic
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if first.is_none() {
                    *first = Some(payload);
                } else {
                    drop(first);
                    drop_payload(payload); // its `Drop` may panic: never past `done`
                }
            }
        };
        // The job may borrow data that lives for 'scope, but the pool's queue holds jobs of
        // any lifetime. Erasing it is sound because the job is run (or dropped) before
        // 'scope ends: `run` below does not return, and does not unwind, before every job of
        // this scope has finished, since (1) each job counts itself out as its last act, in
        // the drop guard `Done`, after the user's closure and its captures are gone (consumed
        // by the call, or dropped by the unwind that `catch_unwind` stops), on every path,
        // panic payloads that panic when dropped included; (2) `run` waits for the tally to
        // count every job out, on every path, including when the scope's closure panics
        // (`Tally` says why its idle means done), and aborts the process if anything unwinds
        // out of that wait (`AbortOnUnwind`); and (3) the pool
        // outlives the scope (`&'scope WorkerPool`), so a queued job is always run by a worker
        // or by a waiting thread, never dropped unrun.
        // SAFETY: by (1)-(3) above, nothing the job borrows is used after 'scope ends.
        let mut job = unsafe { Job::new_scoped(job) };
        let inner = self.pool.inner();
        while let Err(refused) = self.pool.try_send(job) {
            job = refused;
            if !inner.help() {
                // Full, but nothing to take: a worker is mid-pop.
                std::thread::yield_now();
            }
        }
    }
}

/// `WorkerPool::scope`.
pub(super) fn run<'env, F, R>(pool: &WorkerPool, f: F) -> R
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> R,
{
    let state = pool
        .inner()
        .scopes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .pop()
        .unwrap_or_else(|| {
            Arc::new(State {
                tally: Tally::new(pool.threads() + 1),
                lock: Mutex::new(()),
                done: Condvar::new(),
                panic: Mutex::new(None),
            })
        });
    let scope = Scope {
        pool,
        state,
        _scope: PhantomData,
        _env: PhantomData,
    };
    let result = catch_unwind(AssertUnwindSafe(|| f(&scope)));
    // Jobs may still run and borrow the caller's stack: leaving this frame by unwinding before
    // they are done would be unsound, so an unwind out of the wait aborts instead.
    let guard = AbortOnUnwind("a worker pool scope's wait unwound while its jobs still ran");
    wait(pool, &scope.state);
    guard.disarm();
    let job_panic = scope
        .state
        .panic
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    // Clean again (every job counted out, no panic kept): the next scope's.
    pool.inner()
        .scopes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Arc::clone(&scope.state));
    match (result, job_panic) {
        (Err(payload), job_panic) => {
            if let Some(job_panic) = job_panic {
                drop_payload(job_panic);
            }
            resume_unwind(payload)
        }
        (Ok(_), Some(payload)) => resume_unwind(payload),
        (Ok(value), None) => value,
    }
}

/// A job's pointer to its scope's state.
#[derive(Clone, Copy)]
struct StateRef(*const State);

// SAFETY: it points to a `State` (which is `Sync`: atomics and locks) that lives as long as
// the pool whose job holds it (see `State`); it is only ever read through `&State`.
unsafe impl Send for StateRef {}

impl StateRef {
    fn get(&self) -> &State {
        // SAFETY: the state lives as long as the pool (it is never freed before the pool's
        // `Inner`, see `State`), and a job runs on one of the pool's workers (which keeps
        // `Inner` alive) or on a thread inside a call on the pool (which borrows it).
        unsafe { &*self.0 }
    }
}

/// Marks one job of a scope as done when dropped: the scope's wait ends when all are.
struct Done(StateRef);

impl Drop for Done {
    fn drop(&mut self) {
        let state = self.0.get();
        if state.tally.finish(stripe()) && state.tally.is_idle() {
            let _lock = state
                .lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.done.notify_all();
        }
    }
}

/// Waits for every job of the scope, running queued jobs meanwhile.
fn wait(pool: &WorkerPool, state: &State) {
    // Registered before the first look: the scope's last job then wakes this thread.
    let _waiting = state.tally.waiting();
    while !state.tally.is_idle() {
        if pool.inner().help() {
            continue;
        }
        let lock = state
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.tally.is_idle() {
            break;
        }
        // Bounded: a job queued meanwhile (a nested scope's) is run on the next round.
        let _ = state.done.wait_timeout(lock, Duration::from_millis(1));
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("pending", &self.state.tally.pending())
            .finish_non_exhaustive()
    }
}
