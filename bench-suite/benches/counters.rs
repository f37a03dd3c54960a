//! `cargo bench --bench counters`: the `counters` area under criterion.
use criterion::{Criterion, criterion_group, criterion_main};

fn counters(c: &mut Criterion) {
    perfkit_bench::front::bench_area(c, "counters");
}

criterion_group! {
    name = benches;
    config = perfkit_bench::profile::criterion();
    targets = counters
}
criterion_main!(benches);
