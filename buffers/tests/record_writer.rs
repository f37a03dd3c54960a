//! `RecordWriter`: output is exactly what was written, errors are never lost, numbers format
//! like `Display`.

use std::io::{self, IoSlice, Write};

use perfkit_buffers::RecordWriter;
use proptest::prelude::*;

/// Accepts `room` bytes, a few at a time, then fails like a full disk; counts `write` calls.
#[derive(Debug)]
struct Disk {
    data: Vec<u8>,
    room: usize,
    max_per_call: usize,
    calls: usize,
}

impl Write for Disk {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.data.len() >= self.room {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        if self.calls.is_multiple_of(4) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "signal"));
        }
        let n = buf
            .len()
            .min(self.max_per_call)
            .min(self.room - self.data.len());
        self.data.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn disk(room: usize) -> Disk {
    Disk {
        data: Vec::new(),
        room,
        max_per_call: 7,
        calls: 0,
    }
}

proptest! {
    #[test]
    fn writes_exactly_what_was_given(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..50), cap in 1usize..128) {
        let mut w = RecordWriter::with_capacity(cap, disk(usize::MAX));
        let mut expected = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            if i % 5 == 4 {
                let mut slices = [IoSlice::new(b"hdr:"), IoSlice::new(chunk)];
                w.write_all_vectored(&mut slices).unwrap();
                expected.extend_from_slice(b"hdr:");
            } else {
                w.write_bytes(chunk).unwrap();
            }
            expected.extend_from_slice(chunk);
        }
        let disk = w.finish().unwrap();
        prop_assert_eq!(disk.data, expected);
    }

    #[test]
    fn numbers_match_display(n in any::<u64>(), i in any::<i64>(), x in any::<f64>()) {
        let mut w = RecordWriter::new(Vec::new());
        w.write_u64(n).unwrap();
        w.write_bytes(b" ").unwrap();
        w.write_i64(i).unwrap();
        w.write_bytes(b" ").unwrap();
        w.write_f64(x).unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        let parts: Vec<&str> = out.split(' ').collect();
        prop_assert_eq!(parts[0].parse::<u64>().unwrap(), n);
        prop_assert_eq!(parts[1].parse::<i64>().unwrap(), i);
        let back: f64 = parts[2].parse().unwrap();
        prop_assert!(back == x || (back.is_nan() && x.is_nan()), "{} -> {}", x, parts[2]);
    }
}

#[test]
fn finish_reports_a_full_disk_with_every_unwritten_byte() {
    let mut w = RecordWriter::with_capacity(64, disk(100));
    let payload: Vec<u8> = (0..250u8).collect();
    // Writes into the buffer may fail once it must flush into the full disk: keep what failed.
    let mut accepted = Vec::new();
    for chunk in payload.chunks(10) {
        if w.write_bytes(chunk).is_ok() {
            accepted.extend_from_slice(chunk);
        }
    }
    let err = w.finish().expect_err("the disk is full");
    assert_eq!(err.error().kind(), io::ErrorKind::StorageFull);
    assert!(err.to_string().contains("bytes not written"));
    let (_, disk, unwritten) = err.into_parts();
    // Nothing lost: what reached the disk followed by what is left is what was accepted.
    let mut all = disk.data.clone();
    all.extend_from_slice(&unwritten);
    assert_eq!(all, accepted);
    assert_eq!(disk.data.len(), 100);
}

#[test]
fn large_writes_bypass_the_buffer_and_integers_format() {
    let mut w = RecordWriter::with_capacity(16, Vec::new());
    w.write_str("ab").unwrap();
    w.write_bytes(&[b'x'; 100]).unwrap();
    assert_eq!(w.buffered(), 0);
    w.write_i64(-42).unwrap();
    w.write_f64(f64::INFINITY).unwrap();
    w.write_f64(f64::NEG_INFINITY).unwrap();
    w.write_f64(f64::NAN).unwrap();
    write!(w, "|{}", 7).unwrap();
    w.flush().unwrap();
    let out = w.finish().unwrap();
    assert_eq!(&out[..2], b"ab");
    assert!(out.ends_with(b"-42inf-infNaN|7"));
}

#[test]
fn into_parts_keeps_the_buffer_and_drop_flushes() {
    let mut w = RecordWriter::new(Vec::new());
    w.write_bytes(b"pending").unwrap();
    let (inner, pending) = w.into_parts();
    assert!(inner.is_empty());
    assert_eq!(pending, b"pending");

    let mut sink = Vec::new();
    {
        let mut w = RecordWriter::new(&mut sink);
        w.write_bytes(b"flushed on drop").unwrap();
        assert!(format!("{w:?}").contains("buffered: 15"));
    }
    assert_eq!(sink, b"flushed on drop");
}
