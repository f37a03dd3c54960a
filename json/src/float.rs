//! Decimal to `f64`, correctly rounded, for the streaming engine: Clinger's exact fast path,
//! then the Eisel-Lemire algorithm (Lemire, "Number Parsing at a Gigabyte per Second", 2021;
//! the algorithm of fast_float and of Rust's own `f64::from_str`) on the digits the scanner
//! already accumulated, so a number is never read twice. Where Eisel-Lemire cannot decide
//! (more than 19 significant digits, or a product too close to a halfway point), the caller
//! falls back to `str::parse`, which is exact.

use crate::pow5::{LARGEST, POW5, SMALLEST};

/// Powers of ten exactly representable as `f64`, for Clinger's fast path.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

const SIG_BITS: i32 = 52;
const MINIMUM_EXPONENT: i32 = -1023;
const INFINITE_POWER: i32 = 0x7ff;
const MIN_EXPONENT_ROUND_TO_EVEN: i64 = -4;
const MAX_EXPONENT_ROUND_TO_EVEN: i64 = 23;

/// `mantissa * 10^exponent`, negated when `negative`, as the nearest `f64` (infinite when out
/// of range); `None` when this cannot decide and the text must be parsed instead.
#[inline]
pub(crate) fn to_f64(mantissa: u64, exponent: i64, negative: bool) -> Option<f64> {
    #[allow(
        clippy::cast_precision_loss,
        reason = "below 2^53 the conversion is exact: Clinger's fast path"
    )]
    let x = if mantissa <= 1 << 53 && (-22..=22).contains(&exponent) {
        let m = mantissa as f64;
        let p = POW10[exponent.unsigned_abs() as usize];
        if exponent < 0 { m / p } else { m * p }
    } else {
        f64::from_bits(eisel_lemire(exponent, mantissa)?)
    };
    Some(if negative { -x } else { x })
}

/// The bits of the `f64` nearest `w * 10^q`, or `None` where the 128-bit product is too
/// coarse to round (the caller then parses the text).
fn eisel_lemire(q: i64, mut w: u64) -> Option<u64> {
    if w == 0 || q < SMALLEST {
        return Some(0);
    }
    if q > LARGEST {
        return Some(f64::INFINITY.to_bits());
    }
    let lz = w.leading_zeros();
    w <<= lz;
    let (lo, hi) = product(q, w, SIG_BITS as u32 + 3);
    if lo == u64::MAX && !(-27..=55).contains(&q) {
        return None;
    }
    let upperbit = (hi >> 63) as i32;
    let shift = upperbit + 64 - SIG_BITS - 3;
    let mut mantissa = hi >> shift;
    let mut power2 = power(q as i32) + upperbit - lz as i32 - MINIMUM_EXPONENT;
    if power2 <= 0 {
        if -power2 + 1 >= 64 {
            return Some(0);
        }
        // Subnormal.
        mantissa >>= -power2 + 1;
        mantissa += mantissa & 1;
        mantissa >>= 1;
        let biased = u64::from(mantissa >= 1 << SIG_BITS);
        return Some(mantissa | (biased << SIG_BITS));
    }
    // Exactly halfway between two floats, with an even lower one: round down.
    if lo <= 1
        && (MIN_EXPONENT_ROUND_TO_EVEN..=MAX_EXPONENT_ROUND_TO_EVEN).contains(&q)
        && mantissa & 3 == 1
        && (mantissa << shift) == hi
    {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= 2 << SIG_BITS {
        mantissa = 1 << SIG_BITS;
        power2 += 1;
    }
    mantissa &= !(1 << SIG_BITS);
    if power2 >= INFINITE_POWER {
        return Some(f64::INFINITY.to_bits());
    }
    Some(mantissa | ((power2 as u64) << SIG_BITS))
}

/// floor(log2(10^q)) + 63, for q in the table's range.
#[inline]
fn power(q: i32) -> i32 {
    (q.wrapping_mul(152_170 + 65536) >> 16) + 63
}

/// The high 128 bits of `w * 5^q` (as (low, high) halves), to `precision` bits at least.
#[inline]
fn product(q: i64, w: u64, precision: u32) -> (u64, u64) {
    let mask = u64::MAX >> precision;
    let (hi5, lo5) = POW5[(q - SMALLEST) as usize];
    let first = u128::from(w) * u128::from(hi5);
    let (mut first_lo, mut first_hi) = (first as u64, (first >> 64) as u64);
    if first_hi & mask == mask {
        let second_hi = ((u128::from(w) * u128::from(lo5)) >> 64) as u64;
        first_lo = first_lo.wrapping_add(second_hi);
        if second_hi > first_lo {
            first_hi += 1;
        }
    }
    (first_lo, first_hi)
}
