//! `auto` process sizes, from a measuring link: the process linked once at
//! provisional addresses, whose ELF says how much flash and RAM it takes.
//! (Hubris sizes its tasks the same way before it links them at their
//! final addresses.)
//!
//! Flash is the span of every extent that is not written at run time:
//! code, read-only data and the `.data` image at its load address. RAM is
//! the span of the written sections (`.data`, `.bss`) at their run
//! addresses, plus the stack and heap the process's linker script adds.
//! Both are rounded up to the 32-byte MPU granule, the least an exact
//! cover can grant.

use std::fmt;

use serde::Serialize;

use crate::layout::elf_check::Extent;
use crate::mpu::{GRANULE, align_up};

/// A size as `[[process]]` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessSize {
    Bytes(u64),
    /// Measured from the process's linked ELF.
    Auto,
}

impl fmt::Display for ProcessSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessSize::Bytes(n) => write!(f, "{n} bytes"),
            ProcessSize::Auto => f.write_str("auto"),
        }
    }
}

/// What a measuring link takes, in bytes, unrounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Measured {
    /// The span of the extents not written at run time.
    pub flash: u64,
    /// The span of the written sections (`.data`, `.bss`).
    pub ram: u64,
}

/// The sections the linker template reserves for the stack and heap
/// (`templates/linker/user.ld`): their sizes are the configured `stack`
/// and `heap`, which [`resolve`] adds, so they are not measured (the
/// stack's section is not even writable-flagged, and would count as
/// flash).
const RESERVED: [&str; 2] = [".user_stack", ".user_heap"];

/// Measures the extents of a linked ELF ([`crate::layout::elf_check::read_extents`]).
pub fn measure(extents: &[Extent]) -> Measured {
    let span = |writable: bool| {
        let (start, end) = extents
            .iter()
            .filter(|e| !RESERVED.contains(&e.name.as_str()))
            .filter(|e| e.writable == writable && e.end > e.start)
            .fold((u64::MAX, 0), |(s, e), x| (s.min(x.start), e.max(x.end)));
        end.saturating_sub(start)
    };
    Measured {
        flash: span(false),
        ram: span(true),
    }
}

/// An `auto` size with no measuring link to read it from.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "process {process}: {what} = \"auto\" is measured from the process's linked ELF; give one \
     (`--elf {process}=FILE` on the command line) or a size"
)]
pub struct Unmeasured {
    pub process: String,
    pub what: &'static str,
}

/// The flash and RAM bytes of process `process`: a given size as it is,
/// an `auto` one from `measured` (flash rounded up to the granule; RAM the
/// written sections, 8-byte aligned, plus the 8-byte aligned stack and the
/// heap, rounded up to the granule).
pub fn resolve(
    process: &str,
    flash: ProcessSize,
    ram: ProcessSize,
    stack: u64,
    heap: u64,
    measured: Option<&Measured>,
) -> Result<(u64, u64), Unmeasured> {
    let get = |size: ProcessSize, what: &'static str, from: &dyn Fn(&Measured) -> u64| match size {
        ProcessSize::Bytes(n) => Ok(n),
        ProcessSize::Auto => measured.map(from).ok_or_else(|| Unmeasured {
            process: process.to_owned(),
            what,
        }),
    };
    let flash = get(flash, "flash", &|m| align_up(m.flash.max(1), GRANULE))?;
    let ram = get(ram, "ram", &|m| {
        align_up(align_up(m.ram, 8) + align_up(stack, 8) + heap, GRANULE)
    })?;
    Ok((flash, ram))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extent(name: &str, start: u64, end: u64, writable: bool) -> Extent {
        Extent {
            name: name.into(),
            start,
            end,
            executable: !writable,
            writable,
        }
    }

    #[test]
    fn auto_sizes_come_from_the_extents_rounded_to_the_granule() {
        let extents = [
            extent(".text", 0x1000, 0x1234, false),
            extent(".data (load address)", 0x1234, 0x1240, false),
            extent(".data", 0x2000_0000, 0x2000_000c, true),
            extent(".bss", 0x2000_000c, 0x2000_0101, true),
        ];
        let measured = measure(&extents);
        assert_eq!(
            measured,
            Measured {
                flash: 0x240,
                ram: 0x101
            }
        );
        let sizes = resolve(
            "p",
            ProcessSize::Auto,
            ProcessSize::Auto,
            1000,
            512,
            Some(&measured),
        );
        // RAM: 0x108 (8-aligned) + 1000 + 512 = 1776, up to 1792.
        assert_eq!(sizes, Ok((0x240, 1792)));
        assert_eq!(
            resolve("p", ProcessSize::Bytes(64), ProcessSize::Auto, 8, 0, None),
            Err(Unmeasured {
                process: "p".into(),
                what: "ram"
            })
        );
        assert_eq!(
            resolve(
                "p",
                ProcessSize::Bytes(64),
                ProcessSize::Bytes(96),
                8,
                0,
                None
            ),
            Ok((64, 96))
        );
    }
}
