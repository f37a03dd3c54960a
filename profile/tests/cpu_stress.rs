//! The CPU profiler where pprof-rs users report deadlocks and crashes: samples landing in
//! `malloc` (here: inside the heap profiler's own stack capture, every allocation sampled),
//! in a panic's unwinding, and in libc system calls, on several threads at once, at the
//! highest rate. The test passes if the process neither deadlocks nor crashes, the samples
//! arrive, and the drops are counted.

#![cfg(not(perfkit_loom))]

use perfkit_profile::{CpuProfileError, CpuProfiler, HeapProfiler};
use std::alloc::System;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: HeapProfiler<System> = HeapProfiler::new(System);

#[inline(never)]
fn allocate_in_a_loop(stop: &AtomicBool) {
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let v: Vec<u64> = Vec::with_capacity(1 + i % 300);
        black_box(&v);
        let s = format!("request {i}");
        black_box(s);
        i += 1;
    }
}

#[inline(never)]
fn panic_in_a_loop(stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let r = std::panic::catch_unwind(|| {
            let _guard = black_box(Box::new([1u8; 64]));
            panic!("boom");
        });
        assert!(r.is_err());
    }
}

#[inline(never)]
fn syscalls_in_a_loop(stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        black_box(std::fs::metadata("/").is_ok());
        black_box(std::env::var("PATH").is_ok());
    }
}

#[test]
fn sampling_through_malloc_panics_and_libc() {
    // A watchdog: a deadlock fails the test instead of hanging CI.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(120));
        eprintln!("cpu_stress: deadlocked (still running after 120 s)");
        std::process::abort();
    });
    std::panic::set_hook(Box::new(|_| {}));
    perfkit_profile::set_sample_rate(1);
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = [
        allocate_in_a_loop,
        panic_in_a_loop,
        syscalls_in_a_loop,
        allocate_in_a_loop,
    ]
    .into_iter()
    .map(|f: fn(&AtomicBool)| {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || f(&stop))
    })
    .collect();
    let started = Instant::now();
    let profiler = CpuProfiler::start(1000).expect("start");
    assert!(matches!(
        CpuProfiler::start(100),
        Err(CpuProfileError::InUse)
    ));
    std::thread::sleep(Duration::from_secs(3));
    let profile = profiler.stop();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    perfkit_profile::set_sample_rate(perfkit_profile::DEFAULT_SAMPLE_RATE);
    let _ = std::panic::take_hook();
    let elapsed = started.elapsed();
    eprintln!(
        "{} samples, {} dropped, {} truncated in {elapsed:?}",
        profile.samples(),
        profile.dropped(),
        profile.truncated()
    );
    // Four busy threads on two cores for 3 s: the kernel's tick (often 250 Hz) caps the rate
    // at several hundred a second. Demand a fraction (a loaded CI host, an AddressSanitizer
    // build whose drain thread unwinds slowly and drops more).
    assert!(profile.samples() > 100, "{} samples", profile.samples());
    assert!(
        profile.dropped() < profile.samples(),
        "dropped {} of {}",
        profile.dropped(),
        profile.samples()
    );
    let folded = profile.to_folded();
    for f in [
        "allocate_in_a_loop",
        "panic_in_a_loop",
        "syscalls_in_a_loop",
    ] {
        assert!(
            folded.contains(f),
            "{f} never sampled:\n{}",
            &folded[..folded.len().min(3000)]
        );
    }
    assert_eq!(&profile.to_pprof()[..2], &[0x1f, 0x8b]);
    // The profiler is free again.
    drop(CpuProfiler::start(100).expect("a second profile after the first"));
}
