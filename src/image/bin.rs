//! Raw binary: bytes with no addresses of their own.
//!
//! Reading needs the address of the first byte (`file.bin@0x08020000`).
//! Writing lays the image out from its lowest address and fills the gaps.
//! Two limits keep a stray byte from producing a file of hundreds of MiB:
//! one on each gap (a `.data` run address at 0x20000000 in a flash image at
//! 0x08000000), and one on the whole file, which also catches many small
//! gaps (a HEX file with a 4-byte record in each of the 65,536 64 KiB pages
//! spans 4 GiB with no gap above 64 KiB).

use std::io::{self, Write};

use super::{Image, OverlapPolicy, format_range};

/// The default limit on a single gap in a written binary: 16 MiB.
pub const DEFAULT_MAX_GAP: u64 = 16 << 20;

/// The default limit on a written binary's size: 256 MiB. That is larger
/// than any microcontroller's internal flash (a few MiB) and than the
/// external serial NOR flash a firmware image is stored in (the largest
/// common parts hold 2 Gbit, 256 MiB), so that no real image hits it, while
/// a binary of several GiB made of fill bytes is refused before it fills a
/// disk.
pub const DEFAULT_MAX_SIZE: u64 = 256 << 20;

/// The limits a written binary must keep, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest gap between two segments that may be filled.
    pub max_gap: u64,
    /// The largest file: from the lowest to one past the highest address.
    pub max_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_gap: DEFAULT_MAX_GAP,
            max_size: DEFAULT_MAX_SIZE,
        }
    }
}

impl Limits {
    /// No limit (for tests and callers that bound the image themselves).
    pub const NONE: Limits = Limits {
        max_gap: u64::MAX,
        max_size: u64::MAX,
    };
}

/// Reading a binary failed: it does not fit in the address space from `base`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "byte offset {offset:#x}: loaded at {base:#010x}, the file runs past 0xFFFFFFFF \
     (expected at most {max:#x} bytes at that base)",
    max = super::ADDRESS_SPACE_END - u64::from(*base)
)]
pub struct BinReadError {
    pub offset: u64,
    pub base: u32,
}

/// Loads `data` as one segment at `base`, taking it over without a copy.
pub fn read(data: Vec<u8>, base: u32) -> Result<Image, BinReadError> {
    let room = super::ADDRESS_SPACE_END - u64::from(base);
    if data.len() as u64 > room {
        return Err(BinReadError { offset: room, base });
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
         select the address ranges to write with --range START..END or --exclude START..END, \
         write the segments to separate files, or raise the limit with --max-gap",
        format_range(gap)
    )]
    GapTooLarge {
        gap: std::ops::Range<u64>,
        max_gap: u64,
    },
    #[error(
        "the binary would span {}, more than the limit of {max_size} bytes; \
         select the address ranges to write with --range START..END or --exclude START..END, \
         or raise the limit with --max-size",
        format_range(extent)
    )]
    TooLarge {
        extent: std::ops::Range<u64>,
        max_size: u64,
    },
}

/// Refuses an image whose binary would break `limits`.
pub fn check(image: &Image, limits: Limits) -> Result<(), BinWriteError> {
    if let Some(gap) = image.gaps().find(|g| g.end - g.start > limits.max_gap) {
        return Err(BinWriteError::GapTooLarge {
            gap,
            max_gap: limits.max_gap,
        });
    }
    match image.extent() {
        Some(extent) if extent.end - extent.start > limits.max_size => {
            Err(BinWriteError::TooLarge {
                extent,
                max_size: limits.max_size,
            })
        }
        _ => Ok(()),
    }
}

/// Streams `image` from its lowest address, gaps filled with `fill`; the
/// first byte written is that at `image.extent().start`. Check the limits
/// first with [`check`].
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

/// [`check`] and [`write_to`] into memory.
pub fn write(image: &Image, fill: u8, limits: Limits) -> Result<Vec<u8>, BinWriteError> {
    check(image, limits)?;
    let mut out = Vec::new();
    write_to(image, fill, &mut out).expect("writing to a Vec cannot fail");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_small_gaps_are_bounded_by_the_total_size() {
        // A 4-byte record in each of 4097 64 KiB pages: no gap is above
        // 64 KiB, the binary would be 256 MiB + 4 bytes.
        let mut image = Image::new();
        for page in 0..4097u32 {
            image
                .insert(page << 16, &[0xA5; 4], OverlapPolicy::Error)
                .unwrap();
        }
        let err = check(&image, Limits::default()).unwrap_err();
        assert_eq!(
            err,
            BinWriteError::TooLarge {
                extent: 0..(4096 << 16) + 4,
                max_size: DEFAULT_MAX_SIZE
            }
        );
        assert!(err.to_string().contains("--range START..END"), "{err}");
        let raised = Limits {
            max_size: (4096 << 16) + 4,
            ..Limits::default()
        };
        assert_eq!(check(&image, raised), Ok(()));
    }

    #[test]
    fn the_gap_error_advises_selecting_ranges() {
        let mut image = Image::new();
        image.insert(0, &[1], OverlapPolicy::Error).unwrap();
        image
            .insert(0x2000_0000, &[1], OverlapPolicy::Error)
            .unwrap();
        let err = write(&image, 0xFF, Limits::default()).unwrap_err();
        assert_eq!(
            err,
            BinWriteError::GapTooLarge {
                gap: 1..0x2000_0000,
                max_gap: DEFAULT_MAX_GAP
            }
        );
        assert!(
            err.to_string()
                .contains("--range START..END or --exclude START..END")
        );
    }
}
