use std::time::Duration;

/// A [`ResourcePool`](crate::ResourcePool)'s gauges and counters, read at one instant (under
/// the pool's lock).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceStats {
    /// Resources leased out right now (including ones being created).
    pub in_use: usize,
    /// Resources idle in the pool right now.
    pub idle: usize,
    /// Checkouts waiting in the queue right now (served first come, first served).
    pub pending: usize,
    /// `create` calls running right now (counted in `in_use`).
    pub creating: usize,
    /// Resources created so far.
    pub created: u64,
    /// Checkouts served with an idle resource.
    pub reused: u64,
    /// Calls to `create` that failed (returned an error or panicked).
    pub create_errors: u64,
    /// Checkouts that had to wait for a resource.
    pub waits: u64,
    /// Total time checkouts spent in the queue, up to their grant (for those granted a
    /// resource or a slot; the `is_valid` or `create` that follows is not counted).
    pub wait_time: Duration,
    /// Checkouts that timed out.
    pub timeouts: u64,
    /// Checkouts given up before they got a resource: an async checkout's future dropped while
    /// it waited, checked or created (a grant it got first went to the next waiter).
    pub cancelled: u64,
    /// Resources dropped as broken: marked so by their lease, failed `is_valid`, or refused
    /// by `recycle`.
    pub broken: u64,
    /// Resources taken out of the pool for good with [`Lease::detach`](crate::Lease::detach).
    pub detached: u64,
    /// Rounds of the maintenance thread cut short by a panic in user code (a `create` or a
    /// resource's `Drop`); the thread goes on with the next round.
    pub maintenance_panics: u64,
    /// Resources retired by `max_lifetime`, `idle_timeout` or [`clear`](crate::ResourcePool::clear).
    pub closed: u64,
}
