//! How other systems map a partition, for comparison with the exact cover.
//!
//! - **One power-of-two region per partition** (Tock pads each process,
//!   Zephyr each memory partition): the partition grows to the next power of
//!   two and is aligned to it; the growth is memory lost.
//! - **NuttX** (`arch/arm/src/armv7-m/arm_mpu.c`, `mpu_configure_region`)
//!   programs one region per partition at run time: it rounds the size up to
//!   a power of two, aligns the base down, and enables every subregion the
//!   partition touches, rounding *outward*. The bytes of the enabled
//!   subregions beyond the partition are granted to user code: over-grant.
//!   Its base arithmetic also yields, for some partitions, an RBAR that is
//!   not aligned to the region size, which the MPU silently reads as a
//!   different region.
//!
//! These models exist to measure and to test against; mcu-build never
//! programs them.

use std::ops::Range;

use super::armv7m;
use super::{MemoryKind, RegionNumber};

/// The size of the single power-of-two region a partition of `size` bytes
/// needs when it may not use subregions (at least 32 bytes).
pub fn power_of_two_region_size(size: u64) -> u64 {
    size.max(super::GRANULE).next_power_of_two()
}

/// NuttX's `mpu_log2regionceil()`: log2 of the smallest region of at least
/// `size` bytes.
fn log2_region_ceil(size: u64) -> u8 {
    let mut log2 = armv7m::MIN_SIZE_LOG2;
    while log2 < armv7m::MAX_SIZE_LOG2 && (1u64 << log2) < size {
        log2 += 1;
    }
    log2
}

/// The RBAR/RASR values NuttX programs for a user partition `range`, as
/// `mpu_configure_region()` computes them: the base aligned to 32 bytes,
/// then down to a region sized for the partition plus that offset, the size
/// recomputed once more, and every subregion the partition touches enabled.
pub fn nuttx_registers(
    range: Range<u64>,
    memory: MemoryKind,
    number: RegionNumber,
) -> armv7m::Registers {
    let size = range.end.saturating_sub(range.start);
    let base = range.start;
    let mut aligned_base = base & !0x1F;
    let log2 = log2_region_ceil(size + base - aligned_base);
    aligned_base &= !((1u64 << log2) - 1);
    let log2 = log2_region_ceil(size + base - aligned_base);

    let disabled = if log2 >= armv7m::MIN_SUBREGION_REGION_LOG2 {
        let sub = (1u64 << log2) / u64::from(armv7m::SUBREGIONS);
        (0..armv7m::SUBREGIONS)
            .filter(|&i| {
                let start = aligned_base + u64::from(i) * sub;
                // Outward: a subregion stays enabled if it touches the range.
                start + sub <= range.start || start >= range.end
            })
            .fold(0u8, |srd, i| srd | 1 << i)
    } else {
        0
    };
    // RASR as for a well-formed region of that size; only RBAR differs.
    let shape = armv7m::Block::new(0, log2, disabled)
        .expect("base 0 is aligned, and SRD is 0 below 256 bytes");
    let rasr = armv7m::Region::user(shape, memory).encode(number).rasr;
    armv7m::Registers {
        rbar: aligned_base as u32 | 1 << 4 | u32::from(number.get()),
        rasr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mpu::armv7m::DecodeError;

    fn number(n: u8) -> RegionNumber {
        RegionNumber::new(n).unwrap()
    }

    #[test]
    fn nuttx_base_arithmetic_misaligns_0x30000_plus_128k() {
        let regs = nuttx_registers(0x0003_0000..0x0005_0000, MemoryKind::Flash, number(0));
        assert!(matches!(
            regs.decode(number(0)),
            Err(DecodeError::MisalignedBase {
                base: 0x0002_0000,
                size: 0x4_0000,
                ..
            })
        ));
    }

    #[test]
    fn nuttx_rounds_subregions_outward() {
        // 21 KiB of SRAM: a 32 KiB region of 4 KiB subregions, six enabled.
        let regs = nuttx_registers(0x2000_0000..0x2000_5400, MemoryKind::Ram, number(1));
        let region = regs.decode(number(1)).unwrap().unwrap();
        assert_eq!(region.granted().first(), Some(&(0x2000_0000..0x2000_6000)));
    }

    #[test]
    fn power_of_two_sizes() {
        assert_eq!(power_of_two_region_size(896 * 1024), 1 << 20);
        assert_eq!(power_of_two_region_size(1), 32);
        assert_eq!(power_of_two_region_size(4096), 4096);
    }
}
