//! When a request cannot be planned, the error offers the nearest sizes
//! (and, at a fixed origin, origins) of the failing partition, or values of
//! the failing stack or heap key, with which the whole request plans. On
//! random small boards and requests: every suggestion plans when retried,
//! and no value between the suggestion and the request plans, byte by byte
//! (so "nearest" really is nearest, also for kernel sizes, which the search
//! tries one granule at a time, and "none below/above" really means none in
//! the memory).

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

/// Kernel flash and user flash of fixed sizes, each sometimes at a fixed
/// origin (kernel flash's on any byte). In SRAM: a `rest` kernel SRAM and
/// a fixed-size user SRAM; both fixed; or a fixed kernel SRAM (any byte
/// count, sometimes at a fixed origin on any byte) and a `rest` user SRAM.
/// Stacks and heaps from the least the firmware runs with to a few hundred
/// bytes.
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
    // A kernel origin on any byte, a third of the time.
    let mut kernel_origin = |memory: &Memory| {
        (rng.below(3) == 0).then(|| memory.origin + rng.below(memory.length / 2) as u32)
    };
    let kernel_flash_origin = kernel_origin(flash);
    let kernel_sram_origin = kernel_origin(sram);
    let user_flash = size(rng, flash.length);
    let origin = (rng.below(2) == 0).then(|| origin(rng, flash));
    let user_sram = size(rng, sram.length);
    let kernel_sram = 64 + rng.below(sram.length / 2);
    let (kernel_sram, user_sram) = match rng.below(3) {
        0 => (Size::Rest, Size::Bytes(user_sram)),
        1 => (Size::Bytes(kernel_sram), Size::Bytes(user_sram)),
        _ => (Size::Bytes(kernel_sram), Size::Rest),
    };
    Request {
        partitions: vec![
            part(
                "kernel-flash",
                Owner::Kernel,
                flash,
                Size::Bytes(kernel_flash),
                kernel_flash_origin,
            ),
            part(
                "user-flash",
                Owner::User,
                flash,
                Size::Bytes(user_flash),
                origin,
            ),
            part(
                "kernel-sram",
                Owner::Kernel,
                sram,
                kernel_sram,
                kernel_sram_origin.filter(|_| kernel_sram != Size::Rest),
            ),
            part("user-sram", Owner::User, sram, user_sram, None),
        ],
        kernel_heap: PROCESS_RECORD + rng.below(256),
        splits: Splits {
            kernel_stack: EXCEPTION_FRAME + rng.below(256),
            user_stack: EXCEPTION_FRAME + rng.below(256),
            user_heap: rng.below(512),
        },
    }
}

/// Whether `request` plans with stack or heap `key` at `value`.
fn plans_with_key(board: &Board, request: &Request, key: &str, value: u64) -> bool {
    let mut retry = request.clone();
    *retry.key_mut(key).unwrap() = value;
    plan_only(board, &retry).is_ok()
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
    let mut keys = 0;
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
            let context = format!("{context}\n{error}");
            if let Some(key) = &alternative.key {
                let value = *request.clone().key_mut(key).unwrap();
                keys += 1;
                suggestions += check_side(
                    &context,
                    key,
                    alternative.sizes.unwrap(),
                    value,
                    0..memory.length + 1,
                    |v| plans_with_key(&board, &request, key, v),
                );
                continue;
            }
            let Size::Bytes(size) = p.size else {
                continue;
            };
            let origin = p.origin.map(u64::from);
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
    assert!(keys > 0, "{base}: no stack or heap key was suggested");
}

#[test]
fn armv7m_suggestions_plan_and_are_the_nearest() {
    check("stm32f4discovery", 150, 2 << 10, 0x5EED_0010);
}

#[test]
fn armv8m_suggestions_plan_and_are_the_nearest() {
    check("qemu-mps2-an505", 60, 2 << 10, 0x5EED_0011);
}

/// The STM32F4-Discovery's default request with `edit` applied, as the
/// `[layout]` of an `mcu-build.toml` would change it.
fn discovery(edit: impl FnOnce(&mut Request)) -> (Board, Request) {
    let board = mcu_build::board::bundled("stm32f4discovery").unwrap();
    let mut request = board.partitions.clone();
    edit(&mut request);
    (board, request)
}

fn resize(request: &mut Request, name: &str, bytes: u64) {
    let p = request
        .partitions
        .iter_mut()
        .find(|p| p.name == name)
        .unwrap();
    p.size = Size::Bytes(bytes);
}

/// The suggestion for `partition` (its size, or `key`) in `error`.
fn suggested(error: &mcu_build::layout::PlanError, partition: &str, key: Option<&str>) -> Nearest {
    error
        .alternatives()
        .iter()
        .find(|a| a.partition == partition && a.key.as_deref() == key)
        .unwrap_or_else(|| panic!("no suggestion for {partition} {key:?}: {error}"))
        .sizes
        .unwrap()
}

const KIB: u64 = 1024;
/// SRAM1 holds kernel SRAM and a `rest` user SRAM, which must keep the
/// user stack (8 KiB) and heap (16 KiB): kernel SRAM can have the rest.
const SRAM1: u64 = 112 * KIB;
const LARGEST_KERNEL_SRAM: u64 = SRAM1 - 24 * KIB;

#[test]
fn kernel_sizes_far_above_what_plans_find_the_largest_that_does() {
    for kib in [113, 200] {
        let (board, request) = discovery(|r| resize(r, "kernel-sram", kib * KIB));
        let error = plan(&board, &request).unwrap_err();
        assert_eq!(
            suggested(&error, "kernel-sram", None),
            Nearest {
                below: Side::Found(LARGEST_KERNEL_SRAM),
                above: Side::None
            },
            "{kib}K: {error}"
        );
    }
    // Byte by byte: the suggestion plans, nothing from it up to the request.
    let (board, request) = discovery(|_| {});
    let index = request
        .partitions
        .iter()
        .position(|p| p.name == "kernel-sram")
        .unwrap();
    assert!(plans(&board, &request, index, LARGEST_KERNEL_SRAM, None));
    for size in LARGEST_KERNEL_SRAM + 1..=113 * KIB {
        assert!(!plans(&board, &request, index, size, None), "{size}");
    }
}

#[test]
fn a_rest_partition_left_too_small_suggests_its_neighbours_and_its_keys() {
    // 89 KiB of kernel SRAM leaves user SRAM 23 KiB: 1 KiB short.
    let (board, request) = discovery(|r| resize(r, "kernel-sram", 89 * KIB));
    let error = plan(&board, &request).unwrap_err();
    let below = |bytes| Nearest {
        below: Side::Found(bytes),
        above: Side::None,
    };
    assert_eq!(
        suggested(&error, "kernel-sram", None),
        below(LARGEST_KERNEL_SRAM)
    );
    assert_eq!(
        suggested(&error, "user-sram", Some("user-stack")),
        below(7 * KIB)
    );
    assert_eq!(
        suggested(&error, "user-sram", Some("user-heap")),
        below(15 * KIB)
    );
    // 111 KiB leaves 1 KiB: no stack or heap is small enough.
    let (board, request) = discovery(|r| resize(r, "kernel-sram", 111 * KIB));
    let error = plan(&board, &request).unwrap_err();
    assert_eq!(
        suggested(&error, "kernel-sram", None),
        below(LARGEST_KERNEL_SRAM)
    );
    assert_eq!(
        suggested(&error, "user-sram", Some("user-heap")),
        Nearest::default()
    );
    assert!(
        error
            .to_string()
            .contains("no other value of `user-heap` plans"),
        "{error}"
    );
}

#[test]
fn a_heap_too_large_for_its_partition_gets_the_largest_that_fits() {
    // User SRAM is what SRAM1 leaves after 32 KiB of kernel SRAM: 80 KiB,
    // of which the stack takes 8 KiB.
    let (board, request) = discovery(|r| r.splits.user_heap = 1024 * KIB);
    let error = plan(&board, &request).unwrap_err();
    let largest = 72 * KIB;
    assert_eq!(
        suggested(&error, "user-sram", Some("user-heap")),
        Nearest {
            below: Side::Found(largest),
            above: Side::None
        },
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("the nearest values of `user-heap` that plan: 73728 bytes (0x12000) below"),
        "{error}"
    );
    assert!(plans_with_key(&board, &request, "user-heap", largest));
    assert!(!plans_with_key(&board, &request, "user-heap", largest + 1));
    // A kernel heap below its minimum: the minimum.
    let (board, request) = discovery(|r| r.kernel_heap = 0);
    let error = plan(&board, &request).unwrap_err();
    assert_eq!(
        suggested(&error, "kernel-sram", Some("kernel-heap")),
        Nearest {
            below: Side::None,
            above: Side::Found(PROCESS_RECORD)
        }
    );
}

#[test]
fn kernel_flash_that_leaves_user_flash_nothing_gets_the_largest_that_leaves_enough() {
    let (board, request) = discovery(|r| resize(r, "kernel-flash", 1024 * KIB));
    let error = plan(&board, &request).unwrap_err();
    let user_flash = request
        .partitions
        .iter()
        .find(|p| p.name == "user-flash")
        .unwrap();
    let least = mcu_build::layout::needs::minimum(user_flash, &request).bytes;
    assert_eq!(
        suggested(&error, "kernel-flash", None),
        Nearest {
            below: Side::Found(1024 * KIB - least),
            above: Side::None
        },
        "{error}"
    );
}

#[test]
fn two_broken_partitions_are_both_named() {
    let (board, request) = discovery(|r| {
        resize(r, "user-flash", 30000);
        resize(r, "user-sram", 1024 * KIB);
    });
    let error = plan(&board, &request).unwrap_err();
    let all = error.all_alternatives().unwrap();
    // No size of user flash helps while user SRAM is broken...
    assert!(!all.values.iter().any(|a| a.found()), "{error}");
    // ... but on its own user flash plans with whole granules ...
    let alone = all
        .alone
        .iter()
        .find(|a| a.partition == "user-flash")
        .unwrap();
    assert_eq!(
        alone.sizes,
        Some(Nearest {
            below: Side::Found(30000 / GRANULE * GRANULE),
            above: Side::Found(30000_u64.div_ceil(GRANULE) * GRANULE)
        })
    );
    // ... and user SRAM fails on its own, which the message says.
    assert_eq!(all.blockers.len(), 1, "{error}");
    assert!(all.blockers[0].setting.starts_with("user-sram"), "{error}");
    let text = error.to_string();
    assert!(text.contains("no single change fixes this"), "{text}");
    assert!(
        text.contains("memory sram1 (114688 bytes) cannot hold"),
        "{text}"
    );
    assert!(text.contains("30016 bytes (0x7540) above"), "{text}");
}
