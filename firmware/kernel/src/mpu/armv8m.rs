//! PMSAv8 (ARMv8-M): each region is RBAR (base with 32-byte granularity,
//! SH, AP, XN) and RLAR (inclusive limit with 32-byte granularity, AttrIndx,
//! EN). Memory attributes are not in the region but in MAIR0/MAIR1, which
//! AttrIndx selects; regions must not overlap. The kernel runs in Secure
//! state on the AN505, so these are the Secure MPU's registers.

use super::{RegionRegisters, TooManyRegions};
use crate::layout::MPU_MAIR0;
use crate::register::Register;

/// MPU_MAIR0: attributes 0..=3, one byte each.
// SAFETY: the architected ARMv8-M MPU register.
const MAIR0: Register = unsafe { Register::at(0xE000_EDC0) };

/// One region as mcu-build wrote it into `layout.rs`.
#[derive(Clone, Copy, Debug)]
pub struct MpuRegion {
    pub rbar: u32,
    pub rlar: u32,
}

impl RegionRegisters for MpuRegion {
    fn registers(&self) -> (u32, u32) {
        (self.rbar, self.rlar)
    }
}

/// Loads the attributes and `regions`, and enables the MPU.
pub fn enable(regions: &[MpuRegion]) -> Result<(), TooManyRegions> {
    MAIR0.write(MPU_MAIR0);
    super::load(regions)
}
