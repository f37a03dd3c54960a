//! An SVG bar chart of each case's speedup over its baseline (log scale, 1x marked).

use std::fmt::Write;

use crate::registry::Role;
use crate::report::Report;

const WIDTH: f64 = 900.0;
const LABEL: f64 = 260.0;
const BAR: f64 = 18.0;
const GAP: f64 = 6.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn colour(role: Role) -> &'static str {
    match role {
        Role::Baseline => "#9e9e9e",
        Role::Pattern => "#2e7d32",
        Role::Peer => "#1565c0",
        Role::Floor => "#6d4c41",
    }
}

/// Renders the chart: one section per group, one bar per case with a baseline.
#[must_use]
pub fn chart(report: &Report) -> String {
    let bars: Vec<f64> = report
        .groups
        .iter()
        .flat_map(|g| g.cases.iter().filter_map(|c| c.vs_baseline))
        .collect();
    let max = bars.iter().copied().fold(2.0f64, f64::max).log10();
    let min = bars.iter().copied().fold(0.5f64, f64::min).log10();
    let plot = WIDTH - LABEL - 70.0;
    let x_of = |speedup: f64| LABEL + (speedup.log10() - min) / (max - min) * plot;

    let mut body = String::new();
    let mut y = 40.0;
    for group in &report.groups {
        let _ = writeln!(
            body,
            r#"<text x="10" y="{:.0}" font-weight="bold">{}</text>"#,
            y + 12.0,
            escape(&group.name)
        );
        y += BAR + GAP;
        for case in &group.cases {
            let Some(speedup) = case.vs_baseline else {
                continue;
            };
            let (x0, x1) = (x_of(1.0), x_of(speedup));
            let (left, w) = if x1 >= x0 {
                (x0, x1 - x0)
            } else {
                (x1, x0 - x1)
            };
            let _ = writeln!(
                body,
                r#"<text x="{:.0}" y="{:.0}" text-anchor="end">{} ({})</text><rect x="{left:.1}" y="{y:.0}" width="{:.1}" height="{BAR}" fill="{}"/><text x="{:.1}" y="{:.0}">{speedup:.2}x</text>"#,
                LABEL - 8.0,
                y + 13.0,
                escape(&case.name),
                case.role,
                w.max(1.0),
                colour(case.role),
                left + w.max(1.0) + 4.0,
                y + 13.0,
            );
            y += BAR + GAP;
        }
        y += GAP * 2.0;
    }
    let height = y + 10.0;
    let one = x_of(1.0);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="14">perfkit: speedup over each group's baseline (same thread count; log scale) -- {}</text>
<line x1="{one:.1}" y1="28" x2="{one:.1}" y2="{:.0}" stroke="black" stroke-dasharray="4 3"/>
{body}</svg>
"#,
        escape(&report.machine.summary()),
        height - 5.0
    )
}
