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

/// Accepts `room` bytes in calls of any size, then fails like a full disk until given more.
#[derive(Debug, Default)]
struct Quota {
    data: Vec<u8>,
    room: usize,
}

impl Write for Quota {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.room - self.data.len());
        if n == 0 && !buf.is_empty() {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        self.data.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_large_record_cut_by_a_full_disk_is_kept_whole_not_torn() {
    // The repro: capacity 8, a disk with room for 20 bytes.
    let mut w = RecordWriter::with_capacity(
        8,
        Quota {
            data: Vec::new(),
            room: 20,
        },
    );
    w.write_bytes(b"head;").unwrap();
    let record = [b'r'; 32];
    // 5 + 15 bytes reach the disk; the record's other 17 stay with the writer, so the call
    // succeeds: the writer has the record, and nothing else can be written in between.
    w.write_bytes(&record).unwrap();
    assert_eq!(w.get_ref().data.len(), 20);
    assert_eq!(w.buffered(), 17);
    // A small record is buffered behind the tail; one that must flush cannot reach the full
    // disk: refused whole, nothing of it kept.
    w.write_bytes(b"nnn").unwrap();
    assert_eq!(
        w.write_bytes(&[b'm'; 9]).unwrap_err().kind(),
        io::ErrorKind::StorageFull
    );
    assert_eq!(w.buffered(), 20);
    let err = w.finish().expect_err("still full");
    let (_, disk, unwritten) = err.into_parts();
    let mut tail = vec![b'r'; 17];
    tail.extend_from_slice(b"nnn");
    assert_eq!(
        unwritten, tail,
        "exactly what is missing, the torn record's tail first"
    );
    let mut all = disk.data.clone();
    all.extend_from_slice(&unwritten);
    let mut expected = b"head;".to_vec();
    expected.extend_from_slice(&record);
    expected.extend_from_slice(b"nnn");
    assert_eq!(all, expected);
}

#[test]
fn a_kept_tail_is_written_first_once_the_disk_has_room() {
    let mut w = RecordWriter::with_capacity(
        8,
        Quota {
            data: Vec::new(),
            room: 10,
        },
    );
    w.write_bytes(&[b'a'; 30]).unwrap(); // 10 out, 20 kept
    assert_eq!(w.buffered(), 20);
    w.get_mut().room = 1000;
    w.write_bytes(b"next").unwrap();
    let disk = w.finish().unwrap();
    assert_eq!(&disk.data[..30], &[b'a'; 30]);
    assert_eq!(&disk.data[30..], b"next");
}

#[test]
fn io_write_returns_an_error_only_when_nothing_was_written() {
    for cap in [1usize, 4, 8, 64] {
        for room in 0..40 {
            let mut w = RecordWriter::with_capacity(
                cap,
                Quota {
                    data: Vec::new(),
                    room,
                },
            );
            let mut accepted = Vec::new();
            for record in [&b"abc"[..], &[b'x'; 20], b"hello world", &[b'y'; 9]] {
                let before = w.get_ref().data.len() + w.buffered();
                match Write::write(&mut w, record) {
                    Ok(n) => {
                        assert_eq!(n, record.len(), "a record is accepted whole");
                        accepted.extend_from_slice(record);
                    }
                    Err(_) => assert_eq!(
                        w.get_ref().data.len() + w.buffered(),
                        before,
                        "an error after writing part of a record (cap {cap}, room {room})"
                    ),
                }
            }
            let (disk, unwritten) = match w.finish() {
                Ok(disk) => (disk, Vec::new()),
                Err(e) => {
                    let (_, disk, unwritten) = e.into_parts();
                    (disk, unwritten)
                }
            };
            let mut all = disk.data.clone();
            all.extend_from_slice(&unwritten);
            assert_eq!(all, accepted, "cap {cap}, room {room}");
        }
    }
}

#[test]
fn vectored_records_are_whole_or_refused_too() {
    let mut w = RecordWriter::with_capacity(
        4,
        Quota {
            data: Vec::new(),
            room: 6,
        },
    );
    w.write_all_vectored(&mut [IoSlice::new(b"hdr:"), IoSlice::new(b"body")])
        .unwrap();
    assert_eq!(w.buffered(), 2);
    assert!(
        w.write_all_vectored(&mut [IoSlice::new(b"h2:"), IoSlice::new(b"b2")])
            .is_err()
    );
    let (_, disk, unwritten) = w.finish().unwrap_err().into_parts();
    assert_eq!(
        (&disk.data[..], &unwritten[..]),
        (&b"hdr:bo"[..], &b"dy"[..])
    );
}

/// A writer that panics on every call.
struct Exploding;

impl Write for Exploding {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        panic!("the inner writer panics");
    }
    fn flush(&mut self) -> io::Result<()> {
        panic!("the inner writer panics");
    }
}

#[test]
fn drop_never_panics() {
    // A writer that panicked while writing is not called again by drop.
    let mut w = RecordWriter::with_capacity(4, Exploding);
    w.write_bytes(b"ab").unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.write_bytes(b"cdef")));
    assert!(r.is_err());
    drop(w);
    // A panic in the flush that drop itself starts is caught and reported, not raised.
    let mut w = RecordWriter::with_capacity(64, Exploding);
    w.write_bytes(b"pending").unwrap();
    drop(w);
    // Dropped during a panic with data a failing writer cannot take: no double panic (abort).
    let r = std::panic::catch_unwind(|| {
        let mut w = RecordWriter::with_capacity(8, Quota::default());
        w.write_bytes(b"pending").unwrap();
        panic!("the holder panics");
    });
    assert!(r.is_err());
}

#[test]
fn finish_error_names_its_cause_once_in_the_chain() {
    use std::error::Error as _;
    let mut w = RecordWriter::with_capacity(4, Quota::default());
    w.write_bytes(b"ab").unwrap();
    let err = w.finish().unwrap_err();
    let message = err.to_string();
    let cause = err
        .source()
        .expect("the I/O error is the source")
        .to_string();
    assert_eq!(cause, "disk full");
    assert!(!message.contains(&cause), "{message}");
    assert!(message.contains("2 bytes not written"), "{message}");
    // Turned into an io::Error, the message carries both.
    let io: io::Error = err.into();
    assert_eq!(io.to_string(), "disk full (2 bytes not written)");
}
