//! The resource pools' knobs, their defaults, and `build`, which starts the maintenance thread.
//! The sync and the async builder share the knobs (one macro) and the [`Config`] they fill.

use std::fmt;
use std::time::Duration;

use super::core::Core;
use super::maintenance::maintain;
use super::shared::{ErrorHandler, Shared};
use super::{AsyncResourcePool, CheckoutError, Manage, ManageAsync, ResourcePool};
use crate::resource::async_pool::AsyncShared;
use crate::sync::{Arc, AtomicUsize};

/// The defaults of [`ResourcePoolBuilder`].
pub const DEFAULT_MAX_SIZE: usize = 10;
/// How long [`ResourcePool::checkout`] waits by default: 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    pub(crate) max_size: usize,
    pub(crate) min_idle: usize,
    pub(crate) timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) max_lifetime: Option<Duration>,
    /// Up to this much is taken off each resource's `max_lifetime`, at random; `None`: a
    /// tenth of `max_lifetime`.
    pub(crate) lifetime_jitter: Option<Duration>,
    pub(crate) test_on_checkout: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_size: DEFAULT_MAX_SIZE,
            min_idle: 0,
            timeout: DEFAULT_TIMEOUT,
            idle_timeout: None,
            max_lifetime: None,
            lifetime_jitter: None,
            test_on_checkout: true,
        }
    }
}

impl Config {
    /// How often the maintenance runs: a quarter of the shortest lifetime knob, at most every
    /// 30 s; `None` when there is nothing to maintain.
    pub(crate) fn maintenance_period(&self) -> Option<Duration> {
        if self.min_idle == 0 && self.idle_timeout.is_none() && self.max_lifetime.is_none() {
            return None;
        }
        Some(
            [self.idle_timeout, self.max_lifetime]
                .into_iter()
                .flatten()
                .map(|d| d / 4)
                .fold(Duration::from_secs(30), Duration::min)
                .max(Duration::from_millis(1)),
        )
    }

    /// The jitter taken off lifetimes (see [`expires`](Self::expires)).
    pub(crate) fn jitter(&self) -> Duration {
        self.lifetime_jitter
            .or(self.max_lifetime.map(|max| max / 10))
            .unwrap_or_default()
    }
}

/// The knobs both builders have, documented once.
macro_rules! knobs {
    ($pool:literal) => {
        /// The most live resources (idle, leased or being created); default 10.
        ///
        /// # Panics
        /// If `max_size` is 0.
        pub fn max_size(mut self, max_size: usize) -> Self {
            assert!(max_size > 0, "a resource pool needs max_size >= 1");
            self.config.max_size = max_size;
            self
        }

        /// Idle resources kept ready (default 0: none made ahead), and never reaped by
        /// `idle_timeout`: the most recently returned `min_idle` stay.
        pub fn min_idle(mut self, min_idle: usize) -> Self {
            self.config.min_idle = min_idle;
            self
        }

        #[doc = concat!("How long [`", $pool, "::checkout`] waits for a resource (default 30 s).")]
        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.config.timeout = timeout;
            self
        }

        /// Drop resources idle for longer than this (default: never), keeping `min_idle`.
        pub fn idle_timeout(mut self, idle_timeout: Duration) -> Self {
            self.config.idle_timeout = Some(idle_timeout);
            self
        }

        /// Whether a checkout checks an idle resource (`is_valid`) before handing it out
        /// (default `true`; r2d2's `test_on_check_out`). Turn it off when the check costs a
        /// round trip and the caller handles a dead connection itself (`mark_broken`).
        #[doc(alias = "test_on_check_out")]
        pub fn test_on_checkout(mut self, test: bool) -> Self {
            self.config.test_on_checkout = test;
            self
        }

        /// Drop resources older than this, when they are next idle (default: never). Each
        /// resource's lifetime is shortened by a random part of
        /// [`lifetime_jitter`](Self::lifetime_jitter), so that connections made together do
        /// not all reconnect together.
        pub fn max_lifetime(mut self, max_lifetime: Duration) -> Self {
            self.config.max_lifetime = Some(max_lifetime);
            self
        }

        /// The most taken off `max_lifetime`, at random, per resource (default: a tenth of
        /// `max_lifetime`; `Duration::ZERO` for exact lifetimes).
        pub fn lifetime_jitter(mut self, jitter: Duration) -> Self {
            self.config.lifetime_jitter = Some(jitter);
            self
        }
    };
}

/// Builds a [`ResourcePool`].
#[must_use]
pub struct ResourcePoolBuilder<M: Manage> {
    pub(super) manager: M,
    pub(super) config: Config,
    pub(super) error_handler: Option<ErrorHandler<M::Error>>,
}

impl<M: Manage> ResourcePoolBuilder<M> {
    knobs!("ResourcePool");

    /// Called with each `create` error that no caller sees: those of the maintenance thread's
    /// `min_idle` top-up (r2d2's `error_handler`; a checkout's own error goes to its caller).
    /// Without one they are only counted in
    /// [`ResourceStats::create_errors`](super::ResourceStats::create_errors). Runs on the
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
            core: Arc::new(Core::new(config)),
        });
        if let Some(period) = config.maintenance_period() {
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

/// Builds an [`AsyncResourcePool`].
#[must_use]
pub struct AsyncResourcePoolBuilder<M: ManageAsync> {
    pub(super) manager: M,
    pub(super) config: Config,
}

impl<M: ManageAsync> AsyncResourcePoolBuilder<M> {
    knobs!("AsyncResourcePool");

    /// The pool. It starts no thread and needs no runtime: `min_idle`, `idle_timeout` and
    /// `max_lifetime` are kept by [`AsyncResourcePool::maintain`], a future you spawn on your
    /// runtime; a checkout's timeout is kept by a timer thread the pool starts at the first
    /// checkout that has to wait.
    #[must_use]
    pub fn build(self) -> AsyncResourcePool<M> {
        AsyncResourcePool {
            shared: Arc::new(AsyncShared {
                manager: self.manager,
                handles: AtomicUsize::new(1),
                core: Arc::new(Core::new(self.config)),
            }),
        }
    }
}

impl<M: ManageAsync> fmt::Debug for AsyncResourcePoolBuilder<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResourcePoolBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
