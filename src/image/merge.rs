//! Merging several images into one, the safe replacement for "delete the 05
//! and 01 records from nuttx.hex, then cat the two files": overlaps are
//! checked under a policy, and the start address is chosen deliberately
//! (by default the first input's, so the kernel goes first).

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use super::{Image, Overlap, OverlapPolicy, StartAddress, format_range};
use crate::number::{self, NumberError};

/// Which start address the merged image gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EntryChoice {
    /// The first input that has one (put the kernel first).
    #[default]
    First,
    /// The last input that has one.
    Last,
    /// No start address.
    None,
    /// This address.
    Address(u32),
}

impl FromStr for EntryChoice {
    type Err = NumberError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "first" => EntryChoice::First,
            "last" => EntryChoice::Last,
            "none" => EntryChoice::None,
            address => EntryChoice::Address(number::parse_u32(address)?),
        })
    }
}

/// One input to a merge: its name (for messages) and its image.
#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    pub image: Image,
}

/// The merged image and where its start address came from.
#[derive(Clone, Debug)]
pub struct Merged {
    pub image: Image,
    /// Index of the input whose start address was kept, if one was.
    pub start_from: Option<usize>,
    /// The inputs' start addresses, when they are not all the same: worth a
    /// warning, since only one can be kept.
    pub differing_starts: Vec<(usize, StartAddress)>,
}

/// Two inputs overlap in a way the policy forbids.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct MergeConflict {
    pub earlier: String,
    pub later: String,
    pub overlap: Overlap,
}

impl fmt::Display for MergeConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (earlier, later) = (&self.earlier, &self.later);
        write!(
            f,
            "{later} overlaps {earlier} at {}",
            format_range(&self.overlap.range)
        )?;
        match self.overlap.first_difference {
            Some(d) => write!(
                f,
                " with different bytes: first difference at {:#010x}: {:#04x} in {earlier}, \
                 {:#04x} in {later} (--overlap first|last picks one)",
                d.address, d.existing, d.new
            ),
            None => write!(f, " (--overlap error forbids any overlap)"),
        }
    }
}

/// Merges `inputs` in order under `policy`, with the start address chosen by
/// `entry`. The inputs' data is moved, not copied, where it does not touch
/// other data, so that merging needs little more memory than the inputs.
pub fn merge(
    inputs: Vec<Input>,
    policy: OverlapPolicy,
    entry: EntryChoice,
) -> Result<Merged, MergeConflict> {
    let starts: Vec<(usize, StartAddress)> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| Some((i, input.image.start_address()?)))
        .collect();
    let chosen = match entry {
        EntryChoice::First => starts.first().copied(),
        EntryChoice::Last => starts.last().copied(),
        EntryChoice::None | EntryChoice::Address(_) => None,
    };

    let mut image = Image::new();
    // Where each merged input had data: an overlap names the earlier input.
    let mut merged: Vec<(String, Vec<Range<u64>>)> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let ranges: Vec<Range<u64>> = input.image.ranges().collect();
        image.merge(input.image, policy).map_err(|overlap| {
            let at = overlap
                .first_difference
                .map_or(overlap.range.start, |d| u64::from(d.address));
            let earlier = merged
                .iter()
                .find(|(_, ranges)| ranges.iter().any(|r| r.contains(&at)))
                .map_or("an earlier input", |(name, _)| name.as_str());
            MergeConflict {
                earlier: earlier.to_owned(),
                later: input.name.clone(),
                overlap,
            }
        })?;
        merged.push((input.name, ranges));
    }

    image.set_start_address(match entry {
        EntryChoice::Address(address) => Some(StartAddress::Linear { address }),
        _ => chosen.map(|(_, start)| start),
    });
    let all_same = starts.windows(2).all(|w| w[0].1 == w[1].1);
    Ok(Merged {
        image,
        start_from: chosen.map(|(index, _)| index),
        differing_starts: if all_same { Vec::new() } else { starts },
    })
}
