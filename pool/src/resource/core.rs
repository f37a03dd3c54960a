//! The one synchronisation core of the resource pools, sync ([`ResourcePool`]) and async
//! ([`AsyncResourcePool`]): the idle list, the live count, the stats and a FIFO queue of
//! waiters, under one mutex, with no user code run under it.
//!
//! The protocol, in one place:
//! - A checkout takes an idle resource or a free slot only when nobody waits: a newcomer never
//!   overtakes a waiter. Otherwise it queues (FIFO).
//! - A resource that comes back goes straight to the head waiter (a *grant*), else to the idle
//!   list; a slot that frees (a resource dropped, a `create` failed) goes to the head waiter as
//!   the right to create one, else the live count drops.
//! - A waiter that gives up (timeout, a dropped future) leaves the queue; if a grant reached it
//!   first, it passes the grant on as if it had come back: nothing is lost.
//! - Closing grants `Closed` to every waiter.
//!
//! [`ResourcePool`]: super::ResourcePool
//! [`AsyncResourcePool`]: super::AsyncResourcePool

use std::collections::VecDeque;
use std::task::Waker;
use std::time::{Duration, Instant};

use super::builder::Config;
use super::stats::ResourceStats;
use crate::sync::{Arc, CachePadded, Condvar, Mutex, MutexGuard, Weak};

/// An idle resource and its times.
pub(crate) struct Idle<R> {
    pub(crate) resource: R,
    pub(crate) created: Instant,
    pub(crate) returned: Instant,
    /// When it retires by age: `created + max_lifetime` less its jitter.
    pub(crate) expires: Option<Instant>,
}

/// What a waiter is handed.
pub(crate) enum Grant<R> {
    /// A resource that came back (not yet checked: the waiter runs `is_valid`).
    Resource(Idle<R>),
    /// A slot counted in `live`: the waiter creates the resource.
    Slot,
    /// The pool closed.
    Closed,
    /// The waiter's deadline passed (async waiters; the timer thread grants it).
    TimedOut,
}

/// What a checkout got at once.
pub(crate) enum Taken<R> {
    Grant(Grant<R>),
    /// Queued; its grant comes later, under this id.
    Queued(u64),
}

/// How to wake a waiter.
pub(crate) enum Wake {
    /// Not yet polled (an async waiter between queueing and its first poll).
    Nobody,
    /// A sync waiter blocks on its own condition variable with the core's lock: a
    /// perfkit-utils `Condvar`, so that its waits show in perfkit-profile's block profile.
    Thread(Arc<Condvar>),
    Task(Waker),
}

impl Wake {
    fn wake(self) {
        match self {
            Self::Nobody => {}
            Self::Thread(condvar) => condvar.notify_one(),
            Self::Task(waker) => waker.wake(),
        }
    }
}

struct Waiter {
    id: u64,
    wake: Wake,
    /// For the timer thread (async waiters with a timeout).
    deadline: Option<Instant>,
}

pub(crate) struct State<R> {
    /// Idle resources, most recently returned at the back.
    pub(crate) idle: VecDeque<Idle<R>>,
    /// Live resources: idle, leased, being checked, being created (slots).
    pub(crate) live: usize,
    /// `create` calls running now.
    pub(crate) creating: usize,
    waiters: VecDeque<Waiter>,
    /// Grants made to waiters that have not picked them up yet.
    granted: Vec<(u64, Grant<R>)>,
    next_id: u64,
    pub(crate) shutdown: bool,
    timer_running: bool,
    /// When the timer thread wakes next (it sleeps until the earliest deadline it knows): a
    /// waiter whose deadline is later needs no notify.
    timer_wakes: Option<Instant>,
    pub(crate) stats: ResourceStats,
}

/// Wakes collected under the lock, run after it is released. The first is kept inline: a
/// returned resource wakes one waiter, and that costs no allocation.
#[must_use]
pub(crate) struct Wakes {
    first: Option<Wake>,
    rest: Vec<Wake>,
}

impl Wakes {
    pub(crate) const fn new() -> Self {
        Self {
            first: None,
            rest: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, wake: Wake) {
        if self.first.is_none() {
            self.first = Some(wake);
        } else {
            self.rest.push(wake);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    pub(crate) fn run(self) {
        for wake in self.first.into_iter().chain(self.rest) {
            wake.wake();
        }
    }
}

impl<R> State<R> {
    fn new() -> Self {
        Self {
            idle: VecDeque::new(),
            live: 0,
            creating: 0,
            waiters: VecDeque::new(),
            granted: Vec::new(),
            next_id: 0,
            shutdown: false,
            timer_running: false,
            timer_wakes: None,
            stats: ResourceStats::default(),
        }
    }

    /// Waiters in the queue now.
    pub(crate) fn pending(&self) -> usize {
        self.waiters.len()
    }

    /// An idle resource or a free slot if nobody waits, else a place in the queue, woken as
    /// `wake` (called only then) says. Expired idle resources met on the way go to `expired`
    /// (still counted in `live`: the caller drops them without the lock and frees their
    /// slots).
    pub(crate) fn take(
        &mut self,
        config: &Config,
        wake: impl FnOnce() -> Wake,
        deadline: Option<Instant>,
        expired: &mut Vec<Idle<R>>,
    ) -> Taken<R> {
        if self.shutdown {
            return Taken::Grant(Grant::Closed);
        }
        if self.waiters.is_empty() {
            if let Some(idle) = self.take_idle(config, expired) {
                return Taken::Grant(Grant::Resource(idle));
            }
            if self.live < config.max_size {
                self.live += 1;
                return Taken::Grant(Grant::Slot);
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        self.waiters.push_back(Waiter {
            id,
            wake: wake(),
            deadline,
        });
        self.stats.waits += 1;
        Taken::Queued(id)
    }

    /// An idle resource if nobody waits; never queues, never takes a slot.
    pub(crate) fn take_idle(
        &mut self,
        config: &Config,
        expired: &mut Vec<Idle<R>>,
    ) -> Option<Idle<R>> {
        if self.shutdown || !self.waiters.is_empty() {
            return None;
        }
        let now = Instant::now();
        while let Some(idle) = self.idle.pop_back() {
            if config.expired(&idle, now) {
                expired.push(idle);
                continue;
            }
            self.stats.reused += 1;
            return Some(idle);
        }
        None
    }

    /// A queued checkout picks up `grant`: the time since `start` counts as waited when it
    /// got a resource or a slot.
    pub(crate) fn picked_up(&mut self, grant: Grant<R>, start: Instant) -> Grant<R> {
        if matches!(grant, Grant::Resource(_) | Grant::Slot) {
            self.stats.wait_time += start.elapsed();
        }
        grant
    }

    /// The grant of waiter `id`, if it has one (its wake stays as it was).
    pub(crate) fn granted(&mut self, id: u64) -> Option<Grant<R>> {
        let at = self.granted.iter().position(|(g, _)| *g == id)?;
        Some(self.granted.swap_remove(at).1)
    }

    /// The grant of waiter `id`, if it has one; else records how to wake it.
    pub(crate) fn poll(&mut self, id: u64, wake: impl FnOnce() -> Wake) -> Option<Grant<R>> {
        if let Some(grant) = self.granted(id) {
            return Some(grant);
        }
        if let Some(waiter) = self.waiters.iter_mut().find(|w| w.id == id) {
            let fresh = match (&waiter.wake, wake()) {
                (Wake::Task(old), Wake::Task(new)) if old.will_wake(&new) => None,
                (_, new) => Some(new),
            };
            if let Some(new) = fresh {
                waiter.wake = new;
            }
        }
        None
    }

    /// Waiter `id` gives up: out of the queue, or, if a grant reached it first, the grant, for
    /// the caller to pass on with [`give_back`](Self::give_back) or
    /// [`free_slots`](Self::free_slots).
    pub(crate) fn cancel(&mut self, id: u64) -> Option<Grant<R>> {
        if let Some(at) = self.waiters.iter().position(|w| w.id == id) {
            self.waiters.remove(at);
            return None;
        }
        let at = self.granted.iter().position(|(g, _)| *g == id)?;
        Some(self.granted.swap_remove(at).1)
    }

    /// A resource comes back (already recycled): to the head waiter, else to the idle list. It
    /// comes back to the caller to drop (then free its slot) when the pool is closed or it
    /// expired.
    pub(crate) fn give_back(
        &mut self,
        config: &Config,
        idle: Idle<R>,
        wakes: &mut Wakes,
    ) -> Option<Idle<R>> {
        if self.shutdown || config.expired(&idle, idle.returned) {
            return Some(idle);
        }
        if let Some(waiter) = self.waiters.pop_front() {
            // Counted as reused when handed over, as a checkout that pops it is.
            self.stats.reused += 1;
            self.granted.push((waiter.id, Grant::Resource(idle)));
            wakes.push(waiter.wake);
        } else {
            self.idle.push_back(idle);
        }
        None
    }

    /// `n` slots free: each goes to the head waiter as the right to create, else `live` drops.
    pub(crate) fn free_slots(&mut self, n: usize, wakes: &mut Wakes) {
        for _ in 0..n {
            match self.waiters.pop_front() {
                Some(waiter) if !self.shutdown => {
                    self.granted.push((waiter.id, Grant::Slot));
                    wakes.push(waiter.wake);
                }
                Some(waiter) => {
                    self.granted.push((waiter.id, Grant::Closed));
                    wakes.push(waiter.wake);
                    self.live -= 1;
                }
                None => self.live -= 1,
            }
        }
    }

    /// Closes: every waiter is granted `Closed`; the idle resources come back to drop.
    pub(crate) fn close(&mut self, wakes: &mut Wakes) -> Vec<Idle<R>> {
        self.shutdown = true;
        while let Some(waiter) = self.waiters.pop_front() {
            self.granted.push((waiter.id, Grant::Closed));
            wakes.push(waiter.wake);
        }
        self.idle.drain(..).collect()
    }

    /// Async waiters whose deadline passed are granted `TimedOut`; the earliest deadline left.
    fn expire_waiters(&mut self, now: Instant, wakes: &mut Wakes) -> Option<Instant> {
        let mut earliest: Option<Instant> = None;
        let mut i = 0;
        while i < self.waiters.len() {
            match self.waiters[i].deadline {
                Some(deadline) if deadline <= now => {
                    let waiter = self.waiters.remove(i).expect("in range");
                    self.stats.timeouts += 1;
                    self.granted.push((waiter.id, Grant::TimedOut));
                    wakes.push(waiter.wake);
                }
                Some(deadline) => {
                    earliest = Some(earliest.map_or(deadline, |e| e.min(deadline)));
                    i += 1;
                }
                None => i += 1,
            }
        }
        earliest
    }
}

/// The core: its state under one mutex, the configuration, and the condition variables of
/// the maintenance and timer threads.
pub(crate) struct Core<R> {
    pub(crate) config: Config,
    /// On cache lines of its own: every checkout and return writes it, from every thread, and
    /// a neighbour (a lease's `Arc` count, the configuration) must not share its line.
    state: CachePadded<Mutex<State<R>>>,
    /// Signalled when the pool shuts down, to stop the maintenance thread.
    pub(crate) maintenance: Condvar,
    /// Signalled when an async waiter with a deadline queues, or the pool shuts down.
    timer: Condvar,
}

impl<R: Send + 'static> Core<R> {
    pub(crate) fn new(config: Config) -> Self {
        Self {
            config,
            state: CachePadded::new(Mutex::new(State::new())),
            maintenance: Condvar::new(),
            timer: Condvar::new(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State<R>> {
        // No user code runs under the lock, so a poisoned lock still holds a consistent state.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A checkout's first step; see [`State::take`]. An async waiter with a deadline starts
    /// the timer thread if it is not running.
    pub(crate) fn take(
        self: &Arc<Self>,
        wake: impl FnOnce() -> Wake,
        deadline: Option<Instant>,
        expired: &mut Vec<Idle<R>>,
    ) -> Taken<R> {
        let mut state = self.lock();
        let taken = state.take(&self.config, wake, deadline, expired);
        if let (Taken::Queued(_), Some(deadline)) = (&taken, deadline) {
            if state.timer_running {
                // Only a deadline earlier than the timer's next wake-up needs it sooner (with
                // the 30 s default, queued checkouts rarely do: no wake-up per checkout).
                if state.timer_wakes.is_none_or(|wakes| deadline < wakes) {
                    state.timer_wakes = Some(deadline);
                    self.timer.notify_one();
                }
            } else {
                state.timer_running = true;
                let weak = Arc::downgrade(self);
                // If the thread cannot start, async timeouts would never fire: fail loudly.
                std::thread::Builder::new()
                    .name("perfkit-pool-timer".into())
                    .spawn(move || timer(&weak))
                    .expect("spawn the resource pool's timer thread");
            }
        }
        taken
    }

    /// A resource comes back; see [`State::give_back`].
    pub(crate) fn give_back(&self, idle: Idle<R>) -> Option<Idle<R>> {
        let mut wakes = Wakes::new();
        let rejected = self.lock().give_back(&self.config, idle, &mut wakes);
        wakes.run();
        rejected
    }

    /// [`State::take_idle`] under the lock; the expired ones met on the way are dropped
    /// after it.
    pub(crate) fn take_idle(&self) -> Option<Idle<R>> {
        let mut expired = Vec::new();
        let idle = self.lock().take_idle(&self.config, &mut expired);
        self.retire(expired);
        idle
    }

    /// Counts a checked-out idle resource that failed `is_valid` (and was dropped) as broken,
    /// not reused.
    pub(crate) fn count_invalid(&self) {
        let mut state = self.lock();
        state.stats.reused -= 1;
        state.stats.broken += 1;
    }

    /// After an invalid resource was dropped, its slot still the checkout's: another idle one
    /// if there is one (the slot is freed for it: cheaper than a new connection), else `None`
    /// and the checkout creates in the slot.
    pub(crate) fn replace_invalid(&self) -> Option<Idle<R>> {
        let next = self.take_idle()?;
        self.free_slots(1, |_, _| {});
        Some(next)
    }

    /// Closes the pool: waiters get `Closed`, idle resources are dropped (without the lock).
    pub(crate) fn shut(&self) {
        self.retire(self.close());
    }

    /// Drops every idle resource (without the lock).
    pub(crate) fn clear(&self) {
        let idle: Vec<_> = self.lock().idle.drain(..).collect();
        self.retire(idle);
    }

    /// Whether the pool was closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().shutdown
    }

    /// A lease's resource comes back: `recycle` (user code, run without the lock) decides
    /// whether it is kept; kept, it goes to the head waiter or the idle list; else it is
    /// dropped and its slot freed, also if `recycle` or the resource's `Drop` panics.
    pub(crate) fn return_resource(
        &self,
        resource: R,
        created: Instant,
        expires: Option<Instant>,
        broken: bool,
        recycle: impl FnOnce(&mut R) -> bool,
    ) {
        let mut slot = SlotGuard {
            core: self,
            slots: 1,
            account: |stats, _| stats.broken += 1,
        };
        // Declared after `slot`: on unwind the resource is dropped before the slot is freed.
        let mut resource = resource;
        if broken || !recycle(&mut resource) {
            drop(resource);
            drop(slot);
            return;
        }
        let idle = Idle {
            resource,
            created,
            returned: Instant::now(),
            expires,
        };
        match self.give_back(idle) {
            None => slot.disarm(),
            Some(rejected) => {
                slot.account = |stats, _| stats.closed += 1;
                drop(rejected);
                drop(slot);
            }
        }
    }

    /// Drops resources taken out of the idle list (expired, cleared, rejected) without the
    /// lock, then frees their slots, even if a resource's `Drop` panics.
    pub(crate) fn retire(&self, resources: Vec<Idle<R>>) {
        if resources.is_empty() {
            return;
        }
        let slots = SlotGuard {
            core: self,
            slots: resources.len(),
            account: |stats, n| stats.closed += n as u64,
        };
        drop(resources);
        drop(slots);
    }

    /// Passes on a grant a waiter gave up (counted as cancelled); a resource in it goes back
    /// unchecked (it was idle: nobody used it).
    pub(crate) fn pass_on(&self, grant: Grant<R>) -> Option<Idle<R>> {
        let mut wakes = Wakes::new();
        let mut state = self.lock();
        state.stats.cancelled += 1;
        let rejected = match grant {
            Grant::Resource(idle) => {
                state.stats.reused -= 1;
                state.give_back(&self.config, idle, &mut wakes)
            }
            Grant::Slot => {
                state.free_slots(1, &mut wakes);
                None
            }
            Grant::Closed | Grant::TimedOut => None,
        };
        drop(state);
        wakes.run();
        rejected
    }

    /// Waiter `id` gives up: the grant it may have got first is passed on; a resource that can
    /// no longer be kept comes back to the caller to drop.
    pub(crate) fn cancel(&self, id: u64) -> Option<Idle<R>> {
        let grant = {
            let mut state = self.lock();
            let grant = state.cancel(id);
            if grant.is_none() {
                state.stats.cancelled += 1;
            }
            grant
        };
        grant.and_then(|grant| self.pass_on(grant))
    }

    /// Frees `n` slots (see [`State::free_slots`]), recording why with `account`.
    pub(crate) fn free_slots(&self, n: usize, account: fn(&mut ResourceStats, usize)) {
        let mut wakes = Wakes::new();
        let mut state = self.lock();
        account(&mut state.stats, n);
        state.free_slots(n, &mut wakes);
        drop(state);
        wakes.run();
    }

    /// The gauges and counters, read at one instant.
    pub(crate) fn stats(&self) -> ResourceStats {
        let state = self.lock();
        ResourceStats {
            idle: state.idle.len(),
            in_use: state.live - state.idle.len(),
            pending: state.waiters.len(),
            creating: state.creating,
            ..state.stats
        }
    }

    /// Closes the core; the idle resources come back to drop.
    pub(crate) fn close(&self) -> Vec<Idle<R>> {
        let mut wakes = Wakes::new();
        let idle = self.lock().close(&mut wakes);
        self.maintenance.notify_all();
        self.timer.notify_all();
        wakes.run();
        idle
    }

    /// Expired idle resources, taken out for the caller to drop. `idle_timeout` never takes
    /// the pool below `min_idle` idle resources (the most recently returned stay);
    /// `max_lifetime` always applies.
    pub(crate) fn reap(&self) -> Vec<Idle<R>> {
        let now = Instant::now();
        let mut state = self.lock();
        let keep_idle = self.config.min_idle;
        let count = state.idle.len();
        let mut kept = VecDeque::with_capacity(count);
        let mut expired = Vec::new();
        // Oldest first: the newest `min_idle` are the ones `idle_timeout` spares.
        for (i, idle) in state.idle.drain(..).enumerate() {
            let spared = count - i <= keep_idle;
            let too_old = idle.expires.is_some_and(|at| now >= at);
            let too_idle = !spared
                && self
                    .config
                    .idle_timeout
                    .is_some_and(|max| now.saturating_duration_since(idle.returned) >= max);
            if too_old || too_idle {
                expired.push(idle);
            } else {
                kept.push_back(idle);
            }
        }
        state.idle = kept;
        expired
    }
}

/// The timer thread of async deadlines: grants `TimedOut` to each waiter whose deadline
/// passed, sleeping until the earliest one; exits when the pool closes or is gone.
fn timer<R: Send + 'static>(weak: &Weak<Core<R>>) {
    loop {
        let Some(core) = weak.upgrade() else { return };
        let mut wakes = Wakes::new();
        let mut state = core.lock();
        if state.shutdown {
            state.timer_running = false;
            return;
        }
        let now = Instant::now();
        let earliest = state.expire_waiters(now, &mut wakes);
        // Sleep at most a second: the pool may be dropped without closing the core first.
        let sleep = earliest.map_or(Duration::from_secs(1), |at| {
            at.saturating_duration_since(now)
                .min(Duration::from_secs(1))
        });
        state.timer_wakes = Some(now + sleep);
        if wakes.is_empty() {
            let (state, _) = core
                .timer
                .wait_timeout(state, sleep)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            drop(state);
        } else {
            drop(state);
            wakes.run();
        }
    }
}

/// Frees `slots` counted in `live` when dropped, unless disarmed, and records why with
/// `account`: the one place a slot comes back, so that user code (`create`, `is_valid`,
/// `recycle`, a resource's `Drop`) that panics, or a future dropped at an await, cannot lose
/// one.
pub(crate) struct SlotGuard<'a, R: Send + 'static> {
    pub(crate) core: &'a Core<R>,
    pub(crate) slots: usize,
    pub(crate) account: fn(&mut ResourceStats, usize),
}

impl<R: Send + 'static> SlotGuard<'_, R> {
    /// The slot stays taken: its resource lives on (leased or idle).
    pub(crate) fn disarm(self) {
        std::mem::forget(self);
    }
}

impl<R: Send + 'static> Drop for SlotGuard<'_, R> {
    fn drop(&mut self) {
        self.core.free_slots(self.slots, self.account);
    }
}

/// Counts a `create` as running while alive (the `creating` gauge).
pub(crate) struct Creating<'a, R: Send + 'static>(pub(crate) &'a Core<R>);

impl<'a, R: Send + 'static> Creating<'a, R> {
    pub(crate) fn start(core: &'a Core<R>) -> Self {
        core.lock().creating += 1;
        Self(core)
    }
}

impl<R: Send + 'static> Drop for Creating<'_, R> {
    fn drop(&mut self) {
        self.0.lock().creating -= 1;
    }
}

impl Config {
    pub(crate) fn expired<R>(&self, idle: &Idle<R>, now: Instant) -> bool {
        idle.expires.is_some_and(|at| now >= at)
            || self
                .idle_timeout
                .is_some_and(|max| now.saturating_duration_since(idle.returned) >= max)
    }

    /// When a resource created at `created` retires by age: `max_lifetime` less a jitter of
    /// up to the configured jitter, so that resources made together
    /// (a pool's start, a server's restart) do not all reconnect at once.
    pub(crate) fn expires(&self, created: Instant) -> Option<Instant> {
        let max = self.max_lifetime?;
        let jitter = self.jitter().min(max);
        let cut = if jitter.is_zero() {
            Duration::ZERO
        } else {
            jitter.mul_f64(unit_random())
        };
        created.checked_add(max - cut)
    }
}

/// A number in `[0, 1)`, different per call: SplitMix64 over a counter (no dependency; the
/// jitter needs spread, not unpredictability).
fn unit_random() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let mut z = STATE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    #[allow(
        clippy::cast_precision_loss,
        reason = "53 random bits make the fraction"
    )]
    let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
    unit
}

/// Loom models of the grant protocol: each step is one critical section of [`State`], as the
/// core runs them (a cancel that finds a grant passes it on in a second one), and loom tries
/// every order of them. Run: `RUSTFLAGS="--cfg perfkit_loom -C debug-assertions"
/// cargo test -p perfkit-pool --release --lib loom_models --target-dir target-loom`.
#[cfg(all(test, perfkit_loom))]
mod loom_models {
    use loom::sync::{Arc, Mutex};

    use super::*;

    fn config(max_size: usize) -> Config {
        Config {
            max_size,
            ..Config::default()
        }
    }

    fn idle(value: u32) -> Idle<u32> {
        let now = Instant::now();
        Idle {
            resource: value,
            created: now,
            returned: now,
            expires: None,
        }
    }

    /// A state with `live` resources leased and `n` waiters queued, and the waiters' ids.
    fn queued(live: usize, n: usize, config: &Config) -> (Arc<Mutex<State<u32>>>, Vec<u64>) {
        let mut state = State::new();
        state.live = live;
        let ids = (0..n)
            .map(
                |_| match state.take(config, || Wake::Nobody, None, &mut Vec::new()) {
                    Taken::Queued(id) => id,
                    Taken::Grant(_) => panic!("the pool is full: a checkout queues"),
                },
            )
            .collect();
        (Arc::new(Mutex::new(state)), ids)
    }

    /// A waiter gives up as [`Core::cancel`] does: out of the queue, or its grant passed on.
    fn cancel(state: &Mutex<State<u32>>, config: &Config, id: u64) {
        let grant = state.lock().unwrap().cancel(id);
        let mut wakes = Wakes::new();
        match grant {
            Some(Grant::Resource(idle)) => {
                assert!(
                    state
                        .lock()
                        .unwrap()
                        .give_back(config, idle, &mut wakes)
                        .is_none()
                );
            }
            Some(Grant::Slot) => state.lock().unwrap().free_slots(1, &mut wakes),
            Some(Grant::Closed | Grant::TimedOut) | None => {}
        }
    }

    #[test]
    fn a_resource_granted_to_a_waiter_that_gives_up_is_passed_on() {
        loom::model(|| {
            let config = config(1);
            let (state, ids) = queued(1, 2, &config);
            let (first, second) = (ids[0], ids[1]);
            let returner = {
                let state = Arc::clone(&state);
                loom::thread::spawn(move || {
                    let mut wakes = Wakes::new();
                    let kept = state
                        .lock()
                        .unwrap()
                        .give_back(&config, idle(7), &mut wakes);
                    assert!(kept.is_none());
                })
            };
            let giver_up = {
                let state = Arc::clone(&state);
                loom::thread::spawn(move || cancel(&state, &config, first))
            };
            returner.join().unwrap();
            giver_up.join().unwrap();
            // Whatever the order, the second waiter holds the one resource.
            let mut state = state.lock().unwrap();
            assert!(matches!(
                state.poll(second, || Wake::Nobody),
                Some(Grant::Resource(Idle { resource: 7, .. }))
            ));
            assert!(state.idle.is_empty() && state.waiters.is_empty() && state.granted.is_empty());
            assert_eq!(state.live, 1);
        });
    }

    #[test]
    fn a_slot_freed_while_the_only_waiter_gives_up_is_not_lost() {
        loom::model(|| {
            let config = config(1);
            let (state, ids) = queued(1, 1, &config);
            let freer = {
                let state = Arc::clone(&state);
                loom::thread::spawn(move || {
                    let mut wakes = Wakes::new();
                    state.lock().unwrap().free_slots(1, &mut wakes);
                })
            };
            let giver_up = {
                let state = Arc::clone(&state);
                loom::thread::spawn(move || cancel(&state, &config, ids[0]))
            };
            freer.join().unwrap();
            giver_up.join().unwrap();
            let mut state = state.lock().unwrap();
            assert_eq!(state.live, 0, "the slot is free for the next checkout");
            assert!(state.waiters.is_empty() && state.granted.is_empty());
            assert!(matches!(
                state.take(&config, || Wake::Nobody, None, &mut Vec::new()),
                Taken::Grant(Grant::Slot)
            ));
        });
    }

    #[test]
    fn a_deadline_passing_while_a_resource_returns_loses_neither() {
        loom::model(|| {
            let config = config(1);
            let mut state = State::new();
            state.live = 1;
            let past = Instant::now();
            let Taken::Queued(id) =
                state.take(&config, || Wake::Nobody, Some(past), &mut Vec::new())
            else {
                panic!("the pool is full: a checkout queues")
            };
            let state = Arc::new(Mutex::new(state));
            let timer = {
                let state = Arc::clone(&state);
                loom::thread::spawn(move || {
                    let mut wakes = Wakes::new();
                    state
                        .lock()
                        .unwrap()
                        .expire_waiters(Instant::now(), &mut wakes);
                })
            };
            let returner = {
                let state = Arc::clone(&state);
                loom::thread::spawn(move || {
                    let mut wakes = Wakes::new();
                    let kept = state
                        .lock()
                        .unwrap()
                        .give_back(&config, idle(3), &mut wakes);
                    assert!(kept.is_none());
                })
            };
            timer.join().unwrap();
            returner.join().unwrap();
            let mut state = state.lock().unwrap();
            // Granted before its deadline was seen: the waiter has the resource. Expired
            // first: it is told so, and the resource is idle.
            match state.poll(id, || Wake::Nobody) {
                Some(Grant::Resource(Idle { resource: 3, .. })) => assert!(state.idle.is_empty()),
                Some(Grant::TimedOut) => assert_eq!(state.idle.len(), 1),
                _ => panic!("the waiter got neither the resource nor its timeout"),
            }
            assert_eq!(state.live, 1);
        });
    }

    #[test]
    fn closing_while_a_resource_returns_and_a_waiter_gives_up_drops_it_once() {
        loom::model(|| {
            let config = config(1);
            let (state, ids) = queued(1, 1, &config);
            let closer = {
                let state = Arc::clone(&state);
                loom::thread::spawn(move || {
                    let mut wakes = Wakes::new();
                    state.lock().unwrap().close(&mut wakes).len()
                })
            };
            let returner = {
                let state = Arc::clone(&state);
                loom::thread::spawn(move || {
                    let mut wakes = Wakes::new();
                    let rejected = state
                        .lock()
                        .unwrap()
                        .give_back(&config, idle(1), &mut wakes);
                    usize::from(rejected.is_some())
                })
            };
            let id = ids[0];
            let giver_up = {
                let state = Arc::clone(&state);
                loom::thread::spawn(move || {
                    let grant = state.lock().unwrap().cancel(id);
                    match grant {
                        Some(Grant::Resource(idle)) => {
                            let mut wakes = Wakes::new();
                            let rejected =
                                state.lock().unwrap().give_back(&config, idle, &mut wakes);
                            usize::from(rejected.is_some())
                        }
                        _ => 0,
                    }
                })
            };
            let dropped =
                closer.join().unwrap() + returner.join().unwrap() + giver_up.join().unwrap();
            let state = state.lock().unwrap();
            // The resource ends dropped exactly once, or idle in a pool closed after it.
            assert_eq!(dropped + state.idle.len(), 1);
            assert!(state.waiters.is_empty());
        });
    }
}
