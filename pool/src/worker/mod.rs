//! A fixed set of worker threads fed by a bounded queue: the Go guide's goroutine pool.
//!
//! One concept per file: [`WorkerPool`] (the handle), [`WorkerPoolBuilder`], [`Scope`],
//! [`WorkerStats`], [`TryExecuteError`]; the workers' shared state and the queued job type are
//! private.

mod builder;
mod error;
mod inner;
mod job;
mod pool;
mod scope;
mod stats;
mod tally;

pub use builder::WorkerPoolBuilder;
pub use error::TryExecuteError;
pub use pool::{JobHandle, WorkerPool};
pub use scope::Scope;
pub use stats::WorkerStats;
