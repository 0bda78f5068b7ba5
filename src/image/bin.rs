//! Raw binary: bytes with no addresses of their own.
//!
//! Reading needs the address of the first byte (`file.bin@0x08020000`).
//! Writing lays the image out from its lowest address and fills the gaps;
//! it refuses gaps above a limit, because one stray segment (a `.data` run
//! address at 0x20000000 in a flash image at 0x08000000) would otherwise
//! produce a file of hundreds of MiB.

use super::{Image, OverlapPolicy, format_range};

/// The default limit on a single gap in a written binary: 16 MiB.
pub const DEFAULT_MAX_GAP: u64 = 16 << 20;

/// Reading a binary failed: it does not fit in the address space from `base`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "byte offset {offset:#x}: a file of {len:#x} bytes loaded at {base:#010x} runs past 0xFFFFFFFF \
     (expected at most {max:#x} bytes at that base)",
    max = super::ADDRESS_SPACE_END - u64::from(*base)
)]
pub struct BinReadError {
    pub offset: u64,
    pub len: u64,
    pub base: u32,
}

/// Loads `data` as one segment at `base`.
pub fn read(data: &[u8], base: u32) -> Result<Image, BinReadError> {
    let room = super::ADDRESS_SPACE_END - u64::from(base);
    if data.len() as u64 > room {
        return Err(BinReadError {
            offset: room,
            len: data.len() as u64,
            base,
        });
    }
    let mut image = Image::new();
    image
        .insert(base, data, OverlapPolicy::Error)
        .expect("an empty image has no overlaps, and the data fits the address space");
    Ok(image)
}

/// Writing a binary failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BinWriteError {
    #[error(
        "gap of {} between segments is larger than the limit of {max_gap} bytes; \
         write the segments to separate files, or raise the limit with --max-gap",
        format_range(gap)
    )]
    GapTooLarge {
        gap: std::ops::Range<u64>,
        max_gap: u64,
    },
}

/// Lays out `image` from its lowest address, gaps filled with `fill`. The
/// file's first byte is at `image.extent().start`.
pub fn write(image: &Image, fill: u8, max_gap: u64) -> Result<Vec<u8>, BinWriteError> {
    if let Some(gap) = image.gaps().find(|g| g.end - g.start > max_gap) {
        return Err(BinWriteError::GapTooLarge { gap, max_gap });
    }
    Ok(image.flatten(fill))
}
