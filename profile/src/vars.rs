//! `/debug/vars`: Go's expvar JSON, with a `memstats` object built from the heap profiler's
//! exact totals beside what the process holds from the kernel.

use crate::heap;
use std::fmt::Write as _;

/// What the process holds, from `/proc/self`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessMemory {
    /// Resident set size now, in bytes.
    pub rss_bytes: u64,
    /// Peak resident set size (`VmHWM`), in bytes.
    pub peak_rss_bytes: u64,
    /// Virtual size, in bytes.
    pub virtual_bytes: u64,
    /// Threads of the process.
    pub threads: u64,
}

/// The process's memory and thread count (zero where `/proc/self/status` lacks a field).
pub fn process_memory() -> ProcessMemory {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    ProcessMemory {
        rss_bytes: field("VmRSS:") * 1024,
        peak_rss_bytes: field("VmHWM:") * 1024,
        virtual_bytes: field("VmSize:") * 1024,
        threads: field("Threads:"),
    }
}

fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The `/debug/vars` body.
pub(crate) fn json() -> String {
    let s = heap::heap_stats();
    let m = process_memory();
    let mut out = String::from("{\n\"cmdline\": [");
    for (i, arg) in std::env::args().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        json_string(&mut out, &arg);
    }
    out.push_str("],\n\"memstats\": {");
    let fields: [(&str, u64); 16] = [
        // Go's names, where the meaning is the same.
        ("Alloc", s.live_bytes),
        ("TotalAlloc", s.total_bytes),
        ("Sys", m.rss_bytes),
        ("Mallocs", s.total_allocations),
        ("Frees", s.frees),
        ("HeapAlloc", s.live_bytes),
        ("HeapObjects", s.live_allocations),
        // What Go's fields cannot say about a Rust process.
        ("LiveBytes", s.live_bytes),
        ("LiveObjects", s.live_allocations),
        ("RSS", m.rss_bytes),
        ("PeakRSS", m.peak_rss_bytes),
        (
            "RetainedByAllocator",
            m.rss_bytes.saturating_sub(s.live_bytes),
        ),
        ("Threads", m.threads),
        ("ProfilerOverhead", s.overhead_bytes),
        ("SampleRate", heap::sample_rate()),
        ("DroppedSamples", s.dropped_samples),
    ];
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{k}\": {v}");
    }
    let _ = write!(out, ", \"ProfilerInstalled\": {}", s.installed);
    out.push_str("}\n}\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn vars_is_json_with_memstats() {
        let body = super::json();
        let v: serde_json::Value = serde_json::from_str(&body).expect(&body);
        let m = &v["memstats"];
        assert!(m["RSS"].as_u64().unwrap() > 0);
        assert!(m["Threads"].as_u64().unwrap() >= 1);
        // The unit tests run with the profiler installed (lib.rs).
        assert_eq!(m["ProfilerInstalled"], true);
        assert!(m["LiveBytes"].as_u64().unwrap() > 0);
        assert!(v["cmdline"].is_array());
    }
}
