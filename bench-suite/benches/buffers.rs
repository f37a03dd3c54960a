//! `cargo bench --bench buffers`: the `buffers` area under criterion.
use criterion::{Criterion, criterion_group, criterion_main};

fn buffers(c: &mut Criterion) {
    perfkit_bench::front::bench_area(c, "buffers");
}

criterion_group! {
    name = benches;
    config = perfkit_bench::profile::criterion();
    targets = buffers
}
criterion_main!(benches);
