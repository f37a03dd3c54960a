use std::fmt;

/// [`WorkerPool::try_execute`](crate::WorkerPool::try_execute) found the queue full; the job
/// is inside, unrun (take it back with [`into_inner`](Self::into_inner)).
pub struct TryExecuteError<F>(pub(crate) F);

impl<F> TryExecuteError<F> {
    /// The job that was not queued.
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Debug for TryExecuteError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TryExecuteError(..)")
    }
}

impl<F> fmt::Display for TryExecuteError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the worker pool's queue is full")
    }
}

impl<F> std::error::Error for TryExecuteError<F> {}
