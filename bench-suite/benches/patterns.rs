//! `cargo bench --bench patterns`: the `patterns` area under criterion.
use criterion::{Criterion, criterion_group, criterion_main};

fn patterns(c: &mut Criterion) {
    perfkit_bench::front::bench_area(c, "patterns");
}

criterion_group! {
    name = benches;
    config = perfkit_bench::profile::criterion();
    targets = patterns
}
criterion_main!(benches);
