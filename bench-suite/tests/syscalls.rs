//! Counts the `write` calls (each one a system call on a file or socket) that each writer of
//! the `write` group makes per line, to back the group's note with numbers.

use std::io::{self, BufWriter, Write};

use perfkit_buffers::RecordWriter;

#[derive(Default)]
struct Counting {
    calls: u64,
    bytes: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const LINES: u64 = 100_000;
const LINE: &[u8] = b"000042 GET /api/v1/items/12345 200 17us\n"; // 40 bytes

fn per_line(calls: u64) -> f64 {
    calls as f64 / LINES as f64
}

#[test]
fn writes_per_line() {
    let mut unbuffered = Counting::default();
    for _ in 0..LINES {
        unbuffered.write_all(LINE).unwrap();
    }

    let mut small = BufWriter::new(Counting::default());
    let mut large = BufWriter::with_capacity(64 << 10, Counting::default());
    let mut ours = RecordWriter::with_capacity(64 << 10, Counting::default());
    let mut default = RecordWriter::new(Counting::default());
    for _ in 0..LINES {
        small.write_all(LINE).unwrap();
        large.write_all(LINE).unwrap();
        ours.write_bytes(LINE).unwrap();
        default.write_bytes(LINE).unwrap();
    }
    let small = small.into_inner().ok().unwrap();
    let large = large.into_inner().ok().unwrap();
    let ours = ours.finish().unwrap();
    let default = default.finish().unwrap();

    let total = LINES * LINE.len() as u64;
    for w in [&unbuffered, &small, &large, &ours] {
        assert_eq!(w.bytes, total);
    }
    assert_eq!(unbuffered.calls, LINES);
    assert_eq!(small.calls, total.div_ceil(8192 - 8192 % 40).max(1));
    assert_eq!(
        ours.calls, large.calls,
        "same chunking as BufWriter with 64 KiB"
    );
    assert!(per_line(ours.calls) < 1.0 / 1600.0, "{} calls", ours.calls);
    // The default 256 KiB buffer: four times fewer calls again.
    assert_eq!(default.bytes, total);
    assert_eq!(
        default.calls,
        total.div_ceil(256 << 10),
        "one call per full 256 KiB buffer"
    );
    println!(
        "write calls per line: unbuffered {:.4}, BufWriter 8 KiB {:.6} (1/{:.0}), \
         BufWriter 64 KiB {:.6} (1/{:.0}), RecordWriter {:.6} (1/{:.0})",
        per_line(unbuffered.calls),
        per_line(small.calls),
        1.0 / per_line(small.calls),
        per_line(large.calls),
        1.0 / per_line(large.calls),
        per_line(ours.calls),
        1.0 / per_line(ours.calls),
    );
}
