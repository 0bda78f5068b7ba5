//! Small random boards for the planner's property tests: one flash and one
//! RAM memory of chosen origins and lengths, a chosen number of MPU regions
//! for the user partitions, and the four partitions of a protected build.

use mcu_build::board::{self, Board, Memory};
use mcu_build::layout::needs::{EXCEPTION_FRAME, PROCESS_RECORD};
use mcu_build::layout::request::{Owner, PartitionRequest, Request, Size, Splits};
use mcu_build::mpu::MemoryKind;

/// A deterministic generator, so that a failure can be replayed.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// The bundled board `base` with one flash and one RAM memory of the given
/// (origin, length in bytes), and `user_regions` regions for the user
/// partitions.
pub fn small_board(base: &str, flash: (u32, u64), sram: (u32, u64), user_regions: u8) -> Board {
    let mut board = board::bundled(base).unwrap();
    let resized = |kind, (origin, length)| Memory {
        origin,
        length,
        ..board
            .memories
            .iter()
            .find(|m| m.kind == kind)
            .unwrap()
            .clone()
    };
    board.memories = vec![
        resized(MemoryKind::Flash, flash),
        resized(MemoryKind::Ram, sram),
    ];
    let mpu = board.mpu.as_mut().unwrap();
    mpu.kernel_regions = mpu.regions - user_regions;
    board
}

/// Kernel flash and SRAM of the given sizes (bytes) at the start of each
/// memory, the user partitions taking the rest, and the smallest stacks and
/// kernel heap the firmware runs with, so that small memories still plan.
pub fn four_partitions(board: &Board, kernel_flash: u64, kernel_sram: u64) -> Request {
    let part = |name: &str, owner, memory: usize, size| PartitionRequest {
        name: name.into(),
        owner,
        memory: board.memories[memory].name.clone(),
        size,
        origin: None,
    };
    Request {
        partitions: vec![
            part("kernel-flash", Owner::Kernel, 0, Size::Bytes(kernel_flash)),
            part("user-flash", Owner::User, 0, Size::Rest),
            part("kernel-sram", Owner::Kernel, 1, Size::Bytes(kernel_sram)),
            part("user-sram", Owner::User, 1, Size::Rest),
        ],
        kernel_heap: PROCESS_RECORD,
        splits: Splits {
            kernel_stack: EXCEPTION_FRAME,
            user_stack: EXCEPTION_FRAME,
            user_heap: 0,
        },
    }
}
