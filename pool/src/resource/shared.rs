//! The state a pool's handles, leases and maintenance thread share, under one mutex: the idle
//! list, the live count, the stats; and the slot guard that frees a slot whatever user code
//! panics.

use std::collections::VecDeque;
use std::time::Instant;

use super::builder::Config;
use super::{CheckoutError, Lease, Manage, ResourceStats};
use crate::sync::{Arc, AtomicUsize, Condvar, Mutex, MutexGuard};

pub(crate) struct Shared<M: Manage> {
    pub(super) manager: M,
    /// `ResourcePool` handles alive (leases and the maintenance thread hold the `Arc` too, but
    /// only handles keep the pool open).
    pub(super) handles: AtomicUsize,
    pub(super) config: Config,
    pub(super) state: Mutex<State<M::Resource>>,
    /// Signalled when a resource returns or a slot frees.
    pub(super) available: Condvar,
    /// Signalled when the pool shuts down, to stop the maintenance thread.
    pub(super) maintenance: Condvar,
    /// Told of `create` errors no caller sees (the maintenance thread's top-up).
    pub(super) error_handler: Option<ErrorHandler<M::Error>>,
}

/// [`ResourcePoolBuilder::error_handler`](super::ResourcePoolBuilder::error_handler)'s hook.
pub(super) type ErrorHandler<E> = Box<dyn Fn(&E) + Send + Sync>;

pub(super) struct State<R> {
    /// Idle resources, most recently returned at the back.
    pub(super) idle: VecDeque<Idle<R>>,
    /// Live resources: idle, leased, and being created.
    pub(super) live: usize,
    pub(super) shutdown: bool,
    pub(super) stats: ResourceStats,
}

pub(super) struct Idle<R> {
    pub(super) resource: R,
    pub(super) created: Instant,
    pub(super) returned: Instant,
}

impl<M: Manage> Shared<M> {
    pub(super) fn lock(&self) -> MutexGuard<'_, State<M::Resource>> {
        // No user code runs under the lock, so a poisoned lock still holds a consistent state.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The most recently returned idle resource that has not expired, counted as `reused`
    /// here, under the lock already held (`validate` takes the count back if the check fails).
    /// Expired ones are moved to `expired`, still counted in `live`: the caller frees them
    /// with [`retire`] after releasing the lock, so no resource's `Drop` runs under it.
    ///
    /// [`retire`]: Self::retire
    pub(super) fn pop_live(
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
            state.stats.reused += 1;
            return Some(idle);
        }
        None
    }

    /// Drops resources taken out of the idle list (expired or cleared) without the lock, then
    /// frees their slots, even if a resource's `Drop` panics.
    pub(super) fn retire(&self, resources: Vec<Idle<M::Resource>>) {
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
    pub(super) fn validate(self: &Arc<Self>, idle: Idle<M::Resource>) -> Option<Lease<M>> {
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
        if !self.config.test_on_checkout || self.manager.is_valid(&mut idle.resource) {
            slot.disarm();
            return Some(Lease::new(Arc::clone(self), idle.resource, idle.created));
        }
        drop(idle);
        drop(slot);
        None
    }

    /// Makes a resource in a slot already counted in `live`; frees the slot if `create` fails
    /// or panics.
    pub(super) fn create(self: &Arc<Self>) -> Result<Lease<M>, CheckoutError<M::Error>> {
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

    /// Frees the slot of a resource a lease gave away ([`Lease::detach`]).
    pub(crate) fn forget_one(&self) {
        let slot = SlotGuard {
            shared: self,
            slots: 1,
            account: |stats, _| stats.detached += 1,
        };
        drop(slot);
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
    pub(super) fn reap(&self) {
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
    pub(super) fn top_up(self: &Arc<Self>) {
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
                Err(e) => {
                    if let (Some(handler), CheckoutError::Create(e)) = (&self.error_handler, &e) {
                        handler(e);
                    }
                    return;
                }
            }
        }
    }
}

/// Frees `slots` counted in `live` when dropped, unless disarmed, and records why with
/// `account`: the one place a slot comes back, so that user code (`create`, `is_valid`,
/// `recycle`, a resource's `Drop`) that panics cannot lose one.
pub(super) struct SlotGuard<'a, M: Manage> {
    pub(super) shared: &'a Shared<M>,
    pub(super) slots: usize,
    pub(super) account: fn(&mut ResourceStats, usize),
}

impl<M: Manage> SlotGuard<'_, M> {
    /// The slot stays taken: its resource lives on (leased or idle).
    pub(super) fn disarm(self) {
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
    pub(super) fn expired<R>(&self, idle: &Idle<R>, now: Instant) -> bool {
        self.max_lifetime
            .is_some_and(|max| now.saturating_duration_since(idle.created) >= max)
            || self
                .idle_timeout
                .is_some_and(|max| now.saturating_duration_since(idle.returned) >= max)
    }
}
