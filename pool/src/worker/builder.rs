//! The worker pool's knobs and `build`, which starts the workers.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::WorkerPool;
use super::inner::{Inner, Tally, set_stripe};
use crate::panic::drop_payload;
use crate::sync::{Arc, AtomicU64, Condvar, Mutex};

/// Builds a [`WorkerPool`].
#[derive(Clone)]
#[must_use]
pub struct WorkerPoolBuilder {
    pub(super) threads: usize,
    pub(super) queue_capacity: usize,
    pub(super) name: String,
    pub(super) stack_size: Option<usize>,
    pub(super) on_start: Option<Hook>,
    pub(super) on_stop: Option<Hook>,
}

/// A thread start or stop hook.
pub(super) type Hook = Arc<dyn Fn() + Send + Sync>;

impl fmt::Debug for WorkerPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPoolBuilder")
            .field("threads", &self.threads)
            .field("queue_capacity", &self.queue_capacity)
            .field("name", &self.name)
            .field("stack_size", &self.stack_size)
            .finish_non_exhaustive()
    }
}

/// Runs a hook; a panic in it is dropped (it must not kill the worker it runs on).
fn run_hook(hook: Option<&Hook>) {
    if let Some(hook) = hook
        && let Err(payload) = catch_unwind(AssertUnwindSafe(|| hook()))
    {
        drop_payload(payload);
    }
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

    /// Runs `hook` on each worker thread when it starts, before its first job (rayon's
    /// `start_handler`): to set a thread-local, pin the thread, name it for a profiler. A
    /// panic in it is caught and ignored: the worker still starts.
    #[doc(alias = "start_handler")]
    pub fn on_thread_start(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_start = Some(Arc::new(hook));
        self
    }

    /// Runs `hook` on each worker thread as it exits, after its last job (rayon's
    /// `exit_handler`). A panic in it is caught and ignored.
    #[doc(alias = "exit_handler")]
    pub fn on_thread_stop(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_stop = Some(Arc::new(hook));
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
            // A stripe per worker and one for every other thread.
            tally: Tally::new(self.threads + 1),
            idle_lock: Mutex::new(()),
            idle: Condvar::new(),
            panicked: AtomicU64::new(0),
            panics: Mutex::new(Vec::new()),
            scopes: Mutex::new(Vec::new()),
        });
        let workers = (0..self.threads)
            .map(|i| {
                let inner = Arc::clone(&inner);
                let (on_start, on_stop) = (self.on_start.clone(), self.on_stop.clone());
                let mut builder = std::thread::Builder::new().name(format!("{}-{i}", self.name));
                if let Some(bytes) = self.stack_size {
                    builder = builder.stack_size(bytes);
                }
                builder
                    .spawn(move || {
                        set_stripe(i);
                        run_hook(on_start.as_ref());
                        while let Ok(job) = inner.receiver.recv() {
                            inner.run(job);
                        }
                        run_hook(on_stop.as_ref());
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
