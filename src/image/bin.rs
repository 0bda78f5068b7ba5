//! Raw binary: bytes with no addresses of their own.
//!
//! Reading needs the address of the first byte (`file.bin@0x08020000`).
//! Writing lays the image out from its lowest address and fills the gaps;
//! it refuses gaps above a limit, because one stray segment (a `.data` run
//! address at 0x20000000 in a flash image at 0x08000000) would otherwise
//! produce a file of hundreds of MiB.

use std::io::{self, Write};

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

/// Loads `data` as one segment at `base`, taking it over without a copy.
pub fn read(data: Vec<u8>, base: u32) -> Result<Image, BinReadError> {
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
        .insert_vec(base, data, OverlapPolicy::Error)
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

/// Refuses an image with a gap larger than `max_gap` bytes.
pub fn check_gaps(image: &Image, max_gap: u64) -> Result<(), BinWriteError> {
    match image.gaps().find(|g| g.end - g.start > max_gap) {
        Some(gap) => Err(BinWriteError::GapTooLarge { gap, max_gap }),
        None => Ok(()),
    }
}

/// Streams `image` from its lowest address, gaps filled with `fill`; the
/// first byte written is that at `image.extent().start`. Check the gaps
/// first with [`check_gaps`].
pub fn write_to(image: &Image, fill: u8, out: &mut impl Write) -> io::Result<()> {
    let fill_chunk = [fill; 4096];
    let mut end: Option<u64> = None;
    for segment in image.segments() {
        if let Some(end) = end {
            let mut gap = u64::from(segment.address) - end;
            while gap > 0 {
                let n = gap.min(fill_chunk.len() as u64) as usize;
                out.write_all(&fill_chunk[..n])?;
                gap -= n as u64;
            }
        }
        out.write_all(segment.data)?;
        end = Some(segment.end());
    }
    Ok(())
}

/// [`check_gaps`] and [`write_to`] into memory.
pub fn write(image: &Image, fill: u8, max_gap: u64) -> Result<Vec<u8>, BinWriteError> {
    check_gaps(image, max_gap)?;
    let mut out = Vec::new();
    write_to(image, fill, &mut out).expect("writing to a Vec cannot fail");
    Ok(out)
}
