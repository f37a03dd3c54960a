//! NDJSON with a small line limit and short reads: every line gets the verdict a reference
//! built from serde_json gives it, errors name their line, and what parses writes back and
//! reads again unchanged.
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use perfkit_json::{ErrorKind, NdjsonReader, NdjsonWriter};

/// Hands out its data in short reads of sizes drawn from `sizes`.
struct Short<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    call: usize,
}

impl Read for Short<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.call += 1;
        let want = usize::from(
            self.sizes
                .get(self.call % self.sizes.len().max(1))
                .copied()
                .unwrap_or(7),
        ) % 17
            + 1;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

const LIMIT: usize = 48;

fuzz_target!(|input: &[u8]| {
    let (sizes, data) = input.split_at(input.len().min(4));
    // The reference: `BufRead::lines` on bytes, blank lines skipped, the limit on each line.
    let mut expected = Vec::new();
    let mut rest = data;
    let mut line_no = 0u64;
    while !rest.is_empty() {
        line_no += 1;
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let line = &rest[..i];
                (line.strip_suffix(b"\r").unwrap_or(line), &rest[i + 1..])
            }
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if line.len() > LIMIT {
            expected.push((line_no, Err(ErrorKind::SizeLimit)));
        } else if !line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r')) {
            let verdict =
                serde_json::from_slice::<serde_json::Value>(line).map_err(|_| ErrorKind::Syntax);
            expected.push((line_no, verdict));
        }
    }
    let reader = NdjsonReader::<_, serde_json::Value>::new(Short {
        data,
        sizes,
        call: 0,
    })
    .max_line_len(LIMIT);
    let mut ok = Vec::new();
    let mut got = Vec::new();
    for record in reader {
        match record {
            Ok(value) => {
                got.push(Ok(()));
                ok.push(value);
            }
            Err(e) => {
                let line = e.line().expect("every NDJSON error names its line");
                let kind = if e.kind() == ErrorKind::SizeLimit {
                    ErrorKind::SizeLimit
                } else {
                    ErrorKind::Syntax
                };
                got.push(Err((line, kind)));
            }
        }
    }
    let want: Vec<_> = expected
        .iter()
        .map(|(line, verdict)| match verdict {
            Ok(_) => Ok(()),
            Err(kind) => Err((*line, *kind)),
        })
        .collect();
    // serde_json's recursion limit (128) is stricter than ours; lines that deep differ.
    if data.iter().filter(|&&b| b == b'[' || b == b'{').count() <= 100 {
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(data));
    }
    // Round trip: what parsed, written as NDJSON, reads back the same.
    let mut out = NdjsonWriter::with_capacity(16, Vec::new());
    for value in &ok {
        out.write(value).unwrap();
    }
    let bytes = out.finish().unwrap();
    let back: Vec<serde_json::Value> = NdjsonReader::new(&bytes[..]).map(Result::unwrap).collect();
    assert_eq!(back.len(), ok.len());
    for (a, b) in back.iter().zip(&ok) {
        assert_eq!(a.to_string(), b.to_string());
    }
});
