//! `LineReader`: the same lines as `split(b'\n')` whatever the read sizes, CRLF, limits,
//! interrupted and failing reads.

use std::io::{self, Read};

use perfkit_buffers::{LineReader, LineTooLong};
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

/// What a line reader must return: `BufRead::lines` on bytes (`read_until(b'\n')`, then the
/// `\n` and a `\r` right before it removed; a last line without `\n` keeps its `\r`).
fn expected(data: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut reader = data;
    loop {
        let mut line = Vec::new();
        if io::BufRead::read_until(&mut reader, b'\n', &mut line).unwrap() == 0 {
            return lines;
        }
        if line.ends_with(b"\n") {
            line.pop();
            if line.ends_with(b"\r") {
                line.pop();
            }
        }
        lines.push(line);
    }
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
fn line_endings_match_bufread_lines() {
    // A lone `\r` at the end of the input is data, as in `BufRead::lines`.
    assert_eq!(read_all(LineReader::new(&b"abc\r"[..])), [&b"abc\r"[..]]);
    let text = "a\r\nb\r\rc\r";
    let std_lines: Vec<String> = io::BufRead::lines(text.as_bytes())
        .map(Result::unwrap)
        .collect();
    let ours: Vec<String> = read_all(LineReader::new(text.as_bytes()))
        .into_iter()
        .map(|l| String::from_utf8(l).unwrap())
        .collect();
    assert_eq!(ours, std_lines);
}

#[test]
fn the_limit_counts_the_returned_bytes_whether_or_not_the_line_is_terminated() {
    // "abc\r\n" returns "abc" (3 bytes); a last "abc\r" returns "abc\r" (4 bytes).
    let mut r = LineReader::new(&b"abc\r\nabc\r"[..]).max_line_len(3);
    assert_eq!(r.next_line().unwrap().unwrap(), b"abc");
    let err = r.next_line().unwrap().unwrap_err();
    assert_eq!(
        LineTooLong::from_io(&err),
        Some(&LineTooLong { line: 2, limit: 3 })
    );
    let mut r = LineReader::new(&b"abcd\r"[..]).max_line_len(5);
    assert_eq!(r.next_line().unwrap().unwrap(), b"abcd\r");
}

#[test]
fn usize_max_means_no_limit() {
    for cap in [1usize, 3, 64 << 10] {
        let data = b"short\na much longer line than the buffer\r\n\nlast";
        let r = LineReader::with_capacity(cap, &data[..]).max_line_len(usize::MAX);
        assert_eq!(read_all(r), expected(data), "capacity {cap}");
    }
}

#[test]
fn a_too_long_line_is_a_typed_error() {
    let mut r = LineReader::with_capacity(2, &b"ok\nwaytoolong\nok"[..]).max_line_len(4);
    assert!(r.next_line().unwrap().is_ok());
    let err = r.next_line().unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(
        LineTooLong::from_io(&err),
        Some(&LineTooLong { line: 2, limit: 4 })
    );
    assert_eq!(
        err.to_string(),
        "line 2 is longer than the limit of 4 bytes"
    );
    assert_eq!(r.next_line().unwrap().unwrap(), b"ok");
    // Other errors are not mistaken for it.
    assert_eq!(LineTooLong::from_io(&io::Error::other("x")), None);
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

/// Every line's (number, offset) as `read_until` sees them.
fn positions(data: &[u8]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let (mut offset, mut number) = (0u64, 0u64);
    let mut reader = data;
    loop {
        let mut line = Vec::new();
        let n = io::BufRead::read_until(&mut reader, b'\n', &mut line).unwrap();
        if n == 0 {
            return out;
        }
        number += 1;
        out.push((number, offset));
        offset += n as u64;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn lines_know_their_number_and_byte_offset(
        data in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'x')], 0..400),
        sizes in proptest::collection::vec(1usize..40, 1..8),
        cap in 1usize..64,
    ) {
        let reader = Choppy { data: data.clone(), pos: 0, sizes, calls: 0 };
        let mut lines = LineReader::with_capacity(cap, reader);
        let mut got = Vec::new();
        while let Some(line) = lines.next_line_with_pos() {
            let line = line.unwrap();
            let at = (line.number, line.offset);
            got.push(at);
            prop_assert_eq!(lines.line_offset(), at.1);
        }
        prop_assert_eq!(got, positions(&data));
    }
}

#[test]
fn into_parts_keeps_what_was_buffered() {
    let mut lines = LineReader::new(&b"first\nsecond\nthi"[..]);
    assert_eq!(lines.next_line().unwrap().unwrap(), b"first");
    assert_eq!(lines.buffer(), b"second\nthi");
    let (inner, rest) = lines.into_parts();
    assert!(inner.is_empty(), "the whole input was read into the buffer");
    assert_eq!(rest, b"second\nthi");
}
