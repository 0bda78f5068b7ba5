//! Which header the user blob starts with, and naming the other kind when
//! it is found where one was expected.
//!
//! Two headers tell a kernel where the user blob's code and data are:
//! mcu-build's own (`firmware_abi::UserspaceHeader`, magic `"MCUU"`, which
//! the bundled firmware and `templates/` use) and NuttX's `struct
//! userspace_s` (no magic, see [`crate::nuttx::userspace`]). A blob built
//! with one and checked as the other would fail with a message about a
//! bad magic number or a field out of place; recognising the other kind
//! turns that into "X found, but the project expects Y".

use std::path::{Path, PathBuf};

use firmware_abi::{MAGIC, UserspaceHeader};
use serde::Serialize;

use crate::image::Image;
use crate::nuttx::userspace::{Layout, Partitions, Userspace, UserspaceError};

/// A kind of user header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderKind {
    /// `firmware_abi::UserspaceHeader`, magic `"MCUU"`, sealed with a CRC.
    #[default]
    McuBuild,
    /// NuttX's `struct userspace_s`.
    Nuttx,
}

impl HeaderKind {
    /// The kind `name` (`mcu-build.toml`'s spelling) names.
    pub fn parse(name: &str) -> Option<HeaderKind> {
        match name {
            "mcu-build" => Some(HeaderKind::McuBuild),
            "nuttx" => Some(HeaderKind::Nuttx),
            _ => None,
        }
    }

    /// What the kind is found as, in messages.
    fn found_as(self) -> &'static str {
        match self {
            HeaderKind::McuBuild => "mcu-build's user header (magic \"MCUU\")",
            HeaderKind::Nuttx => "NuttX userspace_s",
        }
    }

    /// What a project of this kind expects, in messages.
    fn expected_as(self) -> &'static str {
        match self {
            HeaderKind::McuBuild => {
                "the mcu-build header (firmware_abi::UserspaceHeader, magic \"MCUU\")"
            }
            HeaderKind::Nuttx => "a NuttX struct userspace_s",
        }
    }

    /// What to change when a blob holds the other kind.
    fn remedy(self) -> &'static str {
        match self {
            HeaderKind::McuBuild => {
                "if the user blob is NuttX's, set `header = \"nuttx\"` in [pass1] of \
                 mcu-build.toml"
            }
            HeaderKind::Nuttx => {
                "the blob was built against mcu-build's ABI; for it, set `header = \
                 \"mcu-build\"` in [pass1] (a [nuttx] project's user blob must be NuttX's)"
            }
        }
    }
}

impl std::fmt::Display for HeaderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HeaderKind::McuBuild => "mcu-build",
            HeaderKind::Nuttx => "nuttx",
        })
    }
}

/// The kind the bytes at the user flash origin look like: mcu-build's
/// magic, else a plausible `struct userspace_s`, else neither.
pub fn recognise(bytes: &[u8]) -> Option<HeaderKind> {
    let first = bytes
        .first_chunk::<4>()
        .map(|word| u32::from_le_bytes(*word));
    if first == Some(MAGIC) {
        Some(HeaderKind::McuBuild)
    } else if Userspace::plausible(bytes) {
        Some(HeaderKind::Nuttx)
    } else {
        None
    }
}

/// The header a user blob was inspected with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserHeader {
    /// As built: the CRC may be unsealed until pass 1 seals it.
    McuBuild(UserspaceHeader),
    Nuttx(Userspace),
}

impl UserHeader {
    pub fn kind(&self) -> HeaderKind {
        match self {
            UserHeader::McuBuild(_) => HeaderKind::McuBuild,
            UserHeader::Nuttx(_) => HeaderKind::Nuttx,
        }
    }

    /// The fields in hexadecimal, as a reference manual shows them, for
    /// build.json.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let hex = |value: u32| format!("{value:#010x}");
        match self {
            UserHeader::McuBuild(h) => [
                ("magic", h.magic),
                ("abi-version", h.abi_version),
                ("header-size", h.header_size),
                ("entry", h.entry),
                ("text-start", h.text_start),
                ("text-end", h.text_end),
                ("data-load", h.data_load),
                ("data-start", h.data_start),
                ("data-end", h.data_end),
                ("bss-start", h.bss_start),
                ("bss-end", h.bss_end),
                ("heap-start", h.heap_start),
                ("heap-end", h.heap_end),
                ("stack-start", h.stack_start),
                ("stack-end", h.stack_end),
                ("crc32", h.crc32),
            ]
            .into_iter()
            .map(|(name, value)| (name, hex(value)))
            .collect(),
            UserHeader::Nuttx(u) => u
                .fields
                .iter()
                .map(|&(name, value)| (name, hex(value)))
                .collect(),
        }
    }
}

/// The user blob holds another header than the project expects, or a
/// `struct userspace_s` that does not describe it.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error(
        "{}: {} found at the user flash origin {address:#010x}, but the project expects {}; {}",
        path.display(), found.found_as(), expected.expected_as(), expected.remedy()
    )]
    Mismatch {
        path: PathBuf,
        address: u64,
        found: HeaderKind,
        expected: HeaderKind,
    },
    #[error("{}: {error}", path.display())]
    Userspace {
        path: PathBuf,
        error: UserspaceError,
    },
}

/// The bytes of `image` from `address` to the end of its segment.
pub fn bytes_at(image: &Image, address: u64) -> &[u8] {
    u32::try_from(address)
        .ok()
        .and_then(|a| image.segment_at(a))
        .map_or(&[][..], |segment| {
            &segment.data[(address - u64::from(segment.address)) as usize..]
        })
}

/// The `struct userspace_s` of `layout` at `address` of the user blob
/// `image` (read from `path`), checked against `partitions`; mcu-build's
/// magic there is named as what was found.
pub fn nuttx(
    image: &Image,
    path: &Path,
    address: u64,
    layout: &Layout,
    partitions: &Partitions,
) -> Result<Userspace, HeaderError> {
    if recognise(bytes_at(image, address)) == Some(HeaderKind::McuBuild) {
        return Err(HeaderError::Mismatch {
            path: path.to_owned(),
            address,
            found: HeaderKind::McuBuild,
            expected: HeaderKind::Nuttx,
        });
    }
    let error = |error| HeaderError::Userspace {
        path: path.to_owned(),
        error,
    };
    let header = Userspace::read(image, address, layout).map_err(error)?;
    header.check(partitions).map_err(error)?;
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_kind_and_neither() {
        let mut mcu = MAGIC.to_le_bytes().to_vec();
        mcu.resize(64, 0);
        assert_eq!(recognise(&mcu), Some(HeaderKind::McuBuild));
        // us_entrypoint (Thumb), text 0x20030..0x2ee6b, data and bss ordered.
        let words: [u32; 11] = [
            0x20b79,
            0x20030,
            0x2ee6b,
            0x2ee74,
            0x2000_5000,
            0x2000_501c,
            0x2000_501c,
            0x2000_56c4,
            0,
            0x2000_5000,
            0x20031,
        ];
        let nuttx: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(recognise(&nuttx), Some(HeaderKind::Nuttx));
        assert_eq!(recognise(&[0xff; 64]), None);
        assert_eq!(recognise(&[]), None);
    }

    #[test]
    fn a_mismatch_names_what_was_found_and_what_was_expected() {
        let error = HeaderError::Mismatch {
            path: "user.elf".into(),
            address: 0x20000,
            found: HeaderKind::Nuttx,
            expected: HeaderKind::McuBuild,
        }
        .to_string();
        assert!(
            error.starts_with(
                "user.elf: NuttX userspace_s found at the user flash origin 0x00020000, but the \
                 project expects the mcu-build header"
            ),
            "{error}"
        );
        assert_eq!(HeaderKind::parse("nuttx"), Some(HeaderKind::Nuttx));
        assert_eq!(HeaderKind::parse("NuttX"), None);
    }
}
