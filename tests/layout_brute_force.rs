//! The planner's choice of origins is a search heuristic (see the planner's
//! module docs); here it is checked against brute force on small memories.
//! In flash a fixed-size kernel partition comes first (the core fetches its
//! vector table there) and a `rest` user partition takes what is left; in
//! SRAM the fixed-size kernel partition may go below or above the `rest`
//! user partition. The user partitions share the region budget. The planner
//! must give them as many bytes, together, as the best of every 32-byte
//! aligned window and every split of the regions.

use mcu_build::board::Memory;
use mcu_build::layout::needs;
use mcu_build::layout::plan;
use mcu_build::mpu::{Arch, GRANULE};

mod common;
use common::small_board::{Lcg, four_partitions, small_board};

/// The size of the largest window of `memory` that `regions` regions grant
/// exactly and that leaves `kernel` bytes free below it or, unless
/// `kernel_first`, above it; 0 when the largest is below `minimum`, the
/// least the firmware needs there.
fn brute_force(
    arch: Arch,
    memory: &Memory,
    kernel: u64,
    regions: usize,
    kernel_first: bool,
    minimum: u64,
) -> u64 {
    let (start, end) = (u64::from(memory.origin), memory.end());
    let mut best = 0;
    for a in (start..end).step_by(GRANULE as usize) {
        // For each start, the highest end that works is the best one.
        let mut b = end;
        while b > a + best {
            let kernel_fits = a - start >= kernel || (!kernel_first && end - b >= kernel);
            if kernel_fits && arch.cover(a..b, regions, memory.kind).is_ok() {
                best = b - a;
                break;
            }
            b -= GRANULE;
        }
    }
    if best < minimum { 0 } else { best }
}

/// `cases` random layouts of memories from 1 KiB up to `max_length`.
fn check(base: &str, cases: u32, max_length: u64, seed: u64) {
    let mut rng = Lcg(seed);
    // A 32-byte aligned origin, often not aligned to anything larger, and 96
    // bytes (more than the kernel's minimum stack and heap) to half of the
    // memory for the kernel.
    let mut memory = || {
        let length = (32 + rng.below(max_length / GRANULE - 31)) * GRANULE;
        let origin = (rng.below(1024) * GRANULE) as u32;
        let kernel = (3 + rng.below(length / GRANULE / 2)) * GRANULE;
        (origin, length, kernel)
    };
    for case in 0..cases {
        let (flash_origin, flash_length, kernel_flash) = memory();
        let (sram_origin, sram_length, kernel_sram) = memory();
        let flash = (0x0800_0000 + flash_origin, flash_length);
        let sram = (0x2000_0000 + sram_origin, sram_length);
        let user_regions = 2 + (case % 4) as usize;
        let board = small_board(base, flash, sram, user_regions as u8);
        let arch = board.mpu.as_ref().unwrap().arch;
        let request = four_partitions(&board, kernel_flash, kernel_sram);
        let minimum = |i: usize| needs::minimum(&request.partitions[i], &request).bytes;
        let best = (1..user_regions)
            .map(|r| {
                let in_flash =
                    brute_force(arch, &board.memories[0], kernel_flash, r, true, minimum(1));
                let in_sram = brute_force(
                    arch,
                    &board.memories[1],
                    kernel_sram,
                    user_regions - r,
                    false,
                    minimum(3),
                );
                if in_flash > 0 && in_sram > 0 {
                    in_flash + in_sram
                } else {
                    0
                }
            })
            .max()
            .unwrap();
        let context = format!(
            "{base} case {case}: flash {:#010x} + {flash_length:#x} with kernel {kernel_flash:#x}, \
             SRAM {:#010x} + {sram_length:#x} with kernel {kernel_sram:#x}, \
             {user_regions} user regions",
            flash.0, sram.0
        );
        let planned = match plan(&board, &request) {
            Ok(planned) => planned,
            Err(error) => {
                assert_eq!(best, 0, "{context}: planner says {error}");
                continue;
            }
        };
        assert!(planned.verify().is_ok(), "{context}");
        let user = |name| {
            let p = planned.partition(name).unwrap();
            (p.start, p.end)
        };
        let (flash_user, sram_user) = (user("user-flash"), user("user-sram"));
        let got = (flash_user.1 - flash_user.0) + (sram_user.1 - sram_user.0);
        assert_eq!(
            got, best,
            "{context}: planner gives user flash {flash_user:#x?} and SRAM {sram_user:#x?}"
        );
    }
}

#[test]
fn armv7m_user_rest_window_is_the_largest_coverable() {
    check("stm32f4discovery", 400, 6 << 10, 0x5EED_0001);
    check("stm32f4discovery", 40, 64 << 10, 0x5EED_0003);
}

#[test]
fn armv8m_user_rest_window_is_the_largest_coverable() {
    check("qemu-mps2-an505", 100, 6 << 10, 0x5EED_0002);
}
