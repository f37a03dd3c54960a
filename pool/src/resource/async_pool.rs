//! The async pool: [`ManageAsync`], [`AsyncResourcePool`], [`AsyncLease`], on the same core
//! as the sync pool. Every step of a checkout that can be abandoned (the future dropped at an
//! await) holds a guard that gives back what it holds: a place in the queue, a grant, a
//! resource being checked, a slot being filled.

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::builder::{AsyncResourcePoolBuilder, Config};
use super::core::{Core, Creating, Grant, Idle, SlotGuard, Taken, Wake};
use super::lease::HELD;
use super::{CheckoutError, ResourceStats};
use crate::sync::{Arc, AtomicUsize, Ordering};

/// The user's async connector: makes resources and checks them with `async` code (a connect,
/// a `SELECT 1`), cleans them for reuse synchronously (a lease returns from `Drop`).
///
/// # Examples
/// ```
/// use perfkit_pool::ManageAsync;
///
/// struct Sessions;
///
/// impl ManageAsync for Sessions {
///     type Resource = Vec<u8>;
///     type Error = std::io::Error;
///
///     async fn create(&self) -> std::io::Result<Vec<u8>> {
///         Ok(Vec::with_capacity(64)) // a connect, a handshake, a login
///     }
///
///     async fn is_valid(&self, session: &mut Vec<u8>) -> bool {
///         session.capacity() >= 64 // a ping
///     }
/// }
/// ```
pub trait ManageAsync: Send + Sync + 'static {
    /// What the pool holds: a connection, a session, a handle.
    type Resource: Send + 'static;
    /// What `create` fails with.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Makes a new resource. Bound its duration (a connect timeout): a checkout's timeout
    /// covers the wait for a slot, not the `create` it then runs. Its error reaches the
    /// caller as [`CheckoutError::Create`], at once: the pool does not retry (the slot goes to
    /// the next waiter, whose checkout makes its own attempt).
    fn create(&self) -> impl Future<Output = Result<Self::Resource, Self::Error>> + Send;

    /// Health check before an idle resource is handed out; `false` drops it (counted as
    /// broken) and the checkout makes a new one in its slot.
    fn is_valid(&self, resource: &mut Self::Resource) -> impl Future<Output = bool> + Send;

    /// Called when a lease returns a resource (from `Drop`, so not `async`); `false` drops it
    /// instead of keeping it. Keeps everything by default.
    fn recycle(&self, resource: &mut Self::Resource) -> bool {
        let _ = resource;
        true
    }
}

pub(crate) struct AsyncShared<M: ManageAsync> {
    pub(super) manager: M,
    /// `AsyncResourcePool` handles alive: the last one closes the pool.
    pub(super) handles: AtomicUsize,
    pub(super) core: Arc<Core<M::Resource>>,
}

/// A bounded pool of resources made by a [`ManageAsync`] implementation, for async services:
/// the async face of [`ResourcePool`](crate::ResourcePool), on the same core, with the same
/// knobs and stats.
///
/// - Fair: checkouts are served first come, first served; a resource that comes back goes
///   straight to the longest waiter, and a newcomer never overtakes a waiter.
/// - Cancellation-safe: dropping a [`checkout`](Self::checkout) future at any point (a
///   `select!`, a request timeout, a client gone) loses no slot: a place in the queue is
///   given up, a resource granted to it goes to the next waiter, a resource being checked is
///   dropped (never handed out half-checked), a `create` in progress frees its slot.
/// - Runtime-agnostic: no runtime is needed or assumed. Timeouts are kept by one timer thread
///   per pool, started at the first checkout that has to wait.
/// - Errors are what happened: a failing `create` is the caller's
///   [`CheckoutError::Create`], not a timeout; a timeout says every resource stayed leased.
///
/// # Examples
/// ```
/// # use perfkit_pool::{AsyncResourcePool, CheckoutError, ManageAsync};
/// # struct Sessions;
/// # impl ManageAsync for Sessions {
/// #     type Resource = Vec<u8>;
/// #     type Error = std::io::Error;
/// #     async fn create(&self) -> std::io::Result<Vec<u8>> { Ok(Vec::new()) }
/// #     async fn is_valid(&self, _: &mut Vec<u8>) -> bool { true }
/// # }
/// # futures_executor_block_on(async {
/// let pool = AsyncResourcePool::builder(Sessions).max_size(4).build();
/// let mut session = pool.checkout().await?;
/// session.push(1);
/// drop(session);
/// assert_eq!(*pool.checkout().await?, [1]);
/// assert_eq!(pool.stats().created, 1);
/// # Ok::<(), CheckoutError<std::io::Error>>(())
/// # }).unwrap();
/// # fn futures_executor_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     // A minimal executor: the pool needs none in particular.
/// #     use std::task::{Context, Poll, Wake, Waker};
/// #     struct Unpark(std::thread::Thread);
/// #     impl Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
/// #     let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
/// #     let mut f = std::pin::pin!(f);
/// #     loop {
/// #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(&waker)) { return v }
/// #         std::thread::park();
/// #     }
/// # }
/// ```
pub struct AsyncResourcePool<M: ManageAsync> {
    pub(super) shared: Arc<AsyncShared<M>>,
}

impl<M: ManageAsync> Clone for AsyncResourcePool<M> {
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<M: ManageAsync> AsyncResourcePool<M> {
    /// A pool of at most 10 resources with a 30 s checkout timeout; see
    /// [`builder`](Self::builder).
    pub fn new(manager: M) -> Self {
        Self::builder(manager).build()
    }

    /// A builder for `max_size`, `min_idle`, `timeout`, `idle_timeout`, `max_lifetime`,
    /// `lifetime_jitter`, `test_on_checkout`.
    pub fn builder(manager: M) -> AsyncResourcePoolBuilder<M> {
        AsyncResourcePoolBuilder {
            manager,
            config: Config::default(),
        }
    }

    /// A valid resource, waiting up to the pool's timeout for one.
    ///
    /// # Errors
    /// [`CheckoutError::Timeout`] when none became free in time; [`CheckoutError::Create`]
    /// when making a new one failed (its slot is freed); [`CheckoutError::Closed`].
    #[doc(alias = "get")]
    pub async fn checkout(&self) -> Result<AsyncLease<M>, CheckoutError<M::Error>> {
        self.checkout_timeout(self.shared.core.config.timeout).await
    }

    /// [`checkout`](Self::checkout) with its own timeout (for the wait in the queue; the
    /// `create` or `is_valid` that follows runs to its own end).
    ///
    /// # Errors
    /// As [`checkout`](Self::checkout).
    #[doc(alias = "get_timeout")]
    pub async fn checkout_timeout(
        &self,
        timeout: Duration,
    ) -> Result<AsyncLease<M>, CheckoutError<M::Error>> {
        let start = Instant::now();
        let core = &self.shared.core;
        let grant = Queued {
            core,
            start,
            deadline: start.checked_add(timeout),
            id: None,
            done: false,
        }
        .await;
        match grant {
            Grant::Closed => Err(CheckoutError::Closed),
            Grant::TimedOut => Err(CheckoutError::Timeout(timeout)),
            Grant::Slot => self.create().await,
            Grant::Resource(mut idle) => loop {
                if let Some(lease) = self.validate(idle).await {
                    return Ok(lease);
                }
                match core.replace_invalid() {
                    Some(next) => idle = next,
                    None => return self.create().await,
                }
            },
        }
    }

    /// An idle resource, checked, if one is idle and nobody waits; never waits for another and
    /// never creates.
    pub async fn try_checkout(&self) -> Option<AsyncLease<M>> {
        let core = &self.shared.core;
        loop {
            if let Some(lease) = self.validate(core.take_idle()?).await {
                return Some(lease);
            }
            // Invalid: dropped, and its slot is ours; free it (a waiter may want it).
            core.free_slots(1, |_, _| {});
        }
    }

    /// Checks an idle resource. Valid, it becomes a lease; invalid, it is dropped (counted as
    /// broken) and its slot kept for a new one (`None`). If the future is dropped while
    /// `is_valid` runs, or `is_valid` panics, the resource is dropped, not handed to anyone,
    /// and its slot freed.
    async fn validate(&self, idle: Idle<M::Resource>) -> Option<AsyncLease<M>> {
        let core = &*self.shared.core;
        let slot = SlotGuard {
            core,
            slots: 1,
            account: |stats, _| {
                stats.reused -= 1;
                stats.cancelled += 1;
            },
        };
        // Declared after `slot`: dropped first, so the resource goes before its slot.
        let mut idle = idle;
        if !core.config.test_on_checkout || self.shared.manager.is_valid(&mut idle.resource).await {
            slot.disarm();
            return Some(AsyncLease::new(Arc::clone(&self.shared), idle));
        }
        drop(idle);
        slot.disarm();
        core.count_invalid();
        None
    }

    /// Fills a slot counted in `live` with `create`. The slot is freed if `create` fails,
    /// panics, or its future is dropped (counted as cancelled).
    async fn create(&self) -> Result<AsyncLease<M>, CheckoutError<M::Error>> {
        let core = &*self.shared.core;
        let mut slot = SlotGuard {
            core,
            slots: 1,
            account: |stats, _| stats.cancelled += 1,
        };
        let creating = Creating::start(core);
        let made = self.shared.manager.create().await;
        drop(creating);
        let resource = match made {
            Ok(resource) => resource,
            Err(e) => {
                slot.account = |stats, _| stats.create_errors += 1;
                drop(slot);
                return Err(CheckoutError::Create(e));
            }
        };
        slot.disarm();
        core.lock().stats.created += 1;
        let created = Instant::now();
        Ok(AsyncLease::new(
            Arc::clone(&self.shared),
            Idle {
                resource,
                created,
                returned: created,
                expires: core.config.expires(created),
            },
        ))
    }

    /// One round of maintenance: drops expired idle resources (without taking the pool below
    /// `min_idle` by `idle_timeout`) and makes resources until `min_idle` are idle. Returns
    /// the first `create` error of the round (the next round tries again).
    ///
    /// The pool starts no maintenance of its own: spawn a loop on your runtime, e.g. with
    /// tokio, `loop { pool.maintain().await; tokio::time::sleep(period).await }`.
    ///
    /// # Errors
    /// The first `create` error of the round.
    pub async fn maintain(&self) -> Result<(), M::Error> {
        let core = &self.shared.core;
        core.retire(core.reap());
        loop {
            {
                let mut state = core.lock();
                if state.shutdown
                    || state.idle.len() >= core.config.min_idle
                    || state.live >= core.config.max_size
                    || state.pending() > 0
                {
                    return Ok(());
                }
                state.live += 1;
            }
            match self.create().await {
                Ok(lease) => drop(lease), // to the idle list (or a waiter)
                Err(CheckoutError::Create(e)) => return Err(e),
                Err(_) => return Ok(()),
            }
        }
    }

    /// How often to run [`maintain`](Self::maintain): a quarter of the shortest of
    /// `idle_timeout` and `max_lifetime`, at most 30 s; `None` if nothing needs it.
    #[must_use]
    pub fn maintenance_period(&self) -> Option<Duration> {
        self.shared.core.config.maintenance_period()
    }

    /// The pool's counters and gauges, read at one instant.
    #[must_use]
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
    /// come back; checkouts (waiting ones included) fail with [`CheckoutError::Closed`].
    /// Dropping the last handle does the same.
    pub fn close(&self) {
        self.shared.core.shut();
    }

    /// Whether [`close`](Self::close) was called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared.core.is_closed()
    }

    /// Drops every idle resource (leased ones return as usual).
    pub fn clear(&self) {
        self.shared.core.clear();
    }
}

impl<M: ManageAsync> Drop for AsyncResourcePool<M> {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.close();
        }
    }
}

impl<M: ManageAsync> fmt::Debug for AsyncResourcePool<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResourcePool")
            .field("max_size", &self.max_size())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// A checkout's place in the queue, as a future of its grant. Dropped before the grant is
/// taken, it leaves the queue, or passes on a grant that reached it first.
/// A checkout's grant: its first poll takes an idle resource or a slot, or queues with this
/// task's waker (one lock round); a later poll picks the grant up and counts the wait under
/// the same lock.
struct Queued<'a, R: Send + 'static> {
    core: &'a Arc<Core<R>>,
    start: Instant,
    deadline: Option<Instant>,
    /// Its place in the queue, once queued.
    id: Option<u64>,
    done: bool,
}

impl<R: Send + 'static> Future for Queued<'_, R> {
    type Output = Grant<R>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Grant<R>> {
        let Some(id) = self.id else {
            let mut expired = Vec::new();
            let taken = self.core.take(
                || Wake::Task(cx.waker().clone()),
                self.deadline,
                &mut expired,
            );
            // Their slots may come back to this waiter: its waker is in the queue already.
            self.core.retire(expired);
            return match taken {
                Taken::Grant(grant) => {
                    self.done = true;
                    Poll::Ready(grant)
                }
                Taken::Queued(id) => {
                    self.id = Some(id);
                    Poll::Pending
                }
            };
        };
        let mut state = self.core.lock();
        match state.poll(id, || Wake::Task(cx.waker().clone())) {
            Some(grant) => {
                let grant = state.picked_up(grant, self.start);
                drop(state);
                self.done = true;
                Poll::Ready(grant)
            }
            None => Poll::Pending,
        }
    }
}

impl<R: Send + 'static> Drop for Queued<'_, R> {
    fn drop(&mut self) {
        if let (Some(id), false) = (self.id, self.done) {
            let rejected = self.core.cancel(id);
            self.core.retire(rejected.into_iter().collect());
        }
    }
}

/// A resource checked out of an [`AsyncResourcePool`]; derefs to it and returns it on drop.
/// [`mark_broken`](Self::mark_broken) drops it instead (after an I/O error);
/// [`begin_request`](Self::begin_request) / [`end_request`](Self::end_request) bracket a
/// request, so that a lease dropped mid-request (its task cancelled) drops its connection
/// instead of handing a half-read reply to the next caller.
#[must_use = "dropping the lease returns the resource at once"]
pub struct AsyncLease<M: ManageAsync> {
    shared: Arc<AsyncShared<M>>,
    /// `None` only while dropping.
    resource: Option<M::Resource>,
    created: Instant,
    expires: Option<Instant>,
    broken: bool,
    in_flight: bool,
}

impl<M: ManageAsync> AsyncLease<M> {
    fn new(shared: Arc<AsyncShared<M>>, idle: Idle<M::Resource>) -> Self {
        Self {
            shared,
            resource: Some(idle.resource),
            created: idle.created,
            expires: idle.expires,
            broken: false,
            in_flight: false,
        }
    }

    /// Drop the resource when the lease ends, instead of returning it to the pool.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }

    /// Whether [`mark_broken`](Self::mark_broken) was called.
    #[must_use]
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// A request is in flight until [`end_request`](Self::end_request): dropped in between,
    /// the lease drops its resource.
    pub fn begin_request(&mut self) {
        self.in_flight = true;
    }

    /// The request completed: the resource is clean again.
    pub fn end_request(&mut self) {
        self.in_flight = false;
    }

    /// Takes the resource out of the pool for good: its slot is freed.
    #[doc(alias = "take")]
    #[must_use = "the resource is the caller's now"]
    pub fn detach(mut self) -> M::Resource {
        let Some(resource) = self.resource.take() else {
            unreachable!("{HELD}")
        };
        self.shared
            .core
            .free_slots(1, |stats, _| stats.detached += 1);
        resource
    }

    /// When the resource was created.
    #[must_use]
    pub fn created(&self) -> Instant {
        self.created
    }
}

impl<M: ManageAsync> Deref for AsyncLease<M> {
    type Target = M::Resource;

    fn deref(&self) -> &M::Resource {
        self.resource.as_ref().expect(HELD)
    }
}

impl<M: ManageAsync> DerefMut for AsyncLease<M> {
    fn deref_mut(&mut self) -> &mut M::Resource {
        self.resource.as_mut().expect(HELD)
    }
}

impl<M: ManageAsync> Drop for AsyncLease<M> {
    fn drop(&mut self) {
        if let Some(resource) = self.resource.take() {
            let broken = self.broken || self.in_flight || std::thread::panicking();
            let manager = &self.shared.manager;
            self.shared
                .core
                .return_resource(resource, self.created, self.expires, broken, |r| {
                    manager.recycle(r)
                });
        }
    }
}

impl<M: ManageAsync> fmt::Debug for AsyncLease<M>
where
    M::Resource: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncLease")
            .field("resource", &self.resource)
            .field("broken", &self.broken)
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}
