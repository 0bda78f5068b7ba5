//! When a request cannot be planned, the error offers the nearest sizes
//! (and, at a fixed origin, origins) of the failing partition with which
//! the whole request plans. On random small boards and requests: every
//! suggestion plans when retried, and no value between the suggestion and
//! the request plans, byte by byte (so "nearest" really is nearest, and
//! "none below/above" really means none in the memory).

use mcu_build::board::{Board, Memory};
use mcu_build::layout::nearest::{Nearest, Side};
use mcu_build::layout::needs::{EXCEPTION_FRAME, PROCESS_RECORD};
use mcu_build::layout::request::{Owner, PartitionRequest, Request, Size, Splits};
use mcu_build::layout::{plan, plan_only};
use mcu_build::mpu::GRANULE;

mod common;
use common::small_board::{Lcg, small_board};

/// A size of at least 96 bytes (the least user flash holds), below half of
/// `length`: sometimes off the granule, mostly whole granules, often a
/// power of two or just above one, which regions cover unevenly.
fn size(rng: &mut Lcg, length: u64) -> u64 {
    let kind = rng.below(6);
    let power = 1 << (7 + rng.below(u64::from(length.ilog2()) - 8));
    match kind {
        0 => 96 + rng.below(length / 2 - 96),
        1 | 2 => (3 + rng.below(length / GRANULE / 2 - 3)) * GRANULE,
        3 => power,
        _ => power + (1 + rng.below(3)) * GRANULE,
    }
}

/// An origin in `memory` on a 32-byte boundary, often on a larger one.
fn origin(rng: &mut Lcg, memory: &Memory) -> u32 {
    let alignment = GRANULE << rng.below(5);
    let offset = rng.below(memory.length) / alignment * alignment;
    (u64::from(memory.origin) + offset) as u32
}

/// Kernel flash and user flash of fixed sizes (user flash sometimes at a
/// fixed origin), kernel SRAM `rest` and a fixed-size user SRAM, with the
/// smallest stacks and kernel heap the firmware runs with.
fn random_request(rng: &mut Lcg, board: &Board) -> Request {
    let (flash, sram) = (&board.memories[0], &board.memories[1]);
    let part = |name: &str, owner, memory: &Memory, size, origin| PartitionRequest {
        name: name.into(),
        owner,
        memory: memory.name.clone(),
        size,
        origin,
    };
    let kernel_flash = 64 + rng.below(flash.length / 4);
    let user_flash = size(rng, flash.length);
    let origin = (rng.below(2) == 0).then(|| origin(rng, flash));
    let user_sram = size(rng, sram.length);
    Request {
        partitions: vec![
            part(
                "kernel-flash",
                Owner::Kernel,
                flash,
                Size::Bytes(kernel_flash),
                None,
            ),
            part(
                "user-flash",
                Owner::User,
                flash,
                Size::Bytes(user_flash),
                origin,
            ),
            part("kernel-sram", Owner::Kernel, sram, Size::Rest, None),
            part("user-sram", Owner::User, sram, Size::Bytes(user_sram), None),
        ],
        kernel_heap: PROCESS_RECORD,
        splits: Splits {
            kernel_stack: EXCEPTION_FRAME,
            user_stack: EXCEPTION_FRAME,
            user_heap: 0,
        },
    }
}

/// Whether `request` plans with partition `index` at `size` and `origin`.
fn plans(board: &Board, request: &Request, index: usize, size: u64, origin: Option<u64>) -> bool {
    let mut retry = request.clone();
    retry.partitions[index].size = Size::Bytes(size);
    retry.partitions[index].origin = origin.map(|o| u32::try_from(o).unwrap());
    plan_only(board, &retry).is_ok()
}

/// Checks `nearest` for the value `requested` in `range`: each side plans,
/// and nothing strictly between it (or the end of `range`) and the request
/// does. Returns how many suggestions it checked.
fn check_side(
    context: &str,
    what: &str,
    nearest: Nearest,
    requested: u64,
    range: std::ops::Range<u64>,
    works: impl Fn(u64) -> bool,
) -> usize {
    // Small memories are searched completely.
    assert!(
        nearest.below != Side::GaveUp && nearest.above != Side::GaveUp,
        "{context}: {nearest:?}"
    );
    let (below, above) = (nearest.below.value(), nearest.above.value());
    let mut checked = 0;
    if let Some(below) = below {
        assert!(below < requested, "{context}: {what} {below} below");
        assert!(
            works(below),
            "{context}: suggested {what} {below} does not plan"
        );
        checked += 1;
    }
    if let Some(above) = above {
        assert!(above > requested, "{context}: {what} {above} above");
        assert!(
            works(above),
            "{context}: suggested {what} {above} does not plan"
        );
        checked += 1;
    }
    let low = below.map_or(range.start, |b| b + 1);
    let high = above.unwrap_or(range.end);
    for value in (low..high).filter(|&v| v != requested) {
        assert!(
            !works(value),
            "{context}: {what} {value} plans, nearer than {nearest:?} to {requested}"
        );
    }
    checked
}

fn check(base: &str, cases: u32, max_length: u64, seed: u64) {
    let mut rng = Lcg(seed);
    let mut failures = 0;
    let mut suggestions = 0;
    for case in 0..cases {
        let mut memory = |at: u32| {
            let length = (16 + rng.below(max_length / GRANULE - 15)) * GRANULE;
            (at + (rng.below(64) * GRANULE) as u32, length)
        };
        let (flash, sram) = (memory(0x0800_0000), memory(0x2000_0000));
        let board = small_board(base, flash, sram, 2 + (case % 3) as u8);
        let request = random_request(&mut rng, &board);
        let context = format!("{base} case {case}: {board:?} {request:?}");
        let Err(error) = plan(&board, &request) else {
            continue;
        };
        failures += 1;
        for alternative in error.alternatives() {
            let index = request
                .partitions
                .iter()
                .position(|p| p.name == alternative.partition)
                .unwrap();
            let p = &request.partitions[index];
            let memory = board.memory(&p.memory).unwrap();
            let Size::Bytes(size) = p.size else {
                continue;
            };
            let origin = p.origin.map(u64::from);
            let context = format!("{context}\n{error}");
            if let Some(sizes) = alternative.sizes {
                suggestions +=
                    check_side(&context, "size", sizes, size, 1..memory.length + 1, |s| {
                        plans(&board, &request, index, s, origin)
                    });
            }
            if let (Some(origins), Some(origin)) = (alternative.origins, origin) {
                let range = u64::from(memory.origin)..memory.end();
                suggestions += check_side(&context, "origin", origins, origin, range, |o| {
                    plans(&board, &request, index, size, Some(o))
                });
            }
        }
    }
    // The generator must produce failures with suggestions, or this test
    // would check nothing.
    assert!(
        failures >= cases as usize / 4,
        "{base}: only {failures} failures"
    );
    assert!(
        suggestions >= failures / 2,
        "{base}: {suggestions} suggestions for {failures} failures"
    );
}

#[test]
fn armv7m_suggestions_plan_and_are_the_nearest() {
    check("stm32f4discovery", 150, 2 << 10, 0x5EED_0010);
}

#[test]
fn armv8m_suggestions_plan_and_are_the_nearest() {
    check("qemu-mps2-an505", 60, 2 << 10, 0x5EED_0011);
}
