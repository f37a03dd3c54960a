//! Keeps the numbers in the docs true: `perfkit-bench fill FILE...` rewrites every marked
//! region of the given Markdown files from a report's `report.json`, so no figure in the docs
//! is typed by hand.
//!
//! Markers (HTML comments, invisible when rendered), each closed by `<!-- /perfkit -->`:
//! - `<!-- perfkit:machine -->`: one line naming the machine, compiler, commit, date and run;
//! - `<!-- perfkit:table GROUP -->`: the group's table (case, role, time/op, spread, allocs/op,
//!   vs baseline, vs best peer);
//! - `<!-- perfkit:vs GROUP CASE -->`: that case's speedup over its baseline, e.g. `3.54x`;
//! - `<!-- perfkit:peer GROUP CASE -->`: its speedup over the best peer;
//! - `<!-- perfkit:time GROUP CASE -->`: its median time per op;
//! - `<!-- perfkit:allocs GROUP CASE -->`: its allocations per op;
//! - `<!-- perfkit:waits GROUP -->`: the group's table of waits (p50, p99, max, task spread).
//!
//! `CASE` is the case name with its `/Nt` suffix (`perfkit_pool::Pool/2t`).
//!
//! A kind may end in `@native` (`<!-- perfkit:table@native json-typed-twitter -->`): the
//! region is filled from the native build's report instead (`perfkit-bench native`, built with
//! `-C target-cpu=native`), so a doc can show the portable and the native numbers side by
//! side. Without a native report such regions are left as they are (and `fill` says so).

use crate::render::nanos;
use crate::report::{CaseResult, GroupResult, Report};

const END: &str = "<!-- /perfkit -->";

/// Refuses a report measured on a tree with uncommitted changes: numbers in the docs must
/// name a commit someone can check out.
///
/// # Errors
/// When the report's commit is marked `+dirty`.
pub fn require_clean(report: &Report) -> Result<(), String> {
    if report.machine.commit.ends_with("+dirty") {
        return Err(format!(
            "measured at {}, a tree with uncommitted changes: commit, measure again, then fill",
            report.machine.commit
        ));
    }
    Ok(())
}

/// Rewrites every marked region of `doc` from `report`; `@native` regions are left as they are.
///
/// # Errors
/// A marker without its end, an unknown kind, or a group or case the report does not have.
pub fn fill(doc: &str, report: &Report) -> Result<String, String> {
    fill_with(doc, report, None).map(|(filled, _)| filled)
}

/// Rewrites every marked region of `doc` from `report`, and the `@native` ones from `native`
/// when given; also returns how many `@native` regions were left unfilled for want of it.
///
/// # Errors
/// As [`fill`], for either report.
pub fn fill_with(
    doc: &str,
    report: &Report,
    native: Option<&Report>,
) -> Result<(String, usize), String> {
    let mut skipped = 0;
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc;
    while let Some(start) = rest.find("<!-- perfkit:") {
        let (before, marked) = rest.split_at(start);
        out.push_str(before);
        let open_end = marked
            .find("-->")
            .ok_or("a perfkit marker without its `-->`")?
            + 3;
        let open = &marked[..open_end];
        let spec = open["<!-- perfkit:".len()..open_end - 3].trim();
        let close = marked
            .find(END)
            .ok_or_else(|| format!("`{open}` without its `{END}`"))?;
        let (kind, rest_of_spec) = spec.split_once(' ').unwrap_or((spec, ""));
        let block = match kind.strip_suffix("@native") {
            None => render(spec, report)?,
            Some(kind) => match native {
                Some(native) => render(&format!("{kind} {rest_of_spec}"), native)
                    .map_err(|e| format!("native report: {e}"))?,
                None => {
                    skipped += 1;
                    marked[open_end..close].to_owned()
                }
            },
        };
        out.push_str(open);
        out.push_str(&block);
        out.push_str(END);
        rest = &marked[close + END.len()..];
    }
    out.push_str(rest);
    Ok((out, skipped))
}

fn render(spec: &str, report: &Report) -> Result<String, String> {
    let mut words = spec.splitn(3, ' ');
    let kind = words.next().unwrap_or_default();
    let group_name = words.next();
    let case_name = words.next();
    if kind == "machine" {
        return Ok(crate::render::machine_line(report));
    }
    let group = find_group(
        report,
        group_name.ok_or_else(|| format!("`{spec}` names no group"))?,
    )?;
    if kind == "table" {
        return Ok(table(group));
    }
    if kind == "waits" {
        let waits = crate::render::waits_table(group)
            .ok_or_else(|| format!("group {} records no waits", group.name))?;
        return Ok(format!("\n\n{waits}\n"));
    }
    let case = find_case(
        group,
        case_name.ok_or_else(|| format!("`{spec}` names no case"))?,
    )?;
    let ratio = |r: Option<f64>| r.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x"));
    match kind {
        "vs" => Ok(ratio(case.vs_baseline)),
        "peer" => Ok(ratio(case.vs_best_peer)),
        "time" => Ok(nanos(case.median_ns)),
        "allocs" => Ok(format!("{:.2}", case.allocs_per_op)),
        other => Err(format!("unknown perfkit marker kind {other:?} in `{spec}`")),
    }
}

fn find_group<'r>(report: &'r Report, name: &str) -> Result<&'r GroupResult, String> {
    report
        .groups
        .iter()
        .find(|g| g.name == name)
        .ok_or_else(|| format!("the report has no group {name:?} (run it, or the whole report)"))
}

fn find_case<'g>(group: &'g GroupResult, name: &str) -> Result<&'g CaseResult, String> {
    group
        .cases
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| format!("group {:?} has no case {name:?}", group.name))
}

fn table(group: &GroupResult) -> String {
    format!(
        "\n\n{}\n",
        crate::render::markdown_table(group, &crate::render::DOC_COLUMNS)
    )
}
