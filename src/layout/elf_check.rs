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
//! - each loaded section's file bytes at their load address: what is
//!   programmed into flash, including the `.data` image (the bytes
//!   [`crate::image::elf::read`] loads, as objcopy does).
//!
//! Which writable sections may sit in flash: `SHF_WRITE` is not proof that
//! anything writes a section at its run address. Two kinds are only read
//! there, so the "writable" rule does not apply to them:
//!
//! - the constructor and destructor tables (`SHT_INIT_ARRAY`,
//!   `SHT_FINI_ARRAY`, `SHT_PREINIT_ARRAY`; ELF gABI, "Special Sections").
//!   Linkers mark them writable because a dynamic loader relocates them in
//!   place; a statically linked firmware only reads them, and NuttX's
//!   linker scripts place `.init_array` in user flash (as `.init_section`);
//! - the thread-local storage template (`SHF_TLS`: `.tdata`, `.tbss`). Each
//!   thread's TLS block is a copy of it made at thread creation (Drepper,
//!   "ELF Handling For Thread-Local Storage", section 2); the template itself
//!   is never written. `.tbss` (`SHT_NOBITS` with `SHF_TLS`) takes no memory
//!   at its address (the next section starts there), so it is not an extent
//!   at all.

use std::ops::Range;

use object::elf;
use object::read::elf::{ElfFile32, SectionHeader};
use object::{Endianness, Object, ObjectSection, SectionFlags};
use serde::Serialize;

use super::plan::{Partition, Plan};
use super::request::Owner;
use crate::image::elf::{self as image_elf, Part};
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
    /// A section with `SHF_WRITE` that is written at its run address: not a
    /// constructor/destructor table or a TLS template (see the module docs).
    pub writable: bool,
}

/// An ELF file could not be read for its extents.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ExtentsError {
    pub error: String,
}

/// The allocated sections (run addresses) and the loaded sections' file
/// bytes (load addresses) of a 32-bit ELF file.
pub fn read_extents(data: &[u8]) -> Result<Vec<Extent>, ExtentsError> {
    let file = ElfFile32::<Endianness>::parse(data).map_err(|e| ExtentsError {
        error: format!("not a 32-bit ELF file: {e}"),
    })?;
    let mut extents = Vec::new();
    for section in file.sections() {
        let SectionFlags::Elf { sh_flags } = section.flags() else {
            continue;
        };
        let flag = |f: u32| sh_flags & u64::from(f) != 0;
        let kind = section.elf_section_header().sh_type(file.endian());
        let tls = flag(elf::SHF_TLS);
        if !flag(elf::SHF_ALLOC) || section.size() == 0 || (tls && kind == elf::SHT_NOBITS) {
            continue;
        }
        let only_read = tls
            || matches!(
                kind,
                elf::SHT_INIT_ARRAY | elf::SHT_FINI_ARRAY | elf::SHT_PREINIT_ARRAY
            );
        extents.push(Extent {
            name: section_name(&file, section.index().0),
            start: section.address(),
            end: section.address() + section.size(),
            executable: flag(elf::SHF_EXECINSTR),
            writable: flag(elf::SHF_WRITE) && !only_read,
        });
    }
    let loaded = image_elf::loaded_parts(data).map_err(|e| ExtentsError {
        error: e.to_string(),
    })?;
    for part in loaded {
        let start = u64::from(part.address);
        let name = match part.part {
            Part::Section(index) => section_name(&file, index),
            Part::Segment(index) => format!("PT_LOAD[{index}]"),
        };
        extents.push(Extent {
            name: format!("{name} (load address)"),
            start,
            end: start + part.size,
            executable: false,
            writable: false,
        });
    }
    Ok(extents)
}

/// The name of section `index`, or its index when it has no readable name.
fn section_name(file: &ElfFile32<'_, Endianness>, index: usize) -> String {
    file.section_by_index(object::SectionIndex(index))
        .ok()
        .and_then(|s| s.name().ok().map(str::to_owned))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| format!("section {index}"))
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
    check_partitions(&partitions, owner, extents)
}

/// Checks that every extent of the `owner`'s ELF lies in `partitions`
/// (those of one blob: a process's flash and RAM below its grant).
pub fn check_partitions(
    partitions: &[&Partition],
    owner: Owner,
    extents: &[Extent],
) -> Vec<Misplaced> {
    extents
        .iter()
        .filter_map(|e| misplaced(partitions, owner, e))
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
