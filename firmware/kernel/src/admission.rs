//! Whether the user blob in user flash may run.
//!
//! The header must pass every check of [`UserspaceHeader::validate`] (magic,
//! ABI version, extents inside the user partitions, CRC of the blob), and it
//! must equal the header mcu-build recorded after pass 1: a kernel runs the
//! blob it was built and verified with, not another one that happens to be
//! well formed.

use core::fmt;

use firmware_abi::{HeaderError, UserspaceHeader};

use crate::layout::{USER_FLASH, USER_HEADER, USER_SRAM};
use crate::user_memory;

/// Why the blob was refused.
pub enum Refusal {
    Header(HeaderError),
    NotTheBuiltBlob { crc32: u32, expected_crc32: u32 },
}

/// The blob's header, if it may run.
pub fn admit() -> Result<UserspaceHeader, Refusal> {
    let header = user_memory::read(USER_FLASH.start, USER_FLASH.len(), |flash| {
        UserspaceHeader::validate(flash, USER_FLASH, USER_SRAM)
    })
    .expect("the user flash partition is user memory")
    .map_err(Refusal::Header)?;
    if header != USER_HEADER {
        return Err(Refusal::NotTheBuiltBlob {
            crc32: header.crc32,
            expected_crc32: USER_HEADER.crc32,
        });
    }
    Ok(header)
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(error) => error.fmt(f),
            Self::NotTheBuiltBlob {
                crc32,
                expected_crc32,
            } => write!(
                f,
                "not the blob this kernel was built with (its CRC32 is {crc32:#010x}, \
                 the build recorded {expected_crc32:#010x})"
            ),
        }
    }
}
