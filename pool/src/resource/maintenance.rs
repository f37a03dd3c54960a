//! The maintenance thread of the sync pool: retires expired resources and keeps `min_idle`
//! ready.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use super::Manage;
use super::shared::Shared;
use crate::panic::drop_payload;
use crate::sync::Weak;

/// The maintenance thread: retire expired idle resources and top up to `min_idle`, every
/// `period`, until the last `ResourcePool` handle is dropped.
pub(super) fn maintain<M: Manage>(weak: &Weak<Shared<M>>, period: Duration) {
    loop {
        let Some(shared) = weak.upgrade() else { return };
        // User code runs here (`create`, `recycle`, a resource's `Drop`): a panic in it is
        // counted (a panicking `create` as a `create_errors`, its slot freed by the guard) and
        // the thread goes on with the next round instead of dying silently.
        let round = catch_unwind(AssertUnwindSafe(|| {
            shared.core.retire(shared.core.reap());
            shared.top_up();
        }));
        if let Err(payload) = round {
            shared.core.lock().stats.maintenance_panics += 1;
            drop_payload(payload);
        }
        let state = shared.core.lock();
        if state.shutdown {
            return;
        }
        let (state, _) = shared
            .core
            .maintenance
            .wait_timeout(state, period)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.shutdown {
            return;
        }
    }
}
