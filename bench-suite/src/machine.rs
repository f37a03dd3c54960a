//! What the numbers were measured on: CPU, cores, OS, compiler, commit and date.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The machine and build a report was measured on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name, from `/proc/cpuinfo` where available.
    pub cpu: String,
    /// Logical cores available to this process.
    pub cores: usize,
    /// Operating system and kernel release.
    pub os: String,
    /// The compiler that built the suite.
    pub rustc: String,
    /// `git describe`-style commit of the workspace, `+dirty` with local changes.
    pub commit: String,
    /// UTC date and time of the run, `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// Whether the suite was built with optimisations (a debug build's numbers mean nothing).
    pub optimized: bool,
    /// The instruction set the suite was compiled for: `portable` (the target's baseline, as
    /// a release build without flags) or `native (...)` (`-C target-cpu=native`, naming the
    /// vector extensions it enabled). Older reports have none: portable.
    #[serde(default = "portable")]
    pub build: String,
}

fn portable() -> String {
    "portable".to_owned()
}

/// The build this binary is: the SIMD extensions enabled at compile time beyond the target's
/// baseline (`-C target-cpu=native` enables them; crates that pick their SIMD at compile
/// time, as sonic-rs and simd-json do, run scalar or SSE code without it).
#[must_use]
pub fn build() -> String {
    let enabled: Vec<&str> = [
        ("avx512f", cfg!(target_feature = "avx512f")),
        ("avx2", cfg!(target_feature = "avx2")),
        ("bmi2", cfg!(target_feature = "bmi2")),
        ("pclmulqdq", cfg!(target_feature = "pclmulqdq")),
        ("sse4.2", cfg!(target_feature = "sse4.2")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    if enabled.is_empty() {
        portable()
    } else {
        format!("native ({})", enabled.join(", "))
    }
}

impl Machine {
    /// Reads the current machine.
    #[must_use]
    pub fn detect() -> Self {
        Self {
            cpu: cpu_model(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: os(),
            rustc: env!("PERFKIT_RUSTC_VERSION").to_owned(),
            commit: commit(),
            date: utc_now(),
            optimized: !cfg!(debug_assertions),
            build: build(),
        }
    }

    /// One line for table headers.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{} ({} cores), {}, {}, {} build, commit {}, {}{}",
            self.cpu,
            self.cores,
            self.os,
            self.rustc,
            self.build,
            self.commit,
            self.date,
            if self.optimized {
                ""
            } else {
                " -- DEBUG BUILD, numbers are meaningless"
            }
        )
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned())
}

fn os() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{} {}", std::env::consts::OS, release.trim())
        .trim()
        .to_owned()
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn commit() -> String {
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(hash) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty { format!("{hash}+dirty") } else { hash }
        }
        None => "unknown".to_owned(),
    }
}

fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_784), (2026, 11, 27));
    }
}
