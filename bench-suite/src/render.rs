//! Renders a [`Report`]: the terminal tables, report.md, and the tables and machine line that
//! `fill` writes into the docs. One renderer for each thing: the machine line
//! ([`machine_line`]), the cells of a row (`rows`) and Markdown escaping ([`md_cell`]).

use std::fmt::Write;

use crate::registry::Throughput;
use crate::report::{CaseResult, GroupResult, Report};

/// `12.3 ns`, `4.56 µs`, `7.89 ms`.
#[must_use]
pub fn nanos(ns: f64) -> String {
    match ns {
        n if n < 1e3 => format!("{n:.2} ns"),
        n if n < 1e6 => format!("{:.2} µs", n / 1e3),
        n if n < 1e9 => format!("{:.2} ms", n / 1e6),
        n => format!("{:.2} s", n / 1e9),
    }
}

fn ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x"))
}

fn per_second(case: &CaseResult, throughput: Option<Throughput>) -> String {
    match throughput {
        None => "-".to_owned(),
        Some(t @ Throughput::Elements(_)) => format!("{:.1} M/s", case.per_second(t) / 1e6),
        Some(t @ Throughput::Bytes(_)) => format!("{:.0} MB/s", case.per_second(t) / 1e6),
    }
}

fn spread(case: &CaseResult) -> String {
    format!(
        "±{:.1}%",
        (case.p75_ns - case.p25_ns) / 2.0 / case.median_ns * 100.0
    )
}

/// The report's columns, in order.
pub const HEADERS: [&str; 10] = [
    "case",
    "role",
    "time/op",
    "spread (IQR/2)",
    "throughput",
    "allocs/op",
    "bytes/op",
    "vs baseline",
    "vs best peer",
    "vs floor",
];

/// The columns the docs' tables show (`fill`): indexes into [`HEADERS`].
pub const DOC_COLUMNS: [usize; 7] = [0, 1, 2, 3, 5, 7, 8];

/// A cell for a Markdown table: `|` and `<` escaped (a `<` would start raw HTML).
#[must_use]
pub fn md_cell(cell: &str) -> String {
    cell.replace('|', "\\|").replace('<', "\\<")
}

/// One line saying how the numbers were made: the command, the machine, the compiler, the
/// commit, the date, and how samples were taken. The terminal's header, report.md's
/// introduction and the docs' machine markers all use it.
#[must_use]
pub fn machine_line(report: &Report) -> String {
    format!(
        "Measured by `cargo run -p perfkit-bench --release -- report` on {}: {} samples per case, \
         taken round-robin across each group's cases; medians; spread is half the \
         interquartile range; multi-threaded times are aggregate.{}",
        report.machine.summary(),
        report.samples,
        if report.quick {
            " (A `--quick` run: indicative only.)"
        } else {
            ""
        },
    )
}

/// A Markdown table of `group` with the given columns (indexes into [`HEADERS`]).
#[must_use]
pub fn markdown_table(group: &GroupResult, columns: &[usize]) -> String {
    let mut out = String::new();
    let head: Vec<&str> = columns.iter().map(|&i| HEADERS[i]).collect();
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(columns.len()));
    for row in rows(group) {
        let cells: Vec<String> = columns.iter().map(|&i| md_cell(&row[i])).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

fn rows(group: &GroupResult) -> Vec<[String; 10]> {
    group
        .cases
        .iter()
        .map(|c| {
            [
                c.name.clone(),
                c.role.to_string(),
                nanos(c.median_ns),
                spread(c),
                per_second(c, group.throughput),
                format!("{:.2}", c.allocs_per_op),
                format!("{:.1}", c.bytes_per_op),
                ratio(c.vs_baseline),
                ratio(c.vs_best_peer),
                ratio(c.vs_floor),
            ]
        })
        .collect()
}

/// The waits table of `group` (case, p50, p99, max, task spread), if its cases record waits.
#[must_use]
pub fn waits_table(group: &GroupResult) -> Option<String> {
    if group.cases.iter().all(|c| c.wait.is_none()) {
        return None;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| case | wait p50 | wait p99 | wait max | slowest task / fastest |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for c in &group.cases {
        let Some(w) = c.wait else { continue };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.2} |",
            md_cell(&c.name),
            nanos(w.p50_ns),
            nanos(w.p99_ns),
            nanos(w.max_ns),
            w.task_spread
        );
    }
    Some(out)
}

/// A plain-text table per group, columns aligned, for the terminal.
#[must_use]
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "perfkit report -- {}", machine_line(report));
    for group in &report.groups {
        let rows = rows(group);
        let mut widths = HEADERS.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let _ = writeln!(out, "\n== {}: {}", group.name, group.about);
        let line = |cells: &[String]| {
            let mut l = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                let pad = w - cell.chars().count();
                if i < 2 {
                    let _ = write!(l, "{cell}{}  ", " ".repeat(pad));
                } else {
                    let _ = write!(l, "{}{cell}  ", " ".repeat(pad));
                }
            }
            l.trim_end().to_owned()
        };
        let _ = writeln!(out, "{}", line(&HEADERS.map(str::to_owned)));
        for row in &rows {
            let _ = writeln!(out, "{}", line(row));
        }
        if let Some(waits) = waits_table(group) {
            let _ = writeln!(out, "waits (time to get a connection):\n{waits}");
        }
        if !group.notes.is_empty() {
            let _ = writeln!(out, "note: {}", group.notes);
        }
    }
    out
}

/// The report as Markdown: how it was measured, then one table per group with its notes.
#[must_use]
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("# perfkit comparison report\n\n");
    let _ = writeln!(out, "{}", machine_line(report));
    let all: Vec<usize> = (0..HEADERS.len()).collect();
    for group in &report.groups {
        let _ = writeln!(out, "\n## {}\n\n{}.\n", group.name, group.about);
        out.push_str(&markdown_table(group, &all));
        if let Some(waits) = waits_table(group) {
            let _ = writeln!(out, "\nTime to get a connection:\n\n{waits}");
        }
        if !group.notes.is_empty() {
            let _ = writeln!(out, "\n{}", group.notes);
        }
    }
    out
}
