//! `cargo bench --bench json`: the `json` area under criterion.
use criterion::{Criterion, criterion_group, criterion_main};

fn json(c: &mut Criterion) {
    perfkit_bench::front::bench_area(c, "json");
}

criterion_group! {
    name = benches;
    config = perfkit_bench::profile::criterion();
    targets = json
}
criterion_main!(benches);
