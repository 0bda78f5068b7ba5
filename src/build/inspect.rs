//! Inspecting a built blob before it is trusted: every allocated section
//! inside a partition of its owner, its flash bytes (by load address) inside
//! its flash partition, and for the user blob a well-formed header at the
//! user flash origin that agrees with the ELF.
//!
//! The linker scripts mcu-build generates already refuse a blob that does
//! not fit; inspection is what catches it when a project links with its
//! own scripts (a NuttX tree), and it names the overflow in bytes.

use std::ops::Range;
use std::path::{Path, PathBuf};

use firmware_abi::{HeaderError, UserspaceHeader};
use object::{Object as _, ObjectSection as _, SectionFlags};
use serde::Serialize;

use super::planned::{self, Planned};
use crate::image::elf::{self, ElfError};
use crate::image::{Image, format_range};
use crate::layout::plan::Partition;
use crate::layout::request::Owner;
use crate::mpu::MemoryKind;

/// An allocated section and the partition that holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SectionExtent {
    pub name: String,
    pub start: u64,
    pub end: u64,
    pub partition: String,
}

/// What inspection learned of a blob.
#[derive(Clone, Debug)]
pub struct Inspection {
    /// The flash bytes at their load addresses, with the ELF entry.
    pub image: Image,
    pub sections: Vec<SectionExtent>,
    /// The user header (user blob only), as built: the CRC may be unsealed.
    pub header: Option<UserspaceHeader>,
}

impl Inspection {
    /// Bytes of `partition` in use: from its start to the end of the last
    /// section in it.
    pub fn used(&self, partition: &Partition) -> u64 {
        self.sections
            .iter()
            .filter(|s| s.partition == partition.name)
            .map(|s| s.end - partition.start)
            .max()
            .unwrap_or(0)
    }
}

/// A blob failed inspection; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {error}", path.display())]
    Elf { path: PathBuf, error: ElfError },
    #[error("{}: not an ELF file the inspector can read: {error}", path.display())]
    Sections { path: PathBuf, error: object::Error },
    #[error(
        "{}: {what} at {} ends past {partition} ({}): the {owner} overflows its partition by \
         {overflow} bytes",
        path.display(), format_range(range), format_range(partition_range)
    )]
    Overflow {
        path: PathBuf,
        what: String,
        range: Range<u64>,
        owner: &'static str,
        partition: Box<str>,
        partition_range: Range<u64>,
        overflow: u64,
    },
    #[error(
        "{}: {what} at {} is in none of the {owner}'s partitions ({partitions})",
        path.display(), format_range(range)
    )]
    Outside {
        path: PathBuf,
        what: String,
        range: Range<u64>,
        owner: &'static str,
        partitions: String,
    },
    #[error("{}: no valid user header at the user flash origin {address:#010x}: {error}", path.display())]
    Header {
        path: PathBuf,
        address: u32,
        error: HeaderError,
    },
    #[error(
        "{}: the user header's entry {header:#010x} is not the ELF entry point {elf:#010x}",
        path.display()
    )]
    EntryMismatch {
        path: PathBuf,
        header: u32,
        elf: u64,
    },
}

/// Reads the ELF at `path` and inspects it as the `owner`'s blob.
pub fn inspect_file(path: &Path, owner: Owner, plan: &Planned) -> Result<Inspection, InspectError> {
    let bytes = std::fs::read(path).map_err(|error| InspectError::Io {
        path: path.to_owned(),
        error,
    })?;
    inspect(&bytes, path, owner, plan)
}

/// Inspects ELF `bytes` (read from `path`) as the `owner`'s blob.
pub fn inspect(
    bytes: &[u8],
    path: &Path,
    owner: Owner,
    plan: &Planned,
) -> Result<Inspection, InspectError> {
    let image = elf::read(bytes)
        .map_err(|error| InspectError::Elf {
            path: path.to_owned(),
            error,
        })?
        .image;
    let file = object::File::parse(bytes).map_err(|error| InspectError::Sections {
        path: path.to_owned(),
        error,
    })?;
    let place = Placer { path, owner, plan };
    let mut sections = Vec::new();
    for section in file.sections() {
        let allocated = matches!(section.flags(), SectionFlags::Elf { sh_flags } if sh_flags & u64::from(object::elf::SHF_ALLOC) != 0);
        if !allocated || section.size() == 0 {
            continue;
        }
        let name = section.name().unwrap_or("?").to_owned();
        let range = section.address()..section.address() + section.size();
        let partition = place.find_in(&format!("section {name}"), &range, None)?;
        sections.push(SectionExtent {
            name,
            start: range.start,
            end: range.end,
            partition: partition.name.clone(),
        });
    }
    for range in image.ranges() {
        place.flash(&range)?;
    }
    let header = match owner {
        Owner::User => Some(check_header(&image, file.entry(), path, plan)?),
        Owner::Kernel => None,
    };
    Ok(Inspection {
        image,
        sections,
        header,
    })
}

/// Finds the partition of the owner that holds a range.
struct Placer<'a> {
    path: &'a Path,
    owner: Owner,
    plan: &'a Planned,
}

impl Placer<'_> {
    fn owner_name(&self) -> &'static str {
        match self.owner {
            Owner::Kernel => "kernel",
            Owner::User => "user blob",
        }
    }

    /// The load image (flash bytes) must lie in the owner's flash.
    fn flash(&self, range: &Range<u64>) -> Result<&Partition, InspectError> {
        self.find_in(
            "flash bytes (by load address)",
            range,
            Some(MemoryKind::Flash),
        )
    }

    /// The owner's partition (in `memory`, if given) holding `range`;
    /// `what` names it in errors. A range that starts in a partition and
    /// runs past its end is an overflow by the bytes past the end.
    fn find_in(
        &self,
        what: &str,
        range: &Range<u64>,
        memory: Option<MemoryKind>,
    ) -> Result<&Partition, InspectError> {
        let candidates = || {
            self.plan
                .owned_by(self.owner)
                .filter(move |p| memory.is_none_or(|m| p.kind == m))
        };
        if let Some(partition) = candidates().find(|p| p.start <= range.start && range.end <= p.end)
        {
            return Ok(partition);
        }
        let starts_in = candidates().find(|p| (p.start..p.end).contains(&range.start));
        Err(match starts_in {
            Some(p) => InspectError::Overflow {
                path: self.path.to_owned(),
                what: what.to_owned(),
                range: range.clone(),
                owner: self.owner_name(),
                partition: p.name.as_str().into(),
                partition_range: p.start..p.end,
                overflow: range.end - p.end,
            },
            None => InspectError::Outside {
                path: self.path.to_owned(),
                what: what.to_owned(),
                range: range.clone(),
                owner: self.owner_name(),
                partitions: candidates()
                    .map(|p| format!("{} {}", p.name, format_range(&(p.start..p.end))))
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        })
    }
}

/// The header at the user flash origin: well formed, extents inside the
/// user partitions, and its entry the ELF's.
fn check_header(
    image: &Image,
    entry: u64,
    path: &Path,
    plan: &Planned,
) -> Result<UserspaceHeader, InspectError> {
    let flash = planned::abi(plan.user_flash());
    let error = |error| InspectError::Header {
        path: path.to_owned(),
        address: flash.start,
        error,
    };
    let bytes = image
        .segment_at(flash.start)
        .filter(|segment| segment.address == flash.start)
        .map_or(&[][..], |segment| segment.data);
    let header = UserspaceHeader::from_bytes(bytes).map_err(error)?;
    header
        .check_extents(flash, planned::abi(plan.user_sram()))
        .map_err(error)?;
    if u64::from(header.entry) != entry {
        return Err(InspectError::EntryMismatch {
            path: path.to_owned(),
            header: header.entry,
            elf: entry,
        });
    }
    Ok(header)
}
