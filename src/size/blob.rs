//! One ELF file as `mcu-build size` sees it: its flash and RAM bytes and
//! its sized symbols in flash.
//!
//! Definitions (the units are bytes):
//! - *flash bytes*: the sum of `p_filesz` of the `PT_LOAD` program headers,
//!   i.e. the load image a programmer writes (code, read-only data and the
//!   initial values of `.data` at their load addresses), as
//!   `arm-none-eabi-size` counts text + data;
//! - *flash span*: from the lowest `p_paddr` to the highest
//!   `p_paddr + p_filesz` of those headers, what the blob occupies with its
//!   own gaps;
//! - *RAM bytes*: the sum of `sh_size` of the sections that are allocated
//!   and writable (`SHF_ALLOC | SHF_WRITE`: data, bss, stacks, heaps);
//! - *symbols in flash*: symbol-table entries with `st_size > 0` defined in
//!   an allocated section that has file contents (not `SHT_NOBITS`), minus
//!   the ARM mapping symbols (`$a`, `$t`, `$d`); their bytes are `st_size`.
//!   Aliases (several names for the same address and size, as libgcc's
//!   `__aeabi_dsub`/`__subdf3`) are one symbol, under the name the symbol
//!   table gives first, so that no byte counts twice.

use std::path::{Path, PathBuf};

use object::elf::{PT_LOAD, SHF_ALLOC, SHF_WRITE};
use object::read::elf::{ElfFile32, ProgramHeader as _};
use object::{Object as _, ObjectSection as _, ObjectSymbol as _, SectionFlags, SectionKind};

/// Which blob a symbol comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobKind {
    Flat,
    Kernel,
    User,
}

impl BlobKind {
    pub fn name(self) -> &'static str {
        match self {
            BlobKind::Flat => "flat",
            BlobKind::Kernel => "kernel",
            BlobKind::User => "user",
        }
    }
}

/// A sized symbol in flash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    /// `st_size`, bytes.
    pub size: u64,
}

/// The measured parts of one ELF file.
#[derive(Debug, Clone)]
pub struct Blob {
    pub path: PathBuf,
    pub kind: BlobKind,
    pub flash_bytes: u64,
    /// Lowest and one-past-highest load address, `None` when nothing loads.
    pub flash_span: Option<(u64, u64)>,
    pub ram_bytes: u64,
    pub symbols: Vec<Symbol>,
}

/// Why a file cannot be measured.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a 32-bit Arm firmware ELF ({reason}); expected a linked firmware ELF such as kernel.elf, user.elf, flat.elf or nuttx", path.display())]
    NotElf { path: PathBuf, reason: String },
    #[error("{}: no symbol table; expected an ELF linked without stripping its symbols", path.display())]
    NoSymbols { path: PathBuf },
}

/// Reads and measures `path`.
pub fn read(path: &Path, kind: BlobKind) -> Result<Blob, BlobError> {
    let data = std::fs::read(path).map_err(|source| BlobError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&data, path, kind)
}

/// Measures the ELF bytes `data`; `path` names them in errors.
pub fn parse(data: &[u8], path: &Path, kind: BlobKind) -> Result<Blob, BlobError> {
    let not_elf = |reason: String| BlobError::NotElf {
        path: path.to_owned(),
        reason,
    };
    let file = ElfFile32::<object::Endianness>::parse(data).map_err(|e| not_elf(e.to_string()))?;
    if file.architecture() != object::Architecture::Arm {
        return Err(not_elf(format!(
            "its machine is {:?}, not Arm",
            file.architecture()
        )));
    }
    if file.kind() != object::ObjectKind::Executable {
        return Err(not_elf(format!(
            "it is {:?}, not a linked executable (ET_EXEC)",
            file.kind()
        )));
    }
    let endian = file.endian();
    let mut flash_bytes = 0u64;
    let mut span: Option<(u64, u64)> = None;
    for header in file.elf_program_headers() {
        if header.p_type(endian) != PT_LOAD || header.p_filesz(endian) == 0 {
            continue;
        }
        let start = u64::from(header.p_paddr(endian));
        let end = start + u64::from(header.p_filesz(endian));
        flash_bytes += u64::from(header.p_filesz(endian));
        span = Some(span.map_or((start, end), |(s, e)| (s.min(start), e.max(end))));
    }
    let mut ram_bytes = 0;
    for section in file.sections() {
        if let SectionFlags::Elf { sh_flags } = section.flags() {
            let wanted = u64::from(SHF_ALLOC | SHF_WRITE);
            if sh_flags & wanted == wanted {
                ram_bytes += section.size();
            }
        }
    }
    if file.symbol_table().is_none() {
        return Err(BlobError::NoSymbols {
            path: path.to_owned(),
        });
    }
    let mut symbols = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for symbol in file.symbols() {
        let Some(index) = symbol.section_index() else {
            continue;
        };
        let Ok(section) = file.section_by_index(index) else {
            continue;
        };
        let in_flash = crate::image::elf::is_allocated(&section)
            && !matches!(
                section.kind(),
                SectionKind::UninitializedData | SectionKind::UninitializedTls
            );
        let name = symbol.name().unwrap_or("");
        if !in_flash || symbol.size() == 0 || name.is_empty() || name.starts_with('$') {
            continue;
        }
        if !seen.insert((index.0, symbol.address(), symbol.size())) {
            continue;
        }
        symbols.push(Symbol {
            name: name.to_owned(),
            size: symbol.size(),
        });
    }
    Ok(Blob {
        path: path.to_owned(),
        kind,
        flash_bytes,
        flash_span: span,
        ram_bytes,
        symbols,
    })
}
