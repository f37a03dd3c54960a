//! `LineReader`: the same lines as `split(b'\n')` whatever the read sizes, CRLF, limits,
//! interrupted and failing reads.

use std::io::{self, Read};

use perfkit_buffers::LineReader;
use proptest::prelude::*;

/// Hands out `data` in chunks of the given sizes (cycled), with an `Interrupted` error before
/// every third chunk.
struct Choppy {
    data: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
    calls: usize,
}

impl Read for Choppy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(3) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "signal"));
        }
        let want = self.sizes[self.calls % self.sizes.len()].max(1);
        let n = want.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// What a line reader must return: `split(b'\n')`, minus the empty piece after a final
/// newline, each with one trailing `\r` removed.
fn expected(data: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if data.is_empty() || data.ends_with(b"\n") {
        lines.pop();
    }
    for line in &mut lines {
        if line.ends_with(b"\r") {
            line.pop();
        }
    }
    lines
}

fn read_all<R: Read>(mut reader: LineReader<R>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(line) = reader.next_line() {
        out.push(line.expect("no errors expected").to_vec());
    }
    assert_eq!(reader.line_number(), out.len() as u64);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn yields_exactly_the_lines_of_split(
        data in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), any::<u8>()], 0..2000),
        sizes in proptest::collection::vec(1usize..300, 1..8),
        capacity in 1usize..100,
    ) {
        let reader = LineReader::with_capacity(capacity, Choppy { data: data.clone(), pos: 0, sizes, calls: 0 });
        prop_assert_eq!(read_all(reader), expected(&data));
    }

    #[test]
    fn enforces_the_limit_and_resumes_after_a_long_line(
        lens in proptest::collection::vec(0usize..40, 1..30),
        limit in 1usize..20,
        sizes in proptest::collection::vec(1usize..50, 1..5),
    ) {
        let data: Vec<u8> = lens.iter().flat_map(|&n| std::iter::repeat_n(b'x', n).chain([b'\n'])).collect();
        let mut reader = LineReader::with_capacity(4, Choppy { data, pos: 0, sizes, calls: 0 }).max_line_len(limit);
        for (i, &len) in lens.iter().enumerate() {
            match reader.next_line() {
                Some(Ok(line)) => prop_assert!(len <= limit && line.len() == len, "line {} len {}", i + 1, len),
                Some(Err(e)) => {
                    prop_assert!(len > limit, "line {} of {} bytes rejected: {}", i + 1, len, e);
                    let names_line = e.to_string().contains(&format!("line {}", i + 1));
                    prop_assert!(names_line, "error does not name line {}: {}", i + 1, e);
                    prop_assert_eq!(e.kind(), io::ErrorKind::InvalidData);
                }
                None => prop_assert!(false, "ended early at line {}", i + 1),
            }
            prop_assert_eq!(reader.line_number(), i as u64 + 1);
        }
        prop_assert!(reader.next_line().is_none());
    }
}

#[test]
fn crlf_last_line_and_empty_input() {
    assert_eq!(
        read_all(LineReader::new(&b"a\r\nb\r\n\r\nc"[..])),
        [&b"a"[..], b"b", b"", b"c"]
    );
    assert!(read_all(LineReader::new(&b""[..])).is_empty());
    assert_eq!(read_all(LineReader::new(&b"\n"[..])), [&b""[..]]);
    assert_eq!(
        read_all(LineReader::new(&b"only \r inside\r\r\n"[..])),
        [&b"only \r inside\r"[..]]
    );
}

#[test]
fn a_line_of_exactly_the_limit_passes_even_with_crlf() {
    let mut r = LineReader::with_capacity(2, &b"abcd\r\nabcde\nabcd"[..]).max_line_len(4);
    assert_eq!(r.next_line().unwrap().unwrap(), b"abcd");
    assert!(r.next_line().unwrap().is_err());
    assert_eq!(r.next_line().unwrap().unwrap(), b"abcd");
    assert!(r.next_line().is_none());
}

#[test]
fn utf8_errors_name_the_line() {
    let mut r = LineReader::new(&b"ok\nbad \xff here\n"[..]);
    assert_eq!(r.next_str().unwrap().unwrap(), "ok");
    let err = r.next_str().unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(err.to_string(), "line 2: invalid UTF-8 at byte 4");
    assert!(r.next_str().is_none());
}

#[test]
fn read_errors_are_returned_and_reading_continues() {
    struct FailOnce(bool, &'static [u8]);
    impl Read for FailOnce {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.0 {
                self.0 = true;
                return Err(io::Error::other("disk hiccup"));
            }
            self.1.read(buf)
        }
    }
    let mut r = LineReader::new(FailOnce(false, b"x\ny"));
    assert_eq!(
        r.next_line().unwrap().unwrap_err().to_string(),
        "disk hiccup"
    );
    assert_eq!(r.next_line().unwrap().unwrap(), b"x");
    assert_eq!(r.next_line().unwrap().unwrap(), b"y");
    assert!(format!("{r:?}").contains("LineReader"));
}

#[test]
fn memory_stays_bounded_by_the_limit() {
    // 10 MiB without a newline, limit 1 KiB: one error, then the next line, and the buffer
    // never grows past the limit.
    let mut data = vec![b'z'; 10 << 20];
    data.extend_from_slice(b"\nnext\n");
    let mut r = LineReader::with_capacity(64, &data[..]).max_line_len(1024);
    assert!(r.next_line().unwrap().is_err());
    assert_eq!(r.next_line().unwrap().unwrap(), b"next");
    let debug = format!("{r:?}");
    let capacity: usize = debug
        .split("capacity: ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.trim().parse().ok())
        .expect("capacity in Debug output");
    assert!(capacity <= 1026, "buffer grew to {capacity}");
}
