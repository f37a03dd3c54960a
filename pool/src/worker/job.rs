//! A queued job: the closure itself, stored inline in the queue's slot when it is small, so
//! that submitting it allocates nothing (measured: with a 16-byte closure, a `Box` per job put
//! glibc's `_int_malloc` at a quarter of the pool's CPU time, the submitter allocating while
//! the workers freed). Larger or over-aligned closures are boxed, and the box is stored inline.
//! A job the queue refused can be turned back into its closure ([`Job::into_inner`]), so the
//! queue's own bound is the pool's: `try_execute` hands the caller's closure back unboxed.
//!
//! A job is exactly one cache line, aligned to one (`align(64)`). crossbeam-channel's slot is
//! a stamp beside the message in a buffer the allocator aligns to 8 bytes only: a 56-byte job
//! made 64-byte slots that mostly straddled two lines, neighbours sharing one, so that the
//! submitter writing slot `i + 1` and a worker reading slot `i` moved the shared line between
//! the cores on every job. Measured on 10,000 tiny jobs (the `workers` group), the same pool
//! took 1.4-1.7 ms or 2.6-3.3 ms from one process to the next, by where the buffer happened to
//! start; aligned, the job has a line of its own (the stamp another) and runs 2.1-2.3 ms in
//! every process.

use std::mem::{ManuallyDrop, MaybeUninit};

/// Words of inline storage: closures of up to seven words (56 bytes on 64-bit targets: seven
/// captured pointers or integers) are not boxed; with the vtable, one cache line.
const WORDS: usize = 7;

/// A type-erased `FnOnce() + Send`, run or dropped exactly once.
#[repr(align(64))]
pub(crate) struct Job {
    data: MaybeUninit<[usize; WORDS]>,
    vtable: &'static VTable,
}

struct VTable {
    /// Moves the closure out of `data` and calls it.
    run: unsafe fn(*mut MaybeUninit<[usize; WORDS]>),
    /// Drops the closure in `data`, unrun.
    drop: unsafe fn(*mut MaybeUninit<[usize; WORDS]>),
}

/// The vtable of closures of type `F` stored inline (a boxed closure is an `Inline<Box<F>>`:
/// a box of a closure is itself a closure, one pointer long).
struct Inline<F>(std::marker::PhantomData<F>);

impl<F> Inline<F> {
    const FITS: bool = size_of::<F>() <= size_of::<[usize; WORDS]>()
        && align_of::<F>() <= align_of::<[usize; WORDS]>();
}

impl<F: FnOnce()> Inline<F> {
    const VTABLE: VTable = VTable {
        run: Self::run,
        drop: Self::drop,
    };

    /// # Safety
    /// `data` holds an `F` (written by [`Job::new_scoped`]) that is neither run nor dropped yet;
    /// afterwards it holds none.
    unsafe fn run(data: *mut MaybeUninit<[usize; WORDS]>) {
        // SAFETY: by the caller's contract `data` holds a live `F`, suitably aligned (FITS);
        // reading moves it out, and nothing reads it there again.
        let f = unsafe { data.cast::<F>().read() };
        f();
    }

    /// # Safety
    /// As for [`Self::run`].
    unsafe fn drop(data: *mut MaybeUninit<[usize; WORDS]>) {
        // SAFETY: as in `run`: a live, aligned `F`, dropped once.
        unsafe { data.cast::<F>().drop_in_place() };
    }
}

impl Job {
    /// A job for the queue.
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> Self {
        // SAFETY: `F: 'static`, so the job may run or be dropped whenever.
        unsafe { Self::new_scoped(f) }
    }

    /// A job that borrows for `'a`.
    ///
    /// # Safety
    /// The job must be run or dropped before `'a` ends.
    pub(crate) unsafe fn new_scoped<'a, F: FnOnce() + Send + 'a>(f: F) -> Self {
        // SAFETY: the same contract, passed on.
        unsafe {
            if Inline::<F>::FITS {
                Self::inline(f)
            } else {
                Self::inline(Box::new(f))
            }
        }
    }

    /// `s` stored in the slot, with its vtable.
    ///
    /// # Safety
    /// As for [`Self::new_scoped`].
    ///
    /// # Panics
    /// If `S` does not fit (callers check [`Inline::FITS`]; a box always fits).
    unsafe fn inline<'a, S: FnOnce() + Send + 'a>(s: S) -> Self {
        assert!(Inline::<S>::FITS, "a closure too large for the slot");
        let mut data = MaybeUninit::<[usize; WORDS]>::uninit();
        // SAFETY: FITS: `data` is large and aligned enough for an `S`.
        unsafe { data.as_mut_ptr().cast::<S>().write(s) };
        Self {
            data,
            vtable: &Inline::<S>::VTABLE,
        }
    }

    /// The closure back, unrun.
    ///
    /// # Safety
    /// The job was made from a closure of type `F`.
    pub(crate) unsafe fn into_inner<F>(self) -> F {
        let mut this = ManuallyDrop::new(self);
        let data = (&raw mut this.data).cast::<u8>();
        // SAFETY: by the caller's contract `data` holds an `F` (inline, when it fits) or a
        // `Box<F>` (otherwise: the choice `new_scoped` made from the same type), not yet run
        // or dropped; `this` is never dropped, so it is moved out once.
        unsafe {
            if Inline::<F>::FITS {
                data.cast::<F>().read()
            } else {
                *data.cast::<Box<F>>().read()
            }
        }
    }

    /// Runs the job (consumed: a panic inside drops what the closure owned, once).
    pub(crate) fn run(self) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `data` holds the closure `vtable` was made for, not yet run or dropped;
        // `this` is never dropped, so it is not dropped again.
        unsafe { (this.vtable.run)(&raw mut this.data) };
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        // SAFETY: a job not run (`run` consumes it without dropping) holds its closure.
        unsafe { (self.vtable.drop)(&raw mut self.data) };
    }
}

// SAFETY: a `Job` is made only from closures that are `Send` (both constructors require it),
// and it gives access to the closure only by running or dropping it.
unsafe impl Send for Job {}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Counts its drops.
    struct Tracked(Arc<AtomicUsize>);

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn small_and_large_closures_run_once_and_drop_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let ran = Arc::new(AtomicUsize::new(0));
        for big in [false, true] {
            let (t, r) = (Tracked(Arc::clone(&drops)), Arc::clone(&ran));
            let ballast = [7u64; 16];
            let job = if big {
                Job::new(move || {
                    let _t = t;
                    r.fetch_add(ballast.iter().sum::<u64>() as usize, Ordering::Relaxed);
                })
            } else {
                Job::new(move || {
                    let _t = t;
                    r.fetch_add(1, Ordering::Relaxed);
                })
            };
            job.run();
        }
        assert_eq!(ran.load(Ordering::Relaxed), 1 + 112);
        assert_eq!(drops.load(Ordering::Relaxed), 2);
        // Dropped unrun: the captures are dropped, the closure never called.
        for big in [false, true] {
            let t = Tracked(Arc::clone(&drops));
            let ballast = [1u8; 100];
            let r = Arc::clone(&ran);
            drop(if big {
                Job::new(move || {
                    let _t = &t;
                    r.fetch_add(usize::from(ballast[0]), Ordering::Relaxed);
                })
            } else {
                Job::new(move || {
                    let _t = &t;
                    r.fetch_add(1, Ordering::Relaxed);
                })
            });
        }
        assert_eq!(ran.load(Ordering::Relaxed), 113);
        assert_eq!(drops.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn a_panicking_job_drops_its_captures_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let t = Tracked(Arc::clone(&drops));
        let job = Job::new(move || {
            let _t = t;
            panic!("job");
        });
        assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run())).is_err());
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn refused_jobs_give_their_closure_back() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (small, ballast) = (Tracked(Arc::clone(&drops)), [3u64; 10]);
        let small = move || {
            let _t = small;
        };
        let big = move || assert_eq!(ballast.iter().sum::<u64>(), 30);
        fn round_trip<F: FnOnce() + Send + 'static>(f: F) -> F {
            // SAFETY: the job is turned back into the type it was made from.
            unsafe { Job::new(f).into_inner::<F>() }
        }
        let (small, big) = (round_trip(small), round_trip(big));
        assert_eq!(drops.load(Ordering::Relaxed), 0, "given back, not dropped");
        big();
        small();
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn over_aligned_closures_are_boxed() {
        #[repr(align(64))]
        struct Wide(u8);
        let w = Wide(5);
        let out = Arc::new(AtomicUsize::new(0));
        let o = Arc::clone(&out);
        const { assert!(!Inline::<Wide>::FITS) };
        Job::new(move || o.store(usize::from(w.0), Ordering::Relaxed)).run();
        assert_eq!(out.load(Ordering::Relaxed), 5);
    }
}
