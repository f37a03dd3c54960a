//! Bounded pools of expensive resources (connections), sync and async, on one core: at most
//! `max_size` live, served first come, first served, health-checked before each checkout,
//! expired by age (with jitter) and idleness, waited for with a deadline.
//!
//! One concept per file: [`Manage`] and [`ManageAsync`] (the user's connectors),
//! [`ResourcePool`] and [`AsyncResourcePool`] (the handles), the builders (knobs and
//! defaults), [`Lease`] and [`AsyncLease`], [`ResourceStats`], [`CheckoutError`]; the core
//! (idle list, live count, FIFO queue of waiters, grants), the sync pool's shared state and its
//! maintenance thread are private.

mod async_pool;
mod builder;
mod core;
mod error;
mod lease;
mod maintenance;
mod manage;
mod pool;
mod shared;
mod stats;

pub use async_pool::{AsyncLease, AsyncResourcePool, ManageAsync};
pub use builder::{
    AsyncResourcePoolBuilder, DEFAULT_MAX_SIZE, DEFAULT_TIMEOUT, ResourcePoolBuilder,
};
pub use error::CheckoutError;
pub use lease::Lease;
pub use manage::Manage;
pub use pool::ResourcePool;
pub use stats::ResourceStats;
