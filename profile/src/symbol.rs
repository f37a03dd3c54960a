//! Symbols and mappings: code addresses to (function, file, line) frames, inlined frames
//! included, and the process's executable mappings with their build IDs.
//!
//! Symbolisation runs in-process with the `backtrace` crate (rust-lang's, the same DWARF
//! reader std's panic backtraces use), never in a signal handler: profiles carry their
//! functions and lines, so `go tool pprof` needs neither the binary nor `/symbol`.

use std::collections::HashMap;
use std::ffi::CStr;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// One source frame of a location. Several frames for one address: inlined calls, innermost
/// first (pprof's order for a location's lines).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Frame {
    pub(crate) function: String,
    pub(crate) file: String,
    pub(crate) line: u64,
}

/// The process-wide symbol cache (addresses of one process do not change meaning, unless a
/// library is unloaded: the cache is cleared when the set of loaded objects changes).
pub(crate) struct Cache {
    frames: HashMap<u64, Vec<Frame>>,
    objects: usize,
}

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

/// The cache, locked.
pub(crate) fn cache() -> CacheGuard {
    let mut guard = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    let objects = objects().len();
    match &mut *guard {
        Some(cache) if cache.objects == objects => {}
        slot => {
            *slot = Some(Cache {
                frames: HashMap::new(),
                objects,
            });
        }
    }
    CacheGuard(guard)
}

/// A locked [`Cache`]. Dropping it releases the debug information the `backtrace` crate
/// parsed meanwhile (tens of MiB for a large binary): a service should not keep that memory
/// for a profile it was asked for once. The (small) address-to-frames map is kept.
pub(crate) struct CacheGuard(MutexGuard<'static, Option<Cache>>);

impl Drop for CacheGuard {
    fn drop(&mut self) {
        backtrace::clear_symbol_cache();
    }
}

impl std::ops::Deref for CacheGuard {
    type Target = Cache;
    fn deref(&self) -> &Cache {
        self.0.as_ref().expect("set by cache()")
    }
}

impl std::ops::DerefMut for CacheGuard {
    fn deref_mut(&mut self) -> &mut Cache {
        self.0.as_mut().expect("set by cache()")
    }
}

impl Cache {
    /// The frames at `addr` (a lookup address: return addresses already moved back into their
    /// call). An address with no symbol gets one frame named after its hex value.
    pub(crate) fn resolve(&mut self, addr: u64) -> &[Frame] {
        self.frames.entry(addr).or_insert_with(|| {
            let mut frames = Vec::new();
            // `backtrace::resolve` treats its argument as a return address and looks one byte
            // back itself: hand it the byte after the one we mean.
            let arg = addr.wrapping_add(1) as usize as *mut std::ffi::c_void;
            backtrace::resolve(arg, |sym| {
                let function = sym
                    .name()
                    .map_or_else(|| format!("{addr:#x}"), |n| format!("{n:#}"));
                let file = sym
                    .filename()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                let line = u64::from(sym.lineno().unwrap_or(0));
                frames.push(Frame {
                    function,
                    file,
                    line,
                });
            });
            if frames.is_empty() {
                frames.push(Frame {
                    // No debug info and no symbol table entry backtrace can read (the vDSO):
                    // the loader's dynamic symbols, else the address.
                    function: dladdr_name(addr).unwrap_or_else(|| format!("{addr:#x}")),
                    file: String::new(),
                    line: 0,
                });
            }
            frames
        })
    }
}

/// The dynamic symbol covering `addr`, from the loader (`dladdr`).
fn dladdr_name(addr: u64) -> Option<String> {
    // SAFETY: a zeroed Dl_info is a valid out-parameter; dladdr only reads `addr` as a key.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a valid, writable Dl_info.
    let found = unsafe { libc::dladdr(addr as usize as *const libc::c_void, &raw mut info) } != 0;
    if !found || info.dli_sname.is_null() {
        return None;
    }
    // SAFETY: a non-null dli_sname is a NUL-terminated string owned by the loader.
    Some(
        unsafe { CStr::from_ptr(info.dli_sname) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// One loaded ELF object, read from the dynamic loader's list.
#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub(crate) name: String,
    /// Load bias: runtime address = bias + the file's virtual address.
    pub(crate) bias: u64,
    /// Loaded segments: (file vaddr, memory size, file offset, executable).
    pub(crate) segments: Vec<(u64, u64, u64, bool)>,
    /// The `.eh_frame_hdr` section (file vaddr, size), from `PT_GNU_EH_FRAME`.
    pub(crate) eh_frame_hdr: Option<(u64, u64)>,
    pub(crate) build_id: Vec<u8>,
}

/// Every loaded object (the executable first), from `dl_iterate_phdr`.
pub(crate) fn objects() -> Vec<Object> {
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: `data` is the `&mut Vec<Object>` passed to dl_iterate_phdr below, alive for
        // the whole iteration; `info` is valid for this call (the loader's contract).
        let (objects, info) = unsafe { (&mut *data.cast::<Vec<Object>>(), &*info) };
        let name = if info.dlpi_name.is_null() {
            String::new()
        } else {
            // SAFETY: a non-null dlpi_name is a NUL-terminated string owned by the loader.
            unsafe { CStr::from_ptr(info.dlpi_name) }
                .to_string_lossy()
                .into_owned()
        };
        let phdrs = if info.dlpi_phdr.is_null() {
            &[][..]
        } else {
            // SAFETY: the loader gives `dlpi_phnum` program headers at `dlpi_phdr`.
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
        };
        let bias = info.dlpi_addr;
        let mut object = Object {
            name,
            bias,
            segments: Vec::new(),
            eh_frame_hdr: None,
            build_id: Vec::new(),
        };
        for ph in phdrs {
            match ph.p_type {
                libc::PT_LOAD => object.segments.push((
                    ph.p_vaddr,
                    ph.p_memsz,
                    ph.p_offset,
                    ph.p_flags & libc::PF_X != 0,
                )),
                libc::PT_GNU_EH_FRAME => object.eh_frame_hdr = Some((ph.p_vaddr, ph.p_memsz)),
                libc::PT_NOTE if object.build_id.is_empty() => {
                    // SAFETY: a PT_NOTE segment is loaded (it lies inside a PT_LOAD segment),
                    // so its `p_memsz` bytes at bias + vaddr are mapped and readable.
                    let notes = unsafe {
                        std::slice::from_raw_parts(
                            (bias + ph.p_vaddr) as usize as *const u8,
                            ph.p_memsz as usize,
                        )
                    };
                    object.build_id = gnu_build_id(notes).unwrap_or_default();
                }
                _ => {}
            }
        }
        objects.push(object);
        0
    }
    let mut objects: Vec<Object> = Vec::new();
    // SAFETY: `visit` matches the callback type and only reads what the loader hands it; the
    // data pointer is our Vec, exclusively borrowed for the call.
    unsafe {
        libc::dl_iterate_phdr(Some(visit), (&raw mut objects).cast());
    }
    if let Some(first) = objects.first_mut()
        && first.name.is_empty()
    {
        first.name = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
    }
    objects
}

/// The GNU build ID in a note segment (type 3, name "GNU").
fn gnu_build_id(mut notes: &[u8]) -> Option<Vec<u8>> {
    let word = |b: &[u8], at: usize| -> Option<usize> {
        Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    while notes.len() >= 12 {
        let (namesz, descsz, ty) = (word(notes, 0)?, word(notes, 4)?, word(notes, 8)?);
        let name_end = 12 + namesz.next_multiple_of(4);
        let desc_end = name_end + descsz.next_multiple_of(4);
        if ty == 3 && notes.get(12..12 + namesz)? == b"GNU\0" {
            return Some(notes.get(name_end..name_end + descsz)?.to_vec());
        }
        notes = notes.get(desc_end..)?;
    }
    None
}

/// A pprof mapping: an executable region of one object file.
#[derive(Clone, Debug)]
pub(crate) struct Mapping {
    pub(crate) id: u64,
    pub(crate) start: u64,
    pub(crate) limit: u64,
    pub(crate) offset: u64,
    pub(crate) file: String,
    pub(crate) build_id: String,
}

/// The executable mappings of the process.
#[derive(Debug, Default)]
pub(crate) struct Mappings(Vec<Mapping>);

impl Mappings {
    /// The current executable mappings, with build IDs (hex, as `go tool pprof` prints them).
    pub(crate) fn current() -> Self {
        let mut list = Vec::new();
        for object in objects() {
            for &(vaddr, memsz, offset, exec) in &object.segments {
                if !exec || memsz == 0 {
                    continue;
                }
                list.push(Mapping {
                    id: list.len() as u64 + 1,
                    start: object.bias + vaddr,
                    limit: object.bias + vaddr + memsz,
                    offset,
                    file: object.name.clone(),
                    build_id: object.build_id.iter().map(|b| format!("{b:02x}")).collect(),
                });
            }
        }
        // pprof treats the first mapping as the main binary.
        Self(list)
    }

    pub(crate) fn find(&self, addr: u64) -> Option<u64> {
        self.0
            .iter()
            .find(|m| (m.start..m.limit).contains(&addr))
            .map(|m| m.id)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Mapping> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn here() -> u64 {
        here as *const () as usize as u64
    }

    #[test]
    fn resolves_our_own_function_and_finds_its_mapping() {
        let addr = here();
        let mut cache = cache();
        let frames = cache.resolve(addr).to_vec();
        assert!(
            frames.iter().any(|f| f.function.ends_with("tests::here")),
            "{frames:?}"
        );
        drop(cache);
        let mappings = Mappings::current();
        assert!(mappings.find(addr).is_some());
        let main = mappings.iter().next().unwrap();
        assert!(!main.build_id.is_empty(), "the test binary has a build ID");
    }
}
