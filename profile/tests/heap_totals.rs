//! Exact totals and sampled-allocation bookkeeping of `HeapProfiler`, in a binary of its own
//! with no test harness: nothing else allocates while a step measures.

#![cfg(not(perfkit_loom))]

use perfkit_profile::{HeapProfiler, HeapStats, heap_stats, set_sample_rate};
use std::alloc::System;
use std::hint::black_box;
use std::sync::mpsc;

#[global_allocator]
static ALLOC: HeapProfiler<System> = HeapProfiler::new(System);

fn delta(a: HeapStats, b: HeapStats) -> [i64; 5] {
    [
        b.live_bytes as i64 - a.live_bytes as i64,
        b.live_allocations as i64 - a.live_allocations as i64,
        (b.total_allocations - a.total_allocations) as i64,
        (b.total_bytes - a.total_bytes) as i64,
        (b.frees - a.frees) as i64,
    ]
}

fn exact_totals() {
    let s0 = heap_stats();
    assert!(s0.installed);
    let mut v: Vec<u8> = Vec::with_capacity(1000);
    black_box(&mut v);
    let s1 = heap_stats();
    assert_eq!(
        delta(s0, s1),
        [1000, 1, 1, 1000, 0],
        "one allocation of 1000 bytes"
    );
    v.reserve_exact(5000);
    black_box(&mut v);
    let s2 = heap_stats();
    // A reallocation: a free of the old block and an allocation of the new one.
    assert_eq!(delta(s1, s2), [4000, 0, 1, 5000, 1], "realloc 1000 -> 5000");
    drop(v);
    let s3 = heap_stats();
    assert_eq!(delta(s2, s3), [-5000, -1, 0, 0, 1], "free");
    let b: Box<[u8]> = vec![0u8; 4096].into_boxed_slice(); // alloc_zeroed
    let s4 = heap_stats();
    assert_eq!(delta(s3, s4), [4096, 1, 1, 4096, 0], "zeroed");
    drop(b);
}

/// At rate 1 every allocation is sampled, and every free of one removes it again.
fn every_allocation_sampled_and_removed() {
    set_sample_rate(1);
    // The countdown drawn at the old rate runs out within 512 KiB on average.
    for _ in 0..64 {
        black_box(vec![0u8; 64 << 10]);
    }
    let s0 = heap_stats();
    let kept: Vec<Box<[u8; 100]>> = (0..1000).map(|_| Box::new([1u8; 100])).collect();
    let s1 = heap_stats();
    // 1000 boxes and the Vec that holds them (grown by realloc: one live block).
    assert_eq!(s1.sampled_live - s0.sampled_live, 1001, "{s0:?}\n{s1:?}");
    drop(kept);
    let s2 = heap_stats();
    assert_eq!(
        s2.sampled_live, s0.sampled_live,
        "every sampled free removed"
    );
    set_sample_rate(perfkit_profile::DEFAULT_SAMPLE_RATE);
}

/// Four threads allocate, hand half their blocks to another thread to free, at a high rate:
/// afterwards nothing is left live, in the totals or among the sampled.
fn cross_thread_frees() {
    set_sample_rate(4096);
    let s0 = heap_stats();
    let (tx, rx) = mpsc::sync_channel::<Vec<Vec<u8>>>(16);
    let freer = std::thread::spawn(move || {
        for batch in rx {
            drop(batch);
        }
    });
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut batch = Vec::with_capacity(100);
                for i in 0..50_000usize {
                    let block = vec![t as u8; 16 + (i * 37) % 2000];
                    if i % 2 == 0 {
                        batch.push(block);
                        if batch.len() == 100 {
                            tx.send(std::mem::replace(&mut batch, Vec::with_capacity(100)))
                                .unwrap();
                        }
                    } else {
                        drop(black_box(block));
                    }
                }
                tx.send(batch).unwrap();
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    drop(tx);
    freer.join().unwrap();
    let s1 = heap_stats();
    assert_eq!(s1.sampled_live, s0.sampled_live, "{s0:?}\n{s1:?}");
    assert!(s1.total_allocations - s0.total_allocations >= 200_000);
    // Threads and channels free what they allocated once joined: within a few KiB.
    let live = s1.live_bytes as i64 - s0.live_bytes as i64;
    assert!(live.abs() < 64 << 10, "{live} bytes left live");
    set_sample_rate(perfkit_profile::DEFAULT_SAMPLE_RATE);
}

/// More threads over time than the profiler has per-thread blocks: exiting threads give
/// theirs back, and every allocation is counted either way.
fn many_threads() {
    let s0 = heap_stats();
    for _ in 0..600 {
        std::thread::spawn(|| black_box(vec![0u8; 1000]))
            .join()
            .unwrap();
    }
    let s1 = heap_stats();
    assert!(s1.total_allocations - s0.total_allocations >= 600);
    assert!(s1.total_bytes - s0.total_bytes >= 600_000);
    let live = s1.live_bytes as i64 - s0.live_bytes as i64;
    assert!(
        live.abs() < 64 << 10,
        "{live} bytes left live by exited threads"
    );
}

fn main() {
    // The first sample builds the profiler's unwinder (its copies of the unwind tables,
    // ~450 KiB, allocated through this allocator and counted like any other memory): take
    // one now, so that no step below measures it.
    // (The new rate applies from the thread's next sample: allocate until one is taken.)
    set_sample_rate(1);
    let mut spent = 0usize;
    while heap_stats().records == 0 {
        black_box(vec![0u8; 64 << 10]);
        spent += 64 << 10;
        assert!(spent < 1 << 30, "no sample after 1 GiB at rate 1");
    }
    set_sample_rate(perfkit_profile::DEFAULT_SAMPLE_RATE);
    let steps: [(&str, fn()); 4] = [
        ("exact_totals", exact_totals),
        (
            "every_allocation_sampled_and_removed",
            every_allocation_sampled_and_removed,
        ),
        ("cross_thread_frees", cross_thread_frees),
        ("many_threads", many_threads),
    ];
    for (name, step) in steps {
        step();
        println!("test {name} ... ok");
    }
}
