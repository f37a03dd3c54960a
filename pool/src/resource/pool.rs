//! The sync pool handle: checkouts, stats, clearing, closing on the last drop.

use std::fmt;
use std::time::{Duration, Instant};

use super::builder::{Config, ResourcePoolBuilder};
use super::core::{Grant, State, Taken, Wake};
use super::shared::Shared;
use super::{CheckoutError, Lease, Manage, ResourceStats};
use crate::sync::{Arc, Condvar, MutexGuard, Ordering};

/// A bounded pool of resources made by a [`Manage`] implementation: connection pooling.
///
/// - Never more than [`max_size`](ResourcePoolBuilder::max_size) live resources (idle, leased,
///   or being created): a burst of requests waits instead of opening a connection storm.
/// - [`checkout`](Self::checkout) takes the most recently returned idle resource (warm
///   caches, and the rest can age out), checks it with [`Manage::is_valid`], and waits up to
///   the timeout for one when all are leased; [`try_checkout`](Self::try_checkout) never waits.
/// - A [`Lease`] derefs to the resource and returns it on drop (through [`Manage::recycle`]);
///   [`Lease::mark_broken`] drops it instead. A failed `create` frees its slot.
/// - `max_lifetime` and `idle_timeout` retire old resources; a maintenance thread does that
///   and keeps `min_idle` resources ready, when either is set.
///
/// The pool is a handle: clones share it, and it is `Send + Sync`.
///
/// Locking: one mutex, held only to move a resource in or out of the idle list; no user code
/// runs under it (`create`, `is_valid`, `recycle` and a resource's `Drop` run without it).
///
/// Panics: user code may panic anywhere (`create`, `is_valid`, `recycle`, a resource's
/// `Drop`, the holder of a lease): the panic reaches the caller, the resource it concerned is
/// dropped, and its slot is freed, so the pool never shrinks below `max_size`. In the
/// maintenance thread such a panic is counted in
/// [`maintenance_panics`](ResourceStats::maintenance_panics) and the thread goes on.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use perfkit_pool::{CheckoutError, Manage, ResourcePool};
///
/// struct Counter;
/// impl Manage for Counter {
///     type Resource = Vec<u32>;
///     type Error = std::io::Error;
///     fn create(&self) -> std::io::Result<Vec<u32>> { Ok(Vec::new()) }
///     fn is_valid(&self, _: &mut Vec<u32>) -> bool { true }
/// }
///
/// let pool = ResourcePool::builder(Counter).max_size(1).timeout(Duration::from_millis(20)).build();
/// let mut lease = pool.checkout()?;
/// lease.push(1);
/// // The only resource is leased: a second checkout times out.
/// assert!(matches!(pool.checkout(), Err(CheckoutError::Timeout(_))));
/// drop(lease);
/// assert_eq!(*pool.checkout()?, [1]);
/// assert_eq!(pool.stats().created, 1);
/// # Ok::<(), CheckoutError<std::io::Error>>(())
/// ```
pub struct ResourcePool<M: Manage> {
    pub(super) shared: Arc<Shared<M>>,
}

impl<M: Manage> Clone for ResourcePool<M> {
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<M: Manage> ResourcePool<M> {
    /// A pool of at most 10 resources with a 30 s checkout timeout; see [`builder`](Self::builder).
    pub fn new(manager: M) -> Self {
        Self::builder(manager).build()
    }

    /// A builder for `max_size`, `min_idle`, `timeout`, `idle_timeout`, `max_lifetime`.
    pub fn builder(manager: M) -> ResourcePoolBuilder<M> {
        ResourcePoolBuilder {
            manager,
            config: Config::default(),
            error_handler: None,
        }
    }

    /// A valid resource, waiting up to the pool's timeout for one.
    ///
    /// # Errors
    /// [`CheckoutError::Timeout`] when none became free in time; [`CheckoutError::Create`]
    /// when making a new one failed (its slot is freed).
    #[doc(alias = "get")]
    pub fn checkout(&self) -> Result<Lease<M>, CheckoutError<M::Error>> {
        self.checkout_timeout(self.shared.core.config.timeout)
    }

    /// [`checkout`](Self::checkout) with its own timeout.
    ///
    /// # Errors
    /// As [`checkout`](Self::checkout).
    #[doc(alias = "get_timeout")]
    pub fn checkout_timeout(&self, timeout: Duration) -> Result<Lease<M>, CheckoutError<M::Error>> {
        let start = Instant::now();
        let core = &self.shared.core;
        let mut expired = Vec::new();
        let mut state = core.lock();
        // A checkout that queues says how to wake it, and waits, under this same lock: one
        // lock round for the queue and the grant. One that does not wait allocates nothing.
        let taken = state.take(&core.config, || Wake::Nobody, None, &mut expired);
        let grant = match taken {
            Taken::Grant(grant) => {
                drop(state);
                core.retire(expired);
                grant
            }
            Taken::Queued(id) => {
                if !expired.is_empty() {
                    // Their slots may be ours: free them without the lock first.
                    drop(state);
                    core.retire(expired);
                    state = core.lock();
                }
                match Self::wait(state, id, start.checked_add(timeout), start) {
                    Some(grant) => grant,
                    None => return Err(CheckoutError::Timeout(timeout)),
                }
            }
        };
        self.shared.fulfil(grant)
    }

    /// Blocks on a condition variable of its own, with the core's lock, until waiter `id` is
    /// granted something or `deadline` passes (`None`: timed out). The grant is made under
    /// that lock, which the wait releases atomically: no wake-up is lost (one made before the
    /// waiter said how to wake it is found by the first `poll`). The time waited for a
    /// resource or a slot is counted before the lock is released.
    fn wait(
        mut state: MutexGuard<'_, State<M::Resource>>,
        id: u64,
        deadline: Option<Instant>,
        start: Instant,
    ) -> Option<Grant<M::Resource>> {
        let condvar = Arc::new(Condvar::new());
        if let Some(grant) = state.poll(id, || Wake::Thread(Arc::clone(&condvar))) {
            return Some(state.picked_up(grant, start));
        }
        loop {
            if let Some(grant) = state.granted(id) {
                return Some(state.picked_up(grant, start));
            }
            let now = Instant::now();
            let remaining = match deadline {
                Some(deadline) if now >= deadline => {
                    return match state.cancel(id) {
                        None => {
                            state.stats.timeouts += 1;
                            None
                        }
                        // Granted just before the deadline: take it.
                        Some(grant) => Some(state.picked_up(grant, start)),
                    };
                }
                Some(deadline) => deadline - now,
                None => Duration::from_secs(3600),
            };
            state = condvar
                .wait_timeout(state, remaining)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// An idle, valid resource if there is one and nobody waits; never waits and never
    /// creates.
    #[must_use]
    #[doc(alias = "try_get")]
    pub fn try_checkout(&self) -> Option<Lease<M>> {
        let core = &self.shared.core;
        loop {
            if let Some(lease) = self.shared.validate(core.take_idle()?) {
                return Some(lease);
            }
            // Invalid: it was dropped and its slot is ours; free it (a waiter may want it).
            core.free_slots(1, |_, _| {});
        }
    }

    /// The pool's counters and gauges, read at one instant.
    #[must_use]
    #[doc(alias = "state")]
    #[doc(alias = "status")]
    pub fn stats(&self) -> ResourceStats {
        self.shared.core.stats()
    }

    /// The most live resources.
    #[must_use]
    pub fn max_size(&self) -> usize {
        self.shared.core.config.max_size
    }

    /// Closes the pool for every handle: idle resources are dropped now, leased ones when they
    /// come back; checkouts (waiting ones included) fail with [`CheckoutError::Closed`] from
    /// now on, and the maintenance thread stops. Dropping the last handle does the same.
    pub fn close(&self) {
        self.shared.core.shut();
    }

    /// Whether [`close`](Self::close) was called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared.core.is_closed()
    }

    /// Drops every idle resource (leased ones return as usual), e.g. after the server behind
    /// them restarted.
    pub fn clear(&self) {
        self.shared.core.clear();
    }
}

impl<M: Manage> Drop for ResourcePool<M> {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last handle: close the pool. Idle resources are dropped now, leased ones
            // when they come back; the maintenance thread wakes and exits.
            self.close();
        }
    }
}

impl<M: Manage> fmt::Debug for ResourcePool<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourcePool")
            .field("max_size", &self.shared.core.config.max_size)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
