//! `perfkit-bench`: the comparison report's command line.

use std::path::PathBuf;
use std::process::ExitCode;

use perfkit_bench::report::{self, Plan, Report};
use perfkit_bench::{machine::Machine, registry, render, svg};

const USAGE: &str = "\
usage: perfkit-bench report [--quick] [--group NAME]... [--out DIR]
       perfkit-bench list
       perfkit-bench native [--quick] [--group NAME]...
       perfkit-bench fill [--from REPORT_JSON] [--native REPORT_JSON] [--allow-dirty] FILE...
       perfkit-bench allocators

report   run the benchmark groups and print a comparison table per group; also writes
         report.md, report.json and report.svg to DIR (default: <target dir>/perfkit)
native   the same report from a second build of the suite with RUSTFLAGS=\"-C target-cpu=native\"
         (its own target dir, target/native), so that crates that choose their SIMD at compile
         time (sonic-rs, simd-json) run their AVX2 code; by default the JSON groups; writes to
         <target dir>/perfkit-native
list     print the groups and their cases
fill     rewrite the numbers between `<!-- perfkit:... -->` markers in FILEs (the crate docs,
         docs/PATTERNS.md) from REPORT_JSON (default: <target dir>/perfkit/report.json); a
         report measured on a tree with uncommitted changes is refused (its numbers would
         name a commit nobody can check out) unless --allow-dirty (for a local experiment);
         `@native` markers are filled from the native report (--native, default
         <target dir>/perfkit-native/report.json when it exists)
allocators
         the allocator-choice load on System and on mimalloc, each in a child process: time,
         peak RSS and RSS after the load ended (what the allocator keeps of freed memory)

--quick  short warm-up and few samples (the whole suite in well under 2 minutes):
         a smoke test, not numbers to quote";

struct Args {
    command: String,
    quick: bool,
    groups: Vec<String>,
    out: Option<PathBuf>,
    from: Option<PathBuf>,
    files: Vec<PathBuf>,
    allow_dirty: bool,
    native: Option<PathBuf>,
}

fn parse(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let command = raw.next().ok_or("missing command")?;
    let mut args = Args {
        command,
        quick: false,
        groups: Vec::new(),
        out: None,
        from: None,
        files: Vec::new(),
        allow_dirty: false,
        native: None,
    };
    while let Some(arg) = raw.next() {
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--allow-dirty" => args.allow_dirty = true,
            "--group" => args.groups.push(raw.next().ok_or("--group needs a name")?),
            "--out" => args.out = Some(raw.next().ok_or("--out needs a directory")?.into()),
            "--from" => args.from = Some(raw.next().ok_or("--from needs a file")?.into()),
            "--native" => args.native = Some(raw.next().ok_or("--native needs a file")?.into()),
            "-h" | "--help" => return Err(String::new()),
            other if args.command == "fill" && !other.starts_with('-') => {
                args.files.push(other.into())
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn default_out() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
            PathBuf::from,
        )
        .join("perfkit")
}

/// Where `perfkit-bench native` writes its report (beside the portable one).
fn native_out() -> PathBuf {
    default_out().with_file_name("perfkit-native")
}

fn read_report(path: &std::path::Path, allow_dirty: bool) -> Result<Report, String> {
    let json =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let report: Report =
        serde_json::from_str(&json).map_err(|e| format!("{}: {e}", path.display()))?;
    if !allow_dirty {
        perfkit_bench::fill::require_clean(&report)
            .map_err(|e| format!("{}: {e} (or pass --allow-dirty)", path.display()))?;
    }
    Ok(report)
}

fn run_fill(args: &Args) -> Result<(), String> {
    let from = args
        .from
        .clone()
        .unwrap_or_else(|| default_out().join("report.json"));
    if args.files.is_empty() {
        return Err("fill needs the files to rewrite".into());
    }
    let report = read_report(&from, args.allow_dirty)?;
    // The native report: the one named, else the default one if `perfkit-bench native` ran.
    let native_path = args
        .native
        .clone()
        .or_else(|| Some(native_out().join("report.json")).filter(|p| p.exists()));
    let native = native_path
        .as_deref()
        .map(|p| read_report(p, args.allow_dirty))
        .transpose()?;
    let mut skipped = 0;
    for file in &args.files {
        let doc = std::fs::read_to_string(file)
            .map_err(|e| format!("reading {}: {e}", file.display()))?;
        let (filled, left) = perfkit_bench::fill::fill_with(&doc, &report, native.as_ref())
            .map_err(|e| format!("{}: {e}", file.display()))?;
        skipped += left;
        if filled != doc {
            std::fs::write(file, filled).map_err(|e| format!("writing {}: {e}", file.display()))?;
            eprintln!("filled {}", file.display());
        }
    }
    if skipped > 0 {
        eprintln!(
            "left {skipped} @native region(s) as they were: no native report (run `perfkit-bench \
             native`, or pass --native REPORT_JSON)"
        );
    }
    Ok(())
}

fn run_report(args: &Args) -> Result<(), String> {
    let mut groups = registry::all();
    for wanted in &args.groups {
        if !groups.iter().any(|g| g.name == wanted) {
            let names: Vec<_> = groups.iter().map(|g| g.name).collect();
            return Err(format!(
                "no group {wanted:?}; groups are: {}",
                names.join(", ")
            ));
        }
    }
    if !args.groups.is_empty() {
        groups.retain(|g| args.groups.iter().any(|w| w == g.name));
    }
    let plan = if args.quick { Plan::QUICK } else { Plan::FULL };
    let machine = Machine::detect();
    eprintln!("perfkit report on {}", machine.summary());
    let mut results = Vec::with_capacity(groups.len());
    let mut stderr = std::io::stderr();
    for (i, group) in groups.iter().enumerate() {
        eprintln!(
            "group {}/{}: {} ({} cases)",
            i + 1,
            groups.len(),
            group.name,
            group.cases.len()
        );
        let result = report::measure(group, plan, &mut stderr);
        if result.is_err() {
            registry::cleanup();
        }
        results.push(result.map_err(|e| e.to_string())?);
    }
    registry::cleanup();
    let report = Report {
        machine,
        quick: args.quick,
        samples: plan.samples,
        groups: results,
    };
    println!("{}", render::text(&report));

    let out = args.out.clone().unwrap_or_else(default_out);
    std::fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    for (name, contents) in [
        ("report.md", render::markdown(&report)),
        ("report.json", json),
        ("report.svg", svg::chart(&report)),
    ] {
        let path = out.join(name);
        std::fs::write(&path, contents).map_err(|e| format!("writing {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Builds the suite again with `-C target-cpu=native` in its own target dir and runs the
/// report there (the JSON groups unless told otherwise), into [`native_out`].
fn run_native(args: &Args) -> Result<(), String> {
    let groups: Vec<String> = if args.groups.is_empty() {
        registry::all()
            .iter()
            .filter(|g| g.area == "json")
            .map(|g| g.name.to_owned())
            .collect()
    } else {
        args.groups.clone()
    };
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = default_out().with_file_name("native");
    let mut command =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()));
    command
        .current_dir(&workspace)
        .env("RUSTFLAGS", "-C target-cpu=native")
        .env_remove("CARGO_TARGET_DIR")
        .args(["run", "--release", "-p", "perfkit-bench", "--target-dir"])
        .arg(&target)
        .args(["--", "report", "--out"])
        .arg(native_out());
    if args.quick {
        command.arg("--quick");
    }
    for group in &groups {
        command.args(["--group", group]);
    }
    eprintln!(
        "native build in {}: {} groups",
        target.display(),
        groups.len()
    );
    let status = command
        .status()
        .map_err(|e| format!("running cargo for the native build: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the native build's report failed: {status}"))
    }
}

fn run_allocators() -> Result<(), String> {
    const ROUNDS: u64 = 20_000;
    println!("allocator-choice load, {ROUNDS} requests on 2 threads, one child process each:");
    println!(
        "{:<24} {:>10} {:>14} {:>20}",
        "allocator", "time", "peak RSS", "RSS after the load"
    );
    for (name, allocator) in [
        ("System (glibc malloc)", "system"),
        ("mimalloc", "mimalloc"),
    ] {
        let r = perfkit_bench::run_child(allocator, ROUNDS);
        let mib = |b: u64| format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20));
        println!(
            "{name:<24} {:>10} {:>14} {:>20}",
            format!("{:.0?}", r.elapsed),
            mib(r.peak_rss),
            mib(r.rss_after)
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    perfkit_bench::run_worker_if_asked();
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let result = match args.command.as_str() {
        "report" => run_report(&args),
        "fill" => run_fill(&args),
        "native" => run_native(&args),
        "allocators" => run_allocators(),
        "list" => {
            for group in registry::all() {
                println!(
                    "{} (cargo bench --bench {}): {}",
                    group.name, group.area, group.about
                );
                for case in &group.cases {
                    println!("    {:<28} {}", case.name, case.role);
                }
            }
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
