//! The worker pool's knobs and `build`, which starts the workers.

use super::WorkerPool;
use super::inner::Inner;
use super::permits::Permits;
use crate::sync::{Arc, AtomicU64, AtomicUsize, Condvar, Mutex};

/// Builds a [`WorkerPool`].
#[derive(Clone, Debug)]
#[must_use]
pub struct WorkerPoolBuilder {
    pub(super) threads: usize,
    pub(super) queue_capacity: usize,
    pub(super) name: String,
    pub(super) stack_size: Option<usize>,
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
