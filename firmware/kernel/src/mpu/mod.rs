//! The Memory Protection Unit, programmed from the table mcu-build planned.
//!
//! The kernel does not compute regions: the host tool planned them from the
//! partitions, verified that they grant the user blob exactly the user
//! partitions and nothing more, and wrote the register values into
//! `layout.rs`. The kernel loads them verbatim, disables every other region
//! and enables the MPU with PRIVDEFENA, so privileged code keeps the default
//! memory map while unprivileged code reaches only what the regions grant.

#[cfg(not(armv8m))]
mod armv7m;
#[cfg(armv8m)]
mod armv8m;

#[cfg(not(armv8m))]
pub use armv7m::{MpuRegion, enable};
#[cfg(armv8m)]
pub use armv8m::{MpuRegion, enable};

use crate::register::Register;

/// MPU_TYPE: DREGION (bits 15:8) is the number of data regions.
// SAFETY: the architected MPU registers of every Cortex-M with an MPU.
const TYPE: Register = unsafe { Register::at(0xE000_ED90) };
/// MPU_CTRL: ENABLE (bit 0), HFNMIENA (bit 1), PRIVDEFENA (bit 2).
// SAFETY: as above.
const CTRL: Register = unsafe { Register::at(0xE000_ED94) };
/// MPU_RNR: selects the region RBAR and RASR/RLAR refer to.
// SAFETY: as above.
const RNR: Register = unsafe { Register::at(0xE000_ED98) };
/// MPU_RBAR.
// SAFETY: as above.
const RBAR: Register = unsafe { Register::at(0xE000_ED9C) };
/// MPU_RASR on ARMv7-M, MPU_RLAR on ARMv8-M.
// SAFETY: as above.
const RASR_OR_RLAR: Register = unsafe { Register::at(0xE000_EDA0) };

const CTRL_ENABLE: u32 = 1 << 0;
const CTRL_PRIVDEFENA: u32 = 1 << 2;

/// Why the MPU table cannot be loaded.
#[derive(Debug)]
pub struct TooManyRegions {
    pub needed: usize,
    pub available: usize,
}

/// Number of regions the MPU implements.
fn available_regions() -> usize {
    ((TYPE.read() >> 8) & 0xFF) as usize
}

/// The two words that describe one region: RBAR, then RASR (ARMv7-M) or
/// RLAR (ARMv8-M), both written after RNR selects the region.
trait RegionRegisters {
    fn registers(&self) -> (u32, u32);
}

/// Writes the regions in order (region `n` is `regions[n]`), clears the
/// rest, then enables the MPU.
fn load(regions: &[impl RegionRegisters]) -> Result<(), TooManyRegions> {
    let available = available_regions();
    if regions.len() > available {
        return Err(TooManyRegions {
            needed: regions.len(),
            available,
        });
    }
    CTRL.write(0);
    for number in 0..available {
        let (rbar, second) = regions
            .get(number)
            .map_or((0, 0), |region| region.registers());
        RNR.write(number as u32);
        RBAR.write(rbar);
        RASR_OR_RLAR.write(second);
    }
    CTRL.write(CTRL_ENABLE | CTRL_PRIVDEFENA);
    // SAFETY: barriers only order the MPU writes before later accesses.
    unsafe { core::arch::asm!("dsb", "isb", options(nostack, preserves_flags)) };
    Ok(())
}
