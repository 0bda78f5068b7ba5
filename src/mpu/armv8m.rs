//! The ARMv8-M MPU (PMSAv8): 32-byte granular base/limit regions.
//!
//! # The hardware rule
//!
//! A region is `[BASE, LIMIT + 32)` with both bounds on 32-byte boundaries:
//! no power-of-two sizes, no alignment beyond 32 bytes, no subregions. The
//! memory type is not in the region but in one of eight MAIR attribute
//! bytes, selected by RLAR.AttrIndx. Regions must not overlap: an access
//! that hits two enabled regions is a MemManage fault, whatever their
//! permissions, so a region list with overlaps is an error, not a priority
//! order as on ARMv7-M.
//!
//! ```text
//! RBAR  [31:5] BASE   [4:3] SH  [2:1] AP  [0] XN
//! RLAR  [31:5] LIMIT  [3:1] AttrIndx      [0] EN
//! AP    00 privileged RW   01 RW   10 privileged RO   11 RO
//! ```
//!
//! Every 32-byte aligned range is therefore one region, and [`cover`] is
//! exact with a single region for any non-empty aligned range.

use std::ops::Range;

use serde::Serialize;

use super::{
    ADDRESS_SPACE_END, Access, Arch, CoverError, GRANULE, MemoryKind, RegionNumber, Suggestion,
    align_down, align_up, is_coverable, serialize_hex32,
};

/// The MAIR0 value the kernel programs so that [`Region::user`]'s attribute
/// indices mean what they say: Attr0 = `0xAA` (Normal, write-through,
/// read-allocate: flash), Attr1 = `0xFF` (Normal, write-back, read- and
/// write-allocate: RAM).
pub const MAIR0: u32 = 0x0000_FFAA;

/// The MAIR attribute index for a memory kind, matching [`MAIR0`].
pub fn attribute_index(memory: MemoryKind) -> u8 {
    match memory {
        MemoryKind::Flash => 0,
        MemoryKind::Ram => 1,
    }
}

/// A non-empty, 32-byte aligned address range: what one region spans.
/// Valid by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    #[serde(serialize_with = "serialize_hex32")]
    base: u32,
    /// The address of the last 32-byte granule, as RLAR.LIMIT holds it.
    #[serde(serialize_with = "serialize_hex32")]
    limit: u32,
}

impl Span {
    /// The span of `range`, or `None` if it is empty, not 32-byte aligned or
    /// beyond the 32-bit address space.
    pub fn new(range: Range<u64>) -> Option<Span> {
        if range.is_empty() || !is_coverable(&range) {
            return None;
        }
        Some(Span {
            base: range.start as u32,
            limit: (range.end - GRANULE) as u32,
        })
    }

    pub fn range(&self) -> Range<u64> {
        u64::from(self.base)..u64::from(self.limit) + GRANULE
    }
}

/// RBAR.AP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessPermissions {
    /// `0b00`: privileged read-write, unprivileged none.
    PrivilegedReadWrite = 0b00,
    /// `0b01`: read-write for both.
    ReadWrite = 0b01,
    /// `0b10`: privileged read-only, unprivileged none.
    PrivilegedRead = 0b10,
    /// `0b11`: read-only for both.
    ReadOnly = 0b11,
}

impl AccessPermissions {
    fn from_field(ap: u32) -> AccessPermissions {
        match ap & 0b11 {
            0b00 => AccessPermissions::PrivilegedReadWrite,
            0b01 => AccessPermissions::ReadWrite,
            0b10 => AccessPermissions::PrivilegedRead,
            _ => AccessPermissions::ReadOnly,
        }
    }
}

/// RBAR.SH: shareability for Normal memory. `0b01` is reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shareability {
    NonShareable = 0b00,
    OuterShareable = 0b10,
    InnerShareable = 0b11,
}

/// One enabled region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Region {
    #[serde(flatten)]
    span: Span,
    permissions: AccessPermissions,
    execute_never: bool,
    shareability: Shareability,
    attribute_index: u8,
}

impl Region {
    /// A region that gives unprivileged code the access a user partition in
    /// `memory` must have (flash RX, RAM RW and XN), non-shareable, with the
    /// MAIR index of [`attribute_index`].
    pub fn user(span: Span, memory: MemoryKind) -> Region {
        let (permissions, execute_never) = match memory.user_access() {
            Access::None => (AccessPermissions::PrivilegedReadWrite, true),
            Access::Read => (AccessPermissions::ReadOnly, true),
            Access::ReadExecute => (AccessPermissions::ReadOnly, false),
            Access::ReadWrite => (AccessPermissions::ReadWrite, true),
            Access::ReadWriteExecute => (AccessPermissions::ReadWrite, false),
        };
        Region {
            span,
            permissions,
            execute_never,
            shareability: Shareability::NonShareable,
            attribute_index: attribute_index(memory),
        }
    }

    pub fn range(&self) -> Range<u64> {
        self.span.range()
    }

    pub fn permissions(&self) -> AccessPermissions {
        self.permissions
    }

    pub fn execute_never(&self) -> bool {
        self.execute_never
    }

    pub fn attribute_index(&self) -> u8 {
        self.attribute_index
    }

    /// What the region lets unprivileged code do.
    pub fn unprivileged_access(&self) -> Access {
        let (read, write) = match self.permissions {
            AccessPermissions::PrivilegedReadWrite | AccessPermissions::PrivilegedRead => {
                (false, false)
            }
            AccessPermissions::ReadWrite => (true, true),
            AccessPermissions::ReadOnly => (true, false),
        };
        Access::from_parts(read, write, read && !self.execute_never)
    }

    /// The RBAR and RLAR values; the region number goes to RNR.
    pub fn encode(&self) -> Registers {
        Registers {
            rbar: self.span.base
                | (self.shareability as u32) << 3
                | (self.permissions as u32) << 1
                | u32::from(self.execute_never),
            rlar: self.span.limit | u32::from(self.attribute_index & 0b111) << 1 | RLAR_ENABLE,
        }
    }
}

const RLAR_ENABLE: u32 = 1;

/// The two registers of one region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Registers {
    #[serde(serialize_with = "serialize_hex32")]
    pub rbar: u32,
    #[serde(serialize_with = "serialize_hex32")]
    pub rlar: u32,
}

/// Register values that do not describe a usable region.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("RLAR.LIMIT {limit:#010x} is below RBAR.BASE {base:#010x}: the region matches nothing")]
    LimitBelowBase { base: u32, limit: u32 },
    #[error("RBAR.SH is 0b01, a reserved encoding")]
    ReservedShareability,
}

impl Registers {
    /// The region these values program, or `None` when RLAR.EN is clear.
    pub fn decode(&self) -> Result<Option<Region>, DecodeError> {
        if self.rlar & RLAR_ENABLE == 0 {
            return Ok(None);
        }
        let base = self.rbar & !0x1F;
        let limit = self.rlar & !0x1F;
        if limit < base {
            return Err(DecodeError::LimitBelowBase { base, limit });
        }
        let shareability = match (self.rbar >> 3) & 0b11 {
            0b00 => Shareability::NonShareable,
            0b10 => Shareability::OuterShareable,
            0b11 => Shareability::InnerShareable,
            _ => return Err(DecodeError::ReservedShareability),
        };
        Ok(Some(Region {
            span: Span { base, limit },
            permissions: AccessPermissions::from_field(self.rbar >> 1),
            execute_never: self.rbar & 1 != 0,
            shareability,
            attribute_index: ((self.rlar >> 1) & 0b111) as u8,
        }))
    }
}

/// The exact cover of `range`: one region, none for an empty range.
pub fn cover(range: Range<u64>, max_regions: usize) -> Result<Vec<Span>, CoverError> {
    let needed = regions_needed(range.clone());
    match needed {
        Some(n) if n <= max_regions => Ok(Span::new(range).into_iter().collect()),
        _ => Err(CoverError {
            arch: Arch::Armv8m,
            start: range.start,
            end: range.end,
            max_regions,
            needed,
        }),
    }
}

/// The largest range inside `range` that one region covers: its bounds
/// rounded inward to 32 bytes.
pub fn largest_inside(range: Range<u64>, max_regions: usize) -> Option<Suggestion> {
    let end = range.end.min(ADDRESS_SPACE_END);
    suggestion(
        align_up(range.start, GRANULE)..align_down(end, GRANULE),
        max_regions,
    )
}

/// The smallest range around `range` that one region covers: its bounds
/// rounded outward to 32 bytes.
pub fn smallest_around(range: Range<u64>, max_regions: usize) -> Option<Suggestion> {
    suggestion(
        align_down(range.start, GRANULE)..align_up(range.end, GRANULE),
        max_regions,
    )
}

/// 0 regions for an empty aligned range, 1 for any other aligned range,
/// `None` if the bounds are not on 32-byte boundaries.
pub fn regions_needed(range: Range<u64>) -> Option<usize> {
    is_coverable(&range).then_some(usize::from(!range.is_empty()))
}

fn suggestion(range: Range<u64>, max_regions: usize) -> Option<Suggestion> {
    if range.start >= range.end {
        return None;
    }
    let regions = regions_needed(range.clone()).filter(|&n| n <= max_regions)?;
    Some(Suggestion {
        start: range.start,
        end: range.end,
        regions,
    })
}

/// Two enabled regions that share addresses: every access there faults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overlap {
    pub regions: (RegionNumber, RegionNumber),
    pub start: u64,
    pub end: u64,
}

/// Every pair of regions that overlap, in region order.
pub fn overlaps(regions: &[(RegionNumber, Region)]) -> Vec<Overlap> {
    let mut found = Vec::new();
    for (i, (a_number, a)) in regions.iter().enumerate() {
        for (b_number, b) in &regions[i + 1..] {
            let start = a.range().start.max(b.range().start);
            let end = a.range().end.min(b.range().end);
            if start < end {
                found.push(Overlap {
                    regions: (*a_number, *b_number),
                    start,
                    end,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_aligned_range_is_one_region_and_decodes_back() {
        let span = cover(0x3800_0020..0x3801_2340, 1).unwrap()[0];
        let region = Region::user(span, MemoryKind::Ram);
        let regs = region.encode();
        assert_eq!(regs.rbar, 0x3800_0020 | 0b01 << 1 | 1);
        assert_eq!(regs.rlar, 0x3801_2320 | 1 << 1 | 1);
        let back = regs.decode().unwrap().unwrap();
        assert_eq!(back, region);
        assert_eq!(back.range(), 0x3800_0020..0x3801_2340);
        assert_eq!(back.unprivileged_access(), Access::ReadWrite);
        let flash = Region::user(
            cover(0x1000_0000..0x1004_0000, 1).unwrap()[0],
            MemoryKind::Flash,
        );
        assert_eq!(flash.unprivileged_access(), Access::ReadExecute);
    }

    #[test]
    fn unaligned_or_over_budget_ranges_name_the_aligned_neighbours() {
        let err = cover(0x1000_0010..0x1000_0100, 1).unwrap_err();
        assert_eq!(err.needed, None);
        let nearest = err.nearest();
        assert_eq!(
            nearest.inside.map(|s| (s.start, s.end)),
            Some((0x1000_0020, 0x1000_0100))
        );
        assert_eq!(
            nearest.around.map(|s| (s.start, s.end)),
            Some((0x1000_0000, 0x1000_0100))
        );
        let err = cover(0x1000_0000..0x1000_0100, 0).unwrap_err();
        assert_eq!(err.needed, Some(1));
        assert_eq!(cover(0x100..0x100, 0), Ok(vec![]));
    }

    #[test]
    fn overlapping_regions_are_found() {
        let region = |r: Range<u64>| Region::user(Span::new(r).unwrap(), MemoryKind::Ram);
        let n = |n| RegionNumber::new(n).unwrap();
        let list = [
            (n(0), region(0x100..0x200)),
            (n(1), region(0x1e0..0x300)),
            (n(2), region(0x300..0x400)),
        ];
        assert_eq!(
            overlaps(&list),
            [Overlap {
                regions: (n(0), n(1)),
                start: 0x1e0,
                end: 0x200
            }]
        );
    }

    #[test]
    fn decode_rejects_inverted_and_reserved_values() {
        let inverted = Registers {
            rbar: 0x200,
            rlar: 0x100 | 1,
        };
        assert!(matches!(
            inverted.decode(),
            Err(DecodeError::LimitBelowBase { .. })
        ));
        let reserved = Registers {
            rbar: 0b01 << 3,
            rlar: 0x100 | 1,
        };
        assert_eq!(reserved.decode(), Err(DecodeError::ReservedShareability));
        assert_eq!(Registers { rbar: 0, rlar: 0 }.decode(), Ok(None));
    }
}
