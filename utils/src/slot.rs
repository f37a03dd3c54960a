//! Thread slots: a small dense id per live thread, so that a thread can own one stripe in every
//! striped counter (perfkit-counters) and update it without an atomic read-modify-write.
//!
//! A process-wide bitmap hands out ids `0..slot_count()`, lowest free first. A thread claims an
//! id the first time it asks for one and gives it back when it exits (its thread-local guard is
//! dropped), so ids stay dense while threads come and go. A thread that finds every id taken
//! gets none and uses a shared fall-back instead.
//!
//! Ordering: a release (`fetch_and`, `Release`) and the next claim of the same id
//! (`compare_exchange`, `Acquire`) synchronise, so everything the old owner wrote to its stripes
//! happens-before the new owner's first read of them.

use crate::sync::{AtomicU64, Cell, Ordering, thread_local};

/// The most thread slots there can be ([`ThreadSlot::count`] is at most this): 4 bitmap words.
pub const MAX_SLOTS: usize = 256;
const WORDS: usize = MAX_SLOTS / 64;

/// Thread slots: twice the available parallelism rounded up to a power of two, in
/// `4..=MAX_SLOTS`. Computed once; fixed for the life of the process.
#[cfg(not(perfkit_loom))]
#[inline]
fn slot_count() -> usize {
    match SLOT_COUNT.load(Ordering::Relaxed) {
        0 => init_slot_count(),
        known => known,
    }
}

#[cfg(not(perfkit_loom))]
static SLOT_COUNT: crate::sync::AtomicUsize = crate::sync::AtomicUsize::new(0);

#[cfg(not(perfkit_loom))]
#[cold]
fn init_slot_count() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let count = (2 * cores).next_power_of_two().clamp(4, MAX_SLOTS);
    // The first value stored wins, so the count never changes once a counter has used it.
    match SLOT_COUNT.compare_exchange(0, count, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => count,
        Err(winner) => winner,
    }
}

/// Under loom: two slots, so that three threads exercise the shared fall-back too.
#[cfg(perfkit_loom)]
fn slot_count() -> usize {
    2
}

/// The bitmap of claimed slots: bit `i` of word `i / 64` is set while slot `i` has an owner.
struct Registry {
    words: [AtomicU64; WORDS],
}

impl Registry {
    #[cfg(not(perfkit_loom))]
    const fn new() -> Self {
        Self {
            words: [const { AtomicU64::new(0) }; WORDS],
        }
    }

    #[cfg(perfkit_loom)]
    fn new() -> Self {
        Self {
            words: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Claims the lowest free slot below `slot_count()`, if any.
    fn claim(&self) -> Option<usize> {
        let count = slot_count();
        for (w, word) in self.words.iter().enumerate().take(count.div_ceil(64)) {
            let valid = match count - w * 64 {
                n if n >= 64 => u64::MAX,
                n => (1u64 << n) - 1,
            };
            let mut current = word.load(Ordering::Relaxed);
            loop {
                let free = !current & valid;
                if free == 0 {
                    break;
                }
                let bit = free.trailing_zeros();
                match word.compare_exchange_weak(
                    current,
                    current | (1 << bit),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Some(w * 64 + bit as usize),
                    Err(actual) => current = actual,
                }
            }
        }
        None
    }

    fn release(&self, slot: usize) {
        self.words[slot / 64].fetch_and(!(1u64 << (slot % 64)), Ordering::Release);
    }
}

#[cfg(not(perfkit_loom))]
static REGISTRY: Registry = Registry::new();

#[cfg(perfkit_loom)]
loom::lazy_static! {
    static ref REGISTRY: Registry = Registry::new();
}

const UNCLAIMED: usize = usize::MAX;
const NO_SLOT: usize = usize::MAX - 1;

/// Gives the thread's slot back when the thread exits. Kept apart from `SLOT` so that the hot
/// read of `SLOT` needs no liveness check (a thread-local with a destructor has one).
struct Releaser {
    slot: Cell<usize>,
}

impl Drop for Releaser {
    fn drop(&mut self) {
        let slot = self.slot.get();
        if slot < MAX_SLOTS {
            // Later thread-local destructors on this thread must not use the slot any more.
            let _ = SLOT.try_with(|s| s.set(NO_SLOT));
            REGISTRY.release(slot);
        }
    }
}

#[cfg(not(perfkit_loom))]
thread_local! {
    /// This thread's slot, `UNCLAIMED` or `NO_SLOT`. No destructor: always readable.
    static SLOT: Cell<usize> = const { Cell::new(UNCLAIMED) };
    static RELEASER: Releaser = const { Releaser { slot: Cell::new(UNCLAIMED) } };
}

// loom's `thread_local!` has no `const` form.
#[cfg(perfkit_loom)]
thread_local! {
    static SLOT: Cell<usize> = Cell::new(UNCLAIMED);
    static RELEASER: Releaser = Releaser { slot: Cell::new(UNCLAIMED) };
}

/// Dense per-thread indexes: the slots that perfkit-counters' stripes are indexed by, offered
/// for building other per-thread structures (perfkit-pool's per-thread caches and
/// perfkit-sharded's reader slots use them).
///
/// Guarantees (unsafe code may rely on them; perfkit-counters and perfkit-pool do, and pin this
/// crate's exact version): every slot is below
/// [`ThreadSlot::count`], which never changes during the process; while a thread holds a slot
/// no other live thread holds the same one; a thread keeps its slot until it exits (or until
/// its thread-locals are torn down, after which it gets `None`); a slot given up by one thread
/// is handed to the next through a release/acquire pair, so whatever the old holder wrote
/// happens-before the new holder's first use. The lowest free slot is handed out first. A
/// thread gets no slot (`None`) when all are held by live threads.
///
/// # Examples
/// ```
/// use perfkit_utils::ThreadSlot;
///
/// let mine = ThreadSlot::current().expect("a fresh process has free slots");
/// assert!(mine < ThreadSlot::count());
/// assert_eq!(ThreadSlot::current(), Some(mine)); // stable for the thread's lifetime
/// ```
#[derive(Debug)]
pub struct ThreadSlot {
    _private: (),
}

impl ThreadSlot {
    /// The calling thread's slot, claiming the lowest free one on first use. `None` when every
    /// slot is held by another live thread (the thread then keeps getting `None`: retrying would
    /// cost every call a scan), or once the thread's thread-locals are being torn down; such a
    /// thread needs a shared fall-back.
    #[inline]
    #[must_use]
    pub fn current() -> Option<usize> {
        current()
    }

    /// The calling thread's slot if it already holds one; unlike [`current`](Self::current),
    /// never claims. One thread-local load and a compare: for a fast path whose slow path
    /// calls `current`.
    #[inline]
    #[must_use]
    pub fn claimed() -> Option<usize> {
        let slot = SLOT.with(Cell::get);
        (slot < MAX_SLOTS).then_some(slot)
    }

    /// The number of slots: twice the available parallelism rounded up to a power of two, at
    /// least 4 and at most 256; fixed for the life of the process.
    #[inline]
    #[must_use]
    pub fn count() -> usize {
        slot_count()
    }
}

/// The calling thread's slot, claiming one on first use. `None` when every slot is owned by
/// another live thread, or once this thread's thread-local storage is being torn down; such a
/// thread must use a shared atomic path. A thread that once found no slot free keeps using the
/// shared path: retrying on every call would cost every call a scan of the bitmap.
#[inline]
fn current() -> Option<usize> {
    // `SLOT` has a const initialiser and no destructor: reading it is one `%fs`-relative load.
    let slot = SLOT.with(Cell::get);
    if slot < MAX_SLOTS {
        Some(slot)
    } else {
        unclaimed_or_none(slot)
    }
}

#[cold]
#[inline(never)]
fn unclaimed_or_none(slot: usize) -> Option<usize> {
    if slot == UNCLAIMED { claim() } else { None }
}

#[cold]
fn claim() -> Option<usize> {
    // Arm the releaser before claiming: if this thread is already tearing down its
    // thread-locals, a slot claimed now could never be given back, so take none.
    let claimed = RELEASER
        .try_with(|releaser| {
            let claimed = REGISTRY.claim();
            releaser.slot.set(claimed.unwrap_or(NO_SLOT));
            claimed
        })
        .ok()
        .flatten();
    let _ = SLOT.try_with(|s| s.set(claimed.unwrap_or(NO_SLOT)));
    claimed
}
