//! Writing a JSON string: quotes, and the escapes serde_json writes, found sixteen bytes at a
//! time.
//!
//! A byte needs an escape when it is a control character (below 0x20), `"` or `\`. On
//! x86-64 sixteen bytes are tested at once with SSE2 (in every x86-64 CPU: no detection),
//! thirty-two with AVX2 where the build enables it (`-C target-cpu=native`);
//! elsewhere, and for short strings, eight at once, in safe code, with the classic "has a
//! zero byte" trick applied to the word, the word xor `"`, and the word xor `\` (SWAR: SIMD
//! within a register). Runs with nothing to escape, nearly all of a real document's text,
//! are copied whole. A string of fewer than sixteen bytes (most keys) is tested with two
//! overlapping words and stored with fixed-size stores, no `memcpy` call.
//!
//! Measured with callgrind, instructions per serialization against the word-at-a-time scan
//! and a `Vec` copy per run: twitter.json's typed struct 4.00M to 2.70M (sonic-rs: 3.27M),
//! its `serde_json::Value` 4.22M to 3.25M, citm_catalog.json's 7.28M to 5.91M.

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

/// The index of the first byte at or after `from` that needs an escape: sixteen bytes at a
/// time with SSE2 (part of every x86-64 CPU, so no detection), the last sixteen as one
/// overlapping load; strings shorter than that, and other targets, by words ([`find_escape_swar`]).
#[cfg(target_arch = "x86_64")]
#[inline]
fn find_escape(bytes: &[u8], from: usize) -> Option<usize> {
    let len = bytes.len();
    if len < 16 {
        return find_escape_swar(bytes, from);
    }
    let mut at = from;
    // Built with AVX2 (`-C target-cpu=native` on most machines), thirty-two at a time first.
    #[cfg(target_feature = "avx2")]
    while at + 32 <= len {
        let mask = avx2::escape_mask(bytes[at..at + 32].try_into().expect("32 bytes"));
        if mask != 0 {
            return Some(at + mask.trailing_zeros() as usize);
        }
        at += 32;
    }
    while at + 16 <= len {
        let mask = sse2::escape_mask(bytes[at..at + 16].try_into().expect("16 bytes"));
        if mask != 0 {
            return Some(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    if at >= len {
        return None;
    }
    // The last sixteen bytes; the lanes below `at` were scanned already (each lane's test is
    // exact, so they are shifted out, whatever they hold).
    let base = len - 16;
    let mask = sse2::escape_mask(bytes[base..].try_into().expect("16 bytes")) >> (at - base);
    (mask != 0).then(|| at + mask.trailing_zeros() as usize)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn find_escape(bytes: &[u8], from: usize) -> Option<usize> {
    find_escape_swar(bytes, from)
}

/// The escape test on sixteen bytes at once.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// Bit `i` set where `chunk[i]` needs an escape: `"`, `\`, or below 0x20 (exactly the
    /// bytes of which `max(b, 0x1f) == 0x1f`).
    #[inline(always)]
    pub(super) fn escape_mask(chunk: &[u8; 16]) -> u32 {
        // SAFETY: `chunk` is sixteen readable bytes and `_mm_loadu_si128` has no alignment
        // requirement; the other calls only compute on registers. Every one needs SSE2, which
        // is in the x86-64 baseline (always enabled for this target), so the instructions
        // always exist.
        #[allow(unsafe_code)]
        unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            let low = _mm_set1_epi8(0x1f);
            let control = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
        }
    }
}

/// The escape test on thirty-two bytes at once, where the build enables AVX2.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
mod avx2 {
    use std::arch::x86_64::{
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_max_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8,
    };

    /// Bit `i` set where `chunk[i]` needs an escape, as [`super::sse2::escape_mask`].
    #[inline(always)]
    pub(super) fn escape_mask(chunk: &[u8; 32]) -> u32 {
        // SAFETY: `chunk` is thirty-two readable bytes and `_mm256_loadu_si256` has no
        // alignment requirement; the other calls only compute on registers. All need AVX2,
        // which this module is compiled only with (`cfg(target_feature = "avx2")`).
        #[allow(unsafe_code)]
        unsafe {
            let v = _mm256_loadu_si256(chunk.as_ptr().cast());
            let quote = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'"' as i8));
            let backslash = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8));
            let low = _mm256_set1_epi8(0x1f);
            let control = _mm256_cmpeq_epi8(_mm256_max_epu8(v, low), low);
            _mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(quote, backslash), control)) as u32
        }
    }
}

/// [`find_escape`] by words: the portable scan, and on x86-64 the one for short strings.
#[inline]
fn find_escape_swar(bytes: &[u8], from: usize) -> Option<usize> {
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

/// Whether any of fewer than sixteen bytes needs an escape: two overlapping words (or
/// halves, or the bytes over spaces). Without a true lane the word test flags none, so the
/// answer is exact.
#[inline(always)]
fn short_needs_escape(bytes: &[u8]) -> bool {
    let n = bytes.len();
    debug_assert!(n < 16);
    let words = if n >= 8 {
        [word_at(bytes, 0), word_at(bytes, n - 8)]
    } else if n >= 4 {
        [half_at(bytes, 0), half_at(bytes, n - 4)].map(|half| half | lanes(b' ') << 32)
    } else {
        let mut word = lanes(b' ');
        for (i, &byte) in bytes.iter().enumerate() {
            word = word & !(0xff << (8 * i)) | u64::from(byte) << (8 * i);
        }
        [word; 2]
    };
    needs_escape(words[0]) | needs_escape(words[1]) != 0
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
        // SAFETY: `at + piece.len()` is at most 18 (below: `at` <= 16 for the closing quote
        // and `after`, and a piece of the string ends at `1 + n` <= 16), and 18 bytes from
        // `base` were reserved; `copy_nonoverlapping` needs no alignment, and the source is
        // the caller's `&[u8]`, which cannot overlap the `Vec`'s spare capacity.
        #[allow(unsafe_code)]
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
    // SAFETY: bytes `base..base + n + 2 + after.len()` were all written just above (the
    // quote, the string's two stores meeting or overlapping, the quote and `after`), within
    // the capacity reserved.
    #[allow(unsafe_code)]
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
    fn the_sixteen_byte_scan_finds_what_the_word_scan_finds() {
        // Every length to 40, bytes next to the thresholds (never escaped) with one that needs
        // an escape (or none) at every position, from every starting point.
        const NEAR: [u8; 8] = [0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff];
        for len in 0..40 {
            for special in [None, Some(b'"'), Some(b'\\'), Some(0x00), Some(0x1f)] {
                for pos in 0..len.max(1) {
                    let mut bytes: Vec<u8> = (0..len).map(|i| NEAR[i % NEAR.len()]).collect();
                    if let (Some(b), true) = (special, pos < len) {
                        bytes[pos] = b;
                    }
                    for from in 0..=len {
                        assert_eq!(
                            find_escape(&bytes, from),
                            find_escape_swar(&bytes, from),
                            "{bytes:?} from {from}"
                        );
                    }
                }
            }
        }
        for b in 0..=255u8 {
            let bytes = [b; 17];
            assert_eq!(
                find_escape(&bytes, 0),
                find_escape_swar(&bytes, 0),
                "{b:#x}"
            );
        }
    }

    #[test]
    fn the_short_test_agrees_with_the_scan() {
        const NEAR: [u8; 8] = [0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff];
        for len in 0..16 {
            for special in [None, Some(b'"'), Some(b'\\'), Some(0x00), Some(0x1f)] {
                for pos in 0..len.max(1) {
                    let mut bytes: Vec<u8> = (0..len).map(|i| NEAR[(i + pos) % 8]).collect();
                    if let (Some(b), true) = (special, pos < len) {
                        bytes[pos] = b;
                    }
                    assert_eq!(
                        short_needs_escape(&bytes),
                        find_escape_swar(&bytes, 0).is_some(),
                        "{bytes:?}"
                    );
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
