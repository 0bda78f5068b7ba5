//! A chip's flash and RAM as probe-rs's target database describes it.
//!
//! probe-rs programs only what its memory map of the chip calls
//! non-volatile memory, with the flash algorithms of that description. So
//! the database, not the board file, is the authority on what can be
//! flashed: the safety checks compare the image and the board file with it
//! before a probe is opened.

use std::ops::Range;

use probe_rs::config::{MemoryRegion, Registry, RegistryError, Target};

/// The memories of one chip.
#[derive(Clone, Debug)]
pub struct Chip {
    /// The name probe-rs gave for the chip asked for.
    pub name: String,
    /// Non-volatile memory (flash, OTP, UICR...), contiguous regions joined,
    /// aliases left out: what the flash loader can program.
    pub flash: Vec<Range<u64>>,
    /// RAM, contiguous regions joined, aliases included: the same SRAM is
    /// often reachable at two addresses (the nRF52840's at 0x20000000 for
    /// data and 0x00800000 for code, which probe-rs calls the alias), and a
    /// board file may describe either.
    pub ram: Vec<Range<u64>>,
    /// The whole target description, for the flash loader.
    pub target: Target,
}

/// probe-rs does not know the chip.
#[derive(Debug, thiserror::Error)]
#[error(
    "probe-rs does not know the chip {name:?}: {error}; give its name as probe-rs spells it \
     with --chip, or in `probe-rs-chip` of the board file (`probe-rs chip list` lists them)"
)]
pub struct UnknownChip {
    pub name: String,
    pub error: RegistryError,
}

impl Chip {
    /// Looks `name` up in probe-rs's built-in targets.
    pub fn lookup(name: &str) -> Result<Chip, UnknownChip> {
        let target = Registry::from_builtin_families()
            .get_target_by_name(name)
            .map_err(|error| UnknownChip {
                name: name.to_owned(),
                error,
            })?;
        Ok(Chip::from_target(target))
    }

    /// The memories of a probe-rs target description.
    pub fn from_target(target: Target) -> Chip {
        let nvm = target.memory_map.iter().filter_map(|region| match region {
            MemoryRegion::Nvm(nvm) if !nvm.is_alias => Some(nvm.range.clone()),
            _ => None,
        });
        let flash = join(nvm.collect());
        let ram = target.memory_map.iter().filter_map(|region| match region {
            MemoryRegion::Ram(ram) => Some(ram.range.clone()),
            _ => None,
        });
        let ram = join(ram.collect());
        Chip {
            name: target.name.clone(),
            flash,
            ram,
            target,
        }
    }
}

/// Sorts `ranges` and joins those that touch or overlap.
pub fn join(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.retain(|r| r.start < r.end);
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut joined: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match joined.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => joined.push(range),
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_touching_and_overlapping_ranges() {
        assert_eq!(
            join(vec![8..12, 0..4, 4..6, 10..16, 20..20]),
            vec![0..6, 8..16]
        );
    }

    #[test]
    fn knows_the_stm32f407_and_refuses_a_made_up_chip() {
        let chip = Chip::lookup("STM32F407VGTx").unwrap();
        assert!(
            chip.flash.contains(&(0x0800_0000..0x0810_0000)),
            "{:x?}",
            chip.flash
        );
        let error = Chip::lookup("NoSuchChip123").unwrap_err().to_string();
        assert!(error.contains("--chip"), "{error}");
    }
}
