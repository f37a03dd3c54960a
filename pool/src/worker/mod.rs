//! A fixed set of worker threads fed by a bounded queue: the Go guide's goroutine pool.

mod error;
mod permits;
mod scope;

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

pub use error::TryExecuteError;
pub use scope::Scope;

use crate::panic::drop_payload;
use crate::sync::{Arc, AtomicU64, AtomicUsize, Condvar, Mutex, Ordering};
use permits::Permits;

/// A job as it travels through the queue.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// Panic payloads kept for [`WorkerPool::take_panics`] and [`WorkerPool::join`]; later ones
/// are only counted, so a job that panics in a loop cannot grow memory without bound.
const KEPT_PANICS: usize = 16;

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
    inner: Arc<Inner>,
    /// `None` once dropping: closing the channel tells the workers to finish.
    sender: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

pub(crate) struct Inner {
    receiver: Receiver<Job>,
    permits: Permits,
    /// Jobs queued, being submitted, or running: `join` waits for zero.
    pending: AtomicUsize,
    /// `join` sleeps here; signalled (under `idle_lock`) when `pending` drops to zero.
    idle_lock: Mutex<()>,
    idle: Condvar,
    executed: AtomicU64,
    panicked: AtomicU64,
    panics: Mutex<Vec<Box<dyn Any + Send>>>,
}

/// Builds a [`WorkerPool`].
#[derive(Clone, Debug)]
#[must_use]
pub struct WorkerPoolBuilder {
    threads: usize,
    queue_capacity: usize,
    name: String,
    stack_size: Option<usize>,
}

/// A [`WorkerPool`]'s counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerStats {
    /// Worker threads.
    pub threads: usize,
    /// Jobs waiting in the queue (or being submitted) right now.
    pub queued: usize,
    /// Jobs finished so far, panicked ones included.
    pub executed: u64,
    /// Jobs that panicked so far.
    pub panicked: u64,
}

impl WorkerPoolBuilder {
    /// Worker threads (default: the available parallelism).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Jobs the queue holds before `execute` blocks (default 1024).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity;
        self
    }

    /// Thread names are `{name}-{index}` (default `perfkit-worker`).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Stack size of each worker, in bytes (default: std's, 2 MiB).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Starts the workers.
    ///
    /// # Panics
    /// If `threads` or `queue_capacity` is 0, or a thread cannot be spawned.
    #[must_use]
    pub fn build(self) -> WorkerPool {
        assert!(self.threads > 0, "a worker pool needs at least one thread");
        assert!(
            self.queue_capacity > 0,
            "a worker pool needs a queue of at least one job"
        );
        let (sender, receiver) = crossbeam_channel::bounded(self.queue_capacity);
        let inner = Arc::new(Inner {
            receiver,
            permits: Permits::new(self.queue_capacity),
            pending: AtomicUsize::new(0),
            idle_lock: Mutex::new(()),
            idle: Condvar::new(),
            executed: AtomicU64::new(0),
            panicked: AtomicU64::new(0),
            panics: Mutex::new(Vec::new()),
        });
        let workers = (0..self.threads)
            .map(|i| {
                let inner = Arc::clone(&inner);
                let mut builder = std::thread::Builder::new().name(format!("{}-{i}", self.name));
                if let Some(bytes) = self.stack_size {
                    builder = builder.stack_size(bytes);
                }
                builder
                    .spawn(move || {
                        while let Ok(job) = inner.receiver.recv() {
                            inner.run(job);
                        }
                    })
                    .expect("spawn a worker thread")
            })
            .collect();
        WorkerPool {
            inner,
            sender: Some(sender),
            workers,
        }
    }
}

thread_local! {
    /// The address of the pool whose job this thread runs right now (0 when none): lets
    /// `join` see that it was called from inside one of the pool's own jobs.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
}

impl Inner {
    /// Runs a job taken from the queue, catching its panic and accounting for it. Nothing the
    /// job does escapes: the bookkeeping is in drop guards and a panic payload is dropped
    /// under `catch_unwind` (its own `Drop` may panic too).
    fn run(&self, job: Job) {
        self.permits.release();
        let _finished = Finished(self);
        let _running = Running::enter(self);
        if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
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
    fn running_here(&self) -> bool {
        RUNNING.with(Cell::get) == std::ptr::from_ref(self) as usize
    }

    /// Runs one queued job on the calling thread, if there is one.
    fn help(&self) -> bool {
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
        let inner = self.0;
        inner.executed.fetch_add(1, Ordering::Relaxed);
        if inner.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Take the lock so that a `join` between its check and its wait cannot miss this.
            let _idle = inner
                .idle_lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            inner.idle.notify_all();
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
        }
    }

    /// Queues `job`, waiting while the queue is full.
    pub fn execute<F: FnOnce() + Send + 'static>(&self, job: F) {
        self.inner.permits.acquire();
        self.send(Box::new(job));
    }

    /// Queues `job` if the queue has room; never waits.
    ///
    /// # Errors
    /// The job, unrun, when the queue is full.
    pub fn try_execute<F: FnOnce() + Send + 'static>(
        &self,
        job: F,
    ) -> Result<(), TryExecuteError<F>> {
        if !self.inner.permits.try_acquire() {
            return Err(TryExecuteError(job));
        }
        // The permit guarantees room (see `permits`), so this does not wait.
        self.send(Box::new(job));
        Ok(())
    }

    /// Pushes a job that holds a permit: there is room (see `permits`), so this never waits.
    pub(crate) fn send(&self, job: Job) {
        self.inner.pending.fetch_add(1, Ordering::Relaxed);
        let sender = self.sender.as_ref().expect("the sender lives until drop");
        // The receiver lives in `inner`, which `self` keeps alive, so the channel is open;
        // and the permit means it is not full.
        if sender.try_send(job).is_err() {
            unreachable!("a job holding a permit always finds room in the open queue");
        }
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
        assert!(
            !self.inner.running_here(),
            "WorkerPool::join called from inside one of the pool's own jobs: it would wait for \
             itself forever (use WorkerPool::scope to wait for jobs from a job)"
        );
        self.wait_idle();
        let panics = std::mem::take(
            &mut *self
                .inner
                .panics
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let mut panics = panics.into_iter();
        if let Some(first) = panics.next() {
            panics.for_each(drop_payload);
            resume_unwind(first);
        }
    }

    fn wait_idle(&self) {
        let inner = &*self.inner;
        while inner.pending.load(Ordering::Acquire) != 0 {
            if inner.help() {
                continue;
            }
            let idle = inner
                .idle_lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if inner.pending.load(Ordering::Acquire) == 0 {
                break;
            }
            // Bounded: a job queued meanwhile is run by this thread on the next round.
            let _ = inner
                .idle
                .wait_timeout(idle, std::time::Duration::from_millis(1));
        }
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
        WorkerStats {
            threads: self.workers.len(),
            queued: self.inner.permits.used(),
            executed: self.inner.executed.load(Ordering::Relaxed),
            panicked: self.inner.panicked.load(Ordering::Relaxed),
        }
    }

    /// Worker threads.
    #[must_use]
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
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
