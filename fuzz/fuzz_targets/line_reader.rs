//! `LineReader` against a reference (`BufRead::read_until` lines with the limit applied), with
//! read sizes, buffer capacity and limit drawn from the input.
#![no_main]

use std::io::{self, BufRead, Read};

use libfuzzer_sys::fuzz_target;
use perfkit_buffers::{LineReader, LineTooLong};

struct Short<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Short<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&[step, cap, limit], data)) = input.split_first_chunk::<3>() else {
        return;
    };
    let step = usize::from(step) % 23 + 1;
    let cap = usize::from(cap) % 19 + 1;
    let limit = match limit {
        255 => usize::MAX,
        n => usize::from(n) % 40,
    };
    // The reference.
    let mut expected: Vec<Result<Vec<u8>, u64>> = Vec::new();
    let mut source = data;
    let mut line_no = 0;
    loop {
        let mut line = Vec::new();
        if source.read_until(b'\n', &mut line).unwrap() == 0 {
            break;
        }
        line_no += 1;
        if line.ends_with(b"\n") {
            line.pop();
            if line.ends_with(b"\r") {
                line.pop();
            }
        }
        expected.push(if line.len() > limit {
            Err(line_no)
        } else {
            Ok(line)
        });
    }
    let mut reader = LineReader::with_capacity(cap, Short { data, step }).max_line_len(limit);
    let mut got = Vec::new();
    while let Some(line) = reader.next_line() {
        match line {
            Ok(line) => got.push(Ok(line.to_vec())),
            Err(e) => {
                let too_long =
                    LineTooLong::from_io(&e).expect("the only error here is a long line");
                assert_eq!(too_long.limit, limit);
                got.push(Err(too_long.line));
            }
        }
        assert_eq!(reader.line_number(), got.len() as u64);
    }
    assert_eq!(got, expected);
});
