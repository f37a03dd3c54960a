//! docs/PATTERNS.md, entry 15. Struct field layout: struct field layout.

use std::hint::black_box;

use super::{group, single};
use crate::fixture::Fixture;
use crate::registry::{Group, Role, Throughput};

/// Fields in declaration order under `repr(C)`: padding after each small field.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Padded {
    flag: u8,
    id: u64,
    kind: u8,
    count: u32,
    level: u8,
}

/// The same fields, largest first, still `repr(C)`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Reordered {
    id: u64,
    count: u32,
    flag: u8,
    kind: u8,
    level: u8,
}

/// The same fields in Rust's default layout (the compiler reorders them itself).
#[derive(Clone, Copy, Default)]
struct RustLayout {
    flag: u8,
    id: u64,
    kind: u8,
    count: u32,
    level: u8,
}

const RECORDS: usize = 10_000_000;

macro_rules! scan_case {
    ($name:expr, $role:expr, $ty:ty) => {{
        let data: Fixture<Vec<$ty>> = Fixture::new(|| {
            (0..RECORDS as u64)
                .map(|i| <$ty>::from_parts(i as u8, i, (i >> 8) as u8, i as u32, (i >> 16) as u8))
                .collect()
        });
        single($name, $role, move || {
            black_box(data.get()).iter().fold(0u64, |acc, r| {
                acc.wrapping_add(r.id ^ u64::from(r.count))
                    .wrapping_add(u64::from(r.flag ^ r.kind ^ r.level))
            })
        })
    }};
}

trait FromParts {
    fn from_parts(flag: u8, id: u64, kind: u8, count: u32, level: u8) -> Self;
}

macro_rules! from_parts {
    ($($ty:ty),*) => {$(
        impl FromParts for $ty {
            fn from_parts(flag: u8, id: u64, kind: u8, count: u32, level: u8) -> Self {
                Self { flag, id, kind, count, level }
            }
        }
    )*};
}
from_parts!(Padded, Reordered, RustLayout);

pub(super) fn layout() -> Group {
    const NOTES: &str = "Sizes: repr(C) in declaration order 32 bytes, repr(C) largest first 16, \
                         Rust's default layout 16 (it reorders fields itself; repr(C) keeps your \
                         order for FFI, so order it by hand). The scan reads every field of 10 \
                         million records (320 or 160 MB), so it is memory-bound: half the bytes, \
                         about half the time.";
    group(
        "layout",
        "scan 10 million 5-field records, reading every field",
        Some(Throughput::Elements(RECORDS as u64)),
        NOTES,
        1,
        vec![
            scan_case!("repr(C), declaration order (32 B)", Role::Baseline, Padded),
            scan_case!("repr(C), largest first (16 B)", Role::Pattern, Reordered),
            scan_case!("Rust default layout (16 B)", Role::Pattern, RustLayout),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::{Padded, Reordered, RustLayout};

    /// The sizes the `layout` group's notes state.
    #[test]
    fn layout_sizes_are_as_documented() {
        assert_eq!(std::mem::size_of::<Padded>(), 32);
        assert_eq!(std::mem::size_of::<Reordered>(), 16);
        assert_eq!(std::mem::size_of::<RustLayout>(), 16);
    }
}
