//! Stacks of interrupted threads, taken without doing anything a signal handler may not do.
//!
//! A signal handler (the CPU profiler's `SIGPROF`, the thread dump's `SIGURG`) only copies the
//! interrupted registers and the top of the stack into a preallocated [`RawStack`]: no
//! allocation, no lock, no unwinding. The stack bytes are read with `process_vm_readv` on our
//! own process, a system call that returns a short count instead of faulting, so a bad stack
//! pointer cannot crash the process. A profiler thread later unwinds the copy with `framehop`
//! (mstange's DWARF CFI unwinder, the one samply uses: it reads `.eh_frame` through
//! `.eh_frame_hdr`, handles prologues and epilogues, and falls back to frame pointers), so
//! stacks are exact without `-C force-frame-pointers` and leaf frames are kept.
//!
//! x86-64 only: elsewhere a sample holds its leaf address alone.

use crate::proto::Stack;
use crate::slot::Slot;
use crate::symbol;

/// This file, as the debug info names it: heap and lock samples drop its frames.
pub(crate) const SOURCE_FILE: &str = file!();

/// Bytes of stack copied per sample: deep enough for 128 frames of typical Rust code.
pub(crate) const STACK_COPY: usize = 32 * 1024;
/// Frames kept per stack (deeper stacks are cut, and counted as truncated).
pub(crate) const MAX_DEPTH: usize = 128;

/// Registers and stack bytes of one interrupted thread, handed from a signal handler to a
/// profiler thread through a [`Slot`].
pub(crate) type RawStack = Slot<RawData>;

pub(crate) struct RawData {
    pub(crate) tid: u32,
    pub(crate) ip: u64,
    pub(crate) sp: u64,
    pub(crate) bp: u64,
    pub(crate) len: usize,
    pub(crate) bytes: [u8; STACK_COPY],
}

/// A slot for one stack copy, on the heap (32 KiB is too large for a signal handler's stack).
pub(crate) fn raw_stack() -> Box<RawStack> {
    // SAFETY: RawData is integers and a byte array: all zeroes is a valid value.
    unsafe { Slot::boxed_zeroed() }
}

/// Fill a claimed slot from the signal's context and publish it. Async-signal-safe.
///
/// # Safety
/// The caller claimed `slot` ([`Slot::claim`] returned true) and `context` is the
/// `ucontext_t` the kernel passed to the running signal handler (or null).
pub(crate) unsafe fn fill_from_signal(slot: &RawStack, context: *mut libc::c_void) {
    let write = |data: &mut RawData| {
        // SAFETY: gettid takes no arguments and cannot fail.
        data.tid = unsafe { libc::syscall(libc::SYS_gettid) } as u32;
        data.len = 0;
        data.ip = 0;
        if !context.is_null() {
            // SAFETY: the caller's contract: `context` is the handler's ucontext_t.
            let (ip, sp, bp) = unsafe { registers(context) };
            data.ip = ip;
            data.sp = sp;
            data.bp = bp;
            data.len = copy_stack(sp, &mut data.bytes);
        }
    };
    // SAFETY: the caller claimed the slot.
    unsafe { slot.publish(write) };
}

#[cfg(target_arch = "x86_64")]
/// # Safety
/// `context` is a valid `ucontext_t`.
unsafe fn registers(context: *mut libc::c_void) -> (u64, u64, u64) {
    // SAFETY: the caller's contract.
    let uc = unsafe { &*context.cast::<libc::ucontext_t>() };
    let g = &uc.uc_mcontext.gregs;
    (
        g[libc::REG_RIP as usize] as u64,
        g[libc::REG_RSP as usize] as u64,
        g[libc::REG_RBP as usize] as u64,
    )
}

#[cfg(not(target_arch = "x86_64"))]
/// # Safety
/// `context` is a valid `ucontext_t`.
unsafe fn registers(_context: *mut libc::c_void) -> (u64, u64, u64) {
    (0, 0, 0)
}

/// Copy the stack from `sp` upwards into `out`, stopping at the first unreadable page.
/// Async-signal-safe: one `process_vm_readv` on our own process, which reports a fault as a
/// short count.
fn copy_stack(sp: u64, out: &mut [u8; STACK_COPY]) -> usize {
    const PAGE: u64 = 4096;
    const CHUNKS: usize = STACK_COPY / PAGE as usize + 1;
    if sp == 0 {
        return 0;
    }
    let mut remote = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; CHUNKS];
    let mut at = sp;
    let end = sp.saturating_add(STACK_COPY as u64);
    let mut n = 0;
    while at < end && n < CHUNKS {
        let next = ((at / PAGE) + 1) * PAGE;
        let stop = next.min(end);
        remote[n] = libc::iovec {
            iov_base: at as usize as *mut libc::c_void,
            iov_len: (stop - at) as usize,
        };
        at = stop;
        n += 1;
    }
    let local = libc::iovec {
        iov_base: out.as_mut_ptr().cast(),
        iov_len: STACK_COPY,
    };
    // SAFETY: `local` describes our own writable buffer of STACK_COPY bytes; the remote
    // ranges are only read by the kernel, which checks them and stops at a fault; errno is
    // saved and restored by the handler that calls us.
    let copied = unsafe {
        libc::process_vm_readv(
            libc::getpid(),
            &raw const local,
            1,
            remote.as_ptr(),
            n as _,
            0,
        )
    };
    usize::try_from(copied).unwrap_or(0)
}

/// Save and restore `errno` around a signal handler's system calls.
pub(crate) struct SavedErrno(libc::c_int);

impl SavedErrno {
    pub(crate) fn save() -> Self {
        // SAFETY: __errno_location returns this thread's errno slot, always valid.
        Self(unsafe { *libc::__errno_location() })
    }
}

impl Drop for SavedErrno {
    fn drop(&mut self) {
        // SAFETY: as in `save`.
        unsafe { *libc::__errno_location() = self.0 };
    }
}

/// Install `handler` for `signal` (SA_SIGINFO, SA_RESTART, SA_ONSTACK).
pub(crate) fn install(
    signal: libc::c_int,
    handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void),
) -> std::io::Result<()> {
    // SAFETY: a zeroed sigaction is a valid starting value; we set the handler, flags and an
    // empty mask before passing it to sigaction, which copies it.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
        libc::sigemptyset(&raw mut action.sa_mask);
        if libc::sigaction(signal, &raw const action, std::ptr::null_mut()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Caches per unwinder. framehop's rule cache is direct-mapped, 509 entries indexed by the
/// address modulo 509, so two frames of one stack that share a slot evict each other on every
/// walk; each miss is a DWARF CFI lookup that costs more than a dozen cached frames. The walk
/// picks one of `WAYS` caches by the address's next digits, which makes them one
/// direct-mapped cache of 509 x `WAYS` entries (measured on the bench suite's sampled
/// allocation: 2 of its 16 frames missed on every sample with one cache, none with eight).
#[cfg(target_arch = "x86_64")]
const WAYS: usize = 8;
/// framehop's entries per cache (`rule_cache.rs`).
#[cfg(target_arch = "x86_64")]
const CACHE_ENTRIES: u64 = 509;

/// How a walk ended.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// At the root of the stack.
    Done,
    /// The caller's room for frames was full.
    Full,
    /// Unwinding failed: unreadable stack or no rule for an address.
    Lost,
}

/// Unwinds stacks: framehop over every loaded object's `.eh_frame`.
pub(crate) struct Unwinder {
    #[cfg(target_arch = "x86_64")]
    inner: framehop::x86_64::UnwinderX86_64<Vec<u8>>,
    #[cfg(target_arch = "x86_64")]
    caches: Box<[framehop::x86_64::CacheX86_64; WAYS]>,
    /// Stacks cut at [`MAX_DEPTH`] or by an unwinding error.
    pub(crate) truncated: u64,
    /// How many objects were loaded when this unwinder was built.
    objects: usize,
}

impl std::fmt::Debug for Unwinder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unwinder").finish_non_exhaustive()
    }
}

impl Unwinder {
    /// An unwinder for the objects loaded now.
    pub(crate) fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use framehop::Unwinder as _;
            let mut inner = framehop::x86_64::UnwinderX86_64::new();
            let objects = symbol::objects();
            for object in &objects {
                if let Some(module) = module(object) {
                    inner.add_module(module);
                }
            }
            Self {
                inner,
                caches: Box::new(std::array::from_fn(|_| {
                    framehop::x86_64::CacheX86_64::new()
                })),
                truncated: 0,
                objects: objects.len(),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Self {
                truncated: 0,
                objects: symbol::objects().len(),
            }
        }
    }

    /// Walks the stack whose innermost frame is at `ip` with registers `sp` and `bp`, reading
    /// stack words with `read`, handing each frame's address (the leaf's `ip`, then return
    /// addresses) to `push` until it returns false.
    #[cfg(target_arch = "x86_64")]
    fn walk(
        &mut self,
        (ip, sp, bp): (u64, u64, u64),
        read: &mut impl FnMut(u64) -> Result<u64, ()>,
        mut push: impl FnMut(u64) -> bool,
    ) -> Walk {
        use framehop::{FrameAddress, Unwinder as _};
        let mut regs = framehop::x86_64::UnwindRegsX86_64::new(ip, sp, bp);
        let mut frame = FrameAddress::InstructionPointer(ip);
        loop {
            if !push(frame.address()) {
                return Walk::Full;
            }
            let way = (frame.address_for_lookup() / CACHE_ENTRIES) as usize % WAYS;
            match self
                .inner
                .unwind_frame(frame, &mut regs, &mut self.caches[way], read)
            {
                // A zero return address ends a thread's stack (its entry frame).
                Ok(Some(ra)) => match FrameAddress::from_return_address(ra) {
                    Some(caller) => frame = caller,
                    None => return Walk::Done,
                },
                Ok(None) => return Walk::Done,
                Err(_) => return Walk::Lost,
            }
        }
    }

    /// The stack of a copied sample, leaf first.
    pub(crate) fn unwind(&mut self, raw: &RawData) -> Stack {
        let mut addrs = Vec::with_capacity(32);
        #[cfg(target_arch = "x86_64")]
        {
            let (base, bytes) = (raw.sp, &raw.bytes[..raw.len]);
            let mut read = |addr: u64| -> Result<u64, ()> {
                let off = addr.checked_sub(base).ok_or(())? as usize;
                let word = bytes.get(off..off + 8).ok_or(())?;
                Ok(u64::from_le_bytes(word.try_into().map_err(|_| ())?))
            };
            let end = self.walk((raw.ip, raw.sp, raw.bp), &mut read, |addr| {
                addrs.len() < MAX_DEPTH && {
                    addrs.push(addr);
                    true
                }
            });
            if end != Walk::Done {
                self.truncated += 1;
            }
        }
        if addrs.is_empty() && raw.ip != 0 {
            addrs.push(raw.ip);
        }
        Stack {
            addrs,
            leaf_is_ip: true,
        }
    }
}

/// The calling thread's stack, from its caller outwards, into `out`; its depth. Not for
/// signal handlers: it takes a lock (the shared unwinder) and may allocate the first time (to
/// build it, and to learn the thread's stack bounds). Used where a stack is needed on the
/// spot: sampled allocations and contended locks.
///
/// framehop with its rule cache walks a frame in tens of nanoseconds where libgcc's
/// `_Unwind_Backtrace` (which looks each frame's unwind entry up again through the loader)
/// takes ~85 ns, and it needs no frame pointers.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
pub(crate) fn capture_current(out: &mut [u64]) -> usize {
    use std::sync::{Mutex, PoisonError};
    static SHARED: Mutex<Option<Unwinder>> = Mutex::new(None);
    let Some((lo, hi)) = stack_bounds() else {
        return 0;
    };
    let (ip, sp, bp): (u64, u64, u64);
    // SAFETY: reads three registers into outputs; touches no memory, keeps the stack as is.
    unsafe {
        std::arch::asm!(
            "lea {ip}, [rip]",
            "mov {sp}, rsp",
            "mov {bp}, rbp",
            ip = out(reg) ip,
            sp = out(reg) sp,
            bp = out(reg) bp,
            options(nomem, nostack, preserves_flags),
        );
    }
    let mut read = |addr: u64| -> Result<u64, ()> {
        if addr < sp.max(lo)
            || addr.checked_add(8).is_none_or(|end| end > hi)
            || !addr.is_multiple_of(8)
        {
            return Err(());
        }
        // SAFETY: `addr` is 8-aligned and lies between this function's stack pointer and the
        // top of this thread's stack (from pthread_getattr_np): live, mapped memory of the
        // frames above us, which do not change while we read them.
        Ok(unsafe { std::ptr::read_volatile(addr as usize as *const u64) })
    };
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    let unwinder = shared.get_or_insert_with(Unwinder::new);
    let mut depth = 0;
    // The first frame is this function itself: skipped.
    let mut first = true;
    let end = unwinder.walk((ip, sp, bp), &mut read, |addr| {
        if std::mem::take(&mut first) {
            return true;
        }
        depth < out.len() && {
            out[depth] = addr;
            depth += 1;
            true
        }
    });
    let unknown = end == Walk::Lost;
    if unknown && symbol::objects().len() != unwinder.objects {
        // A library was loaded since the unwinder was built: rebuild it for next time.
        *shared = None;
    }
    depth
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn capture_current(_out: &mut [u64]) -> usize {
    0
}

/// This thread's stack range (low, high), learned once per thread.
#[cfg(target_arch = "x86_64")]
fn stack_bounds() -> Option<(u64, u64)> {
    use std::cell::Cell;
    thread_local! {
        static BOUNDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    let known = BOUNDS.with(Cell::get);
    if known.1 != 0 {
        return Some(known);
    }
    // SAFETY: pthread_getattr_np fills a zeroed attr for the calling thread; we read the stack
    // range out of it and destroy it, as its documentation requires.
    let bounds = unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &raw mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&raw const attr, &raw mut addr, &raw mut size) == 0;
        libc::pthread_attr_destroy(&raw mut attr);
        if !ok {
            return None;
        }
        (addr as u64, addr as u64 + size as u64)
    };
    BOUNDS.with(|b| b.set(bounds));
    Some(bounds)
}

/// framehop's view of one loaded object: its `.eh_frame_hdr`, the `.eh_frame` it points to
/// (copied: the object could be unloaded while we hold the unwinder), and its code range.
#[cfg(target_arch = "x86_64")]
fn module(object: &symbol::Object) -> Option<framehop::Module<Vec<u8>>> {
    let (hdr_vaddr, hdr_len) = object.eh_frame_hdr?;
    let bias = object.bias;
    let segment_end = |vaddr: u64| {
        object
            .segments
            .iter()
            .find(|&&(start, len, _, _)| (start..start + len).contains(&vaddr))
            .map(|&(start, len, _, _)| start + len)
    };
    // SAFETY: PT_GNU_EH_FRAME lies inside a loaded segment: `hdr_len` bytes at its runtime
    // address are mapped and readable while the object is loaded (it is: we were just
    // handed it by dl_iterate_phdr, and copy at once).
    let hdr = unsafe {
        std::slice::from_raw_parts((bias + hdr_vaddr) as usize as *const u8, hdr_len as usize)
    }
    .to_vec();
    // .eh_frame_hdr: version, eh_frame_ptr encoding, fde count encoding, table encoding, then
    // eh_frame_ptr. Every toolchain writes it pc-relative sdata4 (0x1b).
    if hdr.len() < 8 || hdr[0] != 1 || hdr[1] != 0x1b {
        return None;
    }
    let rel = i32::from_le_bytes(hdr[4..8].try_into().ok()?);
    let eh_vaddr = (hdr_vaddr + 4).checked_add_signed(i64::from(rel))?;
    let eh_end = segment_end(eh_vaddr)?;
    // SAFETY: [eh_vaddr, eh_end) lies inside one loaded segment (found above), mapped and
    // readable while the object is loaded.
    let eh_frame = unsafe {
        std::slice::from_raw_parts(
            (bias + eh_vaddr) as usize as *const u8,
            (eh_end - eh_vaddr) as usize,
        )
    }
    .to_vec();
    let (text_start, text_len, _, _) = *object.segments.iter().find(|s| s.3)?;
    let lo = object.segments.iter().map(|s| s.0).min()?;
    let hi = object.segments.iter().map(|s| s.0 + s.1).max()?;
    let info = framehop::ExplicitModuleSectionInfo {
        base_svma: 0,
        text_svma: Some(text_start..text_start + text_len),
        eh_frame_svma: Some(eh_vaddr..eh_end),
        eh_frame: Some(eh_frame),
        eh_frame_hdr_svma: Some(hdr_vaddr..hdr_vaddr + hdr_len),
        eh_frame_hdr: Some(hdr),
        ..Default::default()
    };
    Some(framehop::Module::new(
        object.name.clone(),
        bias + lo..bias + hi,
        bias,
        info,
    ))
}
