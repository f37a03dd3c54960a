//! A demo service to try the endpoints on:
//!
//! ```sh
//! cargo run --release -p perfkit-profile --example demo
//! go tool pprof -http=: http://127.0.0.1:6060/debug/pprof/heap
//! ```
//!
//! It keeps 64 MiB in a cache that is never emptied, leaks 1 MiB a second into a session
//! cache, churns through small allocations, burns CPU on one thread and contends on a lock,
//! so every profile has something to find. (Build with line tables for `-list`:
//! `CARGO_PROFILE_RELEASE_DEBUG=line-tables-only`.)

mod workload;

use perfkit_profile::HeapProfiler;
use std::alloc::System;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

#[global_allocator]
static ALLOC: HeapProfiler<System> = HeapProfiler::new(System);

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6060".to_owned());
    perfkit_profile::set_mutex_profile_fraction(1);
    perfkit_profile::set_block_profile_rate(1);
    let server = perfkit_profile::serve(&addr)?; // loopback: these endpoints must stay private
    println!("serving http://{}/debug/pprof/", server.local_addr());
    println!(
        "try: go tool pprof -top http://{}/debug/pprof/heap",
        server.local_addr()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let _threads = workload::spawn_background(&stop, 1);
    let _cache = workload::retain_64_mib();
    let mut sessions = Vec::new();
    loop {
        // A second's worth of requests: garbage, and a leak.
        workload::churn_small_blocks(64 << 20);
        workload::remember_sessions(&mut sessions);
        std::thread::sleep(Duration::from_secs(1));
    }
}
