//! `cargo bench --bench pool`: the `pool` area under criterion.
use criterion::{Criterion, criterion_group, criterion_main};

fn pool(c: &mut Criterion) {
    perfkit_bench::front::bench_area(c, "pool");
}

criterion_group! {
    name = benches;
    config = perfkit_bench::profile::criterion();
    targets = pool
}
criterion_main!(benches);
