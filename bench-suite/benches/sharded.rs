//! `cargo bench --bench sharded`: the `sharded` area under criterion.
use criterion::{Criterion, criterion_group, criterion_main};

fn sharded(c: &mut Criterion) {
    perfkit_bench::front::bench_area(c, "sharded");
}

criterion_group! {
    name = benches;
    config = perfkit_bench::profile::criterion();
    targets = sharded
}
criterion_main!(benches);
