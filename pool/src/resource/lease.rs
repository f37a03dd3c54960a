use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::Instant;

use super::Manage;
use super::core::Idle;
use super::shared::Shared;
use crate::sync::Arc;

/// A resource checked out of a [`ResourcePool`](crate::ResourcePool); derefs to it and returns
/// it on drop (from any thread). [`mark_broken`](Self::mark_broken) drops it instead: do that
/// after an I/O error, so that the next checkout does not get a dead connection.
#[must_use = "dropping the lease returns the resource at once"]
pub struct Lease<M: Manage> {
    shared: Arc<Shared<M>>,
    /// `None` only while dropping.
    resource: Option<M::Resource>,
    created: Instant,
    expires: Option<Instant>,
    broken: bool,
    in_flight: bool,
}

impl<M: Manage> Lease<M> {
    pub(crate) fn new(shared: Arc<Shared<M>>, idle: Idle<M::Resource>) -> Self {
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

    /// Says a request is in flight on the resource until [`end_request`](Self::end_request):
    /// a lease dropped in between (its holder gave up, panicked, or its future was dropped
    /// mid-request) drops the resource instead of handing a connection with a half-read reply
    /// to the next caller.
    pub fn begin_request(&mut self) {
        self.in_flight = true;
    }

    /// The request begun with [`begin_request`](Self::begin_request) completed: the resource
    /// is clean again.
    pub fn end_request(&mut self) {
        self.in_flight = false;
    }

    /// Takes the resource out of the pool for good: its slot is freed (the pool may make
    /// another), and the pool no longer counts or recycles it. r2d2's `PooledConnection` has no
    /// such call; deadpool's `Object::take` does the same.
    #[doc(alias = "take")]
    #[must_use = "the resource is the caller's now"]
    pub fn detach(mut self) -> M::Resource {
        let Some(resource) = self.resource.take() else {
            unreachable!("{HELD}")
        };
        self.shared.forget_one();
        resource
    }

    /// Whether [`mark_broken`](Self::mark_broken) was called.
    #[must_use]
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// When the resource was created.
    #[must_use]
    pub fn created(&self) -> Instant {
        self.created
    }
}

pub(crate) const HELD: &str = "a lease holds its resource until dropped";

impl<M: Manage> Deref for Lease<M> {
    type Target = M::Resource;

    fn deref(&self) -> &M::Resource {
        self.resource.as_ref().expect(HELD)
    }
}

impl<M: Manage> DerefMut for Lease<M> {
    fn deref_mut(&mut self) -> &mut M::Resource {
        self.resource.as_mut().expect(HELD)
    }
}

impl<M: Manage> Drop for Lease<M> {
    fn drop(&mut self) {
        if let Some(resource) = self.resource.take() {
            // A lease dropped while its holder panics may be mid-request: treat it as broken.
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

impl<M: Manage> fmt::Debug for Lease<M>
where
    M::Resource: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("resource", &self.resource)
            .field("broken", &self.broken)
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}
