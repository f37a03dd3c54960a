//! The lock-contention hook: how a profiler learns that a perfkit lock made a thread wait.
//!
//! perfkit's locks ([`crate::lock`], and through them the shards of `perfkit-sharded` and the
//! pools' internal locks) call the installed [`Hook`] only on their *contended* path: when a
//! `try_lock` failed and the thread is about to block, and when a guard is dropped while
//! another thread waits. With no hook installed, the contended path costs one relaxed load of
//! a global; the uncontended path does not look at the hook at all.
//!
//! `perfkit-profile` installs the hook that feeds its `/debug/pprof/mutex` and `/block`
//! profiles; any other recorder can install its own (one hook per process).
//!
//! ```
//! use perfkit_utils::contention::{self, Event};
//! use std::time::Duration;
//!
//! fn record(event: Event, delay: Duration) {
//!     // Called on the thread that waited (Event::Block) or that made others wait
//!     // (Event::Mutex): capture its stack here.
//!     let _ = (event, delay);
//! }
//! let previous = contention::set_hook(Some(record));
//! assert!(previous.is_none());
//! contention::set_hook(None);
//! ```

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a contended lock reports, in Go's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// A thread waited to acquire a lock: reported by the waiter, after it acquired, with the
    /// whole time it waited (Go's block profile).
    Block,
    /// A thread released a lock while others waited: reported by the releaser, with the time
    /// the waiters spent waiting since the previous report (Go's mutex profile, which charges
    /// contention to the holder that caused it).
    Mutex,
}

/// A contention recorder: called with the event and the delay it stands for, on the thread
/// the event belongs to (so the hook may capture the current stack). It must not take the
/// lock that reported it.
pub type Hook = fn(Event, Duration);

/// The installed hook as a function pointer's address; 0 when none.
static HOOK: AtomicUsize = AtomicUsize::new(0);

/// Install `hook` (or remove the current one with `None`); returns the previous hook.
///
/// Locks already waited on keep reporting to whichever hook they read when they started
/// waiting.
pub fn set_hook(hook: Option<Hook>) -> Option<Hook> {
    let previous = HOOK.swap(hook.map_or(0, |f| f as usize), Ordering::AcqRel);
    from_addr(previous)
}

/// The installed hook, if any.
#[inline]
pub fn hook() -> Option<Hook> {
    from_addr(HOOK.load(Ordering::Acquire))
}

fn from_addr(addr: usize) -> Option<Hook> {
    if addr == 0 {
        return None;
    }
    // SAFETY: a non-zero value in HOOK was stored by `set_hook` from a `Hook` function
    // pointer (`f as usize`), and function pointers and `usize` have the same size here.
    Some(unsafe { std::mem::transmute::<usize, Hook>(addr) })
}

/// Nanoseconds on a monotonic clock since the first call: the time stamps of waits.
pub(crate) fn now_nanos() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    let base = *BASE.get_or_init(Instant::now);
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
}
