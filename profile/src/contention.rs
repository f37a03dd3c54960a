//! Go's mutex and block profiles, fed by perfkit's lock hook
//! ([`perfkit_utils::contention`]): every `perfkit_utils::lock` lock (and so the shards of
//! `perfkit-sharded` and the pools' internal locks) reports to it on its contended path.
//!
//! - `/mutex`: the stacks of *holders* that made others wait, with the waiting they caused
//!   (Go's meaning). Sampled 1 in [`set_mutex_profile_fraction`] events, scaled back up.
//! - `/block`: the stacks of *waiters*, with how long they waited. Sampled Go's way: an event
//!   of at least [`set_block_profile_rate`] nanoseconds is always kept, a shorter one with
//!   probability `delay / rate`, and weighted by its inverse.
//!
//! Both are off by default, as in Go; setting either installs the hook.

use crate::proto::{Profile, Sample, Stack};
use perfkit_utils::contention::{self, Event};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

static MUTEX_FRACTION: AtomicU64 = AtomicU64::new(0);
static BLOCK_RATE: AtomicU64 = AtomicU64::new(0);
/// Distinct stacks kept per profile; further ones are counted as dropped.
const MAX_STACKS: usize = 4096;

#[derive(Default)]
struct Table {
    entries: HashMap<Vec<u64>, (f64, f64)>,
    dropped: u64,
}

static MUTEX: Mutex<Option<Table>> = Mutex::new(None);
static BLOCK: Mutex<Option<Table>> = Mutex::new(None);

/// Report 1 in `n` mutex contention events (Go's `runtime.SetMutexProfileFraction`); 0 turns
/// the mutex profile off. Returns the previous fraction.
pub fn set_mutex_profile_fraction(n: u64) -> u64 {
    let old = MUTEX_FRACTION.swap(n, Ordering::Relaxed);
    update_hook();
    old
}

/// Sample blocking events at one per `nanos` nanoseconds spent blocked (Go's
/// `runtime.SetBlockProfileRate`; 1 keeps every event); 0 turns the block profile off.
pub fn set_block_profile_rate(nanos: u64) {
    BLOCK_RATE.store(nanos, Ordering::Relaxed);
    update_hook();
}

fn update_hook() {
    let on = MUTEX_FRACTION.load(Ordering::Relaxed) > 0 || BLOCK_RATE.load(Ordering::Relaxed) > 0;
    contention::set_hook(on.then_some(record as contention::Hook));
}

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

fn random() -> u64 {
    RNG.with(|r| {
        let mut x = r.get();
        if x == 0 {
            x = (&raw const *r as u64) | 1;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        r.set(x);
        x
    })
}

fn record(event: Event, delay: Duration) {
    let nanos = delay.as_nanos() as f64;
    let (table, count, weight_delay) = match event {
        Event::Mutex => {
            let n = MUTEX_FRACTION.load(Ordering::Relaxed);
            if n == 0 || (n > 1 && !random().is_multiple_of(n)) {
                return;
            }
            (&MUTEX, n as f64, nanos * n as f64)
        }
        Event::Block => {
            let rate = BLOCK_RATE.load(Ordering::Relaxed);
            if rate == 0 {
                return;
            }
            let rate_f = rate as f64;
            if nanos >= rate_f {
                (&BLOCK, 1.0, nanos)
            } else {
                if (random() % rate) as f64 > nanos {
                    return;
                }
                // Kept with probability delay/rate: weighted by rate/delay.
                let w = rate_f / nanos.max(1.0);
                (&BLOCK, w, nanos * w)
            }
        }
    };
    let mut stack = [0u64; 64];
    let depth = crate::heap::capture(&mut stack);
    let mut guard = table.lock().unwrap_or_else(PoisonError::into_inner);
    let t = guard.get_or_insert_with(Table::default);
    let len = t.entries.len();
    match t.entries.get_mut(&stack[..depth]) {
        Some(e) => {
            e.0 += count;
            e.1 += weight_delay;
        }
        None if len < MAX_STACKS => {
            t.entries
                .insert(stack[..depth].to_vec(), (count, weight_delay));
        }
        None => t.dropped += 1,
    }
}

/// The hook's frames and the lock's: a sample's top frame is the code that locked.
const LOCK_FRAMES: &[&str] = &[
    "backtrace::",
    "perfkit_profile::",
    "<perfkit_profile::",
    "std::thread::local::",
    "<std::thread::local::",
    "perfkit_utils::",
    "<perfkit_utils::",
    "core::",
    "<core::",
    "std::sync::",
    "<std::sync::",
];

/// The source files of the same frames (see `Profile::drop_files`).
const LOCK_FILES: &[&str] = &[
    file!(),
    crate::unwind::SOURCE_FILE,
    perfkit_utils::lock::SOURCE_FILE,
    "/library/core/src/",
    "/library/std/src/sync/",
    "/library/std/src/thread/local.rs",
];

/// Which contention profile.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Mutex,
    Block,
}

pub(crate) fn profile(kind: Kind) -> Profile {
    let (table, rate) = match kind {
        Kind::Mutex => (&MUTEX, MUTEX_FRACTION.load(Ordering::Relaxed)),
        Kind::Block => (&BLOCK, BLOCK_RATE.load(Ordering::Relaxed)),
    };
    let mut p = Profile::new(
        vec![("contentions", "count"), ("delay", "nanoseconds")],
        ("contentions", "count"),
        1,
    );
    p.drop_leading = LOCK_FRAMES;
    p.drop_files = LOCK_FILES;
    if rate == 0 {
        p.comments.push(match kind {
            Kind::Mutex => "mutex profile off: call set_mutex_profile_fraction(n)".to_owned(),
            Kind::Block => "block profile off: call set_block_profile_rate(nanos)".to_owned(),
        });
    }
    let guard = table.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(t) = guard.as_ref() {
        if t.dropped > 0 {
            p.comments.push(format!(
                "{} events dropped: more than {MAX_STACKS} stacks",
                t.dropped
            ));
        }
        for (stack, &(count, delay)) in &t.entries {
            p.samples.push(Sample {
                stack: Stack {
                    addrs: stack.clone(),
                    leaf_is_ip: false,
                },
                values: vec![count.round() as i64, delay.round() as i64],
                labels: Vec::new(),
                str_labels: Vec::new(),
            });
        }
    }
    p
}
