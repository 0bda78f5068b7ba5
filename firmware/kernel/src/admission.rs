//! Whether a process's blob may run.
//!
//! The header at the origin of the process's flash partition must pass
//! every check of [`UserspaceHeader::validate`] (magic, ABI version,
//! extents inside the process's flash and the RAM below its grant region,
//! CRC of the blob), and it must equal the header mcu-build recorded after
//! pass 1: a kernel runs the blob it was built and verified with, not
//! another one that happens to be well formed.

use core::fmt;

use firmware_abi::{HeaderError, UserspaceHeader};

use crate::layout::ProcessEntry;
use crate::user_memory::ProcessMemory;

/// Why the blob was refused.
pub enum Refusal {
    /// The table's grant region is not the top of the RAM partition.
    GrantNotAtTop,
    /// The table recorded no mcu-build header (the blob carries another
    /// kind), so there is nothing to check the blob against.
    NoSealedHeader,
    Header(HeaderError),
    NotTheBuiltBlob { crc32: u32, expected_crc32: u32 },
}

/// The blob's header, if it may run.
pub fn admit(entry: &ProcessEntry) -> Result<UserspaceHeader, Refusal> {
    if !entry.grant_is_at_the_top() {
        return Err(Refusal::GrantNotAtTop);
    }
    let expected = entry.header.ok_or(Refusal::NoSealedHeader)?;
    let memory = ProcessMemory::of(entry);
    let header = memory
        .read(memory.flash.start, memory.flash.len(), |flash| {
            UserspaceHeader::validate(flash, memory.flash, memory.ram)
        })
        .expect("the flash partition is the process's memory")
        .map_err(Refusal::Header)?;
    if header != expected {
        return Err(Refusal::NotTheBuiltBlob {
            crc32: header.crc32,
            expected_crc32: expected.crc32,
        });
    }
    Ok(header)
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GrantNotAtTop => f.write_str(
                "the table's grant region is not the top of the process's RAM partition",
            ),
            Self::NoSealedHeader => {
                f.write_str("the table holds no sealed mcu-build header for this blob")
            }
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
