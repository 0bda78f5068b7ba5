//! The Memory Protection Unit, programmed from the table mcu-build planned.
//!
//! The kernel does not compute regions: the host tool planned them from the
//! partitions, verified that they grant each process exactly its own
//! partitions and nothing more, and wrote the register values into
//! `layout.rs`, per process. At each switch to a process the kernel loads
//! that process's regions verbatim at their region numbers, disables every
//! other region and enables the MPU with PRIVDEFENA, so privileged code
//! keeps the default memory map while unprivileged code reaches only what
//! the running process's regions grant.

#[cfg(not(armv8m))]
mod armv7m;
#[cfg(armv8m)]
mod armv8m;

#[cfg(not(armv8m))]
pub use armv7m::{MpuRegion, set_attributes};
#[cfg(armv8m)]
pub use armv8m::{MpuRegion, set_attributes};

use core::sync::atomic::{AtomicU32, Ordering};

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

/// Why a process's MPU table cannot be loaded: it names a region number
/// the MPU does not implement.
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
    fn number(&self) -> u8;
    fn registers(&self) -> (u32, u32);
}

/// Whether the MPU implements every region number `regions` names; checked
/// once per process at boot, so that [`load`] never meets a number it
/// cannot write.
pub fn check(regions: &[MpuRegion]) -> Result<(), TooManyRegions> {
    let available = available_regions();
    let needed = regions
        .iter()
        .map(|region| usize::from(region.number()) + 1)
        .max()
        .unwrap_or(0);
    if needed > available {
        return Err(TooManyRegions { needed, available });
    }
    Ok(())
}

/// The regions the last [`load`] enabled, a bit per region number. At
/// first every one: the regions' enable bits are UNKNOWN at reset (ARMv7-M
/// ARM B3.5.9, ARMv8-M ARM "MPU_RLAR"), so the first load clears them all.
static ENABLED: AtomicU32 = AtomicU32::new(u32::MAX);

/// Writes each region at its number, clears every other one that the last
/// load left enabled, then enables the MPU. `regions` must have passed
/// [`check`]; a number the MPU lacks is never selected. Clearing only
/// those regions, instead of writing all the MPU has, halved the
/// instructions of a context switch (benches/context-switch.sh).
pub fn load(regions: &[MpuRegion]) {
    CTRL.write(0);
    let mut enabled = 0u32;
    for region in regions {
        let (rbar, second) = region.registers();
        RNR.write(u32::from(region.number()));
        RBAR.write(rbar);
        RASR_OR_RLAR.write(second);
        enabled |= 1u32.checked_shl(u32::from(region.number())).unwrap_or(0);
    }
    let implemented = match available_regions() {
        // Cortex-M implements at most 16; a larger count is clamped.
        n if n >= 32 => u32::MAX,
        n => (1 << n) - 1,
    };
    let mut stale = ENABLED.swap(enabled, Ordering::Relaxed) & !enabled & implemented;
    while stale != 0 {
        // RASR.ENABLE (ARMv7-M) or RLAR.EN (ARMv8-M) is bit 0: clearing the
        // second register disables the region.
        RNR.write(stale.trailing_zeros());
        RASR_OR_RLAR.write(0);
        stale &= stale - 1;
    }
    CTRL.write(CTRL_ENABLE | CTRL_PRIVDEFENA);
    // SAFETY: barriers only order the MPU writes before later accesses.
    unsafe { core::arch::asm!("dsb", "isb", options(nostack, preserves_flags)) };
}

/// A region's RBAR, the name of its second register and that register's
/// value, for the console.
pub fn register_values(region: &MpuRegion) -> (u32, &'static str, u32) {
    let (rbar, second) = region.registers();
    let name = if cfg!(armv8m) { "RLAR" } else { "RASR" };
    (rbar, name, second)
}
