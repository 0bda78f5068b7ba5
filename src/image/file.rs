//! Image files on disk: naming inputs (`file.bin@0x08020000`), telling the
//! format from the content, loading, and saving atomically.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::Image;
use super::bin::{self, BinReadError, BinWriteError};
use super::elf::{self, ElfError, ElfInfo};
use super::ihex::{self, HexError, RecordCounts, RecordLength};
use crate::number::{self, NumberError};
use crate::output::{self, WriteError};
use crate::pipelined::write_pipelined;

/// The three image formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Intel HEX.
    Hex,
    /// ELF executable.
    Elf,
    /// Raw binary.
    Bin,
}

impl Format {
    /// The format an output path asks for by its extension.
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "hex" | "ihex" | "ihx" | "h86" => Some(Format::Hex),
            "elf" | "axf" | "out" => Some(Format::Elf),
            "bin" | "img" => Some(Format::Bin),
            _ => None,
        }
    }

    /// The format of `content`: ELF by its magic, Intel HEX when the first
    /// non-blank byte after an optional UTF-8 byte-order mark is `:`. Anything else could only be a raw binary,
    /// which needs a base address and so is never guessed.
    pub fn detect(content: &[u8]) -> Option<Format> {
        if content.starts_with(b"\x7fELF") {
            return Some(Format::Elf);
        }
        // A HEX file saved by a Windows editor may start with a UTF-8
        // byte-order mark, which the HEX reader skips.
        let text = content.strip_prefix(ihex::UTF8_BOM).unwrap_or(content);
        let first = text.iter().find(|b| !b.is_ascii_whitespace());
        (first == Some(&b':')).then_some(Format::Hex)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Hex => "Intel HEX",
            Format::Elf => "ELF",
            Format::Bin => "binary",
        })
    }
}

/// An input file, and for a raw binary the address of its first byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSpec {
    pub path: PathBuf,
    pub base: Option<u32>,
}

impl FromStr for InputSpec {
    type Err = NumberError;

    /// `PATH` or `PATH@ADDRESS`; the part after the last `@` is an address
    /// when it starts like a number (a digit, or a sign or `_`, which are
    /// refused with the number's error) and holds no path separator, so
    /// `dir@2/file.hex` and `notes@home.hex` stay paths.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let like_number = |address: &str| {
            address.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '_'))
                && !address.contains(['/', std::path::MAIN_SEPARATOR])
        };
        match text.rsplit_once('@') {
            Some((path, address)) if like_number(address) => Ok(InputSpec {
                path: path.into(),
                base: Some(number::parse_u32(address)?),
            }),
            _ => Ok(InputSpec {
                path: text.into(),
                base: None,
            }),
        }
    }
}

impl fmt::Display for InputSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(base) = self.base {
            write!(f, "@{base:#010x}")?;
        }
        Ok(())
    }
}

/// What the loader learned about a file besides its image.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "format")]
pub enum Details {
    Hex { records: RecordCounts },
    Elf(ElfInfo),
    Bin { base: u32 },
}

/// A loaded input file.
#[derive(Clone, Debug)]
pub struct LoadedFile {
    pub spec: InputSpec,
    pub format: Format,
    pub image: Image,
    pub details: Details,
}

/// Loading an input failed; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:{error}", path.display())]
    Hex { path: PathBuf, error: HexError },
    #[error("{}: {error}", path.display())]
    Elf { path: PathBuf, error: ElfError },
    #[error("{}: {error}", path.display())]
    Bin { path: PathBuf, error: BinReadError },
    #[error(
        "{}: not an ELF or Intel HEX file; for a raw binary give the address of its first byte, \
         e.g. {}@0x08000000",
        path.display(),
        path.display()
    )]
    Unrecognised { path: PathBuf },
}

/// Loads `spec`: a raw binary at its base when one is given, otherwise ELF or
/// Intel HEX as detected from the content. HEX is parsed as it is read.
pub fn load(spec: &InputSpec) -> Result<LoadedFile, LoadError> {
    let path = spec.path.clone();
    let io_error = |error| LoadError::Io {
        path: spec.path.clone(),
        error,
    };
    let mut reader = std::fs::File::open(&spec.path)
        .map(|file| BufReader::with_capacity(1 << 16, file))
        .map_err(io_error)?;
    let detected = Format::detect(reader.fill_buf().map_err(io_error)?);
    fn read_all(mut reader: impl Read) -> std::io::Result<Vec<u8>> {
        let mut content = Vec::new();
        reader.read_to_end(&mut content).map(|_| content)
    }
    let (format, image, details) = match (spec.base, detected) {
        (Some(base), _) => {
            // At most one byte more than fits above `base`: enough for
            // bin::read to refuse a file that runs past 0xFFFFFFFF, and a
            // bound on an endless source such as /dev/zero.
            let room = super::ADDRESS_SPACE_END - u64::from(base);
            let content = read_all(reader.take(room + 1)).map_err(io_error)?;
            let image = bin::read(content, base).map_err(|error| LoadError::Bin { path, error })?;
            (Format::Bin, image, Details::Bin { base })
        }
        (None, Some(Format::Elf)) => {
            // Only a regular file can seek to the segments; a pipe
            // (`<(...)`, /dev/stdin) is read whole first.
            let seekable = reader.get_ref().metadata().is_ok_and(|meta| meta.is_file());
            let file = if seekable {
                elf::read_from(reader)
            } else {
                elf::read(&read_all(reader).map_err(io_error)?)
            }
            .map_err(|error| LoadError::Elf { path, error })?;
            (Format::Elf, file.image, Details::Elf(file.info))
        }
        (None, Some(Format::Hex)) => {
            let file = ihex::read_from(reader).map_err(|error| LoadError::Hex { path, error })?;
            let details = Details::Hex {
                records: file.records,
            };
            (Format::Hex, file.image, details)
        }
        (None, _) => return Err(LoadError::Unrecognised { path }),
    };
    Ok(LoadedFile {
        spec: spec.clone(),
        format,
        image,
        details,
    })
}

/// How to store an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaveOptions {
    pub format: Format,
    /// Data bytes per HEX data record.
    pub record_length: RecordLength,
    /// The byte that fills gaps in a binary.
    pub fill: u8,
    /// The largest gap a binary may fill and the largest binary.
    pub limits: bin::Limits,
}

impl SaveOptions {
    pub fn new(format: Format) -> Self {
        SaveOptions {
            format,
            record_length: RecordLength::default(),
            fill: 0xFF,
            limits: bin::Limits::default(),
        }
    }
}

/// Saving an image failed.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{}: {error}", path.display())]
    Bin { path: PathBuf, error: BinWriteError },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Encodes `image` and writes it to `path` atomically: on any error the
/// destination is left as it was. Encoding and writing overlap (see
/// [`write_pipelined`]).
pub fn save(image: &Image, path: &Path, options: &SaveOptions) -> Result<(), SaveError> {
    if options.format == Format::Bin {
        bin::check(image, options.limits).map_err(|error| SaveError::Bin {
            path: path.to_owned(),
            error,
        })?;
    }
    output::write_atomically_with(path, |out| {
        write_pipelined(out, |mut blocks| match options.format {
            Format::Hex => ihex::write_to(image, options.record_length, &mut blocks),
            Format::Elf => elf::write_to(image, &mut blocks),
            Format::Bin => bin::write_to(image, options.fill, &mut blocks),
        })
    })?;
    Ok(())
}
