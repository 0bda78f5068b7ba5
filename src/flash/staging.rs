//! From an [`Image`] to probe-rs's flash loader, the whole image or one
//! part of it.
//!
//! probe-rs 0.32 takes data as `(address, bytes)` chunks through
//! `FlashLoader::add_data`; each segment of our merged image is one chunk,
//! so what is programmed is exactly what `hex info` shows. A partial update
//! (`--only user`, `--only process:NAME`) stages only the bytes inside the
//! selected partitions and asks probe-rs to restore the unwritten bytes of
//! every sector it erases (`keep_unwritten_bytes`): a sector shared with
//! the kernel or another process keeps their bytes, so updating one
//! application never touches the rest.

use std::ops::Range;
use std::path::PathBuf;
use std::str::FromStr;

use probe_rs::flashing::{FlashError, FlashLoader};

use super::chip::join;
use super::record::{BuildRecord, Part};
use crate::image::{ADDRESS_SPACE_END, Image};

/// What to program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Selection {
    /// Every byte of the image.
    #[default]
    All,
    /// The bytes inside the partitions of one half, nothing else.
    Only(Part),
    /// The bytes inside the flash partition of the process of this name,
    /// in a project with `[[process]]` tables, nothing else.
    Process(String),
}

/// The prefix of `--only process:NAME`.
const PROCESS_PREFIX: &str = "process:";

impl Selection {
    /// Whether the erased sectors must get their other bytes back: always
    /// for a partial update, whose neighbours must survive.
    pub fn keep_unwritten_bytes(&self) -> bool {
        !matches!(self, Selection::All)
    }
}

/// `all`, `kernel`, `user` or `process:NAME`, as `--only` takes them.
impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selection::All => f.write_str("all"),
            Selection::Only(part) => part.fmt(f),
            Selection::Process(name) => write!(f, "{PROCESS_PREFIX}{name}"),
        }
    }
}

/// The value of `--only`: `kernel`, `user` or `process:NAME`.
impl FromStr for Selection {
    type Err = String;

    fn from_str(text: &str) -> Result<Selection, String> {
        match text {
            "kernel" => Ok(Selection::Only(Part::Kernel)),
            "user" => Ok(Selection::Only(Part::User)),
            _ => match text.strip_prefix(PROCESS_PREFIX) {
                Some(name) if !name.is_empty() => Ok(Selection::Process(name.to_owned())),
                Some(_) => Err(format!(
                    "`{text}` names no process: expected process:NAME, NAME as in \
                     [[process]] name (e.g. process:b)"
                )),
                None => Err(format!(
                    "`{text}` is not a part of the image: expected kernel, user or \
                     process:NAME (e.g. process:b)"
                )),
            },
        }
    }
}

/// The selection cannot be staged.
#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    #[error(
        "--only {selection} needs the partitions of the build: no build.json beside the image; \
         flash the combined image `mcu-build protect` wrote"
    )]
    NoRecord { selection: Selection },
    #[error(
        "--only user: {} records a build of processes ({}), which has no single user half; \
         give --only process:NAME to program one of them",
        record.display(),
        processes.join(", ")
    )]
    UserOfProcesses {
        record: PathBuf,
        processes: Vec<String>,
    },
    #[error(
        "--only process:{name}: {} records no process `{name}`; its processes are {}",
        record.display(),
        processes.join(", ")
    )]
    UnknownProcess {
        name: String,
        record: PathBuf,
        processes: Vec<String>,
    },
    #[error(
        "--only process:{name}: {} records a build with a single user blob, without \
         [[process]] tables; give --only kernel or --only user",
        record.display()
    )]
    NoProcesses { name: String, record: PathBuf },
    #[error(
        "--only {selection}: the image holds no bytes in the {selection} partitions \
         ({partitions}) of {}",
        record.display()
    )]
    Empty {
        selection: Selection,
        partitions: String,
        record: PathBuf,
    },
    #[error("probe-rs refused the data at {address:#010x} ({bytes} bytes): {error}")]
    Loader {
        address: u32,
        bytes: usize,
        error: FlashError,
    },
}

impl StagingError {
    /// Whether `--only` asked for a part the build does not have (a usage
    /// error, exit status 2), rather than the image or the probe failing.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            StagingError::UserOfProcesses { .. }
                | StagingError::UnknownProcess { .. }
                | StagingError::NoProcesses { .. }
        )
    }
}

/// A partition as the selection names it: its name and its range.
struct Selected {
    name: String,
    range: Range<u64>,
}

/// The partitions of `record` that `selection` programs (the whole
/// address space for [`Selection::All`]), or why the build has no such
/// part.
fn selected(record: &BuildRecord, selection: &Selection) -> Result<Vec<Selected>, StagingError> {
    let names = |processes: &[super::record::RecordedProcess]| -> Vec<String> {
        processes.iter().map(|p| p.name.clone()).collect()
    };
    match (selection, record.processes()) {
        (Selection::Only(Part::User), Some(processes)) => Err(StagingError::UserOfProcesses {
            record: record.path.clone(),
            processes: names(processes),
        }),
        // The range is the plan's `<name>-flash` partition, which the
        // `same plan` check compares with the configuration's plan now.
        (Selection::Process(name), Some(processes)) => processes
            .iter()
            .find(|p| &p.name == name)
            .and_then(|p| {
                let partition = format!("{}-flash", p.name);
                record
                    .partitions()
                    .iter()
                    .find(|q| q.name == partition && q.owner == Part::User)
                    .map(|q| {
                        vec![Selected {
                            name: partition.clone(),
                            range: q.range(),
                        }]
                    })
            })
            .ok_or_else(|| StagingError::UnknownProcess {
                name: name.clone(),
                record: record.path.clone(),
                processes: names(processes),
            }),
        (Selection::Process(name), None) => Err(StagingError::NoProcesses {
            name: name.clone(),
            record: record.path.clone(),
        }),
        (Selection::Only(part), _) => Ok(record
            .partitions()
            .iter()
            .filter(|p| p.owner == *part)
            .map(|p| Selected {
                name: p.name.clone(),
                range: p.range(),
            })
            .collect()),
        (Selection::All, _) => Ok(vec![Selected {
            name: "all".into(),
            range: 0..ADDRESS_SPACE_END,
        }]),
    }
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
    /// needs the partitions (and, for a process, the processes) `record`
    /// holds.
    pub fn new(
        image: &'a Image,
        selection: &Selection,
        record: Option<&BuildRecord>,
    ) -> Result<Staging<'a>, StagingError> {
        if *selection == Selection::All {
            return Ok(Staging {
                image,
                ranges: std::iter::once(0..ADDRESS_SPACE_END).collect(),
            });
        }
        let record = record.ok_or_else(|| StagingError::NoRecord {
            selection: selection.clone(),
        })?;
        let partitions = selected(record, selection)?;
        let staging = Staging {
            image,
            ranges: join(partitions.iter().map(|p| p.range.clone()).collect()),
        };
        if staging.chunks().next().is_none() {
            return Err(StagingError::Empty {
                selection: selection.clone(),
                partitions: partitions
                    .iter()
                    .map(|p| format!("{} {:#010x}..{:#010x}", p.name, p.range.start, p.range.end))
                    .collect::<Vec<_>>()
                    .join(", "),
                record: record.path.clone(),
            });
        }
        Ok(staging)
    }

    /// The address ranges it programs, sorted and disjoint (the image's
    /// bytes inside them are staged).
    pub fn ranges(&self) -> &[Range<u64>] {
        &self.ranges
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
