//! Planning a board with 8 partitions: the cost of the search over orders,
//! region allowances and candidate origins.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mcu_build::board;
use mcu_build::layout::plan;
use mcu_build::layout::request::{Owner, PartitionRequest, Size};

fn plan_eight_partitions(c: &mut Criterion) {
    let board = board::bundled("stm32h743").expect("bundled");
    let mut request = board.partitions.clone();
    // Four more user partitions with awkward sizes, two per RAM.
    for (name, memory, size) in [
        ("user-dma", "axi-sram", Size::Bytes(48 * 1024 + 512)),
        ("user-log", "axi-sram", Size::Bytes(20 * 1024)),
        ("user-fast", "dtcm", Size::Bytes(24 * 1024 + 96)),
        ("user-config", "flash", Size::Bytes(128 * 1024)),
    ] {
        request.partitions.push(PartitionRequest {
            name: name.into(),
            owner: Owner::User,
            memory: memory.into(),
            size,
            origin: None,
        });
    }
    assert_eq!(request.partitions.len(), 8);
    let p = plan(&board, &request).expect("plannable");
    assert!(p.verify().is_ok());
    c.bench_function("plan stm32h743 with 8 partitions", |b| {
        b.iter(|| plan(black_box(&board), black_box(&request)))
    });
}

criterion_group!(benches, plan_eight_partitions);
criterion_main!(benches);
