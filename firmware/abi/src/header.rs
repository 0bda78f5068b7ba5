//! The header at the origin of the user flash partition.
//!
//! The kernel and the user blob are linked separately, so the only way the
//! kernel learns where the blob's code, initialised data, zeroed data, heap
//! and stack are is this header. It is a `repr(C)` block of little-endian
//! 32-bit words so that a C user blob, the Rust user blob and the host tool
//! produce and read the same bytes.
//!
//! The CRC covers the flash bytes the blob needs after the header: from the
//! end of the header to the end of the `.data` load image. The linker cannot
//! compute it; the host tool fills it in after pass 1 (see
//! [`UserspaceHeader::compute_crc`] and [`UserspaceHeader::CRC_OFFSET`]).

use core::fmt;
use core::mem::{offset_of, size_of};

use super::crc32::crc32;
use super::partition::Partition;

/// `b"MCUU"` read as a little-endian word: a blob that does not start with
/// it was not built against this ABI at all.
pub const MAGIC: u32 = u32::from_le_bytes(*b"MCUU");

/// Bumped whenever the header layout or the system call convention changes.
pub const ABI_VERSION: u32 = 1;

/// The user blob header. All addresses are absolute; every `*_start`/`*_end`
/// pair is half-open.
///
/// `Address` is `u32` everywhere the header is read. The user blob
/// instantiates it with a pointer type instead, because a Rust static can
/// only take the address of a linker symbol as a pointer, never as an
/// integer; on the 32-bit targets both have the same layout, which the user
/// blob asserts at compile time.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserspaceHeader<Address = u32> {
    /// [`MAGIC`].
    pub magic: u32,
    /// [`ABI_VERSION`] of the blob.
    pub abi_version: u32,
    /// `size_of::<UserspaceHeader>()` as the blob was built.
    pub header_size: u32,
    /// Address of the first instruction, with the Thumb bit set.
    pub entry: Address,
    /// Code and read-only data, in user flash after the header.
    pub text_start: Address,
    pub text_end: Address,
    /// Where the initial `.data` bytes are stored in user flash.
    pub data_load: Address,
    /// Where `.data` runs, in user SRAM.
    pub data_start: Address,
    pub data_end: Address,
    /// `.bss`, zeroed by the kernel before the blob starts.
    pub bss_start: Address,
    pub bss_end: Address,
    /// The user heap, in user SRAM.
    pub heap_start: Address,
    pub heap_end: Address,
    /// The user process stack; it grows down from `stack_end`.
    pub stack_start: Address,
    pub stack_end: Address,
    /// [`crc32`] of the flash bytes from the end of the header to the end
    /// of the `.data` load image.
    pub crc32: u32,
}

/// Number of 32-bit words in the header.
const WORDS: usize = size_of::<UserspaceHeader>() / 4;

/// Why a user blob is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// The user flash partition is smaller than a header.
    Truncated { len: usize },
    /// The first word is not [`MAGIC`].
    Magic { found: u32 },
    /// The blob was built for another ABI version.
    AbiVersion { found: u32 },
    /// The header size is not the one of this ABI version.
    HeaderSize { found: u32 },
    /// A span is inverted or lies (partly) outside the partition that must
    /// hold it.
    OutsidePartition {
        what: &'static str,
        start: u32,
        end: u32,
        partition: Partition,
    },
    /// The entry point is not a Thumb address inside `.text`.
    Entry { entry: u32 },
    /// The initial stack pointer is not 8-byte aligned as the AAPCS requires.
    StackAlignment { stack_end: u32 },
    /// The blob bytes do not match the CRC in the header.
    Crc { stored: u32, computed: u32 },
}

impl UserspaceHeader {
    /// Size of the header in bytes.
    pub const SIZE: usize = size_of::<Self>();

    /// Byte offset of the `crc32` field, for the host tool to patch it.
    pub const CRC_OFFSET: usize = offset_of!(Self, crc32);

    /// Reads a header from the start of `bytes` (little-endian words).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HeaderError> {
        let header = bytes
            .get(..Self::SIZE)
            .ok_or(HeaderError::Truncated { len: bytes.len() })?;
        let mut words = [0u32; WORDS];
        for (word, chunk) in words.iter_mut().zip(header.chunks_exact(4)) {
            *word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Ok(Self::from_words(words))
    }

    /// The header as it is stored in flash.
    pub fn to_bytes(self) -> [u8; Self::SIZE] {
        let mut bytes = [0u8; Self::SIZE];
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(self.to_words()) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        bytes
    }

    /// Parses and checks the header at the start of `user_flash`, the whole
    /// user flash partition as the kernel sees it, including the CRC.
    pub fn validate(
        user_flash: &[u8],
        flash: Partition,
        sram: Partition,
    ) -> Result<Self, HeaderError> {
        let header = Self::from_bytes(user_flash)?;
        header.check_extents(flash, sram)?;
        let computed = header.compute_crc(user_flash, flash)?;
        if computed != header.crc32 {
            return Err(HeaderError::Crc {
                stored: header.crc32,
                computed,
            });
        }
        Ok(header)
    }

    /// Checks magic, version and size, and that every extent is well formed
    /// and inside the user partitions: code and the `.data` load image in
    /// `flash` after the header, everything else in `sram`.
    pub fn check_extents(&self, flash: Partition, sram: Partition) -> Result<(), HeaderError> {
        if self.magic != MAGIC {
            return Err(HeaderError::Magic { found: self.magic });
        }
        if self.abi_version != ABI_VERSION {
            return Err(HeaderError::AbiVersion {
                found: self.abi_version,
            });
        }
        if self.header_size as usize != Self::SIZE {
            return Err(HeaderError::HeaderSize {
                found: self.header_size,
            });
        }
        let after_header = Partition {
            start: flash.start + self.header_size,
            end: flash.end,
        };
        inside("text", self.text_start, self.text_end, after_header)?;
        let entry_address = self.entry & !1;
        if self.entry & 1 == 0 || entry_address < self.text_start || entry_address >= self.text_end
        {
            return Err(HeaderError::Entry { entry: self.entry });
        }
        inside("data", self.data_start, self.data_end, sram)?;
        let data_load_end = self.data_load_end().ok_or(HeaderError::OutsidePartition {
            what: "data load image",
            start: self.data_load,
            end: u32::MAX,
            partition: flash,
        })?;
        let after_text = Partition {
            start: self.text_end,
            end: flash.end,
        };
        inside("data load image", self.data_load, data_load_end, after_text)?;
        inside("bss", self.bss_start, self.bss_end, sram)?;
        inside("heap", self.heap_start, self.heap_end, sram)?;
        inside("stack", self.stack_start, self.stack_end, sram)?;
        if !self.stack_end.is_multiple_of(8) {
            return Err(HeaderError::StackAlignment {
                stack_end: self.stack_end,
            });
        }
        Ok(())
    }

    /// The CRC of the bytes the header's `crc32` covers, read from
    /// `user_flash` (the partition `flash`, starting at the header). The
    /// extents must have passed [`Self::check_extents`].
    pub fn compute_crc(&self, user_flash: &[u8], flash: Partition) -> Result<u32, HeaderError> {
        let start = self.header_size as usize;
        let end = self
            .data_load_end()
            .map(|end| end.wrapping_sub(flash.start) as usize)
            .filter(|&end| start <= end && end <= user_flash.len())
            .ok_or(HeaderError::Truncated {
                len: user_flash.len(),
            })?;
        Ok(crc32(&user_flash[start..end]))
    }

    /// End of the `.data` load image in flash, `None` if `.data` is
    /// inverted or the end overflows.
    fn data_load_end(&self) -> Option<u32> {
        let len = self.data_end.checked_sub(self.data_start)?;
        self.data_load.checked_add(len)
    }

    fn to_words(self) -> [u32; WORDS] {
        [
            self.magic,
            self.abi_version,
            self.header_size,
            self.entry,
            self.text_start,
            self.text_end,
            self.data_load,
            self.data_start,
            self.data_end,
            self.bss_start,
            self.bss_end,
            self.heap_start,
            self.heap_end,
            self.stack_start,
            self.stack_end,
            self.crc32,
        ]
    }

    fn from_words(words: [u32; WORDS]) -> Self {
        let [
            magic,
            abi_version,
            header_size,
            entry,
            text_start,
            text_end,
            data_load,
            data_start,
            data_end,
            bss_start,
            bss_end,
            heap_start,
            heap_end,
            stack_start,
            stack_end,
            crc32,
        ] = words;
        Self {
            magic,
            abi_version,
            header_size,
            entry,
            text_start,
            text_end,
            data_load,
            data_start,
            data_end,
            bss_start,
            bss_end,
            heap_start,
            heap_end,
            stack_start,
            stack_end,
            crc32,
        }
    }
}

fn inside(
    what: &'static str,
    start: u32,
    end: u32,
    partition: Partition,
) -> Result<(), HeaderError> {
    if partition.contains_span(start, end) {
        Ok(())
    } else {
        Err(HeaderError::OutsidePartition {
            what,
            start,
            end,
            partition,
        })
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated { len } => write!(
                f,
                "user flash holds {len} bytes, too few for the header and the blob it describes"
            ),
            Self::Magic { found } => write!(
                f,
                "bad magic {found:#010x} (expected {MAGIC:#010x} \"MCUU\"): no user blob at the user flash origin"
            ),
            Self::AbiVersion { found } => write!(
                f,
                "user blob speaks ABI version {found}, this kernel speaks {ABI_VERSION}"
            ),
            Self::HeaderSize { found } => write!(
                f,
                "header size {found} bytes, ABI version {ABI_VERSION} has {} bytes",
                UserspaceHeader::SIZE
            ),
            Self::OutsidePartition {
                what,
                start,
                end,
                partition,
            } => write!(
                f,
                "{what} [{start:#010x}, {end:#010x}) is not inside [{:#010x}, {:#010x})",
                partition.start, partition.end
            ),
            Self::Entry { entry } => write!(
                f,
                "entry point {entry:#010x} is not a Thumb address inside the blob's text"
            ),
            Self::StackAlignment { stack_end } => {
                write!(
                    f,
                    "initial stack pointer {stack_end:#010x} is not 8-byte aligned"
                )
            }
            Self::Crc { stored, computed } => write!(
                f,
                "blob corrupted: CRC32 is {computed:#010x}, the header says {stored:#010x}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLASH: Partition = Partition {
        start: 0x0004_0000,
        end: 0x0004_0400,
    };
    const SRAM: Partition = Partition {
        start: 0x2001_0000,
        end: 0x2002_0000,
    };

    /// A blob of 0x100 bytes of text and 0x10 bytes of data, as a linker
    /// would lay it out, with its CRC filled in as the host tool does.
    fn image() -> ([u8; 0x400], UserspaceHeader) {
        let mut header = UserspaceHeader {
            magic: MAGIC,
            abi_version: ABI_VERSION,
            header_size: UserspaceHeader::SIZE as u32,
            entry: 0x0004_0041,
            text_start: 0x0004_0040,
            text_end: 0x0004_0140,
            data_load: 0x0004_0140,
            data_start: 0x2001_0000,
            data_end: 0x2001_0010,
            bss_start: 0x2001_0010,
            bss_end: 0x2001_0020,
            heap_start: 0x2001_0020,
            heap_end: 0x2001_8000,
            stack_start: 0x2001_8000,
            stack_end: 0x2002_0000,
            crc32: 0,
        };
        let mut flash = [0u8; 0x400];
        for (index, byte) in flash.iter_mut().enumerate().skip(UserspaceHeader::SIZE) {
            *byte = index as u8;
        }
        header.crc32 = header.compute_crc(&flash, FLASH).unwrap();
        flash[..UserspaceHeader::SIZE].copy_from_slice(&header.to_bytes());
        (flash, header)
    }

    fn refused(flash: &[u8]) -> HeaderError {
        UserspaceHeader::validate(flash, FLASH, SRAM).unwrap_err()
    }

    fn with(edit: impl FnOnce(&mut UserspaceHeader)) -> [u8; 0x400] {
        let (mut flash, mut header) = image();
        edit(&mut header);
        flash[..UserspaceHeader::SIZE].copy_from_slice(&header.to_bytes());
        flash
    }

    #[test]
    fn layout_is_sixteen_little_endian_words() {
        assert_eq!(UserspaceHeader::SIZE, 64);
        assert_eq!(UserspaceHeader::CRC_OFFSET, 60);
        let (flash, _) = image();
        assert_eq!(&flash[..4], b"MCUU");
        assert_eq!(&flash[8..12], &64u32.to_le_bytes());
    }

    #[test]
    fn bytes_round_trip() {
        let (_, header) = image();
        assert_eq!(UserspaceHeader::from_bytes(&header.to_bytes()), Ok(header));
    }

    #[test]
    fn a_well_formed_blob_is_accepted() {
        let (flash, header) = image();
        assert_eq!(UserspaceHeader::validate(&flash, FLASH, SRAM), Ok(header));
    }

    #[test]
    fn a_flipped_byte_anywhere_in_text_or_data_is_refused() {
        let (original, header) = image();
        for offset in UserspaceHeader::SIZE..0x150 {
            let mut flash = original;
            flash[offset] ^= 0x01;
            assert!(
                matches!(refused(&flash), HeaderError::Crc { stored, .. } if stored == header.crc32),
                "offset {offset:#x}"
            );
        }
    }

    #[test]
    fn bytes_after_the_data_load_image_are_not_covered() {
        let (mut flash, _) = image();
        flash[0x150] ^= 0xFF;
        assert!(UserspaceHeader::validate(&flash, FLASH, SRAM).is_ok());
    }

    #[test]
    fn wrong_magic_version_or_size_is_refused() {
        assert_eq!(
            refused(&with(|h| h.magic = 0)),
            HeaderError::Magic { found: 0 }
        );
        assert_eq!(
            refused(&with(|h| h.abi_version = 2)),
            HeaderError::AbiVersion { found: 2 }
        );
        assert_eq!(
            refused(&with(|h| h.header_size = 60)),
            HeaderError::HeaderSize { found: 60 }
        );
        assert_eq!(refused(&[0u8; 8]), HeaderError::Truncated { len: 8 });
    }

    #[test]
    fn every_extent_must_lie_in_its_partition() {
        let outside = |flash: [u8; 0x400]| match refused(&flash) {
            HeaderError::OutsidePartition { what, .. } => what,
            other => panic!("expected OutsidePartition, got {other:?}"),
        };
        assert_eq!(outside(with(|h| h.text_start = 0x0004_0020)), "text");
        assert_eq!(outside(with(|h| h.text_end = 0x0004_0401)), "text");
        assert_eq!(outside(with(|h| h.data_start = 0x2000_FFF0)), "data");
        assert_eq!(
            outside(with(|h| h.data_load = 0x0004_0100)),
            "data load image"
        );
        assert_eq!(
            outside(with(|h| h.data_load = 0x0004_03F8)),
            "data load image"
        );
        assert_eq!(
            outside(with(|h| h.data_load = 0xFFFF_FFF8)),
            "data load image"
        );
        assert_eq!(outside(with(|h| h.bss_end = 0x2002_0001)), "bss");
        assert_eq!(outside(with(|h| h.heap_start = 0x2001_8001)), "heap");
        assert_eq!(outside(with(|h| h.stack_end = 0x2002_0008)), "stack");
    }

    #[test]
    fn entry_must_be_thumb_code_inside_text() {
        assert_eq!(
            refused(&with(|h| h.entry = 0x0004_0040)),
            HeaderError::Entry { entry: 0x0004_0040 }
        );
        assert_eq!(
            refused(&with(|h| h.entry = 0x0004_0141)),
            HeaderError::Entry { entry: 0x0004_0141 }
        );
    }

    #[test]
    fn stack_must_be_eight_byte_aligned() {
        assert_eq!(
            refused(&with(|h| h.stack_end = 0x2001_FFFC)),
            HeaderError::StackAlignment {
                stack_end: 0x2001_FFFC
            }
        );
    }
}
