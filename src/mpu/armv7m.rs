//! The ARMv7-M MPU (PMSAv7): power-of-two regions with subregions.
//!
//! # The hardware rule
//!
//! A region spans 2^n bytes, n = 5..=32, at a base aligned to its size. A
//! region of 256 bytes or more is cut into eight subregions of 2^(n-3)
//! bytes, and bit i of RASR.SRD disables subregion i; a disabled subregion
//! grants nothing and lets the access fall through to lower-numbered
//! regions. Regions of 32, 64 and 128 bytes have no subregions (SRD must be
//! zero). Where enabled regions overlap, the highest-numbered one decides.
//!
//! ```text
//! RBAR  [31:5] ADDR  [4] VALID  [3:0] REGION
//! RASR  [28] XN  [26:24] AP  [21:19] TEX  [18] S  [17] C  [16] B
//!       [15:8] SRD  [5:1] SIZE (region = 2^(SIZE+1) bytes)  [0] ENABLE
//! ```
//!
//! # Exact covers
//!
//! The user partitions must be granted exactly, so a partition is covered by
//! a *set* of regions whose enabled subregions together are the partition:
//! `[0x08020000, 0x08100000)` is one 1 MiB region at 0x08000000 with
//! subregion 0 disabled; `[0x00030000, 0x00050000)` is one 512 KiB region at
//! 0 with only subregions 3 and 4 enabled. Other systems pad (Tock, Zephyr),
//! split without subregions (Hubris), or round subregions outward (NuttX,
//! which then grants kernel memory to user code).
//!
//! [`cover`] finds the fewest regions. Without loss of generality every
//! region of a cover enables all subregions that lie inside the range (more
//! enabled subregions never hurt a cover), so each candidate region grants an
//! interval, and covering an interval with the fewest intervals is solved
//! exactly by the greedy sweep: at the lowest uncovered address take, among
//! the candidate regions that contain it, the one reaching furthest.
//!
//! # One step of the sweep in closed form
//!
//! At each address `at` there is one candidate per size 2^k (the aligned
//! block containing `at`). Rather than probing all 28 sizes, the step solves
//! for the best size with a few bit operations, because both what a block
//! may grant and how far it reaches are monotone in k:
//!
//! - A block may be used when it grants `at` and nothing below `start`: the
//!   block's *grain* (the block itself below 256 bytes, a subregion from 256
//!   bytes) must have a boundary in `[start, at]`. The most aligned address in
//!   `[start, at]` has `t` trailing zeros, with `t` the top bit where
//!   `start - 1` and `at` differ, so exactly the sizes k <= t (no
//!   subregions) and k - 3 <= t (subregions) qualify.
//! - A block ends at `(at | (2^k - 1)) + 1`, which grows with k and stays
//!   within `end` exactly while `at >> k != end >> k`, i.e. for k below the
//!   bit length of `at ^ end`. Of those, the largest usable block reaches
//!   furthest.
//! - A larger block crosses `end` and reaches only to `end` rounded down to
//!   its subregion size, which shrinks with k: only the smallest such block
//!   with subregions can do better.
//!
//! So a step is a constant number of operations, and a cover costs one step
//! per region.

use std::ops::Range;

use serde::Serialize;

use super::{
    ADDRESS_SPACE_END, Access, Arch, CoverError, GRANULE, MemoryKind, RegionNumber, Suggestion,
    align_down, align_up, is_coverable, serialize_hex32,
};

/// log2 of the smallest region, 32 bytes.
pub const MIN_SIZE_LOG2: u8 = 5;
/// log2 of the largest region, the whole 4 GiB address space.
pub const MAX_SIZE_LOG2: u8 = 32;
/// log2 of the smallest region that has subregions, 256 bytes.
pub const MIN_SUBREGION_REGION_LOG2: u8 = 8;
/// Subregions per region.
pub const SUBREGIONS: u32 = 8;

/// Which addresses a region spans: a naturally aligned power of two, less
/// its disabled subregions. Valid by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Block {
    #[serde(serialize_with = "serialize_hex32")]
    base: u32,
    size_log2: u8,
    /// RASR.SRD: bit i set disables subregion i.
    disabled_subregions: u8,
}

/// Why a base, size and subregion mask are not a region.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error("region size 2^{0} is outside 32 bytes (2^5) to 4 GiB (2^32)")]
    Size(u8),
    #[error("base {base:#010x} is not aligned to the region size {size:#x}")]
    MisalignedBase { base: u32, size: u64 },
    #[error(
        "a {size}-byte region has no subregions, but SRD is {srd:#04x} \
         (it must be 0 below 256 bytes)"
    )]
    SubregionsTooSmall { size: u64, srd: u8 },
}

impl Block {
    pub fn new(base: u32, size_log2: u8, disabled_subregions: u8) -> Result<Block, BlockError> {
        if !(MIN_SIZE_LOG2..=MAX_SIZE_LOG2).contains(&size_log2) {
            return Err(BlockError::Size(size_log2));
        }
        let size = 1u64 << size_log2;
        if u64::from(base) % size != 0 {
            return Err(BlockError::MisalignedBase { base, size });
        }
        if size_log2 < MIN_SUBREGION_REGION_LOG2 && disabled_subregions != 0 {
            return Err(BlockError::SubregionsTooSmall {
                size,
                srd: disabled_subregions,
            });
        }
        Ok(Block {
            base,
            size_log2,
            disabled_subregions,
        })
    }

    pub fn base(&self) -> u32 {
        self.base
    }

    pub fn size_log2(&self) -> u8 {
        self.size_log2
    }

    pub fn size(&self) -> u64 {
        1 << self.size_log2
    }

    pub fn disabled_subregions(&self) -> u8 {
        self.disabled_subregions
    }

    /// Whether the block is cut into subregions (256 bytes or more).
    pub fn has_subregions(&self) -> bool {
        self.size_log2 >= MIN_SUBREGION_REGION_LOG2
    }

    /// The size of one subregion; the whole block when it has none.
    pub fn subregion_size(&self) -> u64 {
        if self.has_subregions() {
            self.size() / u64::from(SUBREGIONS)
        } else {
            self.size()
        }
    }

    /// The address ranges the block grants, adjacent enabled subregions
    /// merged into one range.
    pub fn granted(&self) -> Vec<Range<u64>> {
        let base = u64::from(self.base);
        if !self.has_subregions() {
            return std::iter::once(base..base + self.size()).collect();
        }
        let sub = self.subregion_size();
        let mut runs: Vec<Range<u64>> = Vec::new();
        for i in 0..SUBREGIONS {
            if self.disabled_subregions & (1 << i) != 0 {
                continue;
            }
            let start = base + u64::from(i) * sub;
            match runs.last_mut() {
                Some(last) if last.end == start => last.end += sub,
                _ => runs.push(start..start + sub),
            }
        }
        runs
    }

    /// The number of bytes the block grants.
    pub fn granted_bytes(&self) -> u64 {
        if self.has_subregions() {
            u64::from(self.disabled_subregions.count_zeros()) * self.subregion_size()
        } else {
            self.size()
        }
    }
}

/// RASR.AP: what privileged and unprivileged code may do. `0b100` is
/// reserved; `0b111` reads back as [`ReadOnly`](Self::ReadOnly).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessPermissions {
    /// `0b000`: no access for anyone.
    NoAccess = 0b000,
    /// `0b001`: privileged read-write, unprivileged none.
    PrivilegedReadWrite = 0b001,
    /// `0b010`: privileged read-write, unprivileged read-only.
    PrivilegedReadWriteUnprivilegedRead = 0b010,
    /// `0b011`: read-write for both.
    ReadWrite = 0b011,
    /// `0b101`: privileged read-only, unprivileged none.
    PrivilegedRead = 0b101,
    /// `0b110`: read-only for both.
    ReadOnly = 0b110,
}

impl AccessPermissions {
    fn from_field(ap: u8) -> Option<AccessPermissions> {
        use AccessPermissions::*;
        Some(match ap {
            0b000 => NoAccess,
            0b001 => PrivilegedReadWrite,
            0b010 => PrivilegedReadWriteUnprivilegedRead,
            0b011 => ReadWrite,
            0b101 => PrivilegedRead,
            0b110 | 0b111 => ReadOnly,
            _ => return None,
        })
    }

    /// (read, write) for unprivileged code.
    fn unprivileged(self) -> (bool, bool) {
        use AccessPermissions::*;
        match self {
            NoAccess | PrivilegedReadWrite | PrivilegedRead => (false, false),
            PrivilegedReadWriteUnprivilegedRead | ReadOnly => (true, false),
            ReadWrite => (true, true),
        }
    }
}

/// RASR.TEX, S, C and B: the memory type and cache policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Attributes {
    pub tex: u8,
    pub shareable: bool,
    pub cacheable: bool,
    pub bufferable: bool,
}

impl Attributes {
    /// Flash is Normal memory, write-through, no write-allocate (TEX=000
    /// C=1 B=0): the cache may hold it, and nothing writes it. RAM is
    /// Normal, write-back, write-allocate (TEX=001 C=1 B=1), the fastest
    /// policy for a single core. Neither is shareable: on a Cortex-M7 the
    /// S bit would make the data cache treat the memory as uncached.
    pub fn for_memory(memory: MemoryKind) -> Attributes {
        match memory {
            MemoryKind::Flash => Attributes {
                tex: 0b000,
                shareable: false,
                cacheable: true,
                bufferable: false,
            },
            MemoryKind::Ram => Attributes {
                tex: 0b001,
                shareable: false,
                cacheable: true,
                bufferable: true,
            },
        }
    }

    fn field(self) -> u32 {
        u32::from(self.tex & 0b111) << 19
            | u32::from(self.shareable) << 18
            | u32::from(self.cacheable) << 17
            | u32::from(self.bufferable) << 16
    }

    fn from_rasr(rasr: u32) -> Attributes {
        Attributes {
            tex: ((rasr >> 19) & 0b111) as u8,
            shareable: rasr & (1 << 18) != 0,
            cacheable: rasr & (1 << 17) != 0,
            bufferable: rasr & (1 << 16) != 0,
        }
    }
}

/// One enabled region: the addresses, the permissions and the attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Region {
    #[serde(flatten)]
    block: Block,
    permissions: AccessPermissions,
    execute_never: bool,
    attributes: Attributes,
}

impl Region {
    pub fn new(
        block: Block,
        permissions: AccessPermissions,
        execute_never: bool,
        attributes: Attributes,
    ) -> Region {
        Region {
            block,
            permissions,
            execute_never,
            attributes,
        }
    }

    /// A region that gives unprivileged code the access a user partition in
    /// `memory` must have (flash RX, RAM RW and XN). Privileged code gets the
    /// same; the kernel reaches every address anyway through the default map.
    pub fn user(block: Block, memory: MemoryKind) -> Region {
        let (permissions, execute_never) = match memory.user_access() {
            Access::None => (AccessPermissions::PrivilegedReadWrite, true),
            Access::Read => (AccessPermissions::ReadOnly, true),
            Access::ReadExecute => (AccessPermissions::ReadOnly, false),
            Access::ReadWrite => (AccessPermissions::ReadWrite, true),
            Access::ReadWriteExecute => (AccessPermissions::ReadWrite, false),
        };
        Region::new(
            block,
            permissions,
            execute_never,
            Attributes::for_memory(memory),
        )
    }

    pub fn block(&self) -> &Block {
        &self.block
    }

    pub fn permissions(&self) -> AccessPermissions {
        self.permissions
    }

    pub fn execute_never(&self) -> bool {
        self.execute_never
    }

    pub fn attributes(&self) -> Attributes {
        self.attributes
    }

    pub fn granted(&self) -> Vec<Range<u64>> {
        self.block.granted()
    }

    /// What the region lets unprivileged code do: AP for read and write;
    /// instruction fetch needs read permission and XN clear.
    pub fn unprivileged_access(&self) -> Access {
        let (read, write) = self.permissions.unprivileged();
        Access::from_parts(read, write, read && !self.execute_never)
    }

    /// The RBAR and RASR values that program this region as `number`. RBAR
    /// has VALID set, so writing it selects the region without a separate
    /// RNR write (and the RBAR/RASR alias registers can program four
    /// regions with one block store).
    pub fn encode(&self, number: RegionNumber) -> Registers {
        let block = &self.block;
        let rbar = block.base | RBAR_VALID | u32::from(number.get());
        let rasr = u32::from(self.execute_never) << 28
            | (self.permissions as u32) << 24
            | self.attributes.field()
            | u32::from(block.disabled_subregions) << 8
            | u32::from(block.size_log2 - 1) << 1
            | RASR_ENABLE;
        Registers { rbar, rasr }
    }
}

const RBAR_VALID: u32 = 1 << 4;
const RASR_ENABLE: u32 = 1;

/// The two registers of one region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Registers {
    #[serde(serialize_with = "serialize_hex32")]
    pub rbar: u32,
    #[serde(serialize_with = "serialize_hex32")]
    pub rasr: u32,
}

/// Register values that do not describe a region the hardware would apply
/// as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("RASR.SIZE is {0}: the smallest legal value is 4 (32 bytes)")]
    SizeField(u8),
    #[error(
        "RBAR base {base:#010x} is not aligned to the region size {size:#x}: \
         the MPU ignores the low address bits and the region really starts at {actual:#010x}"
    )]
    MisalignedBase { base: u32, size: u64, actual: u32 },
    #[error(
        "RASR.SRD is {srd:#04x} on a {size}-byte region: regions below 256 bytes \
         have no subregions and SRD must be 0"
    )]
    SubregionsTooSmall { size: u64, srd: u8 },
    #[error("RASR.AP is 0b100, a reserved encoding")]
    ReservedAccessPermissions,
    #[error("RBAR selects region {selected} (VALID set) but is programmed as region {number}")]
    NumberMismatch { selected: u8, number: u8 },
}

impl Registers {
    /// The region these values program as region `number`, or `None` when
    /// RASR.ENABLE is clear (the region grants nothing).
    pub fn decode(&self, number: RegionNumber) -> Result<Option<Region>, DecodeError> {
        if self.rbar & RBAR_VALID != 0 && (self.rbar & 0xF) as u8 != number.get() {
            return Err(DecodeError::NumberMismatch {
                selected: (self.rbar & 0xF) as u8,
                number: number.get(),
            });
        }
        if self.rasr & RASR_ENABLE == 0 {
            return Ok(None);
        }
        let size_field = ((self.rasr >> 1) & 0x1F) as u8;
        if size_field < MIN_SIZE_LOG2 - 1 {
            return Err(DecodeError::SizeField(size_field));
        }
        let size_log2 = size_field + 1;
        let base = self.rbar & !0x1F;
        let srd = ((self.rasr >> 8) & 0xFF) as u8;
        let block = Block::new(base, size_log2, srd).map_err(|e| match e {
            BlockError::MisalignedBase { base, size } => DecodeError::MisalignedBase {
                base,
                size,
                actual: align_down(u64::from(base), size) as u32,
            },
            BlockError::SubregionsTooSmall { size, srd } => {
                DecodeError::SubregionsTooSmall { size, srd }
            }
            // SIZE is five bits and at least 4, so 2^(SIZE+1) is 2^5..=2^32.
            BlockError::Size(field) => DecodeError::SizeField(field - 1),
        })?;
        let permissions = AccessPermissions::from_field(((self.rasr >> 24) & 0b111) as u8)
            .ok_or(DecodeError::ReservedAccessPermissions)?;
        Ok(Some(Region::new(
            block,
            permissions,
            self.rasr & (1 << 28) != 0,
            Attributes::from_rasr(self.rasr),
        )))
    }
}

/// The fewest blocks whose enabled subregions together are exactly `range`,
/// at most `max_regions` of them. Blocks do not overlap where the range
/// allows it; where they do, they grant the same bytes twice, which is
/// harmless because every block of a cover carries the same permissions.
pub fn cover(range: Range<u64>, max_regions: usize) -> Result<Vec<Block>, CoverError> {
    if !is_coverable(&range) {
        return Err(cover_error(range, max_regions, None));
    }
    // One sweep to the end both builds the cover and, when it is too long,
    // counts the regions the error reports: the sweep has no memory beyond
    // the address it reached, so it would only repeat the first steps.
    let mut blocks = Vec::with_capacity(max_regions.min(MOST_REGIONS_PER_COVER));
    let walk = walk(range.start, range.end, usize::MAX, |block| {
        if blocks.len() < max_regions {
            blocks.push(block);
        }
    });
    if walk.regions <= max_regions {
        Ok(blocks)
    } else {
        Err(cover_error(range, max_regions, Some(walk.regions)))
    }
}

/// The most regions a cover of a range of the 32-bit address space needs,
/// as far as we know: the sweep rises through the alignments from `start`
/// and descends through them to `end`, and a region with subregions climbs
/// or descends three of the 27 bits above 32 bytes at once, so about nine
/// regions each way (the random-range test checks 18). It only sizes the
/// first allocation of [`cover`], so that a cover allocates once; a longer
/// cover would still be right, merely reallocated.
const MOST_REGIONS_PER_COVER: usize = 18;

/// The number of regions [`cover`] needs for `range`, or `None` when the
/// range does not start and end on 32-byte boundaries.
pub fn regions_needed(range: Range<u64>) -> Option<usize> {
    is_coverable(&range).then(|| walk(range.start, range.end, usize::MAX, |_| {}).regions)
}

fn cover_error(range: Range<u64>, max_regions: usize, needed: Option<usize>) -> CoverError {
    CoverError {
        arch: Arch::Armv7m,
        start: range.start,
        end: range.end,
        max_regions,
        needed,
    }
}

/// Where a greedy sweep stopped.
struct Walk {
    regions: usize,
    reached: u64,
}

/// Sweeps `[start, end)` (32-byte aligned) with at most `limit` regions,
/// handing each chosen block to `emit`.
fn walk(start: u64, end: u64, limit: usize, mut emit: impl FnMut(Block)) -> Walk {
    let mut at = start;
    let mut regions = 0;
    while at < end && regions < limit {
        let (block, reach) = furthest_block_at(at, start, end);
        emit(block);
        regions += 1;
        at = reach;
    }
    Walk {
        regions,
        reached: at,
    }
}

/// The number of significant bits of `x`: the smallest k with `x >> k == 0`.
fn bit_length(x: u64) -> u8 {
    (u64::BITS - x.leading_zeros()) as u8
}

/// Among the blocks that contain `at` and grant nothing outside
/// `[start, end)`, the one whose granted interval reaches furthest, with that
/// end; the smallest such block on a tie. Subregions wholly below `at`
/// (already covered) are disabled too, to avoid needless overlap.
///
/// `at`, `start` and `end` are 32-byte aligned with `start <= at < end`, so
/// the 32-byte block at `at` always qualifies. The module docs derive the
/// closed form; sizes are log2 bytes, `k` in 5..=32.
fn furthest_block_at(at: u64, start: u64, end: u64) -> (Block, u64) {
    // The largest t such that a multiple of 2^t lies in [start, at]: at
    // least 5, and 63 when start is 0 (a multiple of everything).
    let t = bit_length(start.wrapping_sub(1) ^ at) - 1;
    // Whether the block of 2^k bytes at `at` grants nothing below `start`:
    // its grain, the block below 256 bytes and a subregion from 256 bytes,
    // must have a boundary in [start, at]. Monotone in k on either side of
    // 256 bytes.
    let usable = |k: u8| {
        if k < MIN_SUBREGION_REGION_LOG2 {
            k <= t
        } else {
            k - 3 <= t
        }
    };
    // Blocks of 2^k bytes with k < crossing end at or before `end`.
    let crossing = bit_length(at ^ end);

    // Inside `end`, a block reaches to its own end, which grows with k: take
    // the largest usable size. With t >= 5 the 256-byte block is always
    // usable, so it is one with subregions whenever 256 bytes fit.
    let inside = (crossing - 1).min(MAX_SIZE_LOG2);
    let largest = if inside >= MIN_SUBREGION_REGION_LOG2 {
        inside.min(t + 3)
    } else {
        inside.min(t).min(MIN_SUBREGION_REGION_LOG2 - 1)
    };
    let mut reach = (at | ((1 << largest) - 1)) + 1;
    // Smaller blocks end at the same address while the bits of `at` between
    // them are all ones; the smallest usable of those is the answer on a tie
    // (below 256 bytes it may be unusable while 256 bytes, the largest or
    // below it, is).
    let same_end = bit_length(!at & ((1 << largest) - 1)).max(MIN_SIZE_LOG2);
    let mut size_log2 = if usable(same_end) {
        same_end
    } else {
        MIN_SUBREGION_REGION_LOG2
    };

    // Across `end`, a block reaches only to `end` rounded down to its
    // subregions, which shrinks with k: only the smallest block with
    // subregions that crosses can do better.
    let across = crossing.max(MIN_SUBREGION_REGION_LOG2);
    if across <= MAX_SIZE_LOG2 && usable(across) {
        let across_reach = align_down(end, 1 << (across - 3));
        if across_reach > reach {
            size_log2 = across;
            reach = across_reach;
        }
    }

    let base = align_down(at, 1 << size_log2);
    let disabled_subregions = if size_log2 < MIN_SUBREGION_REGION_LOG2 {
        0
    } else {
        // Enabled: from the subregion holding `at` up to `reach`.
        let sub_log2 = size_log2 - 3;
        let from = (at - base) >> sub_log2;
        let to = (reach - base) >> sub_log2;
        !(((1u32 << to) - (1u32 << from)) as u8)
    };
    let block = Block {
        base: base as u32,
        size_log2,
        disabled_subregions,
    };
    (block, reach)
}

/// Alignments tried for the bounds of suggested ranges: every region size.
fn alignments() -> impl DoubleEndedIterator<Item = u64> + Clone {
    (MIN_SIZE_LOG2..=MAX_SIZE_LOG2).map(|log2| 1u64 << log2)
}

/// The largest range inside `range` that `max_regions` regions cover
/// exactly (the lowest on a tie), or `None` if no non-empty one is.
///
/// For a given start the greedy sweep reaches as far as any cover can, so
/// only the start is searched: `range.start` rounded up to each region size.
pub fn largest_inside(range: Range<u64>, max_regions: usize) -> Option<Suggestion> {
    let start = align_up(range.start, GRANULE);
    let end = align_down(range.end.min(ADDRESS_SPACE_END), GRANULE);
    let mut best: Option<Suggestion> = None;
    for alignment in alignments() {
        let from = align_up(start, alignment);
        if from >= end {
            break;
        }
        let walk = walk(from, end, max_regions, |_| {});
        let longer = best
            .as_ref()
            .is_none_or(|b| walk.reached - from > b.end - b.start);
        if walk.reached > from && longer {
            best = Some(Suggestion {
                start: from,
                end: walk.reached,
                regions: walk.regions,
            });
        }
    }
    best
}

/// The smallest range around `range` that `max_regions` regions cover
/// exactly (the one needing fewer regions on a tie), or `None` if there is
/// none. Both bounds are searched over the region-size alignments.
pub fn smallest_around(range: Range<u64>, max_regions: usize) -> Option<Suggestion> {
    if range.start > range.end || range.end > ADDRESS_SPACE_END {
        return None;
    }
    let mut best: Option<Suggestion> = None;
    for start_alignment in alignments() {
        let start = align_down(range.start, start_alignment);
        for end_alignment in alignments() {
            let end = align_up(range.end, end_alignment);
            if end > ADDRESS_SPACE_END {
                break;
            }
            if best.as_ref().is_some_and(|b| end - start > b.end - b.start) {
                continue;
            }
            let walk = walk(start, end, max_regions, |_| {});
            let better = best
                .as_ref()
                .is_none_or(|b| (end - start, walk.regions) < (b.end - b.start, b.regions));
            if walk.reached == end && better {
                best = Some(Suggestion {
                    start,
                    end,
                    regions: walk.regions,
                });
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(n: u8) -> RegionNumber {
        RegionNumber::new(n).unwrap()
    }

    #[test]
    fn one_region_with_subregion_zero_disabled_covers_896k_of_flash() {
        let blocks = cover(0x0802_0000..0x0810_0000, 1).unwrap();
        assert_eq!(blocks, [Block::new(0x0800_0000, 20, 0b0000_0001).unwrap()]);
    }

    #[test]
    fn nuttx_misaligned_case_is_one_aligned_region() {
        // NuttX computes a 128 KiB region at RBAR 0x00030000 for this range;
        // the right answer is 512 KiB at 0 with subregions 3 and 4 enabled.
        let blocks = cover(0x0003_0000..0x0005_0000, 8).unwrap();
        assert_eq!(blocks, [Block::new(0, 19, !0b0001_1000).unwrap()]);
    }

    #[test]
    fn encodes_the_reference_manual_fields() {
        let block = Block::new(0x0800_0000, 20, 0x01).unwrap();
        let regs = Region::user(block, MemoryKind::Flash).encode(number(3));
        assert_eq!(regs.rbar, 0x0800_0013);
        // AP=110, TEX=000 C=1, SRD=0x01, SIZE=19, ENABLE.
        assert_eq!(regs.rasr, 0x0602_0000 | 0x01 << 8 | 19 << 1 | 1);
        let sram = Region::user(Block::new(0x2000_0000, 16, 0).unwrap(), MemoryKind::Ram);
        let regs = sram.encode(number(0));
        assert_eq!(
            regs.rasr,
            1 << 28 | 0b011 << 24 | 0b001 << 19 | 0b11 << 16 | 15 << 1 | 1
        );
    }

    #[test]
    fn decode_rejects_what_the_hardware_would_not_apply_as_written() {
        let misaligned = Registers {
            rbar: 0x0003_0000 | RBAR_VALID,
            rasr: 16 << 1 | 1,
        };
        assert_eq!(
            misaligned.decode(number(0)),
            Err(DecodeError::MisalignedBase {
                base: 0x0003_0000,
                size: 0x2_0000,
                actual: 0x0002_0000
            })
        );
        let small_srd = Registers {
            rbar: 0,
            rasr: 0x01 << 8 | 6 << 1 | 1,
        };
        assert!(matches!(
            small_srd.decode(number(0)),
            Err(DecodeError::SubregionsTooSmall { size: 128, .. })
        ));
        let tiny = Registers {
            rbar: 0,
            rasr: 3 << 1 | 1,
        };
        assert_eq!(tiny.decode(number(0)), Err(DecodeError::SizeField(3)));
        let reserved_ap = Registers {
            rbar: 0,
            rasr: 0b100 << 24 | 4 << 1 | 1,
        };
        assert_eq!(
            reserved_ap.decode(number(0)),
            Err(DecodeError::ReservedAccessPermissions)
        );
        let wrong_slot = Registers {
            rbar: RBAR_VALID | 2,
            rasr: 4 << 1 | 1,
        };
        assert!(matches!(
            wrong_slot.decode(number(1)),
            Err(DecodeError::NumberMismatch {
                selected: 2,
                number: 1
            })
        ));
        let disabled = Registers { rbar: 0, rasr: 0 };
        assert_eq!(disabled.decode(number(0)), Ok(None));
    }

    #[test]
    fn whole_address_space_is_one_4g_region() {
        let blocks = cover(0..ADDRESS_SPACE_END, 1).unwrap();
        assert_eq!(blocks, [Block::new(0, 32, 0).unwrap()]);
        let regs = Region::user(blocks[0], MemoryKind::Ram).encode(number(0));
        assert_eq!((regs.rasr >> 1) & 0x1F, 31);
        let back = regs.decode(number(0)).unwrap().unwrap();
        assert_eq!(back.granted().first(), Some(&(0..ADDRESS_SPACE_END)));
        assert_eq!(back.block().granted_bytes(), ADDRESS_SPACE_END);
    }

    #[test]
    fn errors_name_the_nearest_coverable_ranges() {
        let err = cover(0x2000_0020..0x2002_0000, 1).unwrap_err();
        assert_eq!(
            err.needed,
            Some(regions_needed(0x2000_0020..0x2002_0000).unwrap())
        );
        let nearest = err.nearest();
        let inside = nearest.inside.unwrap();
        assert_eq!(
            (inside.start, inside.end, inside.regions),
            (0x2000_4000, 0x2002_0000, 1)
        );
        let around = nearest.around.unwrap();
        assert_eq!(
            (around.start, around.end, around.regions),
            (0x2000_0000, 0x2002_0000, 1)
        );
        let message = cover(0x2000_0001..0x2000_0100, 4).unwrap_err().to_string();
        assert!(message.contains("32-byte boundaries"), "{message}");
    }
}
