//! Sealing the user blob: its header's CRC covers the flash bytes from the
//! end of the header to the end of the `.data` load image, which only
//! exist once the blob is linked. After pass 1 mcu-build computes the CRC
//! and writes it into the ELF, at the file offset that loads to the
//! header's `crc32` field, so that user.elf, user.hex and the merged image
//! all carry the sealed header.

use std::path::{Path, PathBuf};

use firmware_abi::{HeaderError, UserspaceHeader};
use object::Endianness;
use object::elf::{FileHeader32, PT_LOAD};
use object::read::elf::{FileHeader as _, ProgramHeader as _};

use super::planned::{self, Planned};
use crate::image::elf::{self, ElfError};
use crate::image::{Image, format_range};

/// The sealed blob.
#[derive(Clone, Debug)]
pub struct Sealed {
    /// The ELF file with the CRC written into the header.
    pub elf: Vec<u8>,
    /// Its flash bytes by load address.
    pub image: Image,
    pub header: UserspaceHeader,
}

/// The blob cannot be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(
        "{}: user flash has a gap at {} inside the bytes the CRC covers; the CRC would depend \
         on erased flash",
        path.display(), format_range(gap)
    )]
    Gap {
        path: PathBuf,
        gap: std::ops::Range<u64>,
    },
    #[error("{}: {error}", path.display())]
    Header { path: PathBuf, error: HeaderError },
    #[error("{}: no PT_LOAD segment stores the header's CRC at {address:#010x}", path.display())]
    NoCrcBytes { path: PathBuf, address: u32 },
    #[error("{}: {error}", path.display())]
    Elf { path: PathBuf, error: ElfError },
}

/// Seals the user blob `elf` (read from `path`, its flash bytes `image`).
pub fn seal(elf: Vec<u8>, image: &Image, path: &Path, plan: &Planned) -> Result<Sealed, SealError> {
    seal_in(elf, image, path, planned::abi(plan.user_flash()))
}

/// Seals the blob `elf` whose header is at the origin of `flash` (a
/// process's flash partition).
pub fn seal_in(
    mut elf: Vec<u8>,
    image: &Image,
    path: &Path,
    flash: firmware_abi::Partition,
) -> Result<Sealed, SealError> {
    let header_error = |error| SealError::Header {
        path: path.to_owned(),
        error,
    };
    let user = image.slice(u64::from(flash.start)..u64::from(flash.end));
    if let Some(gap) = user.gaps().next() {
        return Err(SealError::Gap {
            path: path.to_owned(),
            gap,
        });
    }
    let bytes = user.segments().next().map_or(&[][..], |s| s.data);
    let mut header = UserspaceHeader::from_bytes(bytes).map_err(header_error)?;
    header.crc32 = header.compute_crc(bytes, flash).map_err(header_error)?;
    let crc_address = flash.start + UserspaceHeader::CRC_OFFSET as u32;
    let offset = file_offset(&elf, crc_address).ok_or_else(|| SealError::NoCrcBytes {
        path: path.to_owned(),
        address: crc_address,
    })?;
    elf[offset..offset + 4].copy_from_slice(&header.crc32.to_le_bytes());
    let image = elf::read(&elf)
        .map_err(|error| SealError::Elf {
            path: path.to_owned(),
            error,
        })?
        .image;
    Ok(Sealed { elf, image, header })
}

/// The offset in the file of the byte that loads to `address`, if a
/// PT_LOAD segment stores it.
fn file_offset(elf: &[u8], address: u32) -> Option<usize> {
    let file = FileHeader32::<Endianness>::parse(elf).ok()?;
    let endian = file.endian().ok()?;
    file.program_headers(endian, elf)
        .ok()?
        .iter()
        .filter(|ph| ph.p_type(endian) == PT_LOAD)
        .find_map(|ph| {
            let start = ph.p_paddr(endian);
            let within = address.checked_sub(start)?;
            (within.checked_add(4)? <= ph.p_filesz(endian))
                .then(|| (ph.p_offset(endian) + within) as usize)
        })
}
