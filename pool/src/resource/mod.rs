//! A bounded pool of expensive resources (connections): at most `max_size` live, health-checked
//! before each checkout, expired by age and idleness, waited for with a deadline.

mod error;
mod lease;
mod stats;

use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

pub use error::CheckoutError;
pub use lease::Lease;
pub use stats::ResourceStats;

use crate::panic::drop_payload;
use crate::sync::{Arc, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering, Weak};

/// The user's connector: makes resources, checks them, cleans them for reuse.
///
/// # Examples
/// ```
/// use std::net::{SocketAddr, TcpStream};
/// use std::time::Duration;
/// use perfkit_pool::Manage;
///
/// struct Tcp(SocketAddr);
///
/// impl Manage for Tcp {
///     type Resource = TcpStream;
///     type Error = std::io::Error;
///
///     fn create(&self) -> std::io::Result<TcpStream> {
///         // Bound the connect: a checkout cannot end before the connector returns.
///         let stream = TcpStream::connect_timeout(&self.0, Duration::from_secs(1))?;
///         stream.set_nodelay(true)?;
///         Ok(stream)
///     }
///
///     fn is_valid(&self, stream: &mut TcpStream) -> bool {
///         // A closed peer shows as a readable end of stream.
///         stream.set_nonblocking(true).is_ok()
///             && matches!(stream.peek(&mut [0]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
///             && stream.set_nonblocking(false).is_ok()
///     }
/// }
/// ```
pub trait Manage: Send + Sync + 'static {
    /// What the pool holds: a connection, a session, a handle.
    type Resource: Send + 'static;
    /// What `create` fails with.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Makes a new resource. Called without the pool's lock held; bound its duration (a
    /// connect timeout), since a checkout cannot end before it returns.
    ///
    /// # Errors
    /// When the resource cannot be made; the checkout returns it as
    /// [`CheckoutError::Create`] and the slot is freed for another attempt.
    fn create(&self) -> Result<Self::Resource, Self::Error>;

    /// Health check before an idle resource is handed out; `false` drops it (counted as
    /// broken) and the checkout tries the next one or makes a new one.
    fn is_valid(&self, resource: &mut Self::Resource) -> bool;

    /// Called when a lease returns a resource; `false` drops it instead of keeping it (e.g. a
    /// connection left mid-transaction). Keeps everything by default.
    fn recycle(&self, resource: &mut Self::Resource) -> bool {
        let _ = resource;
        true
    }
}

/// The defaults of [`ResourcePoolBuilder`].
pub const DEFAULT_MAX_SIZE: usize = 10;
/// How long [`ResourcePool::checkout`] waits by default: 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

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
    shared: Arc<Shared<M>>,
}

impl<M: Manage> Clone for ResourcePool<M> {
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

pub(crate) struct Shared<M: Manage> {
    manager: M,
    /// `ResourcePool` handles alive (leases and the maintenance thread hold the `Arc` too, but
    /// only handles keep the pool open).
    handles: AtomicUsize,
    config: Config,
    state: Mutex<State<M::Resource>>,
    /// Signalled when a resource returns or a slot frees.
    available: Condvar,
    /// Signalled when the pool shuts down, to stop the maintenance thread.
    maintenance: Condvar,
}

#[derive(Clone, Copy, Debug)]
struct Config {
    max_size: usize,
    min_idle: usize,
    timeout: Duration,
    idle_timeout: Option<Duration>,
    max_lifetime: Option<Duration>,
}

struct State<R> {
    /// Idle resources, most recently returned at the back.
    idle: VecDeque<Idle<R>>,
    /// Live resources: idle, leased, and being created.
    live: usize,
    shutdown: bool,
    stats: ResourceStats,
}

struct Idle<R> {
    resource: R,
    created: Instant,
    returned: Instant,
}

/// Builds a [`ResourcePool`].
#[must_use]
pub struct ResourcePoolBuilder<M: Manage> {
    manager: M,
    config: Config,
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

/// The maintenance thread: retire expired idle resources and top up to `min_idle`, every
/// `period`, until the last `ResourcePool` handle is dropped.
fn maintain<M: Manage>(weak: &Weak<Shared<M>>, period: Duration) {
    loop {
        let Some(shared) = weak.upgrade() else { return };
        // User code runs here (`create`, `recycle`, a resource's `Drop`): a panic in it is
        // counted (a panicking `create` as a `create_errors`, its slot freed by the guard) and
        // the thread goes on with the next round instead of dying silently.
        let round = catch_unwind(AssertUnwindSafe(|| {
            shared.reap();
            shared.top_up();
        }));
        if let Err(payload) = round {
            shared.lock().stats.maintenance_panics += 1;
            drop_payload(payload);
        }
        let state = shared.lock();
        if state.shutdown {
            return;
        }
        let (state, _) = shared
            .maintenance
            .wait_timeout(state, period)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.shutdown {
            return;
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
            config: Config {
                max_size: DEFAULT_MAX_SIZE,
                min_idle: 0,
                timeout: DEFAULT_TIMEOUT,
                idle_timeout: None,
                max_lifetime: None,
            },
        }
    }

    /// A valid resource, waiting up to the pool's timeout for one.
    ///
    /// # Errors
    /// [`CheckoutError::Timeout`] when none became free in time; [`CheckoutError::Create`]
    /// when making a new one failed (its slot is freed).
    pub fn checkout(&self) -> Result<Lease<M>, CheckoutError<M::Error>> {
        self.checkout_timeout(self.shared.config.timeout)
    }

    /// [`checkout`](Self::checkout) with its own timeout.
    ///
    /// # Errors
    /// As [`checkout`](Self::checkout).
    pub fn checkout_timeout(&self, timeout: Duration) -> Result<Lease<M>, CheckoutError<M::Error>> {
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        let mut waited = false;
        let mut state = self.shared.lock();
        let mut expired = Vec::new();
        loop {
            if let Some(idle) = self.shared.pop_live(&mut state, &mut expired) {
                // Counted here, under the lock already held; taken back if it fails validation.
                state.stats.reused += 1;
                drop(state);
                self.shared.retire(std::mem::take(&mut expired));
                match self.shared.validate(idle) {
                    Some(lease) => return Ok(self.finish(lease, start, waited)),
                    None => {
                        state = self.shared.lock();
                        continue;
                    }
                }
            }
            if !expired.is_empty() {
                // Their slots are still counted: free them (running their `Drop`) without the
                // lock, then look again.
                drop(state);
                self.shared.retire(std::mem::take(&mut expired));
                state = self.shared.lock();
                continue;
            }
            if state.live < self.shared.config.max_size {
                state.live += 1;
                drop(state);
                let lease = self.shared.create()?;
                return Ok(self.finish(lease, start, waited));
            }
            let now = Instant::now();
            let remaining = deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(now));
            if remaining.is_zero() {
                state.stats.timeouts += 1;
                return Err(CheckoutError::Timeout(timeout));
            }
            if !waited {
                waited = true;
                state.stats.waits += 1;
            }
            state = self
                .shared
                .available
                .wait_timeout(state, remaining)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// An idle, valid resource if there is one; never waits and never creates.
    #[must_use]
    pub fn try_checkout(&self) -> Option<Lease<M>> {
        let mut expired = Vec::new();
        loop {
            let idle = {
                let mut state = self.shared.lock();
                let idle = self.shared.pop_live(&mut state, &mut expired);
                if idle.is_some() {
                    state.stats.reused += 1;
                }
                idle
            };
            self.shared.retire(std::mem::take(&mut expired));
            if let Some(lease) = self.shared.validate(idle?) {
                return Some(lease);
            }
        }
    }

    fn finish(&self, lease: Lease<M>, start: Instant, waited: bool) -> Lease<M> {
        if waited {
            self.shared.lock().stats.wait_time += start.elapsed();
        }
        lease
    }

    /// The pool's counters and gauges, read at one instant.
    #[must_use]
    pub fn stats(&self) -> ResourceStats {
        let state = self.shared.lock();
        ResourceStats {
            idle: state.idle.len(),
            in_use: state.live - state.idle.len(),
            ..state.stats
        }
    }

    /// The most live resources.
    #[must_use]
    pub fn max_size(&self) -> usize {
        self.shared.config.max_size
    }

    /// Drops every idle resource (leased ones return as usual), e.g. after the server behind
    /// them restarted.
    pub fn clear(&self) {
        let idle: Vec<_> = self.shared.lock().idle.drain(..).collect();
        self.shared.retire(idle);
    }
}

impl<M: Manage> Shared<M> {
    fn lock(&self) -> MutexGuard<'_, State<M::Resource>> {
        // No user code runs under the lock, so a poisoned lock still holds a consistent state.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The most recently returned idle resource that has not expired. Expired ones are moved
    /// to `expired`, still counted in `live`: the caller frees them with [`retire`] after
    /// releasing the lock, so no resource's `Drop` runs under it.
    ///
    /// [`retire`]: Self::retire
    fn pop_live(
        &self,
        state: &mut State<M::Resource>,
        expired: &mut Vec<Idle<M::Resource>>,
    ) -> Option<Idle<M::Resource>> {
        let now = Instant::now();
        while let Some(idle) = state.idle.pop_back() {
            if self.config.expired(&idle, now) {
                expired.push(idle);
                continue;
            }
            return Some(idle);
        }
        None
    }

    /// Drops resources taken out of the idle list (expired or cleared) without the lock, then
    /// frees their slots, even if a resource's `Drop` panics.
    fn retire(&self, resources: Vec<Idle<M::Resource>>) {
        if resources.is_empty() {
            return;
        }
        let slots = SlotGuard {
            shared: self,
            slots: resources.len(),
            account: |stats, n| stats.closed += n as u64,
        };
        drop(resources);
        drop(slots);
    }

    /// Runs the health check; an invalid resource is dropped and its slot freed, also when
    /// `is_valid` or the resource's `Drop` panics.
    fn validate(self: &Arc<Self>, idle: Idle<M::Resource>) -> Option<Lease<M>> {
        let slot = SlotGuard {
            shared: &**self,
            slots: 1,
            account: |stats, _| {
                stats.reused -= 1;
                stats.broken += 1;
            },
        };
        // Declared after `slot`: on unwind the resource is dropped before the slot is freed.
        let mut idle = idle;
        if self.manager.is_valid(&mut idle.resource) {
            slot.disarm();
            return Some(Lease::new(Arc::clone(self), idle.resource, idle.created));
        }
        drop(idle);
        drop(slot);
        None
    }

    /// Makes a resource in a slot already counted in `live`; frees the slot if `create` fails
    /// or panics.
    fn create(self: &Arc<Self>) -> Result<Lease<M>, CheckoutError<M::Error>> {
        let slot = SlotGuard {
            shared: &**self,
            slots: 1,
            account: |stats, _| stats.create_errors += 1,
        };
        let resource = self.manager.create().map_err(CheckoutError::Create)?;
        slot.disarm();
        self.lock().stats.created += 1;
        Ok(Lease::new(Arc::clone(self), resource, Instant::now()))
    }

    /// Takes a resource back from a lease (or drops it when broken or not recyclable). The slot
    /// is freed even if `recycle` or the resource's `Drop` panics (counted as broken).
    pub(crate) fn give_back(&self, resource: M::Resource, created: Instant, broken: bool) {
        let mut slot = SlotGuard {
            shared: self,
            slots: 1,
            account: |stats, _| stats.broken += 1,
        };
        // Declared after `slot`: on unwind the resource is dropped before the slot is freed.
        let mut resource = resource;
        let keep = !broken && self.manager.recycle(&mut resource);
        let returned = Instant::now();
        let idle = Idle {
            resource,
            created,
            returned,
        };
        let mut state = self.lock();
        if keep && !state.shutdown && !self.config.expired(&idle, returned) {
            state.idle.push_back(idle);
            drop(state);
            slot.disarm();
            self.available.notify_one();
            return;
        }
        drop(state);
        if keep {
            slot.account = |stats, _| stats.closed += 1;
        }
        // The resource's `Drop` runs without the lock; then the guard frees the slot.
        drop(idle);
        drop(slot);
    }

    /// Drops expired idle resources (without the lock).
    fn reap(&self) {
        let now = Instant::now();
        let expired: Vec<_> = {
            let mut state = self.lock();
            let (keep, expired): (VecDeque<_>, VecDeque<_>) = state
                .idle
                .drain(..)
                .partition(|idle| !self.config.expired(idle, now));
            state.idle = keep;
            Vec::from(expired)
        };
        self.retire(expired);
    }

    /// Makes resources until `min_idle` are idle or `max_size` are live; stops at the first
    /// failure (the next round tries again).
    fn top_up(self: &Arc<Self>) {
        loop {
            {
                let mut state = self.lock();
                if state.shutdown
                    || state.idle.len() >= self.config.min_idle
                    || state.live >= self.config.max_size
                {
                    return;
                }
                state.live += 1;
            }
            match self.create() {
                Ok(lease) => drop(lease), // returns it to the idle list
                Err(_) => return,
            }
        }
    }
}

/// Frees `slots` counted in `live` when dropped, unless disarmed, and records why with
/// `account`: the one place a slot comes back, so that user code (`create`, `is_valid`,
/// `recycle`, a resource's `Drop`) that panics cannot lose one.
struct SlotGuard<'a, M: Manage> {
    shared: &'a Shared<M>,
    slots: usize,
    account: fn(&mut ResourceStats, usize),
}

impl<M: Manage> SlotGuard<'_, M> {
    /// The slot stays taken: its resource lives on (leased or idle).
    fn disarm(self) {
        std::mem::forget(self);
    }
}

impl<M: Manage> Drop for SlotGuard<'_, M> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.live -= self.slots;
        (self.account)(&mut state.stats, self.slots);
        drop(state);
        if self.slots == 1 {
            self.shared.available.notify_one();
        } else {
            self.shared.available.notify_all();
        }
    }
}

impl Config {
    fn expired<R>(&self, idle: &Idle<R>, now: Instant) -> bool {
        self.max_lifetime
            .is_some_and(|max| now.saturating_duration_since(idle.created) >= max)
            || self
                .idle_timeout
                .is_some_and(|max| now.saturating_duration_since(idle.returned) >= max)
    }
}

impl<M: Manage> Drop for ResourcePool<M> {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last handle: close the pool. Idle resources are dropped now, leased ones
            // when they come back; the maintenance thread wakes and exits.
            let idle: Vec<_> = {
                let mut state = self.shared.lock();
                state.shutdown = true;
                state.idle.drain(..).collect()
            };
            self.shared.maintenance.notify_all();
            self.shared.retire(idle);
        }
    }
}

impl<M: Manage> fmt::Debug for ResourcePool<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourcePool")
            .field("max_size", &self.shared.config.max_size)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl<M: Manage> fmt::Debug for ResourcePoolBuilder<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourcePoolBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
