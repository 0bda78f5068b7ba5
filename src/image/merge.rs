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
    /// How the start address was chosen.
    pub entry: EntryChoice,
}

impl Merged {
    /// Where the start address came from, for messages: an input's name,
    /// `--entry`, or `None` when there is no start address.
    pub fn start_source<'a>(&self, names: &'a [String]) -> Option<&'a str> {
        self.image.start_address()?;
        Some(self.start_from.map_or("--entry", |i| names[i].as_str()))
    }

    /// Warnings about the start address, each a sentence. Two cases lose
    /// the kernel's entry silently otherwise: the inputs disagree (only one
    /// can be kept), and the first input, which `--entry first` means to
    /// take it from, has none (a raw binary never has one), so that a later
    /// input's (the user blob's) is taken.
    pub fn start_warnings(&self, names: &[String]) -> Vec<String> {
        let mut warnings = Vec::new();
        // `first` took a later input's: the earlier ones have none.
        if let Some(from) = self.start_from.filter(|&i| i > 0)
            && self.entry == EntryChoice::First
        {
            let start = self.image.start_address().map(|s| s.to_string());
            warnings.push(format!(
                "the start address {} comes from {} (input {}), because the first input, {}, \
                 has none; if the first input is the kernel, give its entry with --entry ADDR",
                start.unwrap_or_default(),
                names[from],
                from + 1,
                names[0]
            ));
        }
        if !self.differing_starts.is_empty() {
            let list: Vec<String> = self
                .differing_starts
                .iter()
                .map(|(i, start)| format!("{start} in {}", names[*i]))
                .collect();
            let kept = match (self.image.start_address(), self.start_source(names)) {
                (Some(start), Some(source)) => format!("keeping {start} from {source}"),
                _ => "writing no start address (--entry none)".to_owned(),
            };
            warnings.push(format!(
                "the inputs have different start addresses: {}; {kept}",
                list.join(", ")
            ));
        }
        warnings
    }
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
        entry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, address: u32, start: Option<u32>) -> Input {
        let mut image = Image::new();
        image.insert(address, &[1], OverlapPolicy::Error).unwrap();
        image.set_start_address(start.map(|address| StartAddress::Linear { address }));
        Input {
            name: name.into(),
            image,
        }
    }

    fn names(inputs: &[Input]) -> Vec<String> {
        inputs.iter().map(|i| i.name.clone()).collect()
    }

    #[test]
    fn a_start_address_from_a_later_input_is_warned_about_and_named() {
        let inputs = vec![
            input("nuttx.bin@0x00000000", 0, None),
            input("nuttx_user.hex", 0x100, Some(0x101)),
        ];
        let names = names(&inputs);
        let merged = merge(inputs, OverlapPolicy::Error, EntryChoice::First).unwrap();
        assert_eq!(merged.start_from, Some(1));
        assert_eq!(merged.start_source(&names), Some("nuttx_user.hex"));
        assert_eq!(
            merged.start_warnings(&names),
            vec![
                "the start address 0x00000101 comes from nuttx_user.hex (input 2), because the \
                 first input, nuttx.bin@0x00000000, has none; if the first input is the kernel, \
                 give its entry with --entry ADDR"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn no_warning_when_the_first_input_gives_the_only_start_address_or_entry_is_explicit() {
        let make = || {
            vec![
                input("kernel.hex", 0, Some(1)),
                input("user.bin@0x100", 0x100, None),
            ]
        };
        let kernel_first = names(&make());
        let merged = merge(make(), OverlapPolicy::Error, EntryChoice::First).unwrap();
        assert!(merged.start_warnings(&kernel_first).is_empty());
        assert_eq!(merged.start_source(&kernel_first), Some("kernel.hex"));
        let later_only = || vec![input("a.bin", 0, None), input("b.hex", 0x100, Some(0x101))];
        let later = names(&later_only());
        let merged = merge(later_only(), OverlapPolicy::Error, EntryChoice::Address(7)).unwrap();
        assert!(merged.start_warnings(&later).is_empty());
        assert_eq!(merged.start_source(&later), Some("--entry"));
        let merged = merge(later_only(), OverlapPolicy::Error, EntryChoice::None).unwrap();
        assert_eq!(merged.start_source(&later), None);
        // --entry last takes the last input's by request: no warning.
        let merged = merge(later_only(), OverlapPolicy::Error, EntryChoice::Last).unwrap();
        assert!(merged.start_warnings(&later).is_empty());
    }
}
