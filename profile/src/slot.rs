//! A one-writer, one-reader hand-off slot: what a signal handler fills and a profiler thread
//! reads. `FREE -> WRITING` by a compare-and-swap (the handler that wins writes), `WRITING ->
//! READY` by a release store once written, and `READY -> FREE` by the reader after it read
//! (acquire first). Each side owns the data between its two transitions. A loom model checks
//! it (`--cfg perfkit_loom`).

use crate::sync::{AtomicU32, Ordering};

/// Nobody holds the slot.
pub(crate) const FREE: u32 = 0;
/// A writer is filling it.
pub(crate) const WRITING: u32 = 1;
/// It holds data for the reader.
pub(crate) const READY: u32 = 2;

pub(crate) struct Slot<T> {
    state: AtomicU32,
    data: Data<T>,
}

#[cfg(not(perfkit_loom))]
type Data<T> = std::cell::UnsafeCell<T>;
#[cfg(perfkit_loom)]
type Data<T> = loom::cell::UnsafeCell<T>;

// SAFETY: the data is reached only by the thread that holds the slot (see the module docs):
// the writer between its CAS and its release store, the reader between its acquire load and
// its release store; the state's orderings hand the data over between them.
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T> Slot<T> {
    #[cfg_attr(not(perfkit_loom), allow(dead_code))]
    pub(crate) fn new(value: T) -> Self {
        Self {
            state: AtomicU32::new(FREE),
            data: Data::new(value),
        }
    }

    /// The state now (FREE, WRITING or READY).
    pub(crate) fn state(&self) -> u32 {
        self.state.load(Ordering::Acquire)
    }

    /// Become the writer, if the slot is free. Lock-free: usable in a signal handler.
    pub(crate) fn claim(&self) -> bool {
        self.state
            .compare_exchange(FREE, WRITING, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Write the data and hand it to the reader. Lock-free, allocation-free (if `write` is).
    ///
    /// # Safety
    /// The caller claimed the slot ([`claim`](Self::claim) returned true) and has not
    /// published it since.
    pub(crate) unsafe fn publish(&self, write: impl FnOnce(&mut T)) {
        #[cfg(not(perfkit_loom))]
        // SAFETY: the caller holds the slot (WRITING): nobody else touches the data.
        write(unsafe { &mut *self.data.get() });
        #[cfg(perfkit_loom)]
        // SAFETY: as above; loom checks it.
        self.data.with_mut(|p| write(unsafe { &mut *p }));
        self.state.store(READY, Ordering::Release);
    }

    /// Read the data if it is ready, then free the slot.
    pub(crate) fn take<R>(&self, read: impl FnOnce(&T) -> R) -> Option<R> {
        if self.state.load(Ordering::Acquire) != READY {
            return None;
        }
        #[cfg(not(perfkit_loom))]
        // SAFETY: READY, seen with Acquire: the writer is done, and only the reader (we: a
        // slot has one reader) touches the data until the store below.
        let result = read(unsafe { &*self.data.get() });
        #[cfg(perfkit_loom)]
        // SAFETY: as above; loom checks it.
        let result = self.data.with(|p| read(unsafe { &*p }));
        self.state.store(FREE, Ordering::Release);
        Some(result)
    }
}

#[cfg(not(perfkit_loom))]
impl<T> Slot<T> {
    /// A slot on the heap whose data is all zero bytes (for data too large for a stack).
    ///
    /// # Safety
    /// All-zero bytes must be a valid `T`.
    pub(crate) unsafe fn boxed_zeroed() -> Box<Self> {
        let mut slot: Box<std::mem::MaybeUninit<Self>> = Box::new_uninit();
        // SAFETY: zero is FREE for the state (an AtomicU32 of 0) and, by the caller's
        // contract, a valid `T` for the data (an UnsafeCell<T> has T's layout).
        unsafe {
            std::ptr::write_bytes(slot.as_mut_ptr(), 0, 1);
            slot.assume_init()
        }
    }
}

#[cfg(all(test, perfkit_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// Two writers race for the slot while the reader drains it: every published value is
    /// read whole, once, and a lost race leaves the data alone. (Every side on a spawned
    /// thread: loom explores a model's main thread against them less thoroughly.)
    #[test]
    fn hand_off_is_exclusive() {
        loom::model(|| {
            let slot = Arc::new(Slot::new([0u64; 2]));
            let writers: Vec<_> = [1u64, 2]
                .into_iter()
                .map(|v| {
                    let slot = Arc::clone(&slot);
                    loom::thread::spawn(move || {
                        if slot.claim() {
                            // SAFETY: claimed just above.
                            unsafe { slot.publish(|d| *d = [v, v]) };
                            true
                        } else {
                            false
                        }
                    })
                })
                .collect();
            let drain = Arc::clone(&slot);
            let reader = loom::thread::spawn(move || {
                let mut seen = 0;
                for _ in 0..2 {
                    if let Some(d) = drain.take(|d| *d) {
                        assert_eq!(d[0], d[1], "a torn value");
                        seen += 1;
                    }
                }
                seen
            });
            let mut seen = reader.join().unwrap();
            let wrote = writers
                .into_iter()
                .map(|w| usize::from(w.join().unwrap()))
                .sum::<usize>();
            seen += usize::from(slot.take(|d| assert_eq!(d[0], d[1])).is_some());
            assert_eq!(seen, wrote, "every published value is read once");
        });
    }
}
