//! Area `buffers`: write 40-byte lines to a file (group `write`), read them back (group
//! `read`), and a request handler's 64 KiB scratch buffer (group `scratch`).

use std::fs::File;
use std::hint::black_box;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use bytes::BytesMut;
use perfkit_buffers::{BufferPool, LineReader, RecordWriter};

use crate::measure;
use crate::registry::{CHECK_ITERS, Case, Group, Role, Throughput};

/// 1,000 distinct log-like lines of about 40 bytes, cycled.
fn lines() -> &'static [Vec<u8>] {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        (0..1000u32)
            .map(|i| {
                format!(
                    "{i:06} GET /api/v1/items/{} 200 {}us\n",
                    i * 7919 % 100_000,
                    i % 997
                )
                .into_bytes()
            })
            .collect()
    })
}

fn line_bytes(n: u64) -> u64 {
    let lines = lines();
    let per_cycle: u64 = lines.iter().map(|l| l.len() as u64).sum();
    let full = n / lines.len() as u64;
    full * per_cycle
        + lines
            .iter()
            .take((n % lines.len() as u64) as usize)
            .map(|l| l.len() as u64)
            .sum::<u64>()
}

static CREATED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temp_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("perfkit-bench-{}-{name}", std::process::id()));
    CREATED.lock().expect("poisoned").push(path.clone());
    path
}

pub(super) fn cleanup() {
    for path in CREATED.lock().expect("poisoned").drain(..) {
        let _ = std::fs::remove_file(path);
    }
}

/// `n` lines through a `BufWriter` with a `capacity`-byte buffer (8 KiB is its default).
fn bufwriter_case(name: &str, capacity: usize) -> Case {
    write_case(name, Role::Peer, move |file, n| {
        let mut out = BufWriter::with_capacity(capacity, file);
        each_line(n, |l| out.write_all(black_box(l)))?;
        out.into_inner()
            .map_err(io::IntoInnerError::into_error)
            .map(drop)
    })
}

/// Writes `n` lines to a fresh file through `write`, which gets the file and the lines; the
/// answer is the file's length, which must be the bytes of `n` lines.
fn write_case(
    name: &str,
    role: Role,
    write: impl Fn(File, u64) -> io::Result<()> + Send + Sync + 'static,
) -> Case {
    let path = temp_path(&format!(
        "write-{}",
        name.replace(['/', ' ', ':', '<', '>'], "_")
    ));
    Case::new(name, role, 1, move |iters| {
        let mut sample = measure::single(iters, |n| {
            let file = File::create(&path).expect("create a temp file");
            write(file, n).expect("write the temp file");
            0
        });
        sample.answer = std::fs::metadata(&path).map_or(0, |m| m.len());
        sample
    })
}

fn each_line(n: u64, mut f: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
    let lines = lines();
    for i in 0..n as usize {
        f(&lines[i % lines.len()])?;
    }
    Ok(())
}

/// The file the `read` group reads: 1,000,000 lines, written once.
fn read_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let path = temp_path("read-input");
        let mut out = RecordWriter::new(File::create(&path).expect("create the read input"));
        each_line(READ_LINES, |l| out.write_bytes(l)).expect("write the read input");
        out.finish().expect("flush the read input");
        path
    })
}

const READ_LINES: u64 = 1_000_000;

/// Reads `n` lines through `read`, which opens the file itself and returns the sum of the
/// line lengths (without line endings) of the first `n` lines, starting over at the end.
fn read_case(name: &str, role: Role, read: fn(&PathBuf, u64) -> io::Result<u64>) -> Case {
    Case::new(name, role, 1, move |iters| {
        let path = read_file();
        measure::single(iters, |n| {
            let mut total = 0;
            let mut left = n;
            while left > 0 {
                let chunk = left.min(READ_LINES);
                total += read(path, chunk).expect("read the temp file");
                left -= chunk;
            }
            total
        })
    })
}

fn read_lines(path: &PathBuf, n: u64) -> io::Result<u64> {
    let mut total = 0;
    for line in BufReader::new(File::open(path)?).lines().take(n as usize) {
        total += line?.len() as u64;
    }
    Ok(total)
}

fn read_line_reused(path: &PathBuf, n: u64) -> io::Result<u64> {
    let mut reader = BufReader::with_capacity(64 << 10, File::open(path)?);
    let mut line = String::new();
    let mut total = 0;
    for _ in 0..n {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        total += line.trim_end_matches(['\n', '\r']).len() as u64;
    }
    Ok(total)
}

fn read_until_reused(path: &PathBuf, n: u64) -> io::Result<u64> {
    let mut reader = BufReader::with_capacity(64 << 10, File::open(path)?);
    let mut line = Vec::new();
    let mut total = 0;
    for _ in 0..n {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let content = line.strip_suffix(b"\n").unwrap_or(&line);
        total += content.strip_suffix(b"\r").unwrap_or(content).len() as u64;
    }
    Ok(total)
}

fn line_reader(path: &PathBuf, n: u64) -> io::Result<u64> {
    let mut reader = LineReader::new(File::open(path)?);
    let mut total = 0;
    for _ in 0..n {
        match reader.next_line() {
            Some(line) => total += line?.len() as u64,
            None => break,
        }
    }
    Ok(total)
}

/// The floor: big reads into one reused buffer, lines found with `memchr`, no per-line API.
fn whole_buffer(path: &PathBuf, n: u64) -> io::Result<u64> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut filled, mut total, mut seen) = (0usize, 0u64, 0u64);
    loop {
        let read = file.read(&mut buf[filled..])?;
        let end = filled + read;
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', &buf[..end]) {
            if seen == n {
                return Ok(total);
            }
            total += (newline - start) as u64;
            start = newline + 1;
            seen += 1;
        }
        if read == 0 || seen == n {
            return Ok(total);
        }
        buf.copy_within(start..end, 0);
        filled = end - start;
    }
}

const SCRATCH: usize = 64 << 10;

pub(super) fn groups() -> Vec<Group> {
    let floor_buf = Mutex::new(Vec::new());
    let write = Group {
        name: "write",
        area: "buffers",
        about: "write one ~40-byte line to a file (fresh file per sample, in the temp dir)",
        throughput: Some(Throughput::Bytes(line_bytes(1000) / 1000)),
        notes: "Syscalls per line: unbuffered 1; BufWriter 8 KiB about 1/200; BufWriter 64 KiB \
                about 1/1600; RecordWriter (default 256 KiB buffer) and BufWriter 256 KiB about \
                1/6500 (counted by bench-suite/tests/syscalls.rs for 40-byte lines). \
                The floor builds one Vec of every line and writes it once. Creating and closing \
                the file are timed too (amortised over a 50 ms sample).",
        check_iters: CHECK_ITERS,
        cases: vec![
            write_case("File::write_all per line", Role::Baseline, |mut file, n| {
                each_line(n, |l| file.write_all(black_box(l)))
            }),
            bufwriter_case("BufWriter 8 KiB", 8 << 10),
            bufwriter_case("BufWriter 64 KiB", 64 << 10),
            bufwriter_case("BufWriter 256 KiB", 256 << 10),
            write_case("RecordWriter", Role::Pattern, |file, n| {
                let mut out = RecordWriter::new(file);
                each_line(n, |l| out.write_bytes(black_box(l)))?;
                out.finish().map(drop).map_err(io::Error::from)
            }),
            write_case("one Vec, one write", Role::Floor, move |mut file, n| {
                // One buffer reused across samples, so the floor is not page faults.
                let mut all = floor_buf.lock().expect("poisoned");
                all.clear();
                each_line(n, |l| {
                    all.extend_from_slice(black_box(l));
                    Ok(())
                })?;
                file.write_all(&all)
            }),
        ],
    };
    let read = Group {
        name: "read",
        area: "buffers",
        about: "read one line of the 1,000,000-line file written like `write`'s, sum the lengths",
        throughput: Some(Throughput::Bytes(line_bytes(1000) / 1000)),
        notes: "lines() uses BufReader's default 8 KiB buffer (the naive way) and allocates a \
                String per line; the read_line and read_until peers reuse one String / Vec with a \
                64 KiB BufReader; LineReader has a 64 KiB buffer; the floor reads 1 MiB at a time \
                and finds newlines with memchr. The file is in the page cache after the first \
                read. Opening the file is timed (amortised over a sample).",
        check_iters: CHECK_ITERS,
        cases: vec![
            read_case("BufRead::lines", Role::Baseline, read_lines),
            read_case("read_line reused String", Role::Peer, read_line_reused),
            read_case("read_until reused Vec", Role::Peer, read_until_reused),
            read_case("LineReader", Role::Pattern, line_reader),
            read_case("1 MiB reads + memchr", Role::Floor, whole_buffer),
        ],
    };
    let pool = BufferPool::new();
    let scratch = Group {
        name: "scratch",
        area: "buffers",
        about: "a request handler takes a 64 KiB scratch buffer, writes 512 bytes, drops it",
        throughput: Some(Throughput::Elements(1)),
        notes: "BytesMut::with_capacity allocates 64 KiB per request (below glibc's default \
                128 KiB mmap threshold, so from the heap, but far above its per-thread cache).",
        check_iters: CHECK_ITERS,
        cases: vec![
            Case::new("BytesMut::with_capacity", Role::Baseline, 1, |iters| {
                measure::single(iters, |n| {
                    (0..n)
                        .map(|_| {
                            let mut buf = BytesMut::with_capacity(SCRATCH);
                            buf.extend_from_slice(black_box(&[7u8; 512]));
                            black_box(&buf).len() as u64
                        })
                        .sum()
                })
            }),
            Case::new("BufferPool", Role::Pattern, 1, move |iters| {
                measure::single(iters, |n| {
                    (0..n)
                        .map(|_| {
                            let mut buf = pool.get(SCRATCH);
                            buf.extend_from_slice(black_box(&[7u8; 512]));
                            black_box(&*buf).len() as u64
                        })
                        .sum()
                })
            }),
        ],
    };
    vec![write, read, scratch]
}
