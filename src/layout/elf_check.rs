//! Checking linked ELF files against a plan: every allocated section and
//! every loaded byte must lie in its owner's partitions.
//!
//! The MPU verifier proves that unprivileged code reaches exactly the user
//! partitions; this check closes the loop by proving the linked blobs sit in
//! them. A user section that spills past user SRAM would fault; a kernel
//! section that lands in a user partition would be readable (or writable)
//! by user code. Two views of an ELF are checked:
//!
//! - each `SHF_ALLOC` section at its run address (`sh_addr`): `.data` and
//!   `.bss` in SRAM, `.text` in flash; an executable section must be in a
//!   partition that may execute, a writable one in a partition that may be
//!   written (RAM);
//! - each `PT_LOAD` segment's file bytes at their load address (`p_paddr`):
//!   what is programmed into flash, including the `.data` image.

use std::ops::Range;

use object::elf;
use object::read::elf::{ElfFile32, FileHeader, ProgramHeader};
use object::{Endianness, Object, ObjectSection, SectionFlags};
use serde::Serialize;

use super::plan::{Partition, Plan};
use super::request::Owner;
use crate::image::format_range;
use crate::mpu::MemoryKind;

/// Part of an ELF file that occupies memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Extent {
    /// The section name, or `PT_LOAD[i]` for a program header.
    pub name: String,
    pub start: u64,
    pub end: u64,
    /// A section with `SHF_EXECINSTR`.
    pub executable: bool,
    /// A section with `SHF_WRITE`.
    pub writable: bool,
}

/// An ELF file could not be read for its extents.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ExtentsError {
    pub error: String,
}

/// The allocated sections (run addresses) and the `PT_LOAD` file bytes
/// (load addresses) of a 32-bit ELF file.
pub fn read_extents(data: &[u8]) -> Result<Vec<Extent>, ExtentsError> {
    let file = ElfFile32::<Endianness>::parse(data).map_err(|e| ExtentsError {
        error: format!("not a 32-bit ELF file: {e}"),
    })?;
    let mut extents = Vec::new();
    for section in file.sections() {
        let SectionFlags::Elf { sh_flags } = section.flags() else {
            continue;
        };
        if sh_flags & u64::from(elf::SHF_ALLOC) == 0 || section.size() == 0 {
            continue;
        }
        extents.push(Extent {
            name: section.name().unwrap_or("<unnamed>").to_owned(),
            start: section.address(),
            end: section.address() + section.size(),
            executable: sh_flags & u64::from(elf::SHF_EXECINSTR) != 0,
            writable: sh_flags & u64::from(elf::SHF_WRITE) != 0,
        });
    }
    let endian = file.endian();
    let headers = file
        .elf_header()
        .program_headers(endian, data)
        .map_err(|e| ExtentsError {
            error: format!("malformed program headers: {e}"),
        })?;
    for (i, ph) in headers.iter().enumerate() {
        let size = u64::from(ph.p_filesz(endian));
        if ph.p_type(endian) != elf::PT_LOAD || size == 0 {
            continue;
        }
        let start = u64::from(ph.p_paddr(endian));
        extents.push(Extent {
            name: format!("PT_LOAD[{i}] (load address)"),
            start,
            end: start + size,
            executable: false,
            writable: false,
        });
    }
    Ok(extents)
}

/// An extent that is not where the plan says it must be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum Misplaced {
    #[error("{name} at {} is outside every {owner} partition", format_range(&(*start..*end)))]
    Outside {
        name: String,
        owner: Owner,
        start: u64,
        end: u64,
    },
    #[error(
        "{name} at {} overflows partition {partition} ({}) by {bytes} bytes",
        format_range(&(*start..*end)),
        format_range(partition_range)
    )]
    Overflow {
        name: String,
        start: u64,
        end: u64,
        partition: String,
        partition_range: Range<u64>,
        bytes: u64,
    },
    #[error("{name} is {what} but partition {partition} is {kind}, which the MPU makes {access}")]
    Permission {
        name: String,
        what: &'static str,
        partition: String,
        kind: MemoryKind,
        access: String,
    },
}

/// Checks that every extent of the `owner`'s ELF lies in its partitions.
pub fn check(plan: &Plan, owner: Owner, extents: &[Extent]) -> Vec<Misplaced> {
    let partitions: Vec<&Partition> = plan
        .partitions
        .iter()
        .filter(|p| p.owner == owner)
        .collect();
    extents
        .iter()
        .filter_map(|e| misplaced(&partitions, owner, e))
        .collect()
}

fn misplaced(partitions: &[&Partition], owner: Owner, e: &Extent) -> Option<Misplaced> {
    let home = partitions
        .iter()
        .find(|p| (p.start..p.end).contains(&e.start))
        .or_else(|| {
            partitions
                .iter()
                .find(|p| e.start < p.end && p.start < e.end)
        });
    let Some(p) = home else {
        return Some(Misplaced::Outside {
            name: e.name.clone(),
            owner,
            start: e.start,
            end: e.end,
        });
    };
    let bytes = p.start.saturating_sub(e.start) + e.end.saturating_sub(p.end);
    if bytes > 0 {
        return Some(Misplaced::Overflow {
            name: e.name.clone(),
            start: e.start,
            end: e.end,
            partition: p.name.clone(),
            partition_range: p.start..p.end,
            bytes,
        });
    }
    // The kernel may run code from RAM (the default map allows it); user
    // RAM is execute-never.
    let (what, allowed) = match (e.executable && owner == Owner::User, e.writable) {
        (true, _) => ("executable", p.kind == MemoryKind::Flash),
        (false, true) => ("writable", p.kind == MemoryKind::Ram),
        (false, false) => return None,
    };
    (!allowed).then(|| Misplaced::Permission {
        name: e.name.clone(),
        what,
        partition: p.name.clone(),
        kind: p.kind,
        access: p.kind.user_access().to_string(),
    })
}
