//! The sparse memory image and the file formats that load and store it.
//!
//! An [`Image`] is what a flash programmer or a debugger sees: ordered,
//! non-overlapping runs of bytes at 32-bit addresses, plus an optional start
//! address (the reset entry a debugger jumps to). Every format mcu-build reads
//! (Intel HEX, ELF, raw binary) loads into an `Image`, every operation
//! (merge, diff, slice, fill) works on `Image`s, and every writer stores one.

pub mod bin;
pub mod diff;
pub mod elf;
pub mod file;
pub mod ihex;
pub mod merge;
pub mod select;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::Serialize;

/// One past the highest address of the 32-bit address space.
pub const ADDRESS_SPACE_END: u64 = 1 << 32;

/// Where execution starts, in the two forms Intel HEX can express.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "form", rename_all = "kebab-case")]
pub enum StartAddress {
    /// A 32-bit linear address (HEX record 05, the ELF entry point).
    Linear { address: u32 },
    /// An 8086 `CS:IP` pair (HEX record 03); it addresses `CS * 16 + IP`.
    Segment { cs: u16, ip: u16 },
}

impl StartAddress {
    /// The address execution starts at.
    pub fn address(self) -> u32 {
        match self {
            StartAddress::Linear { address } => address,
            StartAddress::Segment { cs, ip } => (u32::from(cs) << 4) + u32::from(ip),
        }
    }
}

impl fmt::Display for StartAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StartAddress::Linear { address } => write!(f, "{address:#010x}"),
            StartAddress::Segment { cs, ip } => {
                write!(f, "{:#010x} ({cs:04X}:{ip:04X})", self.address())
            }
        }
    }
}

/// What to do where new bytes land on addresses that already hold data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OverlapPolicy {
    /// Overlapping bytes must be identical; differing bytes are an error.
    #[default]
    Identical,
    /// Any overlap is an error, even of identical bytes.
    Error,
    /// Keep the bytes that were there first.
    First,
    /// The new bytes replace the old ones.
    Last,
}

/// New data overlapped existing data in a way the policy forbids.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct Overlap {
    /// The overlapping address range (the whole overlap, not just the differing part).
    pub range: Range<u64>,
    /// The first address whose bytes differ, if any differ.
    pub first_difference: Option<Difference>,
}

/// The first differing byte of an overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Difference {
    pub address: u32,
    pub existing: u8,
    pub new: u8,
}

impl Overlap {
    fn describe(&self) -> String {
        let range = format_range(&self.range);
        match self.first_difference {
            Some(d) => format!(
                "data overlaps at {range} with different bytes: first difference at {:#010x} ({:#04x} vs {:#04x})",
                d.address, d.existing, d.new
            ),
            None => format!("data overlaps at {range}"),
        }
    }
}

/// Formats a half-open range as `0x08000000..0x08000100 (256 bytes)`.
pub fn format_range(range: &Range<u64>) -> String {
    format!(
        "{:#010x}..{:#010x} ({} bytes)",
        range.start,
        range.end,
        range.end - range.start
    )
}

/// A contiguous run of bytes at an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    pub address: u32,
    pub data: &'a [u8],
}

impl Segment<'_> {
    /// One past the last address, as u64 so that a segment may end at 2^32.
    pub fn end(&self) -> u64 {
        u64::from(self.address) + self.data.len() as u64
    }

    pub fn range(&self) -> Range<u64> {
        u64::from(self.address)..self.end()
    }
}

/// A sparse memory image: non-overlapping, non-adjacent segments in address
/// order (adjacent data is coalesced into one segment) and a start address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    segments: BTreeMap<u32, Vec<u8>>,
    start: Option<StartAddress>,
}

impl Image {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn start_address(&self) -> Option<StartAddress> {
        self.start
    }

    pub fn set_start_address(&mut self, start: Option<StartAddress>) {
        self.start = start;
    }

    /// The segments in address order.
    pub fn segments(&self) -> impl DoubleEndedIterator<Item = Segment<'_>> + ExactSizeIterator {
        self.segments.iter().map(|(&address, data)| Segment {
            address,
            data: data.as_slice(),
        })
    }

    /// The address ranges that hold data, in order.
    pub fn ranges(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        self.segments().map(|s| s.range())
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The number of bytes of data (gaps not counted).
    pub fn total_size(&self) -> u64 {
        self.segments.values().map(|d| d.len() as u64).sum()
    }

    /// From the lowest to one past the highest address with data.
    pub fn extent(&self) -> Option<Range<u64>> {
        let first = self.segments().next()?;
        let last = self.segments().next_back()?;
        Some(u64::from(first.address)..last.end())
    }

    /// CRC-32 (IEEE, as zlib and `crc32`) of the data bytes in address order,
    /// gaps skipped. Equal to the CRC of a BIN file when there are no gaps.
    pub fn crc32(&self) -> u32 {
        let mut hasher = crc32fast::Hasher::new();
        for data in self.segments.values() {
            hasher.update(data);
        }
        hasher.finalize()
    }

    /// The segment holding `address`, if any.
    pub fn segment_at(&self, address: u32) -> Option<Segment<'_>> {
        let (&start, data) = self.segments.range(..=address).next_back()?;
        let segment = Segment {
            address: start,
            data: data.as_slice(),
        };
        (u64::from(address) < segment.end()).then_some(segment)
    }

    /// The byte at `address`, if the image holds one.
    pub fn byte_at(&self, address: u32) -> Option<u8> {
        let segment = self.segment_at(address)?;
        Some(segment.data[(address - segment.address) as usize])
    }

    /// Inserts `data` at `address`, resolving overlaps by `policy`. On error
    /// the image is unchanged.
    pub fn insert(
        &mut self,
        address: u32,
        data: &[u8],
        policy: OverlapPolicy,
    ) -> Result<(), InsertError> {
        self.insert_vec(address, data.to_vec(), policy)
    }

    /// [`Image::insert`] that takes ownership of the bytes, so that data
    /// landing apart from existing segments is moved rather than copied.
    pub fn insert_vec(
        &mut self,
        address: u32,
        data: Vec<u8>,
        policy: OverlapPolicy,
    ) -> Result<(), InsertError> {
        let touching = self.prepare_insert(address, &data, policy)?;
        self.place(address, data, &touching, policy);
        Ok(())
    }

    /// Checks that `data` fits the address space and that its overlaps obey
    /// `policy`; returns the segments it touches (overlaps or is adjacent to).
    fn prepare_insert(
        &self,
        address: u32,
        data: &[u8],
        policy: OverlapPolicy,
    ) -> Result<Vec<u32>, InsertError> {
        let start = u64::from(address);
        let end = start + data.len() as u64;
        if end > ADDRESS_SPACE_END {
            return Err(InsertError::BeyondAddressSpace(start..end));
        }
        if data.is_empty() {
            return Ok(Vec::new());
        }
        let touching = self.touching(start.saturating_sub(1)..end + 1);
        self.check_overlaps(&touching, address, data, policy)?;
        Ok(touching)
    }

    /// Moves `data` in as a segment of its own when it touches nothing,
    /// otherwise splices it into its neighbours.
    fn place(&mut self, address: u32, data: Vec<u8>, touching: &[u32], policy: OverlapPolicy) {
        match (data.is_empty(), touching.is_empty()) {
            (true, _) => {}
            (false, true) => {
                self.segments.insert(address, data);
            }
            (false, false) => self.splice(address, &data, touching, policy),
        }
    }

    /// Puts `data` at `address`, coalescing it with the `touching` segments
    /// (overlapping or adjacent, highest first); overlaps must already have
    /// been checked against `policy`.
    fn splice(&mut self, address: u32, data: &[u8], touching: &[u32], policy: OverlapPolicy) {
        let end = u64::from(address) + data.len() as u64;
        // Fast path: appending right after one existing segment (how files load).
        if let [only] = touching[..] {
            let seg = self.segments.get_mut(&only).expect("key just listed");
            if u64::from(only) + seg.len() as u64 == u64::from(address) {
                seg.extend_from_slice(data);
                return;
            }
        }
        let merged_start = touching.last().map_or(address, |&a| a.min(address));
        let merged_end = touching
            .iter()
            .map(|a| u64::from(*a) + self.segments[a].len() as u64)
            .fold(end, u64::max);
        let mut merged = vec![0u8; (merged_end - u64::from(merged_start)) as usize];
        let new_at = (address - merged_start) as usize;
        // The side that wins is copied last.
        if policy != OverlapPolicy::First {
            self.move_into(&mut merged, merged_start, touching);
        }
        merged[new_at..new_at + data.len()].copy_from_slice(data);
        if policy == OverlapPolicy::First {
            self.move_into(&mut merged, merged_start, touching);
        }
        self.segments.insert(merged_start, merged);
    }

    /// Removes the `keys` segments and copies them into `buffer`, which starts at `base`.
    fn move_into(&mut self, buffer: &mut [u8], base: u32, keys: &[u32]) {
        for a in keys {
            let old = self.segments.remove(a).expect("key just listed");
            let at = (a - base) as usize;
            buffer[at..at + old.len()].copy_from_slice(&old);
        }
    }

    fn check_overlaps(
        &self,
        touching: &[u32],
        address: u32,
        data: &[u8],
        policy: OverlapPolicy,
    ) -> Result<(), Overlap> {
        if matches!(policy, OverlapPolicy::First | OverlapPolicy::Last) {
            return Ok(());
        }
        let start = u64::from(address);
        let end = start + data.len() as u64;
        // Walk in address order so that the reported difference is the first.
        for a in touching.iter().rev() {
            let old = &self.segments[a];
            let lo = start.max(u64::from(*a));
            let hi = end.min(u64::from(*a) + old.len() as u64);
            if lo >= hi {
                continue; // merely adjacent
            }
            let old_bytes = &old[(lo - u64::from(*a)) as usize..(hi - u64::from(*a)) as usize];
            let new_bytes = &data[(lo - start) as usize..(hi - start) as usize];
            let first_difference = old_bytes
                .iter()
                .zip(new_bytes)
                .position(|(o, n)| o != n)
                .map(|i| Difference {
                    address: (lo + i as u64) as u32,
                    existing: old_bytes[i],
                    new: new_bytes[i],
                });
            if policy == OverlapPolicy::Error || first_difference.is_some() {
                return Err(Overlap {
                    range: lo..hi,
                    first_difference,
                });
            }
        }
        Ok(())
    }

    /// Moves every segment of `other` in under `policy`. The start address
    /// of `self` is kept. On error `self` is unchanged.
    pub fn merge(&mut self, other: Image, policy: OverlapPolicy) -> Result<(), Overlap> {
        // Check everything first so that a failure leaves `self` untouched.
        for seg in other.segments() {
            self.check_overlaps(&self.touching(seg.range()), seg.address, seg.data, policy)?;
        }
        for (address, data) in other.segments {
            let start = u64::from(address);
            let end = start + data.len() as u64;
            let touching = self.touching(start.saturating_sub(1)..end + 1);
            self.place(address, data, &touching, policy);
        }
        Ok(())
    }

    /// Start addresses of the segments that share at least one address with
    /// `range`, highest first.
    fn touching(&self, range: Range<u64>) -> Vec<u32> {
        if range.is_empty() {
            return Vec::new();
        }
        let last = (range.end - 1).min(u64::from(u32::MAX)) as u32;
        self.segments
            .range(..=last)
            .rev()
            .take_while(|(a, d)| u64::from(**a) + d.len() as u64 > range.start)
            .map(|(a, _)| *a)
            .collect()
    }

    /// A copy of the data within `range`, start address kept.
    pub fn slice(&self, range: Range<u64>) -> Image {
        let mut out = Image {
            segments: BTreeMap::new(),
            start: self.start,
        };
        for seg in self.segments() {
            let lo = seg.range().start.max(range.start);
            let hi = seg.end().min(range.end);
            if lo < hi {
                let from = (lo - u64::from(seg.address)) as usize;
                let to = (hi - u64::from(seg.address)) as usize;
                out.segments.insert(lo as u32, seg.data[from..to].to_vec());
            }
        }
        out
    }

    /// The gaps between segments, in order.
    pub fn gaps(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        self.segments()
            .zip(self.segments().skip(1))
            .map(|(a, b)| a.end()..u64::from(b.address))
    }

    /// Fills every gap between the first and the last segment with `fill`,
    /// leaving one segment.
    pub fn fill_gaps(&mut self, fill: u8) {
        let Some(extent) = self.extent() else { return };
        let mut flat = vec![fill; (extent.end - extent.start) as usize];
        for (address, data) in std::mem::take(&mut self.segments) {
            let at = (u64::from(address) - extent.start) as usize;
            flat[at..at + data.len()].copy_from_slice(&data);
        }
        self.segments.insert(extent.start as u32, flat);
    }
}

/// Inserting data into an image failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InsertError {
    #[error(transparent)]
    Overlap(#[from] Overlap),
    #[error("data at {} runs past the end of the 32-bit address space", format_range(.0))]
    BeyondAddressSpace(Range<u64>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(parts: &[(u32, &[u8])]) -> Image {
        let mut image = Image::new();
        for (address, data) in parts {
            image.insert(*address, data, OverlapPolicy::Error).unwrap();
        }
        image
    }

    fn layout(image: &Image) -> Vec<(u32, Vec<u8>)> {
        image
            .segments()
            .map(|s| (s.address, s.data.to_vec()))
            .collect()
    }

    #[test]
    fn adjacent_and_bridging_inserts_coalesce_into_one_segment() {
        let mut img = image(&[(0x10, &[1, 2]), (0x14, &[5])]);
        assert_eq!(img.segments().len(), 2);
        img.insert(0x12, &[3, 4], OverlapPolicy::Error).unwrap();
        assert_eq!(layout(&img), vec![(0x10, vec![1, 2, 3, 4, 5])]);
        img.insert(0x0E, &[9, 9], OverlapPolicy::Error).unwrap();
        assert_eq!(layout(&img), vec![(0x0E, vec![9, 9, 1, 2, 3, 4, 5])]);
    }

    #[test]
    fn identical_policy_accepts_equal_bytes_and_names_the_first_difference() {
        let mut img = image(&[(0x100, &[1, 2, 3, 4])]);
        img.insert(0x102, &[3, 4, 5], OverlapPolicy::Identical)
            .unwrap();
        assert_eq!(layout(&img), vec![(0x100, vec![1, 2, 3, 4, 5])]);

        let before = img.clone();
        let err = img
            .insert(0x0FF, &[0, 1, 2, 7, 4], OverlapPolicy::Identical)
            .unwrap_err();
        assert_eq!(
            err,
            InsertError::Overlap(Overlap {
                range: 0x100..0x104,
                first_difference: Some(Difference {
                    address: 0x102,
                    existing: 3,
                    new: 7
                }),
            })
        );
        assert_eq!(img, before, "a failed insert leaves the image unchanged");
    }

    #[test]
    fn error_policy_rejects_even_identical_overlap_but_not_adjacency() {
        let mut img = image(&[(0x100, &[1, 2])]);
        let err = img.insert(0x101, &[2], OverlapPolicy::Error).unwrap_err();
        assert!(matches!(
            err,
            InsertError::Overlap(Overlap {
                first_difference: None,
                ..
            })
        ));
        img.insert(0x102, &[3], OverlapPolicy::Error).unwrap();
        img.insert(0x0FF, &[0], OverlapPolicy::Error).unwrap();
        assert_eq!(layout(&img), vec![(0x0FF, vec![0, 1, 2, 3])]);
    }

    #[test]
    fn first_and_last_policies_pick_the_winner() {
        let base = image(&[(0x10, &[1, 1, 1]), (0x20, &[2, 2])]);
        let mut first = base.clone();
        first
            .insert(0x11, &[9; 0x10], OverlapPolicy::First)
            .unwrap();
        let mut last = base.clone();
        last.insert(0x11, &[9; 0x10], OverlapPolicy::Last).unwrap();
        let mut expect_first = vec![1, 1, 1];
        expect_first.extend([9; 0x0D]);
        expect_first.extend([2, 2]);
        assert_eq!(layout(&first), vec![(0x10, expect_first)]);
        let mut expect_last = vec![1];
        expect_last.extend([9; 0x10]);
        expect_last.extend([2]);
        assert_eq!(layout(&last), vec![(0x10, expect_last)]);
    }

    #[test]
    fn data_may_end_exactly_at_the_top_of_the_address_space_but_not_past_it() {
        let mut img = Image::new();
        img.insert(0xFFFF_FFFE, &[1, 2], OverlapPolicy::Error)
            .unwrap();
        assert_eq!(img.extent(), Some(0xFFFF_FFFE..ADDRESS_SPACE_END));
        let err = img
            .insert(0xFFFF_FFFF, &[1, 2], OverlapPolicy::Last)
            .unwrap_err();
        assert_eq!(
            err,
            InsertError::BeyondAddressSpace(0xFFFF_FFFF..0x1_0000_0001)
        );
    }

    #[test]
    fn slice_cuts_segments_at_the_range_bounds() {
        let img = image(&[(0x10, &[1, 2, 3, 4]), (0x20, &[5, 6, 7, 8])]);
        let cut = img.slice(0x12..0x22);
        assert_eq!(layout(&cut), vec![(0x12, vec![3, 4]), (0x20, vec![5, 6])]);
        assert!(img.slice(0x14..0x20).is_empty());
    }

    #[test]
    fn fill_gaps_flattens_with_the_fill_byte() {
        let mut img = image(&[(0x10, &[1]), (0x13, &[2])]);
        assert_eq!(img.gaps().collect::<Vec<_>>(), vec![0x11..0x13]);
        img.fill_gaps(0xAA);
        assert_eq!(layout(&img), vec![(0x10, vec![1, 0xAA, 0xAA, 2])]);
        assert_eq!(img.total_size(), 4);
    }

    #[test]
    fn crc32_is_that_of_the_bytes_in_address_order() {
        // Inserted out of order; the CRC follows addresses.
        let img = image(&[(0x20, b"56789"), (0x10, b"1234")]);
        assert_eq!(img.crc32(), 0xCBF4_3926, "CRC-32 of \"123456789\"");
    }

    #[test]
    fn merge_failure_leaves_the_target_unchanged() {
        let mut target = image(&[(0x10, &[1, 2])]);
        let other = image(&[(0x00, &[7]), (0x11, &[3])]);
        let before = target.clone();
        assert!(target.merge(other, OverlapPolicy::Identical).is_err());
        assert_eq!(target, before);
    }

    #[test]
    fn segment_start_address_is_cs_times_16_plus_ip() {
        let start = StartAddress::Segment {
            cs: 0x1234,
            ip: 0x0010,
        };
        assert_eq!(start.address(), 0x12350);
        assert_eq!(start.to_string(), "0x00012350 (1234:0010)");
    }
}
