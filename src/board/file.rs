//! The board file format: TOML structures as written, and their validation
//! into a [`Board`].
//!
//! Addresses and sizes may be TOML integers (`0x08000000`, `1048576`) or
//! strings in the forms [`crate::number`] reads (`"1M"`, `"128K"`), because
//! memory sizes are written that way in datasheets (see
//! [`toml_input::Number`]). Board, memory and partition names must be
//! plain identifiers ([`Name`]), because the board name becomes a
//! directory and all of them are pasted into generated files.

use std::num::NonZeroU8;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::name::{Name, NameKind};
use super::{Board, Console, ConsoleKind, Memory, Mpu};
use crate::layout::request::{
    KERNEL_FLASH, KERNEL_SRAM, Owner, PartitionRequest, Request, Size, Splits, USER_FLASH,
    USER_SRAM,
};
use crate::mpu::{ADDRESS_SPACE_END, Arch, MAX_REGIONS, MemoryKind};
use crate::toml_input::{self, Keyword, Number, Source, Table, TableForm};

/// A board could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] toml_input::Located),
    #[error("no bundled board {name:?}; the bundled boards are {}; or give --board-file", known.join(", "))]
    Unknown { name: String, known: Vec<String> },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawBoard {
    name: Spanned<String>,
    description: String,
    cpu: String,
    probe_rs_chip: Option<String>,
    qemu_machine: Option<Spanned<String>>,
    rust_target: Option<Spanned<String>>,
    core_clock_hz: Option<Spanned<u32>>,
    console: Option<Table<RawConsole>>,
    mpu: Table<RawMpu>,
    memory: Vec<Table<RawMemory>>,
    partitions: Table<RawPartitions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConsole {
    kind: Keyword<ConsoleKind>,
    base: Spanned<Number>,
}

impl TableForm for RawConsole {
    const EXPECTED: &'static str = "a table such as [console] with kind = \"cmsdk-apb-uart\" \
                                    (or \"pl011\") and base = 0x40004000";
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMpu {
    kind: Spanned<Keyword<RawMpuKind>>,
    regions: Option<Spanned<NonZeroU8>>,
    kernel_regions: Option<Spanned<u8>>,
}

impl TableForm for RawMpu {
    const EXPECTED: &'static str = "a table such as [mpu] with kind = \"armv7m\" and regions = 8";
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawMpuKind {
    Armv7m,
    Armv8m,
    None,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMemory {
    name: Spanned<String>,
    kind: Keyword<MemoryKind>,
    origin: Spanned<Number>,
    length: Spanned<Number>,
}

impl TableForm for RawMemory {
    const EXPECTED: &'static str = "a table such as [[memory]] with name = \"flash\", \
                                    kind = \"flash\", origin = 0x08000000 and length = \"1M\"";
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPartitions {
    kernel_flash: Table<RawPartition>,
    user_flash: Table<RawPartition>,
    kernel_sram: Table<RawPartition>,
    user_sram: Table<RawPartition>,
    kernel_heap: Spanned<Number>,
    #[serde(default)]
    extra: Vec<Table<RawPartition>>,
}

impl TableForm for RawPartitions {
    const EXPECTED: &'static str = "a table such as [partitions] with kernel-flash, user-flash, \
                                    kernel-sram, user-sram and kernel-heap";
}

/// A partition; `name` only in `extra`, the standard ones are named by
/// their key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPartition {
    name: Option<Spanned<String>>,
    memory: Spanned<String>,
    size: Spanned<Number>,
    origin: Option<Spanned<Number>>,
}

impl TableForm for RawPartition {
    const EXPECTED: &'static str =
        "a table such as { memory = \"flash\", size = \"64K\" } (with name = ... in extra)";
}

/// The board file's readers of typed values.
impl Source<'_> {
    /// `text` as a name of `kind`, refused at its span under `key`.
    fn name(&self, text: &Spanned<String>, kind: NameKind, key: &str) -> Result<Name, BoardError> {
        Name::new(text.get_ref(), kind).map_err(|e| self.error(text.span(), key, e.to_string()))
    }

    fn number(&self, value: &Spanned<Number>, key: &str) -> Result<u64, BoardError> {
        value
            .get_ref()
            .to_u64()
            .map_err(|e| self.error(value.span(), key, e.to_string()))
    }

    fn address(&self, value: &Spanned<Number>, key: &str) -> Result<u32, BoardError> {
        let n = self.number(value, key)?;
        u32::try_from(n).map_err(|_| {
            self.error(
                value.span(),
                key,
                format!("{n:#x} is beyond the 32-bit address space"),
            )
        })
    }

    fn size(&self, value: &Spanned<Number>, key: &str) -> Result<Size, BoardError> {
        match value.get_ref() {
            Number::Text(text) if text.trim() == "rest" => Ok(Size::Rest),
            _ => Ok(Size::Bytes(self.number(value, key)?)),
        }
    }
}

/// Parses and validates board TOML; a leading byte-order mark is skipped.
pub(super) fn parse(text: &str, path: &Path) -> Result<Board, BoardError> {
    let text = toml_input::strip_bom(text);
    let source = Source { text, path };
    let raw: RawBoard = toml_input::from_str(text)
        .map_err(|e| source.error::<BoardError>(e.span, e.key, e.message))?;
    validate(raw, &source)
}

fn validate(raw: RawBoard, source: &Source<'_>) -> Result<Board, BoardError> {
    let name = source.name(&raw.name, NameKind::Board, "name")?;
    let mpu = validate_mpu(&raw.mpu, source)?;
    let memories = validate_memories(&raw.memory, source)?;
    let partitions = validate_partitions(&raw.partitions, &memories, source)?;
    let rust_target = raw
        .rust_target
        .map(|target| validate_rust_target(target, source))
        .transpose()?;
    let qemu_machine = raw
        .qemu_machine
        .map(|machine| validate_qemu_machine(machine, source))
        .transpose()?;
    if let Some(clock) = raw.core_clock_hz.as_ref().filter(|c| *c.get_ref() == 0) {
        return Err(source.error(clock.span(), "core-clock-hz", "a clock of 0 Hz never ticks"));
    }
    let console = raw
        .console
        .map(|c| {
            Ok::<_, BoardError>(Console {
                kind: c.kind.0,
                base: source.address(&c.base, "console.base")?,
            })
        })
        .transpose()?;
    Ok(Board {
        name,
        description: raw.description,
        cpu: raw.cpu,
        mpu,
        memories,
        probe_rs_chip: raw.probe_rs_chip,
        qemu_machine,
        partitions,
        rust_target,
        core_clock_hz: raw.core_clock_hz.map(Spanned::into_inner),
        console,
    })
}

/// Protected firmware runs on Cortex-M, so its Rust targets are the
/// `thumbv*-none-*` bare-metal ones; anything else is a typo or a hosted
/// triple that would build code the board cannot run. The triple also
/// becomes a directory name (`target/<triple>/`) and an environment value
/// for the passes, so it must have a triple's form, as rustc spells its
/// targets: non-empty parts of ASCII letters, digits, `_` and `.` joined by
/// `-`, and no `..`.
fn validate_rust_target(
    target: Spanned<String>,
    source: &Source<'_>,
) -> Result<String, BoardError> {
    let name = target.get_ref();
    let fault = triple_fault(name).or_else(|| {
        (!(name.starts_with("thumbv") && name.contains("-none-"))).then(|| {
            format!(
                "{name:?} is not a bare-metal Arm M-profile target such as \"thumbv7em-none-eabi\""
            )
        })
    });
    match fault {
        None => Ok(target.into_inner()),
        Some(fault) => Err(source.error(target.span(), "rust-target", fault)),
    }
}

/// A QEMU machine name (`-M` takes it): letters, digits, '.', '_' and
/// '-', starting with a letter or digit, so that it can be neither an
/// option (`-kernel ...`) nor one of QEMU's queries (`help`, `?`).
fn validate_qemu_machine(
    machine: Spanned<String>,
    source: &Source<'_>,
) -> Result<String, BoardError> {
    let name = machine.get_ref();
    let plain = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if plain && name != "help" {
        return Ok(machine.into_inner());
    }
    Err(source.error(
        machine.span(),
        "qemu-machine",
        format!(
            "{name:?} is not a QEMU machine name such as \"mps2-an386\" (letters, digits, \
             '.', '_' and '-', starting with a letter or digit)"
        ),
    ))
}

/// What keeps `name` from having a target triple's form, if anything.
fn triple_fault(name: &str) -> Option<String> {
    let expected = "expected a target triple such as \"thumbv7em-none-eabi\" (letters, \
                    digits, '_' and '.' in parts joined by '-')";
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Some(format!("{expected}, found {bad:?} in {name:?}"));
    }
    if name.split('-').any(str::is_empty) {
        return Some(format!("{expected}, found an empty part in {name:?}"));
    }
    if name.contains("..") {
        return Some(format!("{expected}, found \"..\" in {name:?}"));
    }
    None
}

fn validate_mpu(raw: &RawMpu, source: &Source<'_>) -> Result<Option<Mpu>, BoardError> {
    let arch = match raw.kind.get_ref().0 {
        RawMpuKind::Armv7m => Arch::Armv7m,
        RawMpuKind::Armv8m => Arch::Armv8m,
        RawMpuKind::None => return Ok(None),
    };
    let Some(regions_value) = &raw.regions else {
        return Err(source.error(
            raw.kind.span(),
            "mpu.regions",
            format!("an {arch} MPU needs `regions`, the number of regions the core has"),
        ));
    };
    let regions = regions_value.get_ref().get();
    if !(1..=MAX_REGIONS).contains(&regions) {
        return Err(source.error(
            regions_value.span(),
            "mpu.regions",
            format!("expected 1 to {MAX_REGIONS} regions, found {regions}"),
        ));
    }
    let kernel_regions = raw.kernel_regions.as_ref().map_or(0, |k| *k.get_ref());
    if let Some(k) = raw
        .kernel_regions
        .as_ref()
        .filter(|_| kernel_regions >= regions)
    {
        return Err(source.error(
            k.span(),
            "mpu.kernel-regions",
            format!(
                "the kernel keeps {kernel_regions} of {regions} regions, leaving none for user partitions"
            ),
        ));
    }
    Ok(Some(Mpu {
        arch,
        regions,
        kernel_regions,
    }))
}

fn validate_memories(
    raw: &[Table<RawMemory>],
    source: &Source<'_>,
) -> Result<Vec<Memory>, BoardError> {
    let mut memories: Vec<Memory> = Vec::new();
    for (i, m) in raw.iter().enumerate() {
        let key = |field: &str| format!("memory[{i}].{field}");
        let origin = source.address(&m.origin, &key("origin"))?;
        let length = source.number(&m.length, &key("length"))?;
        if length == 0 || u64::from(origin) + length > ADDRESS_SPACE_END {
            return Err(source.error(
                m.length.span(),
                key("length"),
                format!("{length:#x} bytes at {origin:#010x} is empty or runs past the 32-bit address space"),
            ));
        }
        let memory = Memory {
            name: source.name(&m.name, NameKind::Memory, &key("name"))?.into(),
            kind: m.kind.0,
            origin,
            length,
        };
        if let Some(other) = memories.iter().find(|o| o.name == memory.name) {
            return Err(source.error(
                m.name.span(),
                key("name"),
                format!("memory {:?} is named twice", other.name),
            ));
        }
        if let Some(other) = memories
            .iter()
            .find(|o| u64::from(o.origin) < memory.end() && u64::from(memory.origin) < o.end())
        {
            return Err(source.error(
                m.origin.span(),
                key("origin"),
                format!("memory {:?} overlaps memory {:?}", memory.name, other.name),
            ));
        }
        memories.push(memory);
    }
    if memories.is_empty() {
        return Err(source.error(0..0, "memory", "the board has no [[memory]]"));
    }
    Ok(memories)
}

fn validate_partitions(
    raw: &RawPartitions,
    memories: &[Memory],
    source: &Source<'_>,
) -> Result<Request, BoardError> {
    let standard = [
        (KERNEL_FLASH, Owner::Kernel, &raw.kernel_flash),
        (USER_FLASH, Owner::User, &raw.user_flash),
        (KERNEL_SRAM, Owner::Kernel, &raw.kernel_sram),
        (USER_SRAM, Owner::User, &raw.user_sram),
    ];
    let mut partitions: Vec<PartitionRequest> = Vec::new();
    for (name, owner, p) in standard {
        let key = format!("partitions.{name}");
        if let Some(given) = &p.name {
            return Err(source.error(
                given.span(),
                format!("{key}.name"),
                "the standard partitions are named by their key; `name` is for `extra` partitions",
            ));
        }
        let request = partition(name, owner, p, &key, memories, source)?;
        add(&mut partitions, request, p, &key, source)?;
    }
    for (i, p) in raw.extra.iter().enumerate() {
        let key = format!("partitions.extra[{i}]");
        let Some(name) = &p.name else {
            return Err(source.error(
                p.memory.span(),
                format!("{key}.name"),
                "an extra partition needs a name",
            ));
        };
        let name_key = format!("{key}.name");
        source.name(name, NameKind::Partition, &name_key)?;
        if partitions.iter().any(|q| &q.name == name.get_ref()) {
            return Err(source.error(
                name.span(),
                name_key,
                format!("partition {:?} is named twice", name.get_ref()),
            ));
        }
        let request = partition(name.get_ref(), Owner::User, p, &key, memories, source)?;
        add(&mut partitions, request, p, &key, source)?;
    }
    let kernel_heap = source.number(&raw.kernel_heap, "partitions.kernel-heap")?;
    Ok(Request {
        partitions,
        kernel_heap,
        splits: Splits::default(),
    })
}

/// Appends `request`, refusing a second `rest` partition in one memory:
/// which of the two would get the space is not something to guess.
fn add(
    partitions: &mut Vec<PartitionRequest>,
    request: PartitionRequest,
    raw: &RawPartition,
    key: &str,
    source: &Source<'_>,
) -> Result<(), BoardError> {
    let clash = partitions
        .iter()
        .find(|q| request.size == Size::Rest && q.size == Size::Rest && q.memory == request.memory);
    if let Some(other) = clash {
        return Err(source.error(
            raw.size.span(),
            format!("{key}.size"),
            format!(
                "{} already takes the rest of memory {:?}; only one partition per memory can",
                other.name, other.memory
            ),
        ));
    }
    partitions.push(request);
    Ok(())
}

fn partition(
    name: &str,
    owner: Owner,
    raw: &RawPartition,
    key: &str,
    memories: &[Memory],
    source: &Source<'_>,
) -> Result<PartitionRequest, BoardError> {
    let memory = &raw.memory;
    if !memories.iter().any(|m| &m.name == memory.get_ref()) {
        let known: Vec<&str> = memories.iter().map(|m| m.name.as_str()).collect();
        return Err(source.error(
            memory.span(),
            format!("{key}.memory"),
            format!(
                "no memory {:?} on this board; it has {}",
                memory.get_ref(),
                known.join(", ")
            ),
        ));
    }
    Ok(PartitionRequest {
        name: name.to_owned(),
        owner,
        memory: memory.get_ref().clone(),
        size: source.size(&raw.size, &format!("{key}.size"))?,
        origin: raw
            .origin
            .as_ref()
            .map(|o| source.address(o, &format!("{key}.origin")))
            .transpose()?,
    })
}
