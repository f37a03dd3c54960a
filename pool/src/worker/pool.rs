//! The worker pool handle: submitting jobs, waiting for them, scopes, stats, shutdown.

use std::any::Any;
use std::fmt;
use std::panic::resume_unwind;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::builder::WorkerPoolBuilder;
use super::inner::{Inner, Job};
use super::{Scope, TryExecuteError, WorkerStats, scope};
use crate::panic::drop_payload;
use crate::sync::{Arc, Ordering};

/// A fixed number of worker threads running jobs from a bounded queue.
///
/// - [`execute`](Self::execute) blocks while the queue is full (backpressure: a burst waits
///   instead of growing a queue or spawning threads without bound);
///   [`try_execute`](Self::try_execute) hands the job back instead.
/// - [`scope`](Self::scope) runs jobs that borrow from the caller's stack and returns when
///   all of them have run; the waiting thread runs queued jobs meanwhile.
/// - A panicking job does not kill its worker: the panic is caught, counted, and can be taken
///   with [`take_panics`](Self::take_panics) or re-raised by [`join`](Self::join).
/// - Dropping the pool runs the jobs already queued, then stops and joins the workers.
///
/// Locking: `execute` from inside a job of the same pool can deadlock when the queue is full
/// and every worker is waiting in `execute`; use `try_execute` (or `scope`) there. `join`
/// from inside one of the pool's own jobs panics at once (it would wait for itself); a job
/// that waits for other jobs uses `scope`. Dropping the last handle inside a job is fine: the
/// pool stops after the queued jobs, without joining the thread that dropped it.
///
/// Panics: nothing a job does (a panic, a panic payload whose own `Drop` panics) kills a
/// worker or loses a job's accounting; a scope never returns or unwinds while its jobs run.
///
/// # Examples
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use perfkit_pool::WorkerPool;
///
/// let pool = WorkerPool::new(2, 64);
/// let total = Arc::new(AtomicU64::new(0));
/// for i in 0..100 {
///     let total = Arc::clone(&total);
///     pool.execute(move || { total.fetch_add(i, Ordering::Relaxed); });
/// }
/// pool.join();
/// assert_eq!(total.load(Ordering::Relaxed), 4950);
///
/// // Borrowed data, no Arc: the scope waits for its jobs.
/// let mut parts = vec![0u64; 4];
/// pool.scope(|s| {
///     for (i, part) in parts.iter_mut().enumerate() {
///         s.execute(move || *part = (i as u64 + 1) * 10);
///     }
/// });
/// assert_eq!(parts, [10, 20, 30, 40]);
/// ```
pub struct WorkerPool {
    pub(super) inner: Arc<Inner>,
    /// `None` once dropping: closing the channel tells the workers to finish.
    pub(super) sender: Option<Sender<Job>>,
    pub(super) workers: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// `threads` workers and a queue of `queue_capacity` jobs.
    ///
    /// # Panics
    /// If either is 0, or a thread cannot be spawned.
    #[must_use]
    pub fn new(threads: usize, queue_capacity: usize) -> Self {
        Self::builder()
            .threads(threads)
            .queue_capacity(queue_capacity)
            .build()
    }

    /// A builder for the thread count, queue capacity, thread names and stack size.
    pub fn builder() -> WorkerPoolBuilder {
        WorkerPoolBuilder {
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            queue_capacity: 1024,
            name: "perfkit-worker".into(),
            stack_size: None,
            on_start: None,
            on_stop: None,
        }
    }

    /// Queues `job`, waiting while the queue is full.
    pub fn execute<F: FnOnce() + Send + 'static>(&self, job: F) {
        self.inner.tally.submit();
        // The receiver lives in `inner`, which `self` keeps alive: the channel is open.
        if self.sender().send(Job::new(job)).is_err() {
            unreachable!("the pool's queue is open while the pool lives");
        }
    }

    /// Queues `job` (waiting while the queue is full, as [`execute`](Self::execute)) and
    /// returns a handle to its result: `JobHandle::join` waits for it and returns what the job
    /// returned, or its panic (which then goes to the handle, not to the pool's
    /// [`join`](Self::join)), as `std::thread::JoinHandle` does.
    ///
    /// # Examples
    /// ```
    /// let pool = perfkit_pool::WorkerPool::new(2, 16);
    /// let sum = pool.spawn(|| (1..=10u64).sum::<u64>());
    /// let boom = pool.spawn(|| -> u64 { panic!("no") });
    /// assert_eq!(sum.join().unwrap(), 55);
    /// assert!(boom.join().is_err());
    /// ```
    pub fn spawn<T, F>(&self, job: F) -> JobHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.execute(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            // The handle may be gone: then so is the interest in the result.
            if let Err(unsent) = tx.send(result)
                && let Err(payload) = unsent.into_inner()
            {
                drop_payload(payload);
            }
        });
        JobHandle { result: rx }
    }

    /// Queues `job` if the queue has room; never waits.
    ///
    /// # Errors
    /// The job, unrun, when the queue is full.
    pub fn try_execute<F: FnOnce() + Send + 'static>(
        &self,
        job: F,
    ) -> Result<(), TryExecuteError<F>> {
        self.try_send(Job::new(job))
            // SAFETY: the job was made from an `F` just above.
            .map_err(|job| TryExecuteError(unsafe { job.into_inner::<F>() }))
    }

    /// Queues `job` if the queue has room; hands it back otherwise.
    pub(crate) fn try_send(&self, job: Job) -> Result<(), Job> {
        // Counted first: a worker may run it and count it done before `try_send` returns.
        self.inner.tally.submit();
        match self.sender().try_send(job) {
            Ok(()) => Ok(()),
            Err(crossbeam_channel::TrySendError::Full(job)) => {
                self.inner.refused();
                Err(job)
            }
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => {
                unreachable!("the pool's queue is open while the pool lives")
            }
        }
    }

    fn sender(&self) -> &Sender<Job> {
        self.sender.as_ref().expect("the sender lives until drop")
    }

    /// Waits until the queue is empty and no job is running; then, if a job panicked since
    /// the last `join` or [`take_panics`](Self::take_panics), re-raises the first such panic
    /// on this thread (the other kept payloads are dropped). Jobs queued concurrently by other
    /// threads are waited for too.
    ///
    /// # Panics
    /// Re-raises a job's panic, as above. Panics at once, with a message saying so, when
    /// called from inside one of this pool's own jobs: that job is pending itself, so the wait
    /// could never end. A job that must wait for other jobs uses [`scope`](Self::scope).
    pub fn join(&self) {
        self.refuse_inside_own_job("join");
        self.wait_pending(None);
        let mut panics = self.take_panics().into_iter();
        if let Some(first) = panics.next() {
            panics.for_each(drop_payload);
            resume_unwind(first);
        }
    }

    /// Waits as [`join`](Self::join) does, but re-raises nothing: collect every kept panic
    /// with [`take_panics`](Self::take_panics) afterwards (`join` re-raises only the first).
    ///
    /// # Panics
    /// As `join`, when called from inside one of the pool's own jobs.
    pub fn wait(&self) {
        self.refuse_inside_own_job("wait");
        self.wait_pending(None);
    }

    /// Panics when the calling thread is running one of this pool's jobs: a wait for the pool
    /// from there includes the calling job itself, so it would never end.
    fn refuse_inside_own_job(&self, method: &str) {
        assert!(
            !self.inner.running_here(),
            "WorkerPool::{method} called from inside one of the pool's own jobs: it would wait \
             for itself forever (use WorkerPool::scope to wait for jobs from a job)"
        );
    }

    /// Waits until no job is queued or running, or until `deadline`; `false` if the deadline
    /// came first. Without a deadline the calling thread runs queued jobs meanwhile; with one
    /// it only waits, so that a long job cannot carry it past the deadline.
    fn wait_pending(&self, deadline: Option<Instant>) -> bool {
        let inner = &*self.inner;
        // Registered before the first look: the last job's worker then wakes this thread.
        let _waiting = inner.tally.waiting();
        while !inner.tally.is_idle() {
            let mut wait = Duration::from_millis(1);
            match deadline {
                None if inner.help() => continue,
                None => {}
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    wait = wait.min(left);
                }
            }
            let idle = inner
                .idle_lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if inner.tally.is_idle() {
                break;
            }
            // Bounded: a job queued meanwhile is run by this thread on the next round.
            let _ = inner.idle.wait_timeout(idle, wait);
        }
        true
    }

    /// Takes the payloads of the jobs that panicked (up to 16 kept; the rest only counted in
    /// [`stats`](Self::stats)). A later [`join`](Self::join) does not re-raise them.
    pub fn take_panics(&self) -> Vec<Box<dyn Any + Send>> {
        std::mem::take(
            &mut *self
                .inner
                .panics
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Runs `f`, whose jobs ([`Scope::execute`]) may borrow anything that outlives the call,
    /// and returns when all of them have run. The calling thread runs queued jobs while it
    /// waits (so a scope inside a job cannot starve the pool). A panic in `f` or in a job is
    /// re-raised here, after every job has finished.
    pub fn scope<'env, F, R>(&self, f: F) -> R
    where
        F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> R,
    {
        scope::run(self, f)
    }

    /// The pool's counters.
    #[must_use]
    pub fn stats(&self) -> WorkerStats {
        let queued = self.inner.receiver.len();
        WorkerStats {
            threads: self.workers.len(),
            queued,
            active: self.active_count_given(queued),
            executed: self.inner.tally.finished(),
            panicked: self.inner.panicked.load(Ordering::Relaxed),
        }
    }

    /// Jobs waiting in the queue right now (threadpool's `queued_count`).
    #[must_use]
    pub fn queued_count(&self) -> usize {
        self.inner.receiver.len()
    }

    /// Jobs running right now (threadpool's `active_count`). Read from two counters one after
    /// the other, so a snapshot only when nothing is submitted or finishing meanwhile.
    #[must_use]
    pub fn active_count(&self) -> usize {
        self.active_count_given(self.inner.receiver.len())
    }

    fn active_count_given(&self, queued: usize) -> usize {
        // The tally's pending jobs are queued or running; clamp: the reads are not one instant.
        usize::try_from(self.inner.tally.pending())
            .unwrap_or(usize::MAX)
            .saturating_sub(queued)
    }

    /// Jobs that panicked so far (threadpool's `panic_count`).
    #[must_use]
    pub fn panic_count(&self) -> u64 {
        self.inner.panicked.load(Ordering::Relaxed)
    }

    /// Worker threads (threadpool's `max_count`).
    #[doc(alias = "max_count")]
    #[must_use]
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

impl WorkerPool {
    /// Stops the pool like dropping it (the queued jobs run, then the workers exit), but waits
    /// at most `timeout`: `true` if every job finished and every worker was joined in time;
    /// `false` if not, and then the workers still running are detached: they finish the queue
    /// and exit on their own (threadpool's and rayon's pools have no bounded wait).
    ///
    /// # Panics
    /// When called from inside one of the pool's own jobs (it would wait for itself).
    #[must_use = "false means jobs were still running when the time ran out"]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> bool {
        self.refuse_inside_own_job("shutdown_timeout");
        let deadline = Instant::now() + timeout;
        drop(self.sender.take());
        if !self.wait_pending(Some(deadline)) {
            self.workers.clear(); // detached: they finish the queue by themselves
            return false;
        }
        // Every job is done and the channel is closed: the workers are exiting.
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        true
    }
}

impl Drop for WorkerPool {
    /// Runs the jobs already queued, then stops and joins the workers. Panics of jobs are not
    /// re-raised here (take them with `take_panics` first). Dropped from inside one of its own
    /// jobs (the job held the last handle), it joins every other worker and leaves the one
    /// running that job to finish the queue and exit by itself.
    fn drop(&mut self) {
        drop(self.sender.take());
        let me = std::thread::current().id();
        for worker in self.workers.drain(..) {
            if worker.thread().id() == me {
                continue; // joining ourselves would deadlock; this thread exits after the job
            }
            // Jobs' panics are caught, so a worker only ends by returning.
            let _ = worker.join();
        }
    }
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("stats", &self.stats())
            .finish()
    }
}

/// The result of a job queued with [`WorkerPool::spawn`].
#[must_use = "dropping the handle discards the job's result (the job still runs)"]
pub struct JobHandle<T> {
    result: crossbeam_channel::Receiver<std::thread::Result<T>>,
}

impl<T> JobHandle<T> {
    /// Waits for the job and returns what it returned, or the payload of its panic.
    ///
    /// # Errors
    /// The job's panic payload.
    pub fn join(self) -> std::thread::Result<T> {
        match self.result.recv() {
            Ok(result) => result,
            // The sender is dropped only after sending, or with a job that never ran: a
            // pool's queued jobs always run, so this is unreachable short of a lost job.
            Err(_) => Err(Box::new("the job was dropped without running")),
        }
    }

    /// Whether the job has finished (its result is waiting).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        !self.result.is_empty()
    }
}

impl<T> fmt::Debug for JobHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
