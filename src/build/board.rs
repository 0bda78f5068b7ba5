//! The boards `protect` builds for, and the facts a build needs of them.
//!
//! A protected build needs more of a board than its memories: the Rust
//! target the firmware is compiled for, the QEMU machine that runs it, and
//! the two facts the bundled kernel is configured with (its console UART
//! and core clock). This table holds them for the boards the bundled
//! firmware runs on. When the TOML board files of `crate::board` land, the
//! memories and MPU come from there and this file keeps only the firmware
//! facts.

use std::fmt;

use serde::Serialize;

use crate::mpu::Arch;

/// A memory of the chip: where it is and how large.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Memory {
    pub origin: u32,
    pub length: u32,
}

impl Memory {
    /// One past the last address.
    pub fn end(&self) -> u64 {
        u64::from(self.origin) + u64::from(self.length)
    }
}

/// Bytes of each partition, stack and heap, before placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Sizes {
    pub kernel_flash: u32,
    pub user_flash: u32,
    pub kernel_sram: u32,
    pub user_sram: u32,
    pub kernel_stack: u32,
    pub kernel_heap: u32,
    pub user_stack: u32,
    pub user_heap: u32,
}

/// What a protected build needs to know about a board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Board {
    pub name: &'static str,
    pub arch: Arch,
    /// MPU regions of the core, and how many the kernel keeps for itself.
    pub mpu_regions: u8,
    pub kernel_regions: u8,
    /// The Rust target the firmware is built for.
    pub rust_target: &'static str,
    /// `qemu-system-arm -M` machine.
    pub qemu_machine: &'static str,
    /// The memory code runs from (flash on a chip, SSRAM1 on the MPS2).
    pub flash: Memory,
    /// The memory data lives in.
    pub sram: Memory,
    /// The partition, stack and heap sizes of a build that asks for none.
    pub defaults: Sizes,
    /// Base of the CMSDK APB UART the kernel prints to, as the privileged
    /// kernel reaches it.
    pub console_uart: u32,
    /// Processor clock, which drives the kernel's SysTick.
    pub core_clock_hz: u32,
}

/// Sizes that fit both MPS2 boards: power-of-two partitions that ARMv7-M
/// covers with one region each.
const MPS2_SIZES: Sizes = Sizes {
    kernel_flash: 256 * 1024,
    user_flash: 256 * 1024,
    kernel_sram: 64 * 1024,
    user_sram: 64 * 1024,
    kernel_stack: 8 * 1024,
    kernel_heap: 4 * 1024,
    user_stack: 8 * 1024,
    user_heap: 16 * 1024,
};

/// The boards the bundled firmware runs on, by name.
const BOARDS: [Board; 2] = [
    // Cortex-M4: code SSRAM1 at 0, SSRAM2/3 at 0x2000_0000, UART0 at
    // 0x4000_4000, 25 MHz (QEMU hw/arm/mps2.c).
    Board {
        name: "qemu-mps2-an386",
        arch: Arch::Armv7m,
        mpu_regions: 8,
        kernel_regions: 0,
        rust_target: "thumbv7em-none-eabi",
        qemu_machine: "mps2-an386",
        flash: Memory {
            origin: 0x0000_0000,
            length: 4 << 20,
        },
        sram: Memory {
            origin: 0x2000_0000,
            length: 4 << 20,
        },
        defaults: MPS2_SIZES,
        console_uart: 0x4000_4000,
        core_clock_hz: 25_000_000,
    },
    // Cortex-M33 booting Secure: the Secure aliases of SSRAM1
    // (0x1000_0000) and SSRAM2/3 (0x3800_0000) and of UART0 (0x5020_0000),
    // 20 MHz (QEMU hw/arm/mps2-tz.c, hw/arm/armsse.c).
    Board {
        name: "qemu-mps2-an505",
        arch: Arch::Armv8m,
        mpu_regions: 8,
        kernel_regions: 0,
        rust_target: "thumbv8m.main-none-eabi",
        qemu_machine: "mps2-an505",
        flash: Memory {
            origin: 0x1000_0000,
            length: 4 << 20,
        },
        sram: Memory {
            origin: 0x3800_0000,
            length: 4 << 20,
        },
        defaults: MPS2_SIZES,
        console_uart: 0x5020_0000,
        core_clock_hz: 20_000_000,
    },
];

/// No board of that name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no board {name:?}: protect knows {}", KnownBoards)]
pub struct UnknownBoard {
    pub name: String,
}

struct KnownBoards;

impl fmt::Display for KnownBoards {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = BOARDS.iter().map(|b| b.name).collect();
        f.write_str(&names.join(", "))
    }
}

/// The board called `name`.
pub fn find(name: &str) -> Result<&'static Board, UnknownBoard> {
    BOARDS
        .iter()
        .find(|board| board.name == name)
        .ok_or_else(|| UnknownBoard {
            name: name.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_two_qemu_boards_and_names_them_when_asked_for_another() {
        assert_eq!(find("qemu-mps2-an505").unwrap().arch, Arch::Armv8m);
        let error = find("stm32").unwrap_err().to_string();
        assert!(
            error.contains("qemu-mps2-an386, qemu-mps2-an505"),
            "{error}"
        );
    }
}
