use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::Duration;

use super::WorkerPool;
use super::inner::Job;
use crate::panic::{AbortOnUnwind, drop_payload};
use crate::sync::{Arc, AtomicUsize, Condvar, Mutex, Ordering};

/// Jobs of one [`WorkerPool::scope`] call; they may borrow from outside the scope.
pub struct Scope<'scope, 'env: 'scope> {
    pool: &'scope WorkerPool,
    state: Arc<State>,
    /// Invariant in both lifetimes, as `std::thread::Scope`.
    _scope: PhantomData<&'scope mut &'scope ()>,
    _env: PhantomData<&'env mut &'env ()>,
}

#[derive(Default)]
struct State {
    pending: AtomicUsize,
    lock: Mutex<()>,
    done: Condvar,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

impl<'scope> Scope<'scope, '_> {
    /// Queues `job` on the pool; it may borrow anything that outlives the scope. While the
    /// queue is full, the calling thread runs queued jobs itself instead of blocking (so scopes
    /// nested inside jobs cannot deadlock the pool).
    pub fn execute<F: FnOnce() + Send + 'scope>(&'scope self, job: F) {
        self.state.pending.fetch_add(1, Ordering::Relaxed);
        let state = Arc::clone(&self.state);
        let job = move || {
            // Counts the job as done on every path, after the closure and its captures are gone.
            let done = Done(state);
            if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
                let mut first = done
                    .0
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
        // this scope has finished, since (1) each job decrements `pending` as its last act, in
        // the drop guard `Done`, after the user's closure and its captures are gone (consumed
        // by the call, or dropped by the unwind that `catch_unwind` stops), on every path,
        // panic payloads that panic when dropped included; (2) `run` waits for `pending` to
        // reach zero on every path, including when the scope's closure panics, and aborts the
        // process if anything unwinds out of that wait (`AbortOnUnwind`); and (3) the pool
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
    let scope = Scope {
        pool,
        state: Arc::new(State::default()),
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

/// Marks one job of a scope as done when dropped: the scope's wait ends at zero.
struct Done(Arc<State>);

impl Drop for Done {
    fn drop(&mut self) {
        if self.0.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _lock = self
                .0
                .lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.0.done.notify_all();
        }
    }
}

/// Waits for every job of the scope, running queued jobs meanwhile.
fn wait(pool: &WorkerPool, state: &State) {
    while state.pending.load(Ordering::Acquire) != 0 {
        if pool.inner().help() {
            continue;
        }
        let lock = state
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.pending.load(Ordering::Acquire) == 0 {
            break;
        }
        // Bounded: a job queued meanwhile (a nested scope's) is run on the next round.
        let _ = state.done.wait_timeout(lock, Duration::from_millis(1));
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("pending", &self.state.pending.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
