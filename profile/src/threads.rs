//! The thread dump (Go's `goroutine` profile, for threads): every thread of the process with
//! its name and stack.
//!
//! Each thread listed in `/proc/self/task` is sent `SIGURG` (`tgkill`), one at a time; its
//! handler copies its registers and stack top (no allocation, no lock) and the dumping thread
//! unwinds the copy. `SIGURG` is Go's choice too: its default action is to ignore it, so a
//! signal that arrives after the dump gave up on a thread does no harm. A thread that blocks
//! the signal, or does not answer within 100 ms, is listed without a stack.

use crate::proto::{Profile, Sample, Stack};
use crate::symbol;
use crate::unwind::{self, RawStack, SavedErrno, Unwinder};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

static SLOT: OnceLock<Box<RawStack>> = OnceLock::new();
static TARGET: AtomicU32 = AtomicU32::new(0);
static INSTALLED: OnceLock<std::io::Result<()>> = OnceLock::new();
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

extern "C" fn on_sigurg(_sig: libc::c_int, _info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let _errno = SavedErrno::save();
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u32;
    if TARGET.load(Ordering::Acquire) != tid {
        return;
    }
    let Some(slot) = SLOT.get() else {
        return;
    };
    if slot.claim() {
        // SAFETY: claimed above; `ctx` is the kernel's ucontext_t for this handler.
        unsafe { unwind::fill_from_signal(slot, ctx) };
    }
}

/// One thread of the dump.
#[derive(Clone, Debug)]
pub(crate) struct ThreadStack {
    pub(crate) tid: u32,
    pub(crate) name: String,
    pub(crate) stack: Option<Stack>,
}

/// Every thread's name and stack.
pub(crate) fn dump() -> Vec<ThreadStack> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let slot = SLOT.get_or_init(unwind::raw_stack);
    let installed = INSTALLED
        .get_or_init(|| unwind::install(libc::SIGURG, on_sigurg))
        .is_ok();
    let mut unwinder = Unwinder::new();
    let mut tids: Vec<u32> = std::fs::read_dir("/proc/self/task")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    tids.sort_unstable();
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    let mut out = Vec::with_capacity(tids.len());
    for tid in tids {
        let name = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
            .map(|s| s.trim_end().to_owned())
            .unwrap_or_default();
        let mut stack = None;
        if installed {
            TARGET.store(tid, Ordering::Release);
            // SAFETY: tgkill with our own pid and a tid read from /proc/self/task; a thread that
            // exited meanwhile makes it fail with ESRCH, which we treat as "no stack".
            let sent = unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, libc::SIGURG) } == 0;
            let deadline = Instant::now() + Duration::from_millis(100);
            while sent && stack.is_none() && Instant::now() < deadline {
                stack = slot.take(|raw| unwinder.unwind(raw));
                if stack.is_none() {
                    std::thread::sleep(Duration::from_micros(50));
                }
            }
            TARGET.store(0, Ordering::Release);
            // A handler that claimed the slot just before we gave up: let it finish.
            let _ = slot.take(|_| ());
        }
        out.push(ThreadStack { tid, name, stack });
    }
    out
}

/// The dump as a pprof profile (`goroutine/count`, one sample per thread, labelled with its
/// name and id).
pub(crate) fn profile() -> Profile {
    let threads = dump();
    let mut p = Profile::new(vec![("goroutine", "count")], ("goroutine", "count"), 1);
    for t in threads {
        p.samples.push(Sample {
            stack: t.stack.unwrap_or_default(),
            values: vec![1],
            labels: vec![("thread_id", i64::from(t.tid), "")],
            str_labels: vec![("thread", t.name)],
        });
    }
    p
}

/// Go's `?debug=1` (`count @ addrs` with symbolised frames, threads of equal stacks folded)
/// and `?debug=2` (every thread in panic-trace style) texts.
pub(crate) fn text(debug: u32) -> String {
    let threads = dump();
    let mut symbols = symbol::cache();
    let mut out = String::new();
    let frames_of = |symbols: &mut symbol::Cache, stack: &Stack| {
        let mut frames: Vec<(u64, symbol::Frame)> = Vec::new();
        for addr in stack.lookup_addrs() {
            for f in symbols.resolve(addr) {
                frames.push((addr, f.clone()));
            }
        }
        frames
    };
    if debug >= 2 {
        for t in &threads {
            let _ = writeln!(out, "thread {} \"{}\" [running]:", t.tid, t.name);
            match &t.stack {
                Some(stack) => {
                    for (addr, f) in frames_of(&mut symbols, stack) {
                        let _ = writeln!(
                            out,
                            "{}(...)\n\t{}:{} pc={addr:#x}",
                            f.function, f.file, f.line
                        );
                    }
                }
                None => out.push_str("\t(no stack: the thread did not answer)\n"),
            }
            out.push('\n');
        }
        return out;
    }
    let mut groups: Vec<(Stack, Vec<String>)> = Vec::new();
    for t in threads {
        let stack = t.stack.unwrap_or_default();
        let label = format!("{} {}", t.tid, t.name);
        match groups.iter_mut().find(|(s, _)| *s == stack) {
            Some((_, names)) => names.push(label),
            None => groups.push((stack, vec![label])),
        }
    }
    groups.sort_by_key(|(_, names)| std::cmp::Reverse(names.len()));
    let total: usize = groups.iter().map(|(_, n)| n.len()).sum();
    let _ = writeln!(out, "goroutine profile: total {total}");
    for (stack, names) in groups {
        let _ = write!(out, "{} @", names.len());
        for a in stack.lookup_addrs() {
            let _ = write!(out, " {a:#x}");
        }
        out.push('\n');
        let _ = writeln!(out, "# threads: {}", names.join(", "));
        for (addr, f) in frames_of(&mut symbols, &stack) {
            let _ = writeln!(out, "#\t{addr:#x}\t{}\t{}:{}", f.function, f.file, f.line);
        }
        out.push('\n');
    }
    out
}
