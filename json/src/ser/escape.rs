//! Writing a JSON string: quotes, and the escapes serde_json writes, found sixteen bytes at a
//! time by [`crate::scan`]. Runs with nothing to escape, nearly all of a real document's text,
//! are copied whole. A string of fewer than sixteen bytes (most keys) is tested with two
//! overlapping words and stored with fixed-size stores, no `memcpy` call.
//!
//! Measured with callgrind, instructions per serialization against the word-at-a-time scan
//! and a `Vec` copy per run: twitter.json's typed struct 4.00M to 2.70M (sonic-rs: 3.27M),
//! its `serde_json::Value` 4.22M to 3.25M, citm_catalog.json's 7.28M to 5.91M.

use crate::scan::{find_escape, short_needs_escape};

/// Appends `s` to `out` as a JSON string, quoted and escaped exactly as serde_json escapes it
/// (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00XX` in
/// lowercase hex; everything else, non-ASCII included, as it is).
#[inline]
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    write_quoted(out, s, b"");
}

/// [`write_str`] followed by `:`: an object's key.
#[inline]
pub(crate) fn write_key(out: &mut Vec<u8>, key: &str) {
    write_quoted(out, key, b":");
}

/// `s` quoted and escaped, then `after` (at most one byte).
#[inline(always)]
fn write_quoted(out: &mut Vec<u8>, s: &str, after: &[u8]) {
    let bytes = s.as_bytes();
    if bytes.len() < 16 && !short_needs_escape(bytes) {
        write_short(out, bytes, after);
        return;
    }
    out.reserve(bytes.len() + 3);
    out.push(b'"');
    write_str_contents(out, s);
    out.push(b'"');
    out.extend_from_slice(after);
}

/// `"bytes"` then `after`, for fewer than sixteen bytes that need no escape: most keys and
/// many values. Written as fixed-size stores into the spare capacity (two that overlap for
/// the string, which write the bytes they share twice, alike), where a `Vec` copy of each
/// string's exact length is a `memcpy` call.
#[inline(always)]
fn write_short(out: &mut Vec<u8>, bytes: &[u8], after: &[u8]) {
    let n = bytes.len();
    assert!(n < 16 && after.len() <= 1);
    out.reserve(18);
    let base = out.len();
    let dst = out.as_mut_ptr();
    // Stores `piece` at `out[base + at..]`.
    let store = |at: usize, piece: &[u8]| {
        #[allow(unsafe_code)]
        // Below, `at` <= 16 for the closing quote and `after`, and a piece of the string ends
        // at `1 + n` <= 16; `copy_nonoverlapping` needs no alignment.
        // SAFETY: `at + piece.len()` <= 18 bytes from `base` were reserved, and the source
        // (the caller's `&[u8]`) cannot overlap the `Vec`'s spare capacity.
        unsafe {
            std::ptr::copy_nonoverlapping(piece.as_ptr(), dst.add(base + at), piece.len());
        }
    };
    store(0, b"\"");
    if n >= 8 {
        store(1, &bytes[..8]);
        store(1 + n - 8, &bytes[n - 8..]);
    } else if n >= 4 {
        store(1, &bytes[..4]);
        store(1 + n - 4, &bytes[n - 4..]);
    } else if n >= 2 {
        store(1, &bytes[..2]);
        store(1 + n - 2, &bytes[n - 2..]);
    } else if n == 1 {
        store(1, bytes);
    }
    store(1 + n, b"\"");
    if let [byte] = after {
        store(2 + n, &[*byte]);
    }
    #[allow(unsafe_code)]
    // SAFETY: bytes `base..base + n + 2 + after.len()` were all written just above (the
    // quote, the string's two stores meeting or overlapping, the quote and `after`), within
    // the capacity reserved.
    unsafe {
        out.set_len(base + n + 2 + after.len());
    }
}

/// Appends `s` escaped, without quotes.
#[inline]
pub(crate) fn write_str_contents(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(at) = find_escape(bytes, start) {
        out.extend_from_slice(&bytes[start..at]);
        write_escape(out, bytes[at]);
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// The escape of one byte that needs one.
#[cold]
fn write_escape(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).expect("UTF-8 in, UTF-8 out")
    }

    #[test]
    fn every_byte_at_every_lane_is_escaped_as_serde_json_escapes_it() {
        // Each character that can occur, at each position of a word and of the padded tail,
        // between runs that need nothing.
        for c in (0u32..0x100)
            .filter_map(char::from_u32)
            .chain(['é', '日', '😀', '\u{7f}'])
        {
            for before in 0..19 {
                for after in [0, 1, 7, 8, 9] {
                    let s = format!("{}{c}{}", "a".repeat(before), "z".repeat(after));
                    assert_eq!(ours(&s), serde_json::to_string(&s).unwrap(), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn keys_and_short_strings_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcdefg",
            "abcdefgh",
            "abcdefghijklmno",
            "日本",
            "é\"",
            "x\n",
        ] {
            let mut out = b"[".to_vec();
            write_key(&mut out, s);
            write_str(&mut out, s);
            let expected = format!(
                "[{}:{}",
                serde_json::to_string(s).unwrap(),
                serde_json::to_string(s).unwrap()
            );
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }

    #[test]
    fn runs_of_escapes_and_false_lanes_above_a_true_one() {
        // A borrow out of a flagged lane can flag the lane above it: those must not be
        // escaped (0x21 above 0x00 is the case for the control test, 0x23 above 0x22 for the
        // quote, 0x5d above 0x5c for the backslash).
        for s in [
            "\u{0}!",
            "\"#",
            "\\]",
            "\u{1f}\u{20}",
            "\"\"\"\"\"\"\"\"\"",
            "\\\\\\\\\\\\\\\\\\",
            "\n\r\t\u{8}\u{c}",
            "",
            "abcdefgh",
            "abcdefg\"",
            "\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}",
        ] {
            assert_eq!(ours(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }
}
