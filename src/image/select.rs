//! Selecting parts of an image by address: `--range START..END` keeps only
//! the data in the given ranges, `--exclude START..END` drops the data in
//! them, as `srec_cat`'s `-crop` and `-exclude` filters do. This is how to
//! take one memory out of an image that spans several (a flash image with a
//! stray `.data` run address in SRAM) instead of filling the gap between them.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use super::{ADDRESS_SPACE_END, Image, OverlapPolicy, format_range};
use crate::number::{self, NumberError};

/// A half-open address range `START..END` as written on the command line;
/// `END` may be 0x100000000, the end of the 32-bit address space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressRange(pub Range<u64>);

/// Why an address range did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("expected START..END such as 0x08000000..0x08100000 (END excluded), found {0:?}")]
    Syntax(String),
    #[error("{which} of {text:?}: {error}")]
    Number {
        which: &'static str,
        text: String,
        error: NumberError,
    },
    #[error("{text:?} is empty: END must be above START")]
    Empty { text: String },
    #[error("{text:?} ends past the 32-bit address space (END may be at most 0x100000000)")]
    BeyondAddressSpace { text: String },
}

impl FromStr for AddressRange {
    type Err = RangeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (start, end) = text
            .split_once("..")
            .ok_or_else(|| RangeError::Syntax(text.to_owned()))?;
        let parse = |which, part: &str| {
            number::parse_u64(part).map_err(|error| RangeError::Number {
                which,
                text: text.to_owned(),
                error,
            })
        };
        let (start, end) = (parse("START", start)?, parse("END", end)?);
        if end > ADDRESS_SPACE_END {
            return Err(RangeError::BeyondAddressSpace {
                text: text.to_owned(),
            });
        }
        if start >= end {
            return Err(RangeError::Empty {
                text: text.to_owned(),
            });
        }
        Ok(AddressRange(start..end))
    }
}

impl fmt::Display for AddressRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_range(&self.0))
    }
}

/// Merges ranges sorted by start into disjoint, non-adjacent ranges.
pub fn union(sorted: impl IntoIterator<Item = Range<u64>>) -> Vec<Range<u64>> {
    let mut out: Vec<Range<u64>> = Vec::new();
    for range in sorted.into_iter().filter(|r| !r.is_empty()) {
        match out.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => out.push(range),
        }
    }
    out
}

/// The ranges `keep` selects (all of the address space when `keep` is
/// empty) minus those `exclude` names, in order and disjoint.
pub fn selected_ranges(keep: &[AddressRange], exclude: &[AddressRange]) -> Vec<Range<u64>> {
    let sorted = |ranges: &[AddressRange]| {
        let mut list: Vec<Range<u64>> = ranges.iter().map(|r| r.0.clone()).collect();
        list.sort_by_key(|r| r.start);
        union(list)
    };
    let kept = if keep.is_empty() {
        std::iter::once(0..ADDRESS_SPACE_END).collect()
    } else {
        sorted(keep)
    };
    let dropped = sorted(exclude);
    let mut out = Vec::new();
    for range in kept {
        let mut cursor = range.start;
        for cut in dropped
            .iter()
            .filter(|d| d.end > range.start && d.start < range.end)
        {
            if cut.start > cursor {
                out.push(cursor..cut.start);
            }
            cursor = cursor.max(cut.end);
        }
        if cursor < range.end {
            out.push(cursor..range.end);
        }
    }
    out
}

/// The selection holds none of the image's data: most likely a mistyped
/// address, which would otherwise write an empty file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "--range/--exclude select none of the data, which lies in {}",
    format_range(extent)
)]
pub struct NothingSelected {
    /// From the lowest to one past the highest address with data.
    pub extent: Range<u64>,
}

/// The data of `image` inside the selected ranges (see
/// [`selected_ranges`]); the start address is kept, as objcopy keeps the
/// entry point when it removes sections. An image with data of which none
/// is selected is an error.
pub fn select(
    image: Image,
    keep: &[AddressRange],
    exclude: &[AddressRange],
) -> Result<Image, NothingSelected> {
    if keep.is_empty() && exclude.is_empty() {
        return Ok(image);
    }
    let mut out = Image::new();
    for range in selected_ranges(keep, exclude) {
        for segment in image.slice(range).segments() {
            out.insert(segment.address, segment.data, OverlapPolicy::Error)
                .expect("slices of disjoint ranges do not overlap");
        }
    }
    if let (true, Some(extent)) = (out.is_empty(), image.extent()) {
        return Err(NothingSelected { extent });
    }
    out.set_start_address(image.start_address());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> AddressRange {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_parse_with_any_number_spelling_and_end_excluded() {
        assert_eq!(range("0x08000000..0x08100000").0, 0x0800_0000..0x0810_0000);
        assert_eq!(range("0..1M").0, 0..1 << 20);
        assert_eq!(range("0xFFFFFF00..0x100000000").0.end, ADDRESS_SPACE_END);
        assert_eq!(
            "0x10".parse::<AddressRange>(),
            Err(RangeError::Syntax("0x10".into()))
        );
        assert_eq!(
            "0x20..0x10".parse::<AddressRange>(),
            Err(RangeError::Empty {
                text: "0x20..0x10".into()
            })
        );
        assert!(matches!(
            "0..0x100000001".parse::<AddressRange>(),
            Err(RangeError::BeyondAddressSpace { .. })
        ));
        let err = "0x10..08000000".parse::<AddressRange>().unwrap_err();
        assert!(
            err.to_string().starts_with("END of \"0x10..08000000\": "),
            "{err}"
        );
        assert!(
            err.to_string().contains("did you mean 0x08000000?"),
            "{err}"
        );
    }

    #[test]
    fn keep_and_exclude_combine_as_set_operations() {
        let keep = [
            range("0x100..0x200"),
            range("0x180..0x300"),
            range("0x400..0x500"),
        ];
        let exclude = [range("0x150..0x160"), range("0x2F0..0x410")];
        assert_eq!(
            selected_ranges(&keep, &exclude),
            vec![0x100..0x150, 0x160..0x2F0, 0x410..0x500]
        );
        assert_eq!(
            selected_ranges(&[], &[range("0x10..0x20")]),
            vec![0..0x10, 0x20..ADDRESS_SPACE_END]
        );
    }

    #[test]
    fn select_cuts_segments_and_keeps_the_start_address() {
        let mut image = Image::new();
        image
            .insert(0x0800_0000, &[1; 0x20], OverlapPolicy::Error)
            .unwrap();
        image
            .insert(0x2000_0000, &[2; 4], OverlapPolicy::Error)
            .unwrap();
        image.set_start_address(Some(super::super::StartAddress::Linear {
            address: 0x0800_0001,
        }));
        let flash = select(image.clone(), &[range("0x08000000..0x08100000")], &[]).unwrap();
        assert_eq!(
            flash.ranges().collect::<Vec<_>>(),
            vec![0x0800_0000..0x0800_0020]
        );
        assert_eq!(flash.start_address(), image.start_address());
        let nothing = select(image.clone(), &[range("0x09000000..0x09100000")], &[]);
        assert_eq!(
            nothing.unwrap_err().to_string(),
            "--range/--exclude select none of the data, which lies in \
             0x08000000..0x20000004 (402653188 bytes)"
        );
        let holed = select(
            image,
            &[],
            &[
                range("0x08000008..0x08000010"),
                range("0x20000000..0x20000001"),
            ],
        )
        .unwrap();
        assert_eq!(
            holed.ranges().collect::<Vec<_>>(),
            vec![
                0x0800_0000..0x0800_0008,
                0x0800_0010..0x0800_0020,
                0x2000_0001..0x2000_0004
            ]
        );
    }
}
