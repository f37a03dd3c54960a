//! `cargo bench --bench profile`: the `profile` area under criterion.
use criterion::{Criterion, criterion_group, criterion_main};

fn profile(c: &mut Criterion) {
    perfkit_bench::front::bench_area(c, "profile");
}

criterion_group! {
    name = benches;
    config = perfkit_bench::profile::criterion();
    targets = profile
}
criterion_main!(benches);
