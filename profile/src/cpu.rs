//! The CPU profiler: `SIGPROF` from a process-wide CPU timer (`setitimer(ITIMER_PROF)`, as
//! gperftools and Go before 1.18), 100 Hz by default. The kernel sends the signal to the
//! thread that is running when the timer expires, so each sample is a thread that was using a
//! CPU.
//!
//! The handler does what a signal handler may: it claims a preallocated slot and copies the
//! interrupted registers and stack top into it (see [`crate::unwind`]); it never allocates,
//! locks or unwinds, so a sample landing in `malloc`, in a panic's unwinding, in libc or in
//! the dynamic loader cannot deadlock or crash. A thread of the profiler drains the slots
//! every 10 ms, unwinds them and counts stacks. A sample that finds its slot still full is
//! dropped and counted; the profile reports the count.

use crate::proto::{Profile, Sample, Stack};
use crate::unwind::{self, RawStack, SavedErrno, Unwinder};
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Go's default sampling frequency.
pub const DEFAULT_HZ: u32 = 100;
/// Slots between the handler and the drain: 64 x 32 KiB, allocated at the first profile and
/// kept (a handler may still be reading the pointer when a profile stops).
const SLOTS: usize = 64;

static SLOTS_BUF: OnceLock<Box<[Box<RawStack>]>> = OnceLock::new();
static ACTIVE: AtomicBool = AtomicBool::new(false);
static IN_USE: AtomicBool = AtomicBool::new(false);
static CURSOR: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
static INSTALLED: OnceLock<std::io::Result<()>> = OnceLock::new();

extern "C" fn on_sigprof(_sig: libc::c_int, _info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    if !ACTIVE.load(Ordering::Acquire) {
        return;
    }
    let _errno = SavedErrno::save();
    let Some(slots) = SLOTS_BUF.get() else {
        return;
    };
    let slot = &slots[CURSOR.fetch_add(1, Ordering::Relaxed) % slots.len()];
    if slot.claim() {
        // SAFETY: we claimed the slot; `ctx` is the ucontext_t the kernel passed us.
        unsafe { unwind::fill_from_signal(slot, ctx) };
    } else {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Why a CPU profile could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum CpuProfileError {
    /// Another CPU profile is running (Go's answer, word for word: "cpu profiling already in
    /// use").
    InUse,
    /// The signal handler or the timer could not be set up.
    Io(std::io::Error),
}

impl fmt::Display for CpuProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InUse => f.write_str("cpu profiling already in use"),
            Self::Io(e) => write!(f, "cpu profiling could not start: {e}"),
        }
    }
}

impl std::error::Error for CpuProfileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InUse => None,
            Self::Io(e) => Some(e),
        }
    }
}

/// A running CPU profile: samples every thread that uses a CPU, `hz` times per CPU-second,
/// until [`stop`](Self::stop) (or drop, which discards it).
///
/// ```no_run
/// let profiler = perfkit_profile::CpuProfiler::start(100)?;
/// // ... the work to profile ...
/// let profile = profiler.stop();
/// std::fs::write("cpu.pb.gz", profile.to_pprof())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct CpuProfiler {
    hz: u32,
    started: Instant,
    stop: std::sync::Arc<AtomicBool>,
    drain: Option<JoinHandle<Collected>>,
    dropped_before: u64,
}

#[derive(Debug, Default)]
struct Collected {
    counts: HashMap<Stack, u64>,
    truncated: u64,
}

impl CpuProfiler {
    /// Start sampling at `hz` samples per CPU-second (1 to 1000; Go's default is
    /// [`DEFAULT_HZ`]).
    ///
    /// # Errors
    /// [`CpuProfileError::InUse`] while another profile runs; [`CpuProfileError::Io`] if the
    /// handler, the timer or the drain thread cannot be set up.
    ///
    /// # Panics
    /// Never in practice: the slots are allocated before the drain thread reads them.
    pub fn start(hz: u32) -> Result<Self, CpuProfileError> {
        let hz = hz.clamp(1, 1000);
        if IN_USE.swap(true, Ordering::AcqRel) {
            return Err(CpuProfileError::InUse);
        }
        let fail = |e: std::io::Error| {
            IN_USE.store(false, Ordering::Release);
            CpuProfileError::Io(e)
        };
        SLOTS_BUF.get_or_init(|| (0..SLOTS).map(|_| unwind::raw_stack()).collect());
        if let Err(e) = INSTALLED.get_or_init(|| unwind::install(libc::SIGPROF, on_sigprof)) {
            return Err(fail(std::io::Error::new(e.kind(), e.to_string())));
        }
        // Built before the timer starts: reading the loaded objects takes the loader's lock.
        let mut unwinder = Unwinder::new();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let dropped_before = DROPPED.load(Ordering::Relaxed);
        ACTIVE.store(true, Ordering::Release);
        if let Err(e) = set_timer(hz) {
            ACTIVE.store(false, Ordering::Release);
            return Err(fail(e));
        }
        let flag = std::sync::Arc::clone(&stop);
        let drain = std::thread::Builder::new()
            .name("perfkit-cpu-profile".into())
            .spawn(move || {
                let mut collected = Collected::default();
                while !flag.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(10));
                    drain(&mut unwinder, &mut collected);
                }
                // The timer is off: wait for handlers still writing, then take the rest.
                let slots = SLOTS_BUF.get().expect("allocated in start");
                let deadline = Instant::now() + Duration::from_millis(100);
                while slots.iter().any(|s| s.state() == crate::slot::WRITING)
                    && Instant::now() < deadline
                {
                    std::thread::yield_now();
                }
                drain(&mut unwinder, &mut collected);
                collected.truncated += unwinder.truncated;
                collected
            });
        let drain = match drain {
            Ok(handle) => handle,
            Err(e) => {
                let _ = set_timer(0);
                ACTIVE.store(false, Ordering::Release);
                return Err(fail(e));
            }
        };
        Ok(Self {
            hz,
            started: Instant::now(),
            stop,
            drain: Some(drain),
            dropped_before,
        })
    }

    /// Stop sampling and return the profile.
    ///
    /// # Panics
    /// Never in practice: the profile exists until `stop` consumes it.
    pub fn stop(mut self) -> CpuProfile {
        self.finish()
            .expect("the drain thread runs until stop and returns its counts")
    }

    fn finish(&mut self) -> Option<CpuProfile> {
        let drain = self.drain.take()?;
        let _ = set_timer(0);
        ACTIVE.store(false, Ordering::Release);
        self.stop.store(true, Ordering::Release);
        let collected = drain.join().unwrap_or_default();
        let dropped = DROPPED.load(Ordering::Relaxed) - self.dropped_before;
        IN_USE.store(false, Ordering::Release);
        let period = 1_000_000_000 / i64::from(self.hz);
        let mut p = Profile::new(
            vec![("samples", "count"), ("cpu", "nanoseconds")],
            ("cpu", "nanoseconds"),
            period,
        );
        p.duration = Some(self.started.elapsed());
        let mut samples = 0;
        for (stack, count) in collected.counts {
            samples += count;
            p.samples.push(Sample {
                stack,
                values: vec![count as i64, count as i64 * period],
                labels: Vec::new(),
                str_labels: Vec::new(),
            });
        }
        if dropped > 0 {
            p.comments
                .push(format!("{dropped} samples dropped: every slot was full"));
        }
        Some(CpuProfile {
            profile: p,
            samples,
            dropped,
            truncated: collected.truncated,
        })
    }
}

impl Drop for CpuProfiler {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

fn set_timer(hz: u32) -> std::io::Result<()> {
    let usec = if hz == 0 {
        0
    } else {
        1_000_000 / i64::from(hz)
    };
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: usec as libc::suseconds_t,
    };
    let timer = libc::itimerval {
        it_interval: tv,
        it_value: tv,
    };
    // SAFETY: `timer` is a valid itimerval; the old value is not requested.
    if unsafe { libc::setitimer(libc::ITIMER_PROF, &raw const timer, std::ptr::null_mut()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn drain(unwinder: &mut Unwinder, into: &mut Collected) {
    let Some(slots) = SLOTS_BUF.get() else {
        return;
    };
    for slot in slots.iter() {
        if let Some(stack) = slot.take(|raw| unwinder.unwind(raw)) {
            *into.counts.entry(stack).or_insert(0) += 1;
        }
    }
}

/// A finished CPU profile.
#[derive(Debug)]
pub struct CpuProfile {
    profile: Profile,
    samples: u64,
    dropped: u64,
    truncated: u64,
}

impl CpuProfile {
    /// Samples taken.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Samples lost because the drain fell behind (every slot full).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Stacks the unwinder could not finish (cut at 128 frames or by missing unwind data).
    pub fn truncated(&self) -> u64 {
        self.truncated
    }

    /// The gzipped `profile.proto`, for `go tool pprof`.
    pub fn to_pprof(&self) -> Vec<u8> {
        self.profile.encode()
    }

    /// Folded stacks (`outer;inner count` per line, inlined frames included): the input of
    /// `inferno-flamegraph` and Brendan Gregg's `flamegraph.pl`.
    pub fn to_folded(&self) -> String {
        self.profile.folded()
    }
}

/// Profile the CPU for `duration` at [`DEFAULT_HZ`]: the gzipped `profile.proto`.
///
/// # Errors
/// As [`CpuProfiler::start`].
pub fn cpu_profile(duration: Duration) -> Result<Vec<u8>, CpuProfileError> {
    let profiler = CpuProfiler::start(DEFAULT_HZ)?;
    std::thread::sleep(duration);
    Ok(profiler.stop().to_pprof())
}
