//! The streaming engine: a serde `Deserializer` that reads the caller's bytes in one pass,
//! with no copy of the input, no tape and no index, so the working memory of a parse is one
//! scratch buffer (the longest string with escapes) and one stack frame per nesting level.
//!
//! It is the fast path of a strict two-path design. Everything it accepts it reads exactly as
//! serde_json does (the same visitor calls with the same values, floats correctly rounded);
//! whatever it does not accept (a syntax error, a type mismatch, a lone surrogate, a number
//! form it does not convert itself) is an error without a place, and the caller then asks
//! serde_json for the verdict (`parser::serde_json_verdict`). So this module may reject more
//! than serde_json, never less, and its own messages are never shown to a user. The only
//! errors it reports itself are the parser's limits (nesting depth).
//!
//! Speed comes from doing less, and from keeping the chain of dependent operations that the
//! next value waits for short: the input's UTF-8 is checked once (simdutf8), so a string is a
//! slice of the checked text; strings are scanned sixteen bytes at a time (SSE2, 32 with
//! AVX2) for the three bytes that end a plain run (`"`, `\`, a control character), and one
//! without escapes is handed to the visitor borrowed from the input; whitespace runs are
//! skipped sixteen bytes at a time; numbers are converted only when the type asks (an ignored
//! value is validated, as serde_json does, and nothing else, an ignored number's end read off
//! the masks of its bytes in [`crate::scan`]); floats take Clinger's exact fast path, then
//! Eisel-Lemire on the digits already scanned, and std's correctly rounded parser only where
//! neither decides.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};

use crate::de::{InPlace, Key, Unborrowed};
use crate::error::{Error, ErrorKind};

/// Parses all of `input` into a `T` that may borrow from it. `scratch` is reused for strings
/// with escapes; at most `max_depth` levels of arrays and objects.
pub(crate) fn from_slice<'de, T: de::Deserialize<'de>>(
    input: &'de [u8],
    scratch: &mut Vec<u8>,
    max_depth: usize,
) -> Result<T, Error> {
    // The whole input's UTF-8 checked once (a string's text is then a slice of it, at the
    // quotes, which are always character boundaries), not once per string: 290,000 calls
    // per 10 MB order. Where it fails, serde_json gives the verdict, as for any rejection:
    // it may still accept, invalid UTF-8 being allowed in the strings it ignores.
    // simdutf8 (SIMD, detected at run time) checks twitter.json's mixed text in a sixth of
    // the instructions of `str::from_utf8`, which was 17% of its streamed parse.
    let text = simdutf8::basic::from_utf8(input).map_err(|_| rejected())?;
    // The scratch is text: unescaped strings are built from the checked input and whole
    // chars, so they need no second UTF-8 check. Emptied, the bytes convert with their
    // capacity and without a scan.
    let mut bytes = std::mem::take(scratch);
    bytes.clear();
    let mut de = Direct {
        text,
        pos: 0,
        depth: max_depth,
        scratch: String::from_utf8(bytes).unwrap_or_default(),
    };
    let result = T::deserialize(&mut de).and_then(|value| match de.peek() {
        Err(_) => Ok(value),
        Ok(_) => Err(rejected()),
    });
    *scratch = de.scratch.into_bytes();
    result
}

/// Why the fast path stopped; the caller replaces it with serde_json's verdict.
#[cold]
fn rejected() -> Error {
    Error::new(ErrorKind::Syntax, "rejected by the streaming parser")
}

struct Direct<'de> {
    /// The input, checked to be UTF-8; read as bytes through [`Direct::input`].
    text: &'de str,
    pos: usize,
    /// Levels of nesting still allowed.
    depth: usize,
    /// Strings with escapes are unescaped here.
    scratch: String,
}

/// A string read from the input: borrowed where it had no escapes, else unescaped into the
/// scratch buffer.
enum Str<'de, 's> {
    Borrowed(&'de str),
    Copied(&'s str),
}

/// A number as serde_json reads it for `deserialize_any`.
enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

/// The shape of a scanned number: where it starts, its significant digits (exact when there
/// are at most 19) and its decimal exponent.
struct Scanned {
    start: usize,
    negative: bool,
    mantissa: u64,
    digits: usize,
    exponent: i64,
    integer: bool,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Powers of ten below 10^8, by exponent.
const POW10: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// How many of `w`'s bytes, from the first, are ASCII digits. A byte below `0` borrows in the
/// subtraction, one above `9` carries into the high bit in the addition (and one of 0xB0 or
/// more is caught by the subtraction); only a flagged byte can disturb the bytes above it.
#[inline(always)]
fn digit_run(w: u64) -> u32 {
    let below = w.wrapping_sub(ONES * u64::from(b'0'));
    let above = w.wrapping_add(ONES * 0x46);
    ((below | above) & HIGH).trailing_zeros() / 8
}

/// The value of eight ASCII digits, the first the most significant (simdjson's SWAR
/// conversion: pairs, then quads, then the eight, by multiplication).
#[inline(always)]
fn eight_digits(w: u64) -> u64 {
    let w = w.wrapping_sub(ONES * u64::from(b'0'));
    let w = w.wrapping_mul(10).wrapping_add(w >> 8);
    let low = (w & 0x0000_00ff_0000_00ff).wrapping_mul(100 + (1_000_000 << 32));
    let high = ((w >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32));
    low.wrapping_add(high) >> 32
}

/// The first index at or after `i` that is not JSON whitespace.
#[inline(always)]
fn skip_ws(s: &[u8], i: usize) -> usize {
    match s.get(i) {
        Some(&b) if b > b' ' => i,
        _ => crate::scan::skip_whitespace(s, i),
    }
}

/// The first index at or after `i` of a byte that ends a plain run of string text (`"`,
/// `\\`, a control character), or the end: [`crate::scan`], sixteen bytes at a time.
#[inline(always)]
fn scan_plain(s: &[u8], i: usize) -> usize {
    crate::scan::find_escape(s, i).unwrap_or(s.len())
}

/// The value of the four hex digits at `i`.
#[inline]
fn hex4(s: &[u8], i: usize) -> Result<u32, Error> {
    let digits = s.get(i..i + 4).ok_or_else(rejected)?;
    digits.iter().try_fold(0, |n, &d| {
        let v = char::from(d).to_digit(16).ok_or_else(rejected)?;
        Ok(n * 16 + v)
    })
}

/// Where the string whose body starts at `i` ends (past its closing quote), as serde_json
/// ignores one: escapes and control characters checked, UTF-8 not.
#[inline]
fn skip_string(s: &[u8], mut i: usize) -> Result<usize, Error> {
    loop {
        i = scan_plain(s, i);
        match s.get(i) {
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => {
                i = match s.get(i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i + 2,
                    Some(b'u') => hex4(s, i + 2).map(|_| i + 6)?,
                    _ => return Err(rejected()),
                };
            }
            _ => return Err(rejected()),
        }
    }
}

/// Where an ignored object's key at `i` and its colon end.
#[inline]
fn skip_key(s: &[u8], i: usize) -> Result<usize, Error> {
    if s.get(i) != Some(&b'"') {
        return Err(rejected());
    }
    let i = skip_ws(s, skip_string(s, i + 1)?);
    if s.get(i) == Some(&b':') {
        Ok(i + 1)
    } else {
        Err(rejected())
    }
}

/// Where the literal `word` at `i` ends.
#[inline]
fn skip_word(s: &[u8], i: usize, word: &[u8]) -> Result<usize, Error> {
    if s.get(i..i + word.len()) == Some(word) {
        Ok(i + word.len())
    } else {
        Err(rejected())
    }
}

/// The end of the digits from `i`.
#[inline(always)]
fn skip_digits(s: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = s.get(i..i + 8) {
        let n = digit_run(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
        if n < 8 {
            return i + n as usize;
        }
        i += 8;
    }
    while let Some(b'0'..=b'9') = s.get(i) {
        i += 1;
    }
    i
}

/// Where the number at `i` ends, checked for its form only, as serde_json ignores one.
///
/// On x86-64, a number that ends within 32 bytes is read from the masks of its bytes
/// ([`number_end`]); anything else (a longer number, the end of the input, a malformed one)
/// takes the byte-by-byte scan, which also finds every error.
#[inline]
fn skip_number(s: &[u8], i: usize) -> Result<usize, Error> {
    #[cfg(target_arch = "x86_64")]
    if let Some(end) = number_end(s, i) {
        return Ok(end);
    }
    skip_number_bytewise(s, i)
}

/// Where the number at `i` ends if it is well formed and ends within the window, else `None`
/// (the caller then scans byte by byte). Where it ends is one trailing-ones count of
/// the number-byte mask, so the next value's work waits only on the load, the masks and that
/// count; the grammar checks that follow (digit runs, the bytes between them) branch the same
/// way for every well-formed number and are predicted, off that chain. (A loop per digit run
/// put each run's end on the chain, which cost a third of skipping canada.json's numbers.)
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn number_end(s: &[u8], i: usize) -> Option<usize> {
    use crate::scan::NUMBER_WINDOW;
    let chunk: &[u8; NUMBER_WINDOW] = s.get(i..i + NUMBER_WINDOW)?.try_into().ok()?;
    let masks = crate::scan::number_bytes(chunk);
    let end = masks.number.trailing_ones() as usize;
    // A number that reaches the window's end may go on past it.
    if end == NUMBER_WINDOW {
        return None;
    }
    // The digits from `at` on; every index below is at most `end`, inside the window.
    let run = |at: usize| (masks.digits >> at).trailing_ones() as usize;
    let mut p = usize::from(chunk[0] == b'-');
    let integer = run(p);
    // One digit at least; no leading zero before another digit.
    if integer == 0 || (chunk[p] == b'0' && integer > 1) {
        return None;
    }
    p += integer;
    if chunk[p] == b'.' {
        let fraction = run(p + 1);
        if fraction == 0 {
            return None;
        }
        p += 1 + fraction;
    }
    if chunk[p] | 0x20 == b'e' {
        p += 1;
        if let b'+' | b'-' = chunk[p] {
            p += 1;
        }
        let exponent = run(p);
        if exponent == 0 {
            return None;
        }
        p += exponent;
    }
    // The grammar must account for every number byte (`1.5.3` and `1-2` are not numbers).
    (p == end).then_some(i + end)
}

/// [`skip_number`] byte by byte (by words through digit runs).
#[inline]
fn skip_number_bytewise(s: &[u8], mut i: usize) -> Result<usize, Error> {
    if s.get(i) == Some(&b'-') {
        i += 1;
    }
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = skip_digits(s, i + 1),
        _ => return Err(rejected()),
    }
    if s.get(i) == Some(&b'.') {
        let end = skip_digits(s, i + 1);
        if end == i + 1 {
            return Err(rejected());
        }
        i = end;
    }
    if let Some(b'e' | b'E') = s.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = s.get(i) {
            i += 1;
        }
        let end = skip_digits(s, i);
        if end == i {
            return Err(rejected());
        }
        i = end;
    }
    Ok(i)
}

impl<'de> Direct<'de> {
    /// The input's bytes.
    #[inline(always)]
    fn input(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    /// The next byte that is not whitespace, not consumed; an error at the end of the input.
    #[inline(always)]
    fn peek(&mut self) -> Result<u8, Error> {
        self.pos = skip_ws(self.input(), self.pos);
        self.input().get(self.pos).copied().ok_or_else(rejected)
    }

    /// Consumes `byte`, after whitespace, or fails.
    #[inline(always)]
    fn expect(&mut self, byte: u8) -> Result<(), Error> {
        if self.peek()? == byte {
            self.pos += 1;
            Ok(())
        } else {
            Err(rejected())
        }
    }

    /// Consumes the opening bracket at `pos`, one level deeper.
    #[inline]
    fn enter(&mut self) -> Result<(), Error> {
        if self.depth == 0 {
            return Err(self.depth_error());
        }
        self.depth -= 1;
        self.pos += 1;
        Ok(())
    }

    /// The depth limit's error, at `pos`.
    #[cold]
    fn depth_error(&self) -> Error {
        Error::at(
            ErrorKind::DepthLimit,
            "objects and arrays nest deeper than the limit",
            self.input(),
            self.pos,
        )
    }

    /// Consumes the closing bracket `byte`, one level up.
    #[inline]
    fn leave(&mut self, byte: u8) -> Result<(), Error> {
        self.expect(byte)?;
        self.depth += 1;
        Ok(())
    }

    /// Consumes the literal `word` (`true`, `false`, `null`) starting at `pos`.
    #[inline]
    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        let end = self.pos + word.len();
        if self.input().get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(rejected())
        }
    }

    #[inline(always)]
    fn scan_plain(&self, i: usize) -> usize {
        scan_plain(self.input(), i)
    }

    /// Reads the string whose opening quote was just consumed.
    #[inline]
    fn string(&mut self) -> Result<Str<'de, '_>, Error> {
        let start = self.pos;
        let end = self.scan_plain(start);
        if self.input().get(end) == Some(&b'"') {
            self.pos = end + 1;
            let s = self.text.get(start..end).ok_or_else(rejected)?;
            return Ok(Str::Borrowed(s));
        }
        self.escaped(start, end)
    }

    /// The rest of a string from `start` whose first special byte is at `i`.
    #[cold]
    fn escaped(&mut self, mut start: usize, mut i: usize) -> Result<Str<'de, '_>, Error> {
        self.scratch.clear();
        loop {
            // `start` and `i` are at ASCII bytes (after a quote or an escape; at a quote, a
            // backslash or a control character) or the end: char boundaries of the text.
            self.scratch
                .push_str(self.text.get(start..i).ok_or_else(rejected)?);
            match self.input().get(i) {
                Some(b'"') => break,
                Some(b'\\') => {
                    i = self.unescape(i + 1)?;
                    start = i;
                    i = self.scan_plain(i);
                }
                _ => return Err(rejected()),
            }
        }
        self.pos = i + 1;
        Ok(Str::Copied(&self.scratch))
    }

    /// Appends the escape after the backslash at `i - 1` to the scratch; returns where the
    /// string goes on. Lone surrogates are rejected (serde_json's error).
    fn unescape(&mut self, i: usize) -> Result<usize, Error> {
        let byte = match self.input().get(i) {
            Some(b'"') => b'"',
            Some(b'\\') => b'\\',
            Some(b'/') => b'/',
            Some(b'b') => 0x08,
            Some(b'f') => 0x0c,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'u') => {
                let first = hex4(self.input(), i + 1)?;
                let (c, next) = match first {
                    0xd800..=0xdbff => {
                        if self.input().get(i + 5..i + 7) != Some(b"\\u") {
                            return Err(rejected());
                        }
                        let second = hex4(self.input(), i + 7)?;
                        if !(0xdc00..=0xdfff).contains(&second) {
                            return Err(rejected());
                        }
                        let c = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
                        (c, i + 11)
                    }
                    0xdc00..=0xdfff => return Err(rejected()),
                    c => (c, i + 5),
                };
                self.scratch.push(char::from_u32(c).ok_or_else(rejected)?);
                return Ok(next);
            }
            _ => return Err(rejected()),
        };
        self.scratch.push(char::from(byte));
        Ok(i + 1)
    }

    /// The digits from `i` on, accumulated into `mantissa` (exact for the first 19 digits of
    /// `digits`); returns where they end and how many there were.
    #[inline(always)]
    fn digits(&self, mut i: usize, mantissa: &mut u64) -> (usize, usize) {
        let start = i;
        while let Some(chunk) = self.input().get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if digit_run(w) < 8 {
                break;
            }
            *mantissa = mantissa
                .wrapping_mul(100_000_000)
                .wrapping_add(eight_digits(w));
            i += 8;
        }
        // Fewer than eight digits left: with eight bytes to read, they are converted at once,
        // shifted to the top of a word whose bytes below are '0's (a loop per digit was the
        // costliest line of parsing canada.json).
        if let Some(chunk) = self.input().get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let n = digit_run(w) as usize;
            if n > 0 {
                let padded = w << (8 * (8 - n)) | (ONES * u64::from(b'0')) >> (8 * n);
                *mantissa = mantissa
                    .wrapping_mul(POW10[n])
                    .wrapping_add(eight_digits(padded));
            }
            i += n;
            return (i, i - start);
        }
        while let Some(&b) = self.input().get(i) {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
            i += 1;
        }
        (i, i - start)
    }

    /// Scans the number at `pos` by the JSON grammar, consuming it.
    #[inline]
    fn scan_number(&mut self) -> Result<Scanned, Error> {
        let start = self.pos;
        let mut i = start;
        let negative = self.input().get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let mut mantissa = 0;
        let mut digits = match self.input().get(i) {
            Some(b'0') => {
                i += 1;
                // A leading zero counts for nothing; the next byte is no digit (`01` is
                // rejected by whoever reads after the number).
                0
            }
            Some(b'1'..=b'9') => {
                let (end, n) = self.digits(i, &mut mantissa);
                i = end;
                n
            }
            _ => return Err(rejected()),
        };
        let mut exponent = 0i64;
        let mut integer = true;
        if self.input().get(i) == Some(&b'.') {
            integer = false;
            let (end, n) = self.digits(i + 1, &mut mantissa);
            if n == 0 {
                return Err(rejected());
            }
            i = end;
            digits += n;
            exponent = -(n as i64);
        }
        if let Some(b'e' | b'E') = self.input().get(i) {
            integer = false;
            i += 1;
            let negative_exponent = match self.input().get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let mut e = 0u64;
            let start = i;
            while let Some(&b) = self.input().get(i) {
                let d = b.wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                e = (e * 10 + u64::from(d)).min(1 << 40);
                i += 1;
            }
            if i == start {
                return Err(rejected());
            }
            let e = e as i64;
            exponent += if negative_exponent { -e } else { e };
        }
        self.pos = i;
        Ok(Scanned {
            start,
            negative,
            mantissa,
            digits,
            exponent,
            integer,
        })
    }

    /// The scanned number's text (ASCII by the grammar).
    fn text(&self, n: &Scanned) -> &'de str {
        &self.text[n.start..self.pos]
    }

    /// The number at `pos` as serde_json's `deserialize_any` sees it: a non-negative
    /// integer as `u64`, a negative one as `i64`, `-0` and everything else as `f64`.
    #[inline]
    fn number(&mut self) -> Result<Number, Error> {
        let n = self.scan_number()?;
        if n.integer && n.digits <= 19 {
            if !n.negative {
                return Ok(Number::Unsigned(n.mantissa));
            }
            let negated = (n.mantissa as i64).wrapping_neg();
            if n.mantissa != 0 && (negated < 0) {
                return Ok(Number::Signed(negated));
            }
            if n.mantissa == 0 {
                return Ok(Number::Float(-0.0));
            }
        }
        if n.integer
            && !n.negative
            && n.digits == 20
            && let Ok(v) = self.text(&n).parse::<u64>()
        {
            return Ok(Number::Unsigned(v));
        }
        self.float(&n).map(Number::Float)
    }

    /// The scanned number as the nearest `f64`; out of range is rejected (serde_json's
    /// "number out of range").
    #[inline]
    fn float(&self, n: &Scanned) -> Result<f64, Error> {
        let fast = if n.digits <= 19 {
            crate::float::to_f64(n.mantissa, n.exponent, n.negative)
        } else {
            None
        };
        let x = match fast {
            Some(x) => x,
            None => self.text(n).parse().map_err(|_| rejected())?,
        };
        if x.is_finite() {
            Ok(x)
        } else {
            Err(rejected())
        }
    }

    /// Skips the value at `pos`: validated as serde_json validates an ignored value (strings
    /// for their escapes and control characters, not their UTF-8; numbers for their form),
    /// nothing converted, nothing allocated. One loop over local state, with the open
    /// containers in a bit stack (one bit per level: object or array), so the position stays
    /// in a register; recursion cost a third of the time of skipping canada.json's
    /// coordinates.
    fn skip_value(&mut self) -> Result<(), Error> {
        let s = self.input();
        let mut i = self.pos;
        let mut objects = [0u64; crate::parser::MAX_DEPTH / 64];
        let mut level = 0usize;
        let limit = self.depth.min(crate::parser::MAX_DEPTH);
        let is_object = |objects: &[u64], level: usize| {
            objects[(level - 1) / 64] >> ((level - 1) % 64) & 1 == 1
        };
        loop {
            // A value starts at `i` (after whitespace).
            i = skip_ws(s, i);
            match s.get(i) {
                Some(b'"') => i = skip_string(s, i + 1)?,
                Some(&open @ (b'[' | b'{')) => {
                    if level == limit {
                        self.pos = i;
                        return Err(self.depth_error());
                    }
                    let object = open == b'{';
                    let word = &mut objects[level / 64];
                    *word = (*word & !(1 << (level % 64))) | (u64::from(object) << (level % 64));
                    level += 1;
                    i = skip_ws(s, i + 1);
                    match (s.get(i), object) {
                        (Some(b']'), false) | (Some(b'}'), true) => {
                            i += 1;
                            level -= 1;
                        }
                        (_, true) => {
                            i = skip_key(s, i)?;
                            continue;
                        }
                        (_, false) => continue,
                    }
                }
                Some(b't') => i = skip_word(s, i, b"true")?,
                Some(b'f') => i = skip_word(s, i, b"false")?,
                Some(b'n') => i = skip_word(s, i, b"null")?,
                Some(b'-' | b'0'..=b'9') => i = skip_number(s, i)?,
                _ => return Err(rejected()),
            }
            // After a value: close containers until one goes on with a comma.
            loop {
                if level == 0 {
                    self.pos = i;
                    return Ok(());
                }
                i = skip_ws(s, i);
                let object = is_object(&objects, level);
                match (s.get(i), object) {
                    (Some(b','), false) => {
                        i += 1;
                        break;
                    }
                    (Some(b','), true) => {
                        i = skip_key(s, skip_ws(s, i + 1))?;
                        break;
                    }
                    (Some(b']'), false) | (Some(b'}'), true) => {
                        i += 1;
                        level -= 1;
                    }
                    _ => return Err(rejected()),
                }
            }
        }
    }

    #[inline]
    fn visit_number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.visit_number_here(visitor),
            _ => Err(rejected()),
        }
    }

    /// The number at `pos` (its first byte already seen) to `visitor`, as serde_json's
    /// `deserialize_any` gives it.
    #[inline(always)]
    fn visit_number_here<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        match self.number()? {
            Number::Unsigned(n) => visitor.visit_u64(n),
            Number::Signed(n) => visitor.visit_i64(n),
            Number::Float(x) => visitor.visit_f64(x),
        }
    }

    /// A 128-bit integer: plain integer digits only (serde_json's form for them; `-0` and
    /// the rest are left to it).
    fn wide<T: std::str::FromStr>(&mut self) -> Result<T, Error> {
        if !matches!(self.peek()?, b'-' | b'0'..=b'9') {
            return Err(rejected());
        }
        let n = self.scan_number()?;
        if !n.integer || (n.negative && n.mantissa == 0 && n.digits <= 1) {
            return Err(rejected());
        }
        self.text(&n).parse().map_err(|_| rejected())
    }

    #[inline]
    fn visit_seq<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.enter()?;
        let value = visitor.visit_seq(Elements {
            de: self,
            first: true,
        })?;
        self.leave(b']')?;
        Ok(value)
    }

    #[inline]
    fn visit_map<V: Visitor<'de>>(&mut self, visitor: V, fields: bool) -> Result<V::Value, Error> {
        self.enter()?;
        let value = visitor.visit_map(Members {
            de: self,
            first: true,
            fields,
        })?;
        self.leave(b'}')?;
        Ok(value)
    }

    /// Reads the string at `pos` (after whitespace) as a key for `seed`.
    #[inline]
    fn key<K: DeserializeSeed<'de>>(&mut self, seed: K, fields: bool) -> Result<K::Value, Error> {
        self.expect(b'"')?;
        let value = match self.string()? {
            Str::Borrowed(s) => seed.deserialize(Key::new(s, &InPlace, fields))?,
            Str::Copied(s) => seed.deserialize(Key::new(s, &Unborrowed, fields))?,
        };
        self.expect(b':')?;
        Ok(value)
    }
}

/// `deserialize_<number type>`: a number goes straight to [`Direct::visit_number_here`],
/// anything else to `deserialize_any` (for the visitor's own error, as serde_json gives it).
macro_rules! numbers_first {
    ($($method:ident)*) => {
        $(
            #[inline]
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                match self.peek()? {
                    b'-' | b'0'..=b'9' => self.visit_number_here(visitor),
                    _ => self.deserialize_any(visitor),
                }
            }
        )*
    };
}

impl<'de> Deserializer<'de> for &mut Direct<'de> {
    type Error = Error;

    crate::de::forward_plumbing!();

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                match self.string()? {
                    Str::Borrowed(s) => visitor.visit_borrowed_str(s),
                    Str::Copied(s) => visitor.visit_str(s),
                }
            }
            b'[' => self.visit_seq(visitor),
            b'{' => self.visit_map(visitor, false),
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            _ => self.visit_number(visitor),
        }
    }

    #[inline]
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.peek()? {
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            _ => Err(rejected()),
        }
    }

    // A field typed as a number looks for one first (one `peek`, no dispatch on every kind of
    // value); anything else is read as `deserialize_any` reads it, for the visitor's error.
    numbers_first! {
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_f64
    }

    /// Rounded once, from the decimal (serde_json rounds to `f64` first, then to `f32`).
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if !matches!(self.peek()?, b'-' | b'0'..=b'9') {
            return Err(rejected());
        }
        let start = self.pos;
        let n = self.scan_number()?;
        if n.integer {
            // As serde_json: an integer is visited as one, and the visitor converts it.
            self.pos = start;
            return self.visit_number(visitor);
        }
        let x: f32 = self.text(&n).parse().map_err(|_| rejected())?;
        if x.is_finite() {
            visitor.visit_f32(x)
        } else {
            Err(rejected())
        }
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let n = self.wide::<i128>()?;
        visitor.visit_i128(n)
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let n = self.wide::<u128>()?;
        visitor.visit_u128(n)
    }

    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.expect(b'"')?;
        match self.string()? {
            Str::Borrowed(s) => visitor.visit_borrowed_str(s),
            Str::Copied(s) => visitor.visit_str(s),
        }
    }

    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    /// serde_json's: a string's raw bytes (here only strings without escapes; the rest are
    /// left to it), or an array.
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.peek()? {
            b'"' => {
                let start = self.pos + 1;
                let end = self.scan_plain(start);
                if self.input().get(end) != Some(&b'"') {
                    return Err(rejected());
                }
                self.pos = end + 1;
                visitor.visit_borrowed_bytes(&self.input()[start..end])
            }
            b'[' => self.visit_seq(visitor),
            _ => Err(rejected()),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            visitor.visit_unit()
        } else {
            Err(rejected())
        }
    }

    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == b'[' {
            self.visit_seq(visitor)
        } else {
            Err(rejected())
        }
    }

    #[inline]
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == b'{' {
            self.visit_map(visitor, false)
        } else {
            Err(rejected())
        }
    }

    /// A struct from an object, or from an array of its fields in order (as serde_json).
    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.peek()? {
            b'{' => self.visit_map(visitor, true),
            b'[' => self.visit_seq(visitor),
            _ => Err(rejected()),
        }
    }

    /// A unit variant from a string, any variant from an object of one member (as serde_json).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                match self.string()? {
                    Str::Borrowed(s) => visitor.visit_enum(s.into_deserializer()),
                    Str::Copied(s) => visitor.visit_enum(s.into_deserializer()),
                }
            }
            b'{' => {
                self.enter()?;
                let value = visitor.visit_enum(Variant { de: self })?;
                self.leave(b'}')?;
                Ok(value)
            }
            _ => Err(rejected()),
        }
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip_value()?;
        visitor.visit_unit()
    }
}

/// Whether another element or member follows (`false` at the closing `close`, left for the
/// caller); consumes the comma before every item but the first.
#[inline]
fn next_item(de: &mut Direct<'_>, first: &mut bool, close: u8) -> Result<bool, Error> {
    let b = de.peek()?;
    if b == close {
        return Ok(false);
    }
    if *first {
        *first = false;
    } else if b == b',' {
        de.pos += 1;
    } else {
        return Err(rejected());
    }
    Ok(true)
}

struct Elements<'a, 'de> {
    de: &'a mut Direct<'de>,
    first: bool,
}

impl<'de> SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if !next_item(self.de, &mut self.first, b']')? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

struct Members<'a, 'de> {
    de: &'a mut Direct<'de>,
    first: bool,
    /// The object is a struct's: its keys are field names (see `de::Key`).
    fields: bool,
}

impl<'de> MapAccess<'de> for Members<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if !next_item(self.de, &mut self.first, b'}')? {
            return Ok(None);
        }
        self.de.key(seed, self.fields).map(Some)
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut *self.de)
    }
}

/// An enum written as an object of one member: `{"Variant": content}`.
struct Variant<'a, 'de> {
    de: &'a mut Direct<'de>,
}

impl<'de> EnumAccess<'de> for Variant<'_, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self), Error> {
        let name = self.de.key(seed, false)?;
        Ok((name, self))
    }
}

crate::de::variant_access!(['de] Variant<'_, 'de>);

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// Numbers of every form and length around the window's edge, well formed and not.
    fn numbers() -> Vec<String> {
        let mut all: Vec<String> = [
            "0",
            "-0",
            "1",
            "-1",
            "01",
            "-01",
            "00",
            "1.",
            "1.e5",
            ".5",
            "-",
            "--1",
            "1..2",
            "1.5.3",
            "1-2",
            "1e",
            "1e+",
            "1e-",
            "1E5",
            "1e+05",
            "1e-5",
            "1.25e-300",
            "-0.0e0",
            "9",
            "1ee5",
            "1e5e3",
            "1.5e",
            "1+2",
            "0.000",
            "-65.613616999999977",
            "43.420273000000009",
            "18446744073709551615",
            "18446744073709551616",
            "123456789012345678901234567890",
            "1.2345678901234567890123",
            "5e-324",
        ]
        .map(String::from)
        .to_vec();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..20_000 {
            let digits = |n: u64, next: &mut dyn FnMut(u64) -> u64| -> String {
                (0..n).map(|_| char::from(b'0' + next(10) as u8)).collect()
            };
            let mut s = String::new();
            if next(2) == 0 {
                s.push('-');
            }
            s += &digits(1 + next(22), &mut next);
            if next(3) > 0 {
                s.push('.');
                s += &digits(next(22), &mut next);
            }
            if next(4) == 0 {
                s.push(['e', 'E'][next(2) as usize]);
                s += ["", "+", "-"][next(3) as usize];
                s += &digits(next(4), &mut next);
            }
            all.push(s);
        }
        all
    }

    #[test]
    fn the_mask_path_skips_numbers_as_the_byte_path_does() {
        for number in numbers() {
            // Followed by each kind of byte that may end (or wrongly continue) it, with the
            // window inside the input or running past its end.
            for tail in ["", ",", "]", " ", "x", "\"", "-", ".", "e", &" ".repeat(40)] {
                let text = format!("{number}{tail}");
                let bytes = text.as_bytes();
                assert_eq!(
                    skip_number(bytes, 0).ok(),
                    skip_number_bytewise(bytes, 0).ok(),
                    "skip {text:?}"
                );
            }
        }
    }
}
