//! The real client: `go tool pprof` reads every profile of a service built like the demo
//! (`examples/demo`), fetched over HTTP, and finds what the service's named functions did.
//!
//! Needs `go` on the PATH (Debian: `apt-get install golang-go`); skipped with a message when
//! it is missing, and failed instead under `CI=true` (CI installs it).

#![cfg(not(perfkit_loom))]

#[path = "../examples/demo/workload.rs"]
mod workload;

use perfkit_profile::HeapProfiler;
use std::alloc::System;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[global_allocator]
static ALLOC: HeapProfiler<System> = HeapProfiler::new(System);

/// The test's retainer: 64 MiB in 4 MiB blocks. Sampling sees a block of 8 times the rate
/// with probability 1 - e^-8, so the estimate is all but exact and the check below tests the
/// scaling and the in-use bookkeeping. (The demo's 1 MiB blocks are sampled with probability
/// 0.86: 55 of 64 on average, a standard error of 5%, and a 20% miss about once in a few
/// thousand runs; the estimator's statistics are a unit test of their own.)
#[inline(never)]
fn retain_64_mib_in_4_mib_blocks() -> Vec<Vec<u8>> {
    (0..16)
        .map(|i| {
            let mut block = vec![0u8; 4 << 20];
            block[0] = i;
            std::hint::black_box(block)
        })
        .collect()
}

fn go_available() -> bool {
    let found = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`go` is missing under CI=true: .ci/run installs golang-go"
        );
        eprintln!("skipping: `go` not found (apt-get install golang-go to run this test)");
    }
    found
}

/// `GET path` on the server: (status, body).
fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    // HTTP/1.0: a plain body, no chunked encoding to undo.
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, raw[split + 4..].to_vec())
}

/// `go tool pprof ARGS`, its stdout; fails the test on a non-zero exit.
fn pprof(tmp: &Path, args: &[&str]) -> String {
    let out = Command::new("go")
        .args(["tool", "pprof"])
        .args(args)
        .env("PPROF_TMPDIR", tmp)
        .env("HOME", tmp)
        .output()
        .expect("run go tool pprof");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "go tool pprof {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The rows of `-top`: (flat value as printed, function).
fn top_rows(top: &str) -> Vec<(String, String)> {
    top.lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() >= 6).then(|| (cols[0].to_owned(), cols[5..].join(" ")))
        })
        .collect()
}

fn first_function(top: &str) -> String {
    top_rows(top)
        .first()
        .map(|(_, f)| f.clone())
        .unwrap_or_else(|| panic!("no rows in:\n{top}"))
}

/// Whether this binary carries line tables (debug builds do; the release profile does not).
fn has_line_info() -> bool {
    let mut file = false;
    let addr = has_line_info as *const () as usize + 1;
    backtrace::resolve(addr as *mut std::ffi::c_void, |s| {
        file |= s.lineno().is_some()
    });
    file
}

#[test]
fn go_tool_pprof_reads_every_profile() {
    if !go_available() {
        return;
    }
    let tmp = std::env::temp_dir().join(format!("perfkit-pprof-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    perfkit_profile::set_mutex_profile_fraction(1);
    perfkit_profile::set_block_profile_rate(1);

    let retained = retain_64_mib_in_4_mib_blocks();
    workload::churn_small_blocks(1 << 30);
    let stop = Arc::new(AtomicBool::new(false));
    let threads = workload::spawn_background(&stop, 1);
    let server = perfkit_profile::serve("127.0.0.1:0").unwrap();
    let addr = server.local_addr();
    let url = |p: &str| format!("http://{addr}/debug/pprof/{p}");

    // Heap, fetched by pprof itself over HTTP: the retainer on top, within 20% of 64 MiB.
    let top = pprof(
        &tmp,
        &["-top", "-unit=B", "-sample_index=inuse_space", &url("heap")],
    );
    let rows = top_rows(&top);
    let (bytes, function) = rows.first().expect("heap rows");
    assert!(
        function.contains("retain_64_mib_in_4_mib_blocks"),
        "heap top:\n{top}"
    );
    let bytes: f64 = bytes.trim_end_matches('B').parse().unwrap();
    let truth = workload::RETAINED as f64;
    assert!(
        (bytes - truth).abs() / truth < 0.2,
        "in-use {bytes} B against {truth} B:\n{top}"
    );

    // Allocations: the churner dominates alloc_space (1 GiB against 64 MiB).
    let top = pprof(&tmp, &["-top", "-unit=B", &url("allocs")]);
    assert!(
        first_function(&top).contains("churn_small_blocks"),
        "allocs top:\n{top}"
    );
    let churned: f64 = top_rows(&top)[0].0.trim_end_matches('B').parse().unwrap();
    assert!(
        (churned - f64::from(1u32 << 30)).abs() / f64::from(1u32 << 30) < 0.2,
        "churned {churned} B of 1 GiB:\n{top}"
    );

    // CPU: the burner holds most samples (cumulative: in a debug build its loop calls out).
    // pprof waits 1.5x the profile's duration for the response by default, too short for a
    // loaded CI machine (AddressSanitizer, two cores): a minute.
    let top = pprof(
        &tmp,
        &["-timeout", "60", "-top", "-cum", &url("profile?seconds=3")],
    );
    let burner = top
        .lines()
        .find(|l| l.contains("burn_cpu"))
        .unwrap_or_else(|| panic!("no burn_cpu in:\n{top}"));
    let cum: f64 = burner
        .split_whitespace()
        .nth(4)
        .unwrap()
        .trim_end_matches('%')
        .parse()
        .unwrap();
    assert!(cum > 50.0, "burn_cpu has {cum}% of the samples:\n{top}");

    // Contention: the holder in /mutex, the waiter in /block.
    let top = pprof(&tmp, &["-top", &url("mutex")]);
    assert!(
        first_function(&top).contains("hold_lock_long"),
        "mutex top:\n{top}"
    );
    let top = pprof(&tmp, &["-top", &url("block")]);
    assert!(
        first_function(&top).contains("wait_for_lock"),
        "block top:\n{top}"
    );

    // Threads: every named thread, with its stack.
    let traces = pprof(&tmp, &["-traces", &url("goroutine")]);
    for name in ["lock-holder", "lock-waiter", "cpu-burner-0"] {
        assert!(traces.contains(name), "{name} missing from:\n{traces}");
    }
    assert!(
        traces.contains("hold_lock_long"),
        "holder's stack:\n{traces}"
    );
    let (status, text) = get(addr, "/debug/pprof/goroutine?debug=2");
    assert_eq!(status, 200);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("\"lock-waiter\"") && text.contains("wait_for_lock"),
        "{text}"
    );

    // Delta heap profile: nothing retained in the window, so the retainer is gone.
    let (status, body) = get(addr, "/debug/pprof/heap?seconds=1");
    assert_eq!(status, 200);
    let delta = tmp.join("heap-delta.pb.gz");
    std::fs::write(&delta, body).unwrap();
    let top = pprof(
        &tmp,
        &["-top", "-sample_index=inuse_space", delta.to_str().unwrap()],
    );
    assert!(
        !top.contains("retain_64_mib"),
        "delta still shows the old retention:\n{top}"
    );

    // -lines and symbolization: locations carry file:line.
    let heap = tmp.join("heap.pb.gz");
    std::fs::write(&heap, get(addr, "/debug/pprof/heap").1).unwrap();
    let lines = pprof(&tmp, &["-top", "-lines", heap.to_str().unwrap()]);
    if has_line_info() {
        assert!(
            lines.contains("go_pprof.rs:"),
            "no file:line in -lines:\n{lines}"
        );
    }

    // Text forms and memory statistics.
    let (status, text) = get(addr, "/debug/pprof/heap?debug=1");
    assert_eq!(status, 200);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.starts_with("heap profile: ") && text.contains("# runtime.MemStats"),
        "{}",
        &text[..text.len().min(2000)]
    );
    let (status, vars) = get(addr, "/debug/vars");
    assert_eq!(status, 200);
    let vars: serde_json::Value = serde_json::from_slice(&vars).unwrap();
    let live = vars["memstats"]["LiveBytes"].as_u64().unwrap();
    assert!(live >= workload::RETAINED as u64, "live {live}");
    assert_eq!(vars["memstats"]["ProfilerInstalled"], true);

    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    drop(retained);
    drop(server);
    std::thread::sleep(Duration::from_millis(10));
    let _ = std::fs::remove_dir_all(&tmp);
}
