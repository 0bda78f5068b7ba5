//! The Memory Protection Unit: what unprivileged code may touch.
//!
//! In a protected build the kernel runs privileged with the default memory
//! map (PRIVDEFENA), and the user blob runs unprivileged: it may touch only
//! addresses that an enabled MPU region grants it. The regions are therefore
//! the whole of the isolation, and they must grant *exactly* the user
//! partitions: a byte too few and the user faults, a byte too many and the
//! user can read or write the kernel.
//!
//! The two MPU generations express address ranges differently:
//!
//! - **ARMv7-M (PMSAv7)**, [`armv7m`]: a region is a naturally aligned power
//!   of two (32 bytes to 4 GiB); regions of 256 bytes or more are cut into
//!   eight equal subregions, each of which can be disabled. Regions may
//!   overlap; the higher-numbered region wins.
//! - **ARMv8-M (PMSAv8)**, [`armv8m`]: a region is any 32-byte aligned
//!   base..limit range, attributes come from MAIR through an index, and
//!   regions must not overlap (an access that hits two regions faults).
//!
//! Each architecture module encodes regions to the register values the
//! kernel writes, decodes register values back to the bytes they grant, and
//! finds the fewest regions that grant a range exactly. [`verify`] then
//! proves, from decoded register values alone, that a region list grants
//! unprivileged code exactly the user partitions.

pub mod armv7m;
pub mod armv8m;
pub mod baseline;
pub mod verify;

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::image::format_range;

/// The smallest region and the granularity of every MPU boundary, on both
/// architectures.
pub const GRANULE: u64 = 32;

/// One past the highest address of the 32-bit address space.
pub const ADDRESS_SPACE_END: u64 = 1 << 32;

/// What unprivileged code may do with a byte.
///
/// Both MPU generations make execution depend on read permission and have no
/// write-only encoding, so only these five combinations exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// No access: a fault.
    None,
    /// Read, no write, no execute.
    #[serde(rename = "r")]
    Read,
    /// Read and execute: code and constants in flash.
    #[serde(rename = "rx")]
    ReadExecute,
    /// Read and write, never execute: data, bss, heap and stacks in SRAM.
    #[serde(rename = "rw")]
    ReadWrite,
    /// Read, write and execute.
    #[serde(rename = "rwx")]
    ReadWriteExecute,
}

impl Access {
    pub fn from_parts(read: bool, write: bool, execute: bool) -> Access {
        match (read, write, execute) {
            (false, _, _) => Access::None,
            (true, false, false) => Access::Read,
            (true, false, true) => Access::ReadExecute,
            (true, true, false) => Access::ReadWrite,
            (true, true, true) => Access::ReadWriteExecute,
        }
    }

    pub fn read(self) -> bool {
        self != Access::None
    }

    pub fn write(self) -> bool {
        matches!(self, Access::ReadWrite | Access::ReadWriteExecute)
    }

    pub fn execute(self) -> bool {
        matches!(self, Access::ReadExecute | Access::ReadWriteExecute)
    }
}

impl fmt::Display for Access {
    /// The `rwx` notation of `ls` and `readelf`, e.g. `r-x`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = |on, c| if on { c } else { '-' };
        write!(
            f,
            "{}{}{}",
            flag(self.read(), 'r'),
            flag(self.write(), 'w'),
            flag(self.execute(), 'x')
        )
    }
}

/// The two kinds of memory a partition can live in. The kind decides the
/// cache attributes of its MPU regions and the access a user partition in it
/// is meant to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum MemoryKind {
    /// Non-volatile, executable memory: code and read-only data.
    Flash,
    /// Volatile read-write memory: data, bss, heaps, stacks.
    Ram,
}

impl MemoryKind {
    /// What a user partition in this memory must grant: code in flash is
    /// read and executed, never written; data in RAM is read and written,
    /// never executed (so that a buffer overflow cannot become code).
    pub fn user_access(self) -> Access {
        match self {
            MemoryKind::Flash => Access::ReadExecute,
            MemoryKind::Ram => Access::ReadWrite,
        }
    }
}

impl fmt::Display for MemoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemoryKind::Flash => "flash",
            MemoryKind::Ram => "ram",
        })
    }
}

/// The MPU architecture of a core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Arch {
    /// PMSAv7: Cortex-M0+/M3/M4/M7, power-of-two regions with subregions.
    Armv7m,
    /// PMSAv8: Cortex-M23/M33/M55/M85, 32-byte granular base/limit regions.
    Armv8m,
}

impl Arch {
    /// The fewest regions that grant unprivileged code exactly `range`, with
    /// the attributes and access of a user partition in `memory`.
    pub fn cover(
        self,
        range: Range<u64>,
        max_regions: usize,
        memory: MemoryKind,
    ) -> Result<Vec<Region>, CoverError> {
        Ok(match self {
            Arch::Armv7m => armv7m::cover(range, max_regions)?
                .into_iter()
                .map(|block| Region::Armv7m(armv7m::Region::user(block, memory)))
                .collect(),
            Arch::Armv8m => armv8m::cover(range, max_regions)?
                .into_iter()
                .map(|span| Region::Armv8m(armv8m::Region::user(span, memory)))
                .collect(),
        })
    }

    /// The largest range inside `range` that `max_regions` regions grant
    /// exactly, or `None` if no non-empty one is.
    pub fn largest_inside(self, range: Range<u64>, max_regions: usize) -> Option<Suggestion> {
        match self {
            Arch::Armv7m => armv7m::largest_inside(range, max_regions),
            Arch::Armv8m => armv8m::largest_inside(range, max_regions),
        }
    }

    /// The smallest range around `range` that `max_regions` regions grant
    /// exactly, or `None` if there is none.
    pub fn smallest_around(self, range: Range<u64>, max_regions: usize) -> Option<Suggestion> {
        match self {
            Arch::Armv7m => armv7m::smallest_around(range, max_regions),
            Arch::Armv8m => armv8m::smallest_around(range, max_regions),
        }
    }

    /// How many regions the exact cover of `range` needs, or `None` when
    /// no number of regions covers it exactly (a bound not on 32 bytes).
    pub fn regions_needed(self, range: Range<u64>) -> Option<usize> {
        match self {
            Arch::Armv7m => armv7m::regions_needed(range),
            Arch::Armv8m => armv8m::regions_needed(range),
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Arch::Armv7m => "armv7m",
            Arch::Armv8m => "armv8m",
        })
    }
}

/// A region of either architecture, as the plan and the verifier see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Region {
    Armv7m(armv7m::Region),
    Armv8m(armv8m::Region),
}

impl Region {
    /// The address ranges the region grants, in order, adjacent runs merged.
    pub fn granted(&self) -> Vec<Range<u64>> {
        match self {
            Region::Armv7m(region) => region.granted(),
            Region::Armv8m(region) => std::iter::once(region.range()).collect(),
        }
    }

    /// What the region lets unprivileged code do.
    pub fn unprivileged_access(&self) -> Access {
        match self {
            Region::Armv7m(region) => region.unprivileged_access(),
            Region::Armv8m(region) => region.unprivileged_access(),
        }
    }

    /// The register values that program this region as region `number`.
    pub fn registers(&self, number: RegionNumber) -> Registers {
        match self {
            Region::Armv7m(region) => Registers::Armv7m(region.encode(number)),
            Region::Armv8m(region) => Registers::Armv8m(region.encode()),
        }
    }
}

/// The most MPU regions a part can have for mcu-build: ARMv7-M's RBAR.REGION
/// field is four bits wide, and the largest parts of both generations
/// (Cortex-M7, Cortex-M33/M55 configurations) have 16.
pub const MAX_REGIONS: u8 = 16;

/// The number of a region, below [`MAX_REGIONS`]. A higher number wins where
/// ARMv7-M regions overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RegionNumber(u8);

impl RegionNumber {
    pub const fn new(number: u8) -> Option<RegionNumber> {
        if number < MAX_REGIONS {
            Some(RegionNumber(number))
        } else {
            None
        }
    }

    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for RegionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The register values of one region, as the kernel writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Registers {
    Armv7m(armv7m::Registers),
    Armv8m(armv8m::Registers),
}

impl fmt::Display for Registers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Registers::Armv7m(r) => write!(f, "RBAR={:#010x} RASR={:#010x}", r.rbar, r.rasr),
            Registers::Armv8m(r) => write!(f, "RBAR={:#010x} RLAR={:#010x}", r.rbar, r.rlar),
        }
    }
}

/// A range that can be covered exactly, and with how many regions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub start: u64,
    pub end: u64,
    pub regions: usize,
}

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.regions == 1 { "" } else { "s" };
        write!(
            f,
            "{} with {} region{plural}",
            format_range(&(self.start..self.end)),
            self.regions
        )
    }
}

/// A range that no allowed number of regions grants exactly.
///
/// [`nearest`](Self::nearest) names the closest ranges that can be granted;
/// it searches, so it runs only when the error is shown, not whenever a
/// planner probes a range that does not fit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", describe_cover_error(self))]
pub struct CoverError {
    pub arch: Arch,
    pub start: u64,
    pub end: u64,
    pub max_regions: usize,
    /// The regions an exact cover needs; `None` when the bounds are not on
    /// 32-byte boundaries of the 32-bit address space, which no region set
    /// can match.
    pub needed: Option<usize>,
}

/// The ranges nearest to one that cannot be covered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Nearest {
    /// The largest range inside the request that the allowed regions cover.
    pub inside: Option<Suggestion>,
    /// The smallest range around the request that the allowed regions cover.
    pub around: Option<Suggestion>,
}

impl CoverError {
    pub fn nearest(&self) -> Nearest {
        let range = self.start..self.end;
        Nearest {
            inside: self.arch.largest_inside(range.clone(), self.max_regions),
            around: self.arch.smallest_around(range, self.max_regions),
        }
    }
}

fn describe_cover_error(e: &CoverError) -> String {
    if e.start > e.end {
        return format!(
            "{:#x}..{:#x} is not a range: it ends before it starts",
            e.start, e.end
        );
    }
    let range = format_range(&(e.start..e.end));
    let mut text = match e.needed {
        Some(needed) => format!(
            "{range} needs {needed} {} MPU regions for an exact cover, more than the {} allowed",
            e.arch, e.max_regions
        ),
        None if e.end > ADDRESS_SPACE_END => {
            format!("{range} is not a range of the 32-bit address space")
        }
        None => format!("{range} does not start and end on {GRANULE}-byte boundaries"),
    };
    let nearest = e.nearest();
    match &nearest.inside {
        Some(s) => text += &format!("; nearest inside: {s}"),
        None => text += "; no non-empty range inside it can be covered",
    }
    match &nearest.around {
        Some(s) => text += &format!("; nearest around: {s}"),
        None => text += "; no range around it can be covered",
    }
    text
}

/// Serialises a register value as `"0x08000010"`: the JSON form is read by
/// people and by code generators, and hexadecimal is how both compare it
/// with a reference manual.
pub(crate) fn serialize_hex32<S: serde::Serializer>(value: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{value:#010x}"))
}

pub(crate) const fn align_down(value: u64, alignment: u64) -> u64 {
    value & !(alignment - 1)
}

pub(crate) const fn align_up(value: u64, alignment: u64) -> u64 {
    align_down(value + alignment - 1, alignment)
}

/// Whether some region set can grant exactly `range`: both bounds on 32-byte
/// boundaries, within the 32-bit address space. On both architectures every
/// such range has an exact cover; only the number of regions differs.
fn is_coverable(range: &Range<u64>) -> bool {
    range.start <= range.end
        && range.end <= ADDRESS_SPACE_END
        && range.start.is_multiple_of(GRANULE)
        && range.end.is_multiple_of(GRANULE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_notation_and_parts_agree() {
        for access in [
            Access::None,
            Access::Read,
            Access::ReadExecute,
            Access::ReadWrite,
            Access::ReadWriteExecute,
        ] {
            assert_eq!(
                Access::from_parts(access.read(), access.write(), access.execute()),
                access
            );
        }
        assert_eq!(Access::ReadExecute.to_string(), "r-x");
        assert_eq!(Access::ReadWrite.to_string(), "rw-");
        assert_eq!(Access::None.to_string(), "---");
    }

    #[test]
    fn alignment_helpers() {
        assert_eq!(align_up(0x21, 32), 0x40);
        assert_eq!(align_up(0x40, 32), 0x40);
        assert_eq!(align_down(0x5f, 32), 0x40);
    }
}
