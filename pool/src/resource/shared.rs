//! What a sync pool's handles, leases and maintenance thread share: the manager and the core.
//! How a grant becomes a lease (check, or create) for the sync pool.

use std::time::Instant;

use super::core::{Core, Creating, Grant, Idle, SlotGuard};
use super::{CheckoutError, Lease, Manage};
use crate::sync::{Arc, AtomicUsize};

pub(crate) struct Shared<M: Manage> {
    pub(super) manager: M,
    /// `ResourcePool` handles alive (leases and the maintenance thread hold the `Arc` too, but
    /// only handles keep the pool open).
    pub(super) handles: AtomicUsize,
    pub(crate) core: Arc<Core<M::Resource>>,
    /// Told of `create` errors no caller sees (the maintenance thread's top-up).
    pub(super) error_handler: Option<ErrorHandler<M::Error>>,
}

/// [`ResourcePoolBuilder::error_handler`](super::ResourcePoolBuilder::error_handler)'s hook.
pub(super) type ErrorHandler<E> = Box<dyn Fn(&E) + Send + Sync>;

impl<M: Manage> Shared<M> {
    /// Turns a grant into a lease: a resource is checked (`is_valid`); if it fails it is
    /// dropped and the next idle one is tried (its slot freed), or, with none idle, a new one
    /// made in its slot; a slot is filled by `create`.
    pub(super) fn fulfil(
        self: &Arc<Self>,
        grant: Grant<M::Resource>,
    ) -> Result<Lease<M>, CheckoutError<M::Error>> {
        match grant {
            Grant::Closed => Err(CheckoutError::Closed),
            Grant::TimedOut => Err(CheckoutError::Timeout(self.core.config.timeout)),
            Grant::Slot => self.create(),
            Grant::Resource(mut idle) => loop {
                if let Some(lease) = self.validate(idle) {
                    return Ok(lease);
                }
                match self.core.replace_invalid() {
                    Some(next) => idle = next,
                    None => return self.create(),
                }
            },
        }
    }

    /// Runs the health check. A valid resource becomes a lease; an invalid one is dropped
    /// (counted as broken) and its slot kept for a new one (`None`). If `is_valid` or the
    /// resource's `Drop` panics, the slot is freed.
    pub(super) fn validate(self: &Arc<Self>, idle: Idle<M::Resource>) -> Option<Lease<M>> {
        let slot = SlotGuard {
            core: &self.core,
            slots: 1,
            account: |stats, _| {
                stats.reused -= 1;
                stats.broken += 1;
            },
        };
        // Declared after `slot`: on unwind the resource is dropped before the slot is freed.
        let mut idle = idle;
        if !self.core.config.test_on_checkout || self.manager.is_valid(&mut idle.resource) {
            slot.disarm();
            return Some(Lease::new(Arc::clone(self), idle));
        }
        drop(idle);
        slot.disarm();
        self.core.count_invalid();
        None
    }

    /// Makes a resource in a slot already counted in `live`; frees the slot if `create` fails
    /// or panics.
    pub(super) fn create(self: &Arc<Self>) -> Result<Lease<M>, CheckoutError<M::Error>> {
        let slot = SlotGuard {
            core: &self.core,
            slots: 1,
            account: |stats, _| stats.create_errors += 1,
        };
        let creating = Creating::start(&self.core);
        let resource = self.manager.create().map_err(CheckoutError::Create)?;
        drop(creating);
        slot.disarm();
        self.core.lock().stats.created += 1;
        let created = Instant::now();
        Ok(Lease::new(
            Arc::clone(self),
            Idle {
                resource,
                created,
                returned: created,
                expires: self.core.config.expires(created),
            },
        ))
    }

    /// Frees the slot of a resource a lease gave away ([`Lease::detach`]).
    pub(crate) fn forget_one(&self) {
        self.core.free_slots(1, |stats, _| stats.detached += 1);
    }

    /// Makes resources until `min_idle` are idle or `max_size` are live; stops at the first
    /// failure (the next round tries again).
    pub(super) fn top_up(self: &Arc<Self>) {
        loop {
            {
                let mut state = self.core.lock();
                if state.shutdown
                    || state.idle.len() >= self.core.config.min_idle
                    || state.live >= self.core.config.max_size
                    || state.pending() > 0
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
