//! A bounded pool of expensive resources (connections): at most `max_size` live, health-checked
//! before each checkout, expired by age and idleness, waited for with a deadline.
//!
//! One concept per file: [`Manage`] (the user's connector), [`ResourcePool`] (the handle),
//! [`ResourcePoolBuilder`] (knobs and defaults), [`Lease`], [`ResourceStats`],
//! [`CheckoutError`]; the shared state and its slot guard, and the maintenance thread, are
//! private.

mod builder;
mod error;
mod lease;
mod maintenance;
mod manage;
mod pool;
mod shared;
mod stats;

pub use builder::{DEFAULT_MAX_SIZE, DEFAULT_TIMEOUT, ResourcePoolBuilder};
pub use error::CheckoutError;
pub use lease::Lease;
pub use manage::Manage;
pub use pool::ResourcePool;
pub use stats::ResourceStats;
