//! NuttX's ARMv7-M MPU code as arithmetic: what
//! `arch/arm/src/armv7-m/arm_mpu.c` writes to RBAR and RASR for a
//! `mpu_configure_region(base, size, flags)` call, and the `flags` of the
//! `mpu_user_*` macros of `arch/arm/src/armv7-m/mpu.h`.
//!
//! Every function follows its C namesake step by step, including where the
//! C code rounds outward (`mpu_subregion` disables only the subregions that
//! lie wholly outside `[base, base + size)`, so a partial subregion at
//! either end is granted whole) and where it leaves its own assumptions
//! (`mpu_modify_region` can compute a base that is not aligned to the size
//! it then programs; the hardware ignores the low bits). The registers this
//! module returns are therefore what NuttX writes, not what it meant, and
//! [`crate::mpu::verify`] decodes them as the hardware does.
//!
//! Sizes and addresses are `u64` so that the arithmetic of the 32-bit C
//! code (`size_t`, `uintptr_t`) cannot overflow here; a region at the top
//! of the address space is where the two could differ, and no protected
//! NuttX board puts one there.

use serde::Serialize;

use crate::mpu::armv7m::Registers;

/// `MPU_RBAR_VALID`: the RBAR write also selects the region.
const RBAR_VALID: u32 = 1 << 4;
/// `MPU_RBAR_ADDR_MASK`.
const RBAR_ADDR_MASK: u64 = 0xffff_ffe0;
/// `MPU_RASR_ENABLE`.
const RASR_ENABLE: u32 = 1;
/// `MPU_RASR_SRD_SHIFT`.
const RASR_SRD_SHIFT: u32 = 8;

/// `MPU_RASR_C`: cacheable.
const RASR_C: u32 = 1 << 17;
/// `MPU_RASR_S`: shareable.
const RASR_S: u32 = 1 << 18;
/// `MPU_RASR_TEX_SO`: TEX = 000 (with C and B, the memory type).
const RASR_TEX_SO: u32 = 0;
/// `MPU_RASR_AP_RWRW`: privileged and unprivileged read-write.
const RASR_AP_RWRW: u32 = 3 << 24;
/// `MPU_RASR_AP_RORO`: privileged and unprivileged read-only.
const RASR_AP_RORO: u32 = 6 << 24;

/// `g_ms_regionmask`: indexed by the number of subregions in use from the
/// start of the region, the subregions to disable at its end.
const MS_REGIONMASK: [u8; 9] = [0xff, 0xfe, 0xfc, 0xf8, 0xf0, 0xe0, 0xc0, 0x80, 0x00];
/// `g_ls_regionmask`: indexed by the number of unused subregions at the
/// start of the region, the subregions to disable there.
const LS_REGIONMASK: [u8; 9] = [0x00, 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

/// The `mpu.h` macro a region is configured with, which sets its RASR
/// attribute bits (`flags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Macro {
    /// `mpu_user_flash`: TEX=000 C=1 B=0 S=0, AP=RORO (P:RO U:RO), XN
    /// clear: user code, readable and executable.
    MpuUserFlash,
    /// `mpu_user_intsram`: TEX=000 C=1 B=0 S=1, AP=RWRW (P:RW U:RW), XN
    /// clear: user data, readable, writable and executable.
    MpuUserIntsram,
}

impl Macro {
    /// The RASR bits the macro passes as `flags`.
    pub fn flags(self) -> u32 {
        match self {
            Macro::MpuUserFlash => RASR_TEX_SO | RASR_C | RASR_AP_RORO,
            Macro::MpuUserIntsram => RASR_TEX_SO | RASR_C | RASR_S | RASR_AP_RWRW,
        }
    }

    /// The macro's name in `mpu.h`.
    pub fn name(self) -> &'static str {
        match self {
            Macro::MpuUserFlash => "mpu_user_flash",
            Macro::MpuUserIntsram => "mpu_user_intsram",
        }
    }
}

/// NuttX's arithmetic leaves the behaviour its C code defines.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArmMpuError {
    #[error(
        "{call}: mpu_subregion_ms would read g_ms_regionmask[{index}] of a 9-entry table \
         (size + offset {span:#x} exceeds the 2^{l2size}-byte region that \
         mpu_modify_region chose): NuttX's behaviour is undefined here"
    )]
    PastTable {
        call: String,
        index: u64,
        span: u64,
        l2size: u8,
    },
    #[error(
        "{call}: region {number} is past the 16 that RBAR.REGION can name \
         (mpu_allocregion DEBUGASSERTs below CONFIG_ARM_MPU_NREGIONS)"
    )]
    TooManyRegions { call: String, number: u32 },
}

/// `mpu_log2regionceil`: the smallest `l2size` from 5 (32 bytes, the
/// smallest region) to 32 with `size <= 1 << l2size`.
pub fn log2_region_ceil(size: u64) -> u8 {
    let mut l2size = 5;
    while l2size < 32 && size > 1u64 << l2size {
        l2size += 1;
    }
    l2size
}

/// `mpu_log2regionfloor`: the largest `l2size` with `size >= 1 << l2size`,
/// computed as the C code does from [`log2_region_ceil`] (so a size below
/// 32 gives 4).
pub fn log2_region_floor(size: u64) -> u8 {
    let l2size = log2_region_ceil(size);
    if l2size > 4 && size < 1u64 << l2size {
        l2size - 1
    } else {
        l2size
    }
}

/// `((1 << l2size) - 1) >> 3`: one subregion less one byte, the mask that
/// rounds to subregions (`0x1fffffff` for the 4 GiB region).
fn subregion_mask(l2size: u8) -> u64 {
    if l2size < 32 {
        ((1u64 << l2size) - 1) >> 3
    } else {
        0x1fff_ffff
    }
}

/// `mpu_subregion_ms`: the subregions to disable at the end of a
/// `2^l2size` region whose used bytes end at `size` (rounded up to a
/// subregion), or `None` when that rounds past the region (an index past
/// `g_ms_regionmask`).
pub fn subregion_ms(size: u64, l2size: u8) -> Option<u8> {
    let mask = subregion_mask(l2size);
    let asize = (size + mask) & !mask;
    let nsrs = asize >> (l2size - 3);
    MS_REGIONMASK.get(usize::try_from(nsrs).ok()?).copied()
}

/// `mpu_subregion_ls`: the subregions to disable at the start of a
/// `2^l2size` region whose used bytes start at `offset` (rounded down to a
/// subregion). `offset` is below the region size, so the index is at most 7.
pub fn subregion_ls(offset: u64, l2size: u8) -> u8 {
    let mask = subregion_mask(l2size);
    let aoffset = offset & !mask;
    let nsrs = (aoffset >> (l2size - 3)) as usize;
    LS_REGIONMASK[nsrs.min(8)]
}

/// `mpu_subregion`: the RASR.SRD bits for `[base, base + size)` in a region
/// of `2^l2size` bytes at `base` rounded down to that size; 0 below 256
/// bytes, where regions have no subregions.
pub fn subregion(base: u64, size: u64, l2size: u8) -> Option<u8> {
    if l2size < 8 {
        return Some(0);
    }
    let mask = if l2size < 32 {
        (1u64 << l2size) - 1
    } else {
        u64::from(u32::MAX)
    };
    let offset = base & mask;
    Some(subregion_ms(size + offset, l2size)? | subregion_ls(offset, l2size))
}

/// `mpu_modify_region(region, base, size, flags)`: the RBAR and RASR it
/// writes. `call` names the call in errors.
///
/// The base is rounded down to 32 bytes, the size of the region chosen for
/// the bytes from there, the base rounded down to that size, and the size
/// chosen again for the bytes from the new base, which can double it
/// without realigning the base (the C code DEBUGASSERTs against that).
pub fn modify_region(
    region: u32,
    base: u64,
    size: u64,
    flags: u32,
    call: &str,
) -> Result<Registers, ArmMpuError> {
    let mut aligned_base = base & RBAR_ADDR_MASK;
    let l2size = log2_region_ceil(size + base - aligned_base);
    aligned_base &= !((1u64 << l2size) - 1);
    let l2size = log2_region_ceil(size + base - aligned_base);
    let subregions = subregion(base, size, l2size).ok_or_else(|| {
        let mask = if l2size < 32 {
            (1u64 << l2size) - 1
        } else {
            u64::from(u32::MAX)
        };
        let span = size + (base & mask);
        let rounded = (span + subregion_mask(l2size)) & !subregion_mask(l2size);
        ArmMpuError::PastTable {
            call: call.to_owned(),
            index: rounded >> (l2size - 3),
            span,
            l2size,
        }
    })?;
    // RBAR's address field is bits 31..5; `aligned_base` is below 2^32.
    let rbar = (aligned_base as u32) | region | RBAR_VALID;
    let rasr = RASR_ENABLE
        | (u32::from(l2size) - 1) << 1
        | u32::from(subregions) << RASR_SRD_SHIFT
        | flags;
    Ok(Registers { rbar, rasr })
}

/// One `mpu_configure_region` call a chip's code makes, in call order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Call {
    /// What the region is for, e.g. `user text`.
    pub purpose: String,
    /// The C function that makes the call, e.g. `tiva_mpuinitialize`.
    pub caller: &'static str,
    #[serde(rename = "macro")]
    pub mpu_macro: Macro,
    /// The `base` argument.
    pub base: u64,
    /// The `size` argument, bytes.
    pub size: u64,
}

/// A region as NuttX programs it: the call and the registers it writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Programmed {
    /// The region number `mpu_allocregion` hands out.
    pub number: u32,
    pub call: Call,
    pub registers: Registers,
}

/// The regions `calls` program, numbered as `mpu_allocregion` numbers
/// them: the lowest free region, and nothing frees one during boot, so the
/// n-th call gets region n.
pub fn program(calls: &[Call]) -> Result<Vec<Programmed>, ArmMpuError> {
    calls
        .iter()
        .zip(0u32..)
        .map(|(call, number)| {
            let what = format!(
                "{}({:#010x}, {:#x}) for the {} in {}",
                call.mpu_macro.name(),
                call.base,
                call.size,
                call.purpose,
                call.caller
            );
            if number >= u32::from(crate::mpu::MAX_REGIONS) {
                return Err(ArmMpuError::TooManyRegions { call: what, number });
            }
            let registers =
                modify_region(number, call.base, call.size, call.mpu_macro.flags(), &what)?;
            Ok(Programmed {
                number,
                call: call.clone(),
                registers,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mpu::RegionNumber;
    use crate::mpu::verify::{RegionBudget, UserPartition, verify};
    use crate::mpu::{Access, Registers as AnyRegisters};

    /// The examples in the comments of `mpu_subregion_ms` (l2size = 12).
    #[test]
    fn subregion_ms_matches_the_comment_table() {
        assert_eq!(subregion_ms(0x1000, 12), Some(0x00));
        assert_eq!(subregion_ms(0x0c00, 12), Some(0xc0));
        assert_eq!(subregion_ms(0x0c40, 12), Some(0x80));
        assert_eq!(subregion_ms(0, 12), Some(0xff));
        assert_eq!(subregion_ms(0x1001, 12), None);
    }

    /// The examples in the comments of `mpu_subregion_ls` (l2size = 12).
    #[test]
    fn subregion_ls_matches_the_comment_table() {
        assert_eq!(subregion_ls(0x0000, 12), 0x00);
        assert_eq!(subregion_ls(0x0400, 12), 0x03);
        assert_eq!(subregion_ls(0x02c0, 12), 0x01);
    }

    #[test]
    fn log2_ceil_and_floor() {
        assert_eq!(log2_region_ceil(0), 5);
        assert_eq!(log2_region_ceil(32), 5);
        assert_eq!(log2_region_ceil(33), 6);
        assert_eq!(log2_region_ceil(0x6c4), 11);
        assert_eq!(log2_region_ceil(u64::from(u32::MAX)), 32);
        assert_eq!(log2_region_floor(0x893c), 15);
        assert_eq!(log2_region_floor(0x8000), 15);
        assert_eq!(log2_region_floor(31), 4);
    }

    /// The three regions of lm3s6965-ek:qemu-kostest, computed by hand from
    /// its header (text 0x00020030..0x0002ee6b, .data/.bss
    /// 0x20005000..0x200056c4) and heap (0x20008000, 32 KiB).
    #[test]
    fn lm3s6965_regions() {
        let flash = modify_region(0, 0x20030, 0xee3b, Macro::MpuUserFlash.flags(), "t").unwrap();
        assert_eq!((flash.rbar, flash.rasr), (0x0002_0010, 0x0602_001f));
        let data =
            modify_region(1, 0x2000_5000, 0x6c4, Macro::MpuUserIntsram.flags(), "d").unwrap();
        assert_eq!((data.rbar, data.rasr), (0x2000_5011, 0x0306_8015));
        let heap =
            modify_region(2, 0x2000_8000, 0x8000, Macro::MpuUserIntsram.flags(), "h").unwrap();
        assert_eq!((heap.rbar, heap.rasr), (0x2000_8012, 0x0306_001d));
    }

    /// The registers decode, through mcu-build's own decoder, to what the
    /// hand computation says NuttX grants: the data region reaches 60
    /// bytes past `us_bssend`, and is executable.
    #[test]
    fn lm3s6965_data_region_decodes_to_an_over_grant() {
        let data =
            modify_region(1, 0x2000_5000, 0x6c4, Macro::MpuUserIntsram.flags(), "d").unwrap();
        let number = RegionNumber::new(1).unwrap();
        let region = data.decode(number).unwrap().unwrap();
        assert_eq!(region.granted(), vec![0x2000_5000u64..0x2000_5700]);
        assert_eq!(region.unprivileged_access(), Access::ReadWriteExecute);
        let own = UserPartition {
            name: "user .data/.bss".into(),
            start: 0x2000_5000,
            end: 0x2000_56c4,
            access: Access::ReadWrite,
        };
        let budget = RegionBudget {
            hardware: 8,
            kernel_reserved: 0,
        };
        let report = verify(&[(number, AnyRegisters::Armv7m(data))], &[own], budget);
        assert_eq!(report.over_granted_bytes(), 0x6c4 + 60);
    }

    /// 0xc0 bytes at 0x20000180: the first size (256 bytes) rounds the
    /// base down to 0x20000100, the second doubles the size (512 bytes)
    /// without realigning the base, and the bytes then reach past the
    /// subregion table (index 9 of 9 entries).
    #[test]
    fn a_doubled_size_leaves_the_table() {
        let error = modify_region(0, 0x2000_0180, 0xc0, 0, "call").unwrap_err();
        assert_eq!(
            error,
            ArmMpuError::PastTable {
                call: "call".into(),
                index: 9,
                span: 0x240,
                l2size: 9
            }
        );
    }

    #[test]
    fn calls_get_regions_in_order() {
        let call = |base| Call {
            purpose: "user heap".into(),
            caller: "up_allocate_heap",
            mpu_macro: Macro::MpuUserIntsram,
            base,
            size: 0x100,
        };
        let calls: Vec<Call> = (0..17).map(|i| call(0x2000_0000 + i * 0x100)).collect();
        let programmed = program(&calls[..3]).unwrap();
        assert_eq!(
            programmed.iter().map(|p| p.number).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(programmed[2].registers.rbar, 0x2000_0212);
        let error = program(&calls).unwrap_err().to_string();
        assert!(error.contains("region 16 is past the 16"), "{error}");
    }
}
