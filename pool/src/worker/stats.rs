//! A worker pool's counters.

/// A [`WorkerPool`](super::WorkerPool)'s counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerStats {
    /// Worker threads.
    pub threads: usize,
    /// Jobs waiting in the queue (or being submitted) right now.
    pub queued: usize,
    /// Jobs running right now (on a worker, or on a thread helping in a scope or a `join`).
    pub active: usize,
    /// Jobs finished so far, panicked ones included.
    pub executed: u64,
    /// Jobs that panicked so far.
    pub panicked: u64,
}
