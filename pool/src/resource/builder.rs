//! The resource pool's knobs, their defaults, and `build`, which starts the maintenance thread.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use super::maintenance::maintain;
use super::shared::{ErrorHandler, Shared, State};
use super::{CheckoutError, Manage, ResourcePool, ResourceStats};
use crate::sync::{Arc, AtomicUsize, Condvar, Mutex};

/// The defaults of [`ResourcePoolBuilder`].
pub const DEFAULT_MAX_SIZE: usize = 10;
/// How long [`ResourcePool::checkout`] waits by default: 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug)]
pub(super) struct Config {
    pub(super) max_size: usize,
    pub(super) min_idle: usize,
    pub(super) timeout: Duration,
    pub(super) idle_timeout: Option<Duration>,
    pub(super) max_lifetime: Option<Duration>,
    pub(super) test_on_checkout: bool,
}

/// Builds a [`ResourcePool`].
#[must_use]
pub struct ResourcePoolBuilder<M: Manage> {
    pub(super) manager: M,
    pub(super) config: Config,
    pub(super) error_handler: Option<ErrorHandler<M::Error>>,
}

impl<M: Manage> ResourcePoolBuilder<M> {
    /// The most live resources (idle, leased or being created); default 10.
    ///
    /// # Panics
    /// If `max_size` is 0.
    pub fn max_size(mut self, max_size: usize) -> Self {
        assert!(max_size > 0, "a resource pool needs max_size >= 1");
        self.config.max_size = max_size;
        self
    }

    /// Idle resources the maintenance thread keeps ready (default 0: none made ahead).
    pub fn min_idle(mut self, min_idle: usize) -> Self {
        self.config.min_idle = min_idle;
        self
    }

    /// How long [`ResourcePool::checkout`] waits for a resource (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// Drop resources idle for longer than this (default: never).
    pub fn idle_timeout(mut self, idle_timeout: Duration) -> Self {
        self.config.idle_timeout = Some(idle_timeout);
        self
    }

    /// Called with each `create` error that no caller sees: those of the maintenance thread's
    /// `min_idle` top-up (r2d2's `error_handler`; a checkout's own error goes to its caller).
    /// Without one they are only counted in [`ResourceStats::create_errors`]. Runs on the
    /// maintenance thread, without the pool's lock.
    pub fn error_handler(mut self, handler: impl Fn(&M::Error) + Send + Sync + 'static) -> Self {
        self.error_handler = Some(Box::new(handler));
        self
    }

    /// [`build`](Self::build), then makes `min_idle` resources before returning, so that a
    /// pool whose server is unreachable fails at start-up (r2d2's `build`) rather than at its
    /// first checkout.
    ///
    /// # Errors
    /// The first `create` error (or a timeout, if the pool cannot reach `min_idle` within its
    /// checkout timeout). The pool is dropped.
    ///
    /// # Panics
    /// As [`build`](Self::build).
    pub fn try_build(self) -> Result<ResourcePool<M>, CheckoutError<M::Error>> {
        let min_idle = self.config.min_idle.min(self.config.max_size);
        let pool = self.build();
        let leases = (0..min_idle)
            .map(|_| pool.checkout())
            .collect::<Result<Vec<_>, _>>()?;
        drop(leases); // back to the idle list
        Ok(pool)
    }

    /// Whether a checkout runs [`Manage::is_valid`] on an idle resource before handing it out
    /// (default `true`; r2d2's `test_on_check_out`). Turn it off when the check costs a round
    /// trip and the caller handles a dead connection itself (with [`Lease::mark_broken`]).
    ///
    /// [`Lease::mark_broken`]: super::Lease::mark_broken
    #[doc(alias = "test_on_check_out")]
    pub fn test_on_checkout(mut self, test: bool) -> Self {
        self.config.test_on_checkout = test;
        self
    }

    /// Drop resources older than this, when they are next idle (default: never).
    pub fn max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.config.max_lifetime = Some(max_lifetime);
        self
    }

    /// The pool. With `min_idle`, `idle_timeout` or `max_lifetime` set, it starts a maintenance
    /// thread that makes the first `min_idle` resources and then runs every
    /// `min(idle_timeout, max_lifetime) / 4` (at most every 30 s); it stops when the last
    /// handle to the pool is dropped.
    ///
    /// # Panics
    /// If the maintenance thread cannot be spawned.
    #[must_use]
    pub fn build(self) -> ResourcePool<M> {
        let config = self.config;
        let shared = Arc::new(Shared {
            manager: self.manager,
            error_handler: self.error_handler,
            handles: AtomicUsize::new(1),
            config,
            state: Mutex::new(State {
                idle: VecDeque::new(),
                live: 0,
                shutdown: false,
                stats: ResourceStats::default(),
            }),
            available: Condvar::new(),
            maintenance: Condvar::new(),
        });
        if config.min_idle > 0 || config.idle_timeout.is_some() || config.max_lifetime.is_some() {
            let period = [config.idle_timeout, config.max_lifetime]
                .into_iter()
                .flatten()
                .map(|d| d / 4)
                .fold(Duration::from_secs(30), Duration::min)
                .max(Duration::from_millis(1));
            let weak = Arc::downgrade(&shared);
            std::thread::Builder::new()
                .name("perfkit-resource-pool".into())
                .spawn(move || maintain(&weak, period))
                .expect("spawn the resource pool's maintenance thread");
        }
        ResourcePool { shared }
    }
}

impl<M: Manage> fmt::Debug for ResourcePoolBuilder<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourcePoolBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
