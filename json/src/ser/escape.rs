//! Writing a JSON string: quotes, and the escapes serde_json writes, found a word at a time.
//!
//! A byte needs an escape when it is a control character (below 0x20), `"` or `\`. Eight bytes
//! are tested at once, in safe code, with the classic "has a zero byte" trick applied to the
//! word, the word xor `"`, and the word xor `\` (SWAR: SIMD within a register). Runs with
//! nothing to escape, nearly all of a real document's text, are copied whole.

/// A byte repeated in each of a word's eight lanes.
const fn lanes(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

const ONES: u64 = lanes(0x01);
const HIGH: u64 = lanes(0x80);
const CONTROL: u64 = lanes(0x20);
const QUOTE: u64 = lanes(b'"');
const BACKSLASH: u64 = lanes(b'\\');

/// A mask with the high bit set in the lanes of `word` that need an escape. The lowest set
/// lane is always exact (a lane above a true one may be flagged falsely, by the borrow of the
/// subtraction: only the first one found is used). Bytes of 0x80 and above (UTF-8) never are.
#[inline(always)]
fn needs_escape(word: u64) -> u64 {
    let quote = word ^ QUOTE;
    let backslash = word ^ BACKSLASH;
    (word.wrapping_sub(CONTROL) & !word
        | quote.wrapping_sub(ONES) & !quote
        | backslash.wrapping_sub(ONES) & !backslash)
        & HIGH
}

/// Eight bytes of `bytes` from `at`, as a little-endian word.
#[inline(always)]
fn word_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
}

/// Four bytes of `bytes` from `at`.
#[inline(always)]
fn half_at(bytes: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(
        bytes[at..at + 4].try_into().expect("four bytes"),
    ))
}

/// The first flagged lane of a nonzero mask.
#[inline(always)]
fn lane(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// The index of the first byte at or after `from` that needs an escape.
#[inline]
fn find_escape(bytes: &[u8], from: usize) -> Option<usize> {
    let len = bytes.len();
    let mut at = from;
    while at + 8 <= len {
        let mask = needs_escape(word_at(bytes, at));
        if mask != 0 {
            return Some(at + lane(mask));
        }
        at += 8;
    }
    if at >= len {
        return None;
    }
    // Fewer than eight bytes are left. A last word that overlaps bytes already found clean
    // covers them at once; so do two overlapping halves of a short string.
    if len >= from + 8 {
        let mask = needs_escape(word_at(bytes, len - 8));
        return (mask != 0).then(|| len - 8 + lane(mask));
    }
    if len >= at + 4 {
        let mask = needs_escape(half_at(bytes, at) | half_at(bytes, len - 4) << 32);
        return match mask {
            0 => None,
            // The lowest lanes are `at..at + 4`; above them, `len - 4..len`.
            m if m & 0xffff_ffff != 0 => Some(at + lane(m)),
            m => Some(len - 4 + lane(m) - 4),
        };
    }
    bytes[at..]
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .map(|i| at + i)
}

/// Appends `s` to `out` as a JSON string, quoted and escaped exactly as serde_json escapes it
/// (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00XX` in
/// lowercase hex; everything else, non-ASCII included, as it is).
#[inline]
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_str_contents(out, s);
    out.push(b'"');
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
