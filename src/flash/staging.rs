//! From an [`Image`] to probe-rs's flash loader, the whole image or one
//! partition of it.
//!
//! probe-rs 0.32 takes data as `(address, bytes)` chunks through
//! `FlashLoader::add_data`; each segment of our merged image is one chunk,
//! so what is programmed is exactly what `hex info` shows. A partial update
//! (`--only user`) stages only the bytes inside that half's partitions and
//! asks probe-rs to restore the unwritten bytes of every sector it erases
//! (`keep_unwritten_bytes`): a sector shared with the other half keeps the
//! other half's bytes, so updating the application never touches the
//! kernel.

use std::ops::Range;

use probe_rs::flashing::{FlashError, FlashLoader};

use super::chip::join;
use super::record::{BuildRecord, Part};
use crate::image::{ADDRESS_SPACE_END, Image};

/// What to program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Selection {
    /// Every byte of the image.
    #[default]
    All,
    /// The bytes inside the partitions of one half, nothing else.
    Only(Part),
}

impl Selection {
    /// Whether the erased sectors must get their other bytes back: always
    /// for a partial update, whose neighbours must survive.
    pub fn keep_unwritten_bytes(self) -> bool {
        matches!(self, Selection::Only(_))
    }
}

/// The selection cannot be staged.
#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    #[error(
        "--only {part} needs the partitions of the build: no build.json beside the image; flash \
         the combined image `mcu-build protect` wrote"
    )]
    NoRecord { part: Part },
    #[error(
        "--only {part}: the image holds no bytes in the {part} partitions ({partitions}) of {}",
        record.display()
    )]
    Empty {
        part: Part,
        partitions: String,
        record: std::path::PathBuf,
    },
    #[error("probe-rs refused the data at {address:#010x} ({bytes} bytes): {error}")]
    Loader {
        address: u32,
        bytes: usize,
        error: FlashError,
    },
}

/// The bytes of an image that a selection programs, as slices of it.
#[derive(Clone, Debug)]
pub struct Staging<'a> {
    image: &'a Image,
    /// Sorted and disjoint.
    ranges: Vec<Range<u64>>,
}

impl<'a> Staging<'a> {
    /// The part of `image` that `selection` programs; a partial update
    /// needs the partitions `record` holds.
    pub fn new(
        image: &'a Image,
        selection: Selection,
        record: Option<&BuildRecord>,
    ) -> Result<Staging<'a>, StagingError> {
        let part = match selection {
            Selection::All => {
                return Ok(Staging {
                    image,
                    ranges: std::iter::once(0..ADDRESS_SPACE_END).collect(),
                });
            }
            Selection::Only(part) => part,
        };
        let record = record.ok_or(StagingError::NoRecord { part })?;
        let partitions: Vec<_> = record
            .partitions()
            .iter()
            .filter(|p| p.owner == part)
            .collect();
        let staging = Staging {
            image,
            ranges: join(partitions.iter().map(|p| p.range()).collect()),
        };
        if staging.chunks().next().is_none() {
            return Err(StagingError::Empty {
                part,
                partitions: partitions
                    .iter()
                    .map(|p| format!("{} {:#010x}..{:#010x}", p.name, p.start, p.end))
                    .collect::<Vec<_>>()
                    .join(", "),
                record: record.path.clone(),
            });
        }
        Ok(staging)
    }

    /// The chunks to program, in address order: each segment of the image,
    /// cut to the selected ranges.
    pub fn chunks(&self) -> impl Iterator<Item = (u32, &'a [u8])> + '_ {
        let image = self.image;
        self.ranges.iter().flat_map(move |range| {
            let range = range.clone();
            image.segments().filter_map(move |segment| {
                let start = segment.range().start.max(range.start);
                let end = segment.end().min(range.end);
                (start < end).then(|| {
                    let from = (start - u64::from(segment.address)) as usize;
                    let to = (end - u64::from(segment.address)) as usize;
                    // `start` lies in the segment, which lies in the
                    // 32-bit address space.
                    (start as u32, &segment.data[from..to])
                })
            })
        })
    }

    /// The bytes to program.
    pub fn bytes(&self) -> u64 {
        self.chunks().map(|(_, data)| data.len() as u64).sum()
    }

    /// Hands every chunk to `loader`.
    pub fn stage(&self, loader: &mut FlashLoader) -> Result<(), StagingError> {
        for (address, data) in self.chunks() {
            loader
                .add_data(u64::from(address), data)
                .map_err(|error| StagingError::Loader {
                    address,
                    bytes: data.len(),
                    error,
                })?;
        }
        Ok(())
    }
}
