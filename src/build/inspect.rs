//! Inspecting a built blob before it is trusted: every allocated section
//! inside a partition of its owner, its flash bytes (by load address) inside
//! its flash partition, and for the user blob a well-formed header at the
//! user flash origin that agrees with the ELF.
//!
//! The partitions are [`Space`]s: those of mcu-build's plan, or the
//! regions of a NuttX tree's memory.ld ([`place`] serves both).
//!
//! The linker scripts mcu-build generates already refuse a blob that does
//! not fit; inspection is what catches it when a project links with its
//! own scripts (a NuttX tree), and it names the overflow in bytes.

use std::ops::Range;
use std::path::{Path, PathBuf};

use firmware_abi::{HeaderError, UserspaceHeader};
use object::{Object as _, ObjectSection as _};
use serde::Serialize;

use super::header::{self, HeaderKind, UserHeader};
use super::planned::{self, Planned};
use crate::image::elf::{self, ElfError};
use crate::image::{Image, format_range};
use crate::layout::plan::Partition;
use crate::layout::request::Owner;
use crate::mpu::MemoryKind;
use crate::nuttx::userspace::{Layout, Partitions};

/// A place a blob may occupy: a partition of the plan, or a region of a
/// NuttX tree's memory.ld.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Space {
    pub name: String,
    pub range: Range<u64>,
    /// Flash (the blob's load image must lie in flash).
    pub flash: bool,
}

impl Space {
    /// The partitions of `plan` that `owner` owns.
    pub fn of_plan(plan: &Planned, owner: Owner) -> Vec<Space> {
        plan.owned_by(owner)
            .map(|p| Space {
                name: p.name.clone(),
                range: p.start..p.end,
                flash: p.kind == MemoryKind::Flash,
            })
            .collect()
    }
}

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
    /// The user header (user blob only), as built: mcu-build's CRC may be
    /// unsealed.
    pub header: Option<UserHeader>,
}

impl Inspection {
    /// Bytes of `partition` in use: from its start to the end of the last
    /// section in it.
    pub fn used(&self, partition: &Partition) -> u64 {
        self.used_in(&partition.name, partition.start)
    }

    /// Bytes of the partition `name` starting at `start` in use.
    pub fn used_in(&self, name: &str, start: u64) -> u64 {
        self.sections
            .iter()
            .filter(|s| s.partition == name)
            .map(|s| s.end - start)
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
        "{}: an ELF for {found}, not for 32-bit Arm (e_machine EM_ARM): not firmware for an \
         Arm Cortex-M",
        path.display()
    )]
    NotArm { path: PathBuf, found: String },
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
    #[error(transparent)]
    UserHeader(#[from] header::HeaderError),
}

/// Reads the ELF at `path` and inspects it as the `owner`'s blob; a user
/// blob's header is of kind `header`, or recognised when `None`.
pub fn inspect_file(
    path: &Path,
    owner: Owner,
    plan: &Planned,
    header: Option<HeaderKind>,
) -> Result<Inspection, InspectError> {
    let bytes = std::fs::read(path).map_err(|error| InspectError::Io {
        path: path.to_owned(),
        error,
    })?;
    inspect(&bytes, path, owner, plan, header)
}

/// Inspects ELF `bytes` (read from `path`) as the `owner`'s blob of
/// `plan`; a user blob's header is of kind `header`, or recognised when
/// `None` (see [`header::recognise`]).
pub fn inspect(
    bytes: &[u8],
    path: &Path,
    owner: Owner,
    plan: &Planned,
    header: Option<HeaderKind>,
) -> Result<Inspection, InspectError> {
    let (mut inspection, entry) = place(bytes, path, owner, &Space::of_plan(plan, owner))?;
    if owner == Owner::User {
        inspection.header = Some(user_header(&inspection.image, entry, path, plan, header)?);
    }
    Ok(inspection)
}

/// Reads ELF `bytes` (from `path`) and finds the space of `spaces` that
/// holds each allocated section, and a flash space for each byte it
/// loads; returns the inspection (without a header) and the ELF entry.
pub fn place(
    bytes: &[u8],
    path: &Path,
    owner: Owner,
    spaces: &[Space],
) -> Result<(Inspection, u64), InspectError> {
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
    if file.architecture() != object::Architecture::Arm {
        return Err(InspectError::NotArm {
            path: path.to_owned(),
            found: format!("{:?}", file.architecture()),
        });
    }
    let place = Placer {
        path,
        owner,
        spaces,
    };
    let mut sections = Vec::new();
    for section in file.sections() {
        if !elf::is_allocated(&section) || section.size() == 0 {
            continue;
        }
        let name = section.name().unwrap_or("?").to_owned();
        let range = section.address()..section.address().saturating_add(section.size());
        let space = place.find_in(&format!("section {name}"), &range, false)?;
        sections.push(SectionExtent {
            name,
            start: range.start,
            end: range.end,
            partition: space.name.clone(),
        });
    }
    for range in image.ranges() {
        place.flash(&range)?;
    }
    let inspection = Inspection {
        image,
        sections,
        header: None,
    };
    Ok((inspection, file.entry()))
}

/// Finds the partition of the owner that holds a range.
struct Placer<'a> {
    path: &'a Path,
    owner: Owner,
    spaces: &'a [Space],
}

impl Placer<'_> {
    fn owner_name(&self) -> &'static str {
        match self.owner {
            Owner::Kernel => "kernel",
            Owner::User => "user blob",
        }
    }

    /// The load image (flash bytes) must lie in the owner's flash.
    fn flash(&self, range: &Range<u64>) -> Result<&Space, InspectError> {
        self.find_in("flash bytes (by load address)", range, true)
    }

    /// The owner's space (a flash one if `flash_only`) holding `range`;
    /// `what` names it in errors. A range that starts in a space and runs
    /// past its end is an overflow by the bytes past the end.
    fn find_in(
        &self,
        what: &str,
        range: &Range<u64>,
        flash_only: bool,
    ) -> Result<&Space, InspectError> {
        let candidates = || self.spaces.iter().filter(move |s| s.flash || !flash_only);
        if let Some(space) =
            candidates().find(|s| s.range.start <= range.start && range.end <= s.range.end)
        {
            return Ok(space);
        }
        let starts_in = candidates().find(|s| s.range.contains(&range.start));
        Err(match starts_in {
            Some(p) => InspectError::Overflow {
                path: self.path.to_owned(),
                what: what.to_owned(),
                range: range.clone(),
                owner: self.owner_name(),
                partition: p.name.as_str().into(),
                partition_range: p.range.clone(),
                overflow: range.end - p.range.end,
            },
            None => InspectError::Outside {
                path: self.path.to_owned(),
                what: what.to_owned(),
                range: range.clone(),
                owner: self.owner_name(),
                partitions: candidates()
                    .map(|p| format!("{} {}", p.name, format_range(&p.range)))
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        })
    }
}

/// The header at the user flash origin of `plan`, of kind `expected` or
/// the kind recognised there (mcu-build's when neither is recognised).
/// NuttX's `struct userspace_s` is read in the fields every configuration
/// has: without a tree's `.config` the optional ones are unknown.
fn user_header(
    image: &Image,
    entry: u64,
    path: &Path,
    plan: &Planned,
    expected: Option<HeaderKind>,
) -> Result<UserHeader, InspectError> {
    let origin = plan.user_flash().start;
    let kind = expected
        .or_else(|| header::recognise(header::bytes_at(image, origin)))
        .unwrap_or_default();
    Ok(match kind {
        HeaderKind::McuBuild => UserHeader::McuBuild(check_header(image, entry, path, plan)?),
        HeaderKind::Nuttx => UserHeader::Nuttx(header::nuttx(
            image,
            path,
            origin,
            &Layout::common(),
            &user_partitions(plan),
        )?),
    })
}

/// The user partitions of `plan` as `struct userspace_s` is checked
/// against them: user flash, and every user partition in RAM.
fn user_partitions(plan: &Planned) -> Partitions {
    let flash = plan.user_flash();
    Partitions {
        flash: (flash.name.clone(), flash.start..flash.end),
        ram: plan
            .owned_by(Owner::User)
            .filter(|p| p.kind != MemoryKind::Flash)
            .map(|p| (p.name.clone(), p.start..p.end))
            .collect(),
    }
}

/// mcu-build's header at the user flash origin: well formed, extents
/// inside the user partitions, and its entry the ELF's. A NuttX
/// `struct userspace_s` there is named as what was found.
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
    let header = UserspaceHeader::from_bytes(bytes)
        .and_then(|header| {
            header
                .check_extents(flash, planned::abi(plan.user_sram()))
                .map(|()| header)
        })
        .map_err(|e| {
            if header::recognise(bytes) == Some(HeaderKind::Nuttx) {
                InspectError::UserHeader(header::HeaderError::Mismatch {
                    path: path.to_owned(),
                    address: u64::from(flash.start),
                    found: HeaderKind::Nuttx,
                    expected: HeaderKind::McuBuild,
                })
            } else {
                error(e)
            }
        })?;
    if u64::from(header.entry) != entry {
        return Err(InspectError::EntryMismatch {
            path: path.to_owned(),
            header: header.entry,
            elf: entry,
        });
    }
    Ok(header)
}
