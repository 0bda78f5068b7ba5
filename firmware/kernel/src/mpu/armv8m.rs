//! PMSAv8 (ARMv8-M): each region is RBAR (base with 32-byte granularity,
//! SH, AP, XN) and RLAR (inclusive limit with 32-byte granularity, AttrIndx,
//! EN). Memory attributes are not in the region but in MAIR0/MAIR1, which
//! AttrIndx selects; regions must not overlap. The kernel runs in Secure
//! state on the AN505, so these are the Secure MPU's registers.

use super::RegionRegisters;
use crate::layout::MPU_MAIR0;
use crate::register::Register;

/// MPU_MAIR0: attributes 0..=3, one byte each.
// SAFETY: the architected ARMv8-M MPU register.
const MAIR0: Register = unsafe { Register::at(0xE000_EDC0) };

/// One region as mcu-build wrote it into `layout.rs`.
#[derive(Clone, Copy, Debug)]
pub struct MpuRegion {
    /// The region number RNR selects.
    pub number: u8,
    pub rbar: u32,
    pub rlar: u32,
}

impl RegionRegisters for MpuRegion {
    fn number(&self) -> u8 {
        self.number
    }

    fn registers(&self) -> (u32, u32) {
        (self.rbar, self.rlar)
    }
}

/// Loads the attributes the regions' AttrIndx select (one MAIR0 for
/// every process: the table has one).
pub fn set_attributes() {
    MAIR0.write(MPU_MAIR0);
}
