//! docs/PATTERNS.md, entry 14. Borrowing instead of allocating: reducing allocations.

use std::hint::black_box;

use super::{group, single};
use crate::registry::{Group, Role, Throughput};

/// A CSV record of 12 fields, as a request would carry.
const RECORD: &str = "2026-11-27T04:02:03Z,GET,/api/v1/items/42,200,1532,0.004,eu-west,api-7,\
                      Mozilla/5.0,gzip,keep-alive,req-9f8e7d";

pub(super) fn fields() -> Group {
    group(
        "fields",
        "split a 12-field CSV record and sum the field lengths",
        Some(Throughput::Elements(12)),
        "The baseline owns every field (a String each, plus the Vec); the pattern borrows \
         &str slices of the one input buffer, into a Vec reused across records.",
        1000,
        vec![
            single("Vec<String> of owned fields", Role::Baseline, || {
                let fields: Vec<String> = black_box(RECORD).split(',').map(str::to_owned).collect();
                fields.iter().map(|f| f.len() as u64).sum()
            }),
            single("Vec<&str> slices, per record", Role::Pattern, || {
                let fields: Vec<&str> = black_box(RECORD).split(',').collect();
                fields.iter().map(|f| f.len() as u64).sum()
            }),
            single("iterate slices, no Vec", Role::Pattern, || {
                black_box(RECORD).split(',').map(|f| f.len() as u64).sum()
            }),
        ],
    )
}
