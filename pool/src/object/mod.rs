//! The object pool (Go's `sync.Pool`): reusable objects kept per thread, reset on return,
//! bounded by `max_idle`. [`Pool`] is the pool; [`Builder`] its knobs; [`PoolGuard`] the
//! handle a `get` returns; [`Reset`] how an object is cleaned for the next user.

mod builder;
mod guard;
mod lent;
mod pool;
mod reset;
mod slots;
mod stats;

pub use builder::{Builder, DEFAULT_MAX_IDLE};
pub use guard::{OwnedPooled, PoolGuard, Pooled};
pub use pool::Pool;
pub use reset::{DefaultReset, MAX_RETAINED_BYTES, Reset, ResetWith};
pub use stats::Stats;
