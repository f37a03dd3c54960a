//! docs/PATTERNS.md, entry 21. Batching: batching.

use crate::measure;
use crate::registry::Case;

use super::group;
use crate::registry::{Group, Role, Throughput};

pub(super) fn batching() -> Group {
    const ITEMS: u64 = 10_000;
    const BATCH: usize = 64;
    let case = |name: &str, role: Role, batch: usize| {
        Case::new(name, role, 1, move |iters| {
            measure::single(iters, |n| {
                let (tx, rx) = crossbeam_channel::bounded::<Vec<u64>>(64);
                let (one_tx, one_rx) = crossbeam_channel::bounded::<u64>(64 * BATCH);
                std::thread::scope(|s| {
                    let consumer = s.spawn(move || {
                        if batch == 1 {
                            one_rx.iter().fold(0u64, u64::wrapping_add)
                        } else {
                            rx.iter()
                                .map(|b| b.iter().fold(0u64, |a, x| a.wrapping_add(*x)))
                                .fold(0u64, u64::wrapping_add)
                        }
                    });
                    for _ in 0..n {
                        if batch == 1 {
                            for i in 0..ITEMS {
                                one_tx.send(i).expect("the consumer is alive");
                            }
                        } else {
                            let mut buf = Vec::with_capacity(batch);
                            for i in 0..ITEMS {
                                buf.push(i);
                                if buf.len() == batch {
                                    tx.send(std::mem::replace(&mut buf, Vec::with_capacity(batch)))
                                        .expect("alive");
                                }
                            }
                            if !buf.is_empty() {
                                tx.send(buf).expect("alive");
                            }
                        }
                    }
                    drop((tx, one_tx));
                    consumer.join().expect("the consumer")
                })
            })
        })
    };
    group(
        "batching",
        "send 10,000 u64s to a consumer thread over a bounded channel",
        Some(Throughput::Elements(ITEMS)),
        "One send per item pays the channel's synchronisation (and, when the consumer sleeps, a \
         wake-up) per item; sending Vecs of 64 pays it once per 64 items, for one allocation \
         per batch. The consumer thread is spawned per sample (amortised over the sample).",
        3,
        vec![
            case("send per item", Role::Baseline, 1),
            case("send Vec of 64", Role::Pattern, BATCH),
        ],
    )
}
