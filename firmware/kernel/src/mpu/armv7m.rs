//! PMSAv7 (ARMv7-M): each region is RBAR (base, aligned to its size) and
//! RASR (XN, AP, TEX/S/C/B, subregion disables, SIZE, ENABLE). Where regions
//! overlap the higher number wins. With the region selected through RNR,
//! RBAR's VALID bit stays clear and its REGION field is ignored.

use super::RegionRegisters;

/// One region as mcu-build wrote it into `layout.rs`.
#[derive(Clone, Copy, Debug)]
pub struct MpuRegion {
    /// The region number RNR selects.
    pub number: u8,
    pub rbar: u32,
    pub rasr: u32,
}

impl RegionRegisters for MpuRegion {
    fn number(&self) -> u8 {
        self.number
    }

    fn registers(&self) -> (u32, u32) {
        (self.rbar, self.rasr)
    }
}

/// PMSAv7 keeps the memory attributes in each RASR: nothing to set once.
pub fn set_attributes() {}
