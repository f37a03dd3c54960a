//! A counting global allocator: allocations and bytes per thread, in `const`-initialised
//! thread-local tallies (as divan does), so counting never contends and never allocates.
//!
//! A reallocation counts as one allocation of the new size; frees are not counted. Each thread
//! also keeps the bytes it holds (allocated minus freed by it) and the most it has held since
//! [`reset_thread_peak`]: the peak working memory of a region of code. The
//! allocator is installed by this crate (see `lib.rs`), so every binary that links
//! `perfkit-bench` (the report, the criterion benches, the tests) counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ops::Sub;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use perfkit_profile::HeapProfiler;

/// The heap profiler the `profile` area measures: the counting allocator forwards to it
/// instead of `System` while [`set_heap_profiling`] is on. Both ways pay the same relaxed load
/// and branch, so a case's difference is the profiler's own cost.
static HEAP_PROFILER: HeapProfiler<System> = HeapProfiler::new(System);
static PROFILING: AtomicBool = AtomicBool::new(false);

/// Route allocations through [`perfkit_profile::HeapProfiler`] (`true`) or straight to
/// `System`. Memory may be freed on the other route than it was allocated on: both end in
/// `System`; the profiler only misses that free in its statistics.
pub fn set_heap_profiling(on: bool) {
    PROFILING.store(on, Ordering::Relaxed);
}

#[inline]
fn profiling() -> bool {
    PROFILING.load(Ordering::Relaxed)
}

/// The allocator underneath, chosen once, at the process's first allocation, from
/// `PERFKIT_ALLOCATOR` (`mimalloc`; anything else or unset: `System`). The `allocator-choice`
/// group runs its cases in child processes started with it: a process never mixes allocators.
static BASE: AtomicU8 = AtomicU8::new(UNCHOSEN);
const UNCHOSEN: u8 = 0;
const SYSTEM: u8 = 1;
const MIMALLOC: u8 = 2;

#[inline]
fn mimalloc_base() -> bool {
    match BASE.load(Ordering::Relaxed) {
        SYSTEM => false,
        MIMALLOC => true,
        _ => choose_base(),
    }
}

#[cold]
fn choose_base() -> bool {
    // SAFETY: getenv with a NUL-terminated name; it allocates nothing (this runs inside the
    // allocator, at the first allocation, before any thread could call setenv).
    let value = unsafe { libc::getenv(c"PERFKIT_ALLOCATOR".as_ptr()) };
    // SAFETY: a non-null getenv result is a NUL-terminated string.
    let mimalloc = !value.is_null() && unsafe { std::ffi::CStr::from_ptr(value) } == c"mimalloc";
    let chosen = if mimalloc { MIMALLOC } else { SYSTEM };
    match BASE.compare_exchange(UNCHOSEN, chosen, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => mimalloc,
        Err(first) => first == MIMALLOC,
    }
}

/// The allocator this process runs on: "System" or "mimalloc".
#[must_use]
pub fn base_allocator() -> &'static str {
    if mimalloc_base() {
        "mimalloc"
    } else {
        "System"
    }
}

/// Allocations and bytes allocated by one thread since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    pub allocs: u64,
    /// Bytes requested by those calls.
    pub bytes: u64,
}

impl Sub for Tally {
    type Output = Tally;

    fn sub(self, earlier: Tally) -> Tally {
        Tally {
            allocs: self.allocs - earlier.allocs,
            bytes: self.bytes - earlier.bytes,
        }
    }
}

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<u64> = const { Cell::new(0) };
    // Signed: a block freed by another thread than the one that made it is taken off there.
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

/// The bytes the calling thread holds now: allocated minus freed by it.
#[must_use]
pub fn thread_live() -> i64 {
    LIVE.try_with(Cell::get).unwrap_or(0)
}

/// Starts a new peak at what the calling thread holds now.
pub fn reset_thread_peak() {
    let _ = PEAK.try_with(|p| p.set(thread_live()));
}

/// The most bytes the calling thread has held since [`reset_thread_peak`]. A reallocation
/// counts the old and the new block together while it copies.
#[must_use]
pub fn thread_peak() -> i64 {
    PEAK.try_with(Cell::get).unwrap_or(0)
}

/// Adds `delta` to the bytes held, first raising the peak to what is held plus `transient`
/// (a reallocation's new block, held beside the old one while it copies).
#[inline]
fn hold(delta: i64, transient: i64) {
    let _ = LIVE.try_with(|live| {
        let now = live.get();
        let _ = PEAK.try_with(|p| p.set(p.get().max(now + transient.max(delta))));
        live.set(now + delta);
    });
}

#[inline]
fn size(bytes: usize) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

/// The calling thread's tally so far. Subtract two readings to count a region of code.
#[must_use]
pub fn thread_tally() -> Tally {
    Tally {
        allocs: ALLOCS.try_with(Cell::get).unwrap_or(0),
        bytes: BYTES.try_with(Cell::get).unwrap_or(0),
    }
}

#[inline]
fn count(bytes: usize) {
    // `try_with`: allocations made while thread-locals are torn down go uncounted rather than
    // panicking inside the allocator.
    let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
    let _ = BYTES.try_with(|b| b.set(b.get() + bytes as u64));
}

/// The system allocator, counting per thread.
#[derive(Debug)]
pub struct CountingAlloc;

// SAFETY: every method forwards, with the caller's arguments unchanged, to the process's one
// base allocator: mimalloc, or `System` (directly or through the heap profiler, which forwards
// to `System` unchanged). The base is chosen at the first allocation and never changes, so
// every block is freed by the allocator that made it. The counting touches only
// const-initialised thread-locals that have no destructor, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        hold(size(layout.size()), 0);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract; we pass it through (the
        // profiler forwards it to `System` unchanged).
        unsafe {
            if mimalloc_base() {
                mimalloc::MiMalloc.alloc(layout)
            } else if profiling() {
                HEAP_PROFILER.alloc(layout)
            } else {
                System.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        hold(size(layout.size()), 0);
        // SAFETY: as for `alloc`.
        unsafe {
            if mimalloc_base() {
                mimalloc::MiMalloc.alloc_zeroed(layout)
            } else if profiling() {
                HEAP_PROFILER.alloc_zeroed(layout)
            } else {
                System.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        hold(-size(layout.size()), 0);
        // SAFETY: `ptr` was allocated with `layout` by the base allocator (for `System`,
        // directly or through the profiler, which forwards to it).
        unsafe {
            if mimalloc_base() {
                mimalloc::MiMalloc.dealloc(ptr, layout)
            } else if profiling() {
                HEAP_PROFILER.dealloc(ptr, layout)
            } else {
                System.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        hold(size(new_size) - size(layout.size()), size(new_size));
        // SAFETY: `ptr`/`layout` came from the base allocator (for `System`, directly or
        // through the profiler); the caller upholds `realloc`'s contract for `new_size`.
        unsafe {
            if mimalloc_base() {
                mimalloc::MiMalloc.realloc(ptr, layout, new_size)
            } else if profiling() {
                HEAP_PROFILER.realloc(ptr, layout, new_size)
            } else {
                System.realloc(ptr, layout, new_size)
            }
        }
    }
}
