//! PMSAv7 (ARMv7-M): each region is RBAR (base, aligned to its size) and
//! RASR (XN, AP, TEX/S/C/B, subregion disables, SIZE, ENABLE). Where regions
//! overlap the higher number wins. With the region selected through RNR,
//! RBAR's VALID bit stays clear and its REGION field is ignored.

use super::{RegionRegisters, TooManyRegions};

/// One region as mcu-build wrote it into `layout.rs`.
#[derive(Clone, Copy, Debug)]
pub struct MpuRegion {
    pub rbar: u32,
    pub rasr: u32,
}

impl RegionRegisters for MpuRegion {
    fn registers(&self) -> (u32, u32) {
        (self.rbar, self.rasr)
    }
}

/// Loads `regions` and enables the MPU.
pub fn enable(regions: &[MpuRegion]) -> Result<(), TooManyRegions> {
    super::load(regions)
}
