//! Finding the bytes that end a plain run of JSON string text: `"`, `\\` and control
//! characters (below 0x20). The serializer escapes exactly these, and the streaming parser
//! stops at them, so both use this one scan.
//!
//! On x86-64 sixteen bytes are tested at once with SSE2 (in every x86-64 CPU: no
//! detection), thirty-two with AVX2 where the build enables it (`-C target-cpu=native`);
//! elsewhere, and for short strings, eight at once, in safe code, with the classic "has a
//! zero byte" trick applied to the word, the word xor `"`, and the word xor `\\` (SWAR:
//! SIMD within a register). The only `unsafe` is the vector loads, each from a fixed-size
//! array reference.
//!
//! The same vector code classifies the bytes the streaming parser skips: whitespace runs
//! ([`skip_whitespace`]) and the bytes of a number ([`number_bytes`]), each tested against a
//! bytewise reference.

/// A byte repeated in each of a word's eight lanes.
pub(crate) const fn lanes(byte: u8) -> u64 {
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
pub(crate) fn needs_escape(word: u64) -> u64 {
    let quote = word ^ QUOTE;
    let backslash = word ^ BACKSLASH;
    (word.wrapping_sub(CONTROL) & !word
        | quote.wrapping_sub(ONES) & !quote
        | backslash.wrapping_sub(ONES) & !backslash)
        & HIGH
}

/// Eight bytes of `bytes` from `at`, as a little-endian word.
#[inline(always)]
pub(crate) fn word_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
}

/// Four bytes of `bytes` from `at`.
#[inline(always)]
pub(crate) fn half_at(bytes: &[u8], at: usize) -> u64 {
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
pub(crate) fn find_escape(bytes: &[u8], from: usize) -> Option<usize> {
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
pub(crate) fn find_escape(bytes: &[u8], from: usize) -> Option<usize> {
    find_escape_swar(bytes, from)
}

/// A module `$name` of byte classifiers over `$width` bytes, each one vector load and a few
/// compares: `escape_mask(chunk: &[u8; $width]) -> u32`, bit `i` set where `chunk[i]` needs
/// an escape (`"`, `\\`, or below 0x20: exactly the bytes of which `max(b, 0x1f) == 0x1f`);
/// `space_mask`, JSON whitespace; `number_bytes`, digits and number bytes.
macro_rules! byte_masks {
    ($name:ident, $width:literal, $vector:ident, $load:ident, $set1:ident,
     $cmpeq:ident, $max:ident, $min:ident, $sub:ident, $or:ident, $movemask:ident) => {
        mod $name {
            use std::arch::x86_64::{
                $cmpeq, $load, $max, $min, $movemask, $or, $set1, $sub, $vector,
            };

            #[inline(always)]
            pub(super) fn escape_mask(chunk: &[u8; $width]) -> u32 {
                #[allow(unsafe_code)]
                // The other calls only compute on registers; each needs the CPU feature (SSE2,
                // AVX2) that the `cfg` on the macro's call requires the build to enable.
                // SAFETY: `chunk` is `$width` readable bytes, the load is unaligned, and the
                // feature is enabled (SSE2 is in the x86-64 baseline).
                unsafe {
                    let v = $load(chunk.as_ptr().cast::<$vector>());
                    let quote = $cmpeq(v, $set1(b'"' as i8));
                    let backslash = $cmpeq(v, $set1(b'\\' as i8));
                    let low = $set1(0x1f);
                    let control = $cmpeq($max(v, low), low);
                    $movemask($or($or(quote, backslash), control)) as u32
                }
            }

            /// Bit `i` set where `chunk[i]` is JSON whitespace.
            #[inline(always)]
            #[allow(dead_code, reason = "the AVX2 one is not called")]
            pub(super) fn space_mask(chunk: &[u8; $width]) -> u32 {
                #[allow(unsafe_code)]
                // SAFETY: as in `escape_mask`: `chunk` is `$width` readable bytes, the load is
                // unaligned, and the build enables the feature of every call.
                unsafe {
                    let v = $load(chunk.as_ptr().cast::<$vector>());
                    let space = $or($cmpeq(v, $set1(b' ' as i8)), $cmpeq(v, $set1(b'\n' as i8)));
                    let tab = $or($cmpeq(v, $set1(b'\r' as i8)), $cmpeq(v, $set1(b'\t' as i8)));
                    $movemask($or(space, tab)) as u32
                }
            }

            /// The digit and number-byte masks of [`super::NumberBytes`] for `chunk`'s
            /// bytes (the low `$width` bits of each).
            #[inline(always)]
            #[allow(dead_code, reason = "the SSE2 one is not called in an AVX2 build")]
            pub(super) fn number_bytes(chunk: &[u8; $width]) -> (u32, u32) {
                #[allow(unsafe_code)]
                // SAFETY: as in `escape_mask`: `chunk` is `$width` readable bytes, the load is
                // unaligned, and the build enables the feature of every call.
                unsafe {
                    let v = $load(chunk.as_ptr().cast::<$vector>());
                    // A digit is a byte whose distance above '0' is at most 9 (unsigned).
                    let above = $sub(v, $set1(b'0' as i8));
                    let digits = $cmpeq($min(above, $set1(9)), above);
                    // `e` and `E` differ in the 0x20 bit only.
                    let e = $cmpeq($or(v, $set1(0x20)), $set1(b'e' as i8));
                    let signs = $or($cmpeq(v, $set1(b'-' as i8)), $cmpeq(v, $set1(b'+' as i8)));
                    let other = $or($or(e, signs), $cmpeq(v, $set1(b'.' as i8)));
                    (
                        $movemask(digits) as u32,
                        $movemask($or(digits, other)) as u32,
                    )
                }
            }
        }
    };
}

// Sixteen bytes at once: SSE2, on every x86-64 CPU.
#[cfg(target_arch = "x86_64")]
byte_masks!(
    sse2,
    16,
    __m128i,
    _mm_loadu_si128,
    _mm_set1_epi8,
    _mm_cmpeq_epi8,
    _mm_max_epu8,
    _mm_min_epu8,
    _mm_sub_epi8,
    _mm_or_si128,
    _mm_movemask_epi8
);

// Thirty-two at once where the build enables AVX2 (`-C target-cpu=native` on most machines).
#[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
byte_masks!(
    avx2,
    32,
    __m256i,
    _mm256_loadu_si256,
    _mm256_set1_epi8,
    _mm256_cmpeq_epi8,
    _mm256_max_epu8,
    _mm256_min_epu8,
    _mm256_sub_epi8,
    _mm256_or_si256,
    _mm256_movemask_epi8
);

/// The index of the first byte at or after `from` that is not JSON whitespace (space, `\n`,
/// `\r`, `\t`), or the length: on x86-64 sixteen bytes at a time with SSE2 (pretty-printed
/// documents indent by tens of spaces: a loop per byte was a quarter of reading
/// citm_catalog.json), the last few bytes one by one.
#[inline]
pub(crate) fn skip_whitespace(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    #[cfg(target_arch = "x86_64")]
    while let Some(chunk) = bytes.get(at..at + 16) {
        let other = !sse2::space_mask(chunk.try_into().expect("16 bytes")) & 0xffff;
        if other != 0 {
            return at + other.trailing_zeros() as usize;
        }
        at += 16;
    }
    skip_whitespace_bytewise(bytes, at)
}

/// [`skip_whitespace`] byte by byte: the tail, other targets, and the tests' reference.
#[inline]
fn skip_whitespace_bytewise(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The bytes a JSON number is made of, over a window: bit `i` of `digits` is set where
/// byte `i` is an ASCII digit, bit `i` of `number` where it is a digit or one of `-+.eE`.
/// The streaming parser reads a number's shape off these with bit operations: where it
/// ends is one trailing-ones count of `number`, so the next value's work does not wait for
/// the number's digit runs to be walked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NumberBytes {
    /// Digits.
    pub(crate) digits: u32,
    /// Digits and `-+.eE`.
    pub(crate) number: u32,
}

/// The window [`number_bytes`] classifies.
pub(crate) const NUMBER_WINDOW: usize = 32;

/// [`NumberBytes`] of `chunk`: two SSE2 halves, or one AVX2 load where the build enables it.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn number_bytes(chunk: &[u8; NUMBER_WINDOW]) -> NumberBytes {
    #[cfg(target_feature = "avx2")]
    {
        let (digits, number) = avx2::number_bytes(chunk);
        NumberBytes { digits, number }
    }
    #[cfg(not(target_feature = "avx2"))]
    {
        let (low, high) = chunk.split_at(16);
        let low = sse2::number_bytes(low.try_into().expect("16 bytes"));
        let high = sse2::number_bytes(high.try_into().expect("16 bytes"));
        NumberBytes {
            digits: low.0 | high.0 << 16,
            number: low.1 | high.1 << 16,
        }
    }
}

/// [`number_bytes`] byte by byte: the reference the vector code is tested against.
#[cfg(test)]
fn number_bytes_bytewise(chunk: &[u8; NUMBER_WINDOW]) -> NumberBytes {
    chunk.iter().enumerate().fold(
        NumberBytes {
            digits: 0,
            number: 0,
        },
        |masks, (i, &b)| NumberBytes {
            digits: masks.digits | u32::from(b.is_ascii_digit()) << i,
            number: masks.number
                | u32::from(matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')) << i,
        },
    )
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

/// Whether any of fewer than sixteen bytes needs an escape: two overlapping words (or
/// halves, or the bytes over spaces). Without a true lane the word test flags none, so the
/// answer is exact.
#[inline(always)]
pub(crate) fn short_needs_escape(bytes: &[u8]) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_whitespace_skip_agrees_with_the_bytewise_one() {
        // Runs of every length to 40 of each whitespace byte (and mixed), ended by every byte
        // value or by the end, from every start.
        for len in 0..40 {
            for space in [b' ', b'\n', b'\r', b'\t', 0] {
                for end in (0..=255u8).map(Some).chain([None]) {
                    let mut bytes: Vec<u8> = (0..len)
                        .map(|i| if space == 0 { b" \n\r\t"[i % 4] } else { space })
                        .collect();
                    bytes.extend(end);
                    bytes.extend_from_slice(b"  x");
                    for from in 0..=len {
                        assert_eq!(
                            skip_whitespace(&bytes, from),
                            skip_whitespace_bytewise(&bytes, from),
                            "{bytes:?} from {from}"
                        );
                    }
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_number_masks_agree_with_the_bytewise_ones() {
        // Every byte value at every lane, over a background of digits and of their neighbours.
        for background in [b'0', b'9', b'/', b':', b'-', b'e', b' ', 0x80, 0xff] {
            for lane in 0..NUMBER_WINDOW {
                for b in 0..=255u8 {
                    let mut chunk = [background; NUMBER_WINDOW];
                    chunk[lane] = b;
                    assert_eq!(
                        number_bytes(&chunk),
                        number_bytes_bytewise(&chunk),
                        "{b:#x} at {lane} over {background:#x}"
                    );
                }
            }
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
}
