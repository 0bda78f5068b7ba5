//! `cover` over random ranges: the planner probes thousands of candidate
//! origins, so a cover must stay well under a microsecond.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mcu_build::mpu::armv7m;

#[path = "../tests/mpu_support/random.rs"]
mod random;

const RANGES: usize = 1_000_000;

fn cover_random_ranges(c: &mut Criterion) {
    let mut rng = random::SplitMix64::new(0xC0FFEE);
    let ranges: Vec<_> = (0..RANGES).map(|_| rng.aligned_range(32)).collect();
    let mut group = c.benchmark_group("armv7m");
    group.throughput(Throughput::Elements(RANGES as u64));
    group.sample_size(10);
    group.bench_function(
        "cover 10^6 random 32-byte aligned ranges, 16 regions",
        |b| {
            b.iter(|| {
                let mut regions = 0;
                for range in &ranges {
                    regions += armv7m::cover(black_box(range.clone()), 16).map_or(0, |c| c.len());
                }
                regions
            })
        },
    );
    group.finish();
}

criterion_group!(benches, cover_random_ranges);
criterion_main!(benches);
