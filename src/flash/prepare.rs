//! Everything `flash` does before it opens a probe: load the image and the
//! `build.json` beside it, find the chip, run the safety checks and pick
//! the bytes to program. `flash --check` stops here.

use super::chip::{Chip, UnknownChip};
use super::record::{BuildRecord, RecordError};
use super::safety::{self, Report, Subject};
use super::staging::{Selection, Staging, StagingError};
use crate::board::Board;
use crate::build::provenance::Provenance;
use crate::image::file::{self, InputSpec, LoadError, LoadedFile};
use crate::layout::Plan;

/// What to flash.
#[derive(Clone, Debug)]
pub struct Request {
    pub image: InputSpec,
    /// The board file; its `probe-rs-chip` names the chip. Default: the
    /// bundled board build.json names.
    pub board: Option<Board>,
    /// The chip, instead of the board's.
    pub chip: Option<String>,
    pub selection: Selection,
    /// Flash even when the build record fails its checks.
    pub force: bool,
    /// The plan the project's configuration gives now, if one was read,
    /// or why the configuration gives none.
    pub plan: Option<Result<Plan, String>>,
    /// What the project's configuration makes a build from now, if one
    /// was read.
    pub provenance: Option<Provenance>,
}

/// An image ready to flash, with the verdict of the safety checks.
#[derive(Debug)]
pub struct Prepared {
    pub file: LoadedFile,
    pub record: Option<BuildRecord>,
    pub board: Option<Board>,
    pub chip: Chip,
    pub selection: Selection,
    pub report: Report,
}

/// Preparing failed before any check could run.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(
        "the board {board} names no probe-rs chip (`probe-rs-chip` in its board file); give \
         the chip with --chip"
    )]
    NoChip { board: String },
    #[error(
        "no chip to flash: no build.json beside the image names a bundled board; give --board \
         NAME, --board-file FILE or --chip NAME"
    )]
    NothingNamesTheChip,
    #[error(transparent)]
    Chip(#[from] UnknownChip),
}

impl Prepared {
    /// Loads and checks what `request` names; the checks' failures are in
    /// [`Prepared::report`], not an error.
    pub fn new(request: Request) -> Result<Prepared, PrepareError> {
        let file = file::load(&request.image)?;
        let record = BuildRecord::beside(&request.image.path)?;
        // The board the build was for, when none is given and the chip is
        // not named alone.
        let board = match (&request.board, &request.chip, &record) {
            (Some(board), _, _) => Some(board.clone()),
            (None, None, Some(record)) => crate::board::bundled(record.board()).ok(),
            _ => None,
        };
        let chip_name = match (&request.chip, &board) {
            (Some(chip), _) => chip.clone(),
            (None, Some(board)) => {
                board
                    .probe_rs_chip
                    .clone()
                    .ok_or_else(|| PrepareError::NoChip {
                        board: board.name.to_string(),
                    })?
            }
            (None, None) => return Err(PrepareError::NothingNamesTheChip),
        };
        let chip = Chip::lookup(&chip_name)?;
        let report = safety::check(
            &Subject {
                spec: &request.image,
                image: &file.image,
                record: record.as_ref(),
                board: board.as_ref(),
                plan: request
                    .plan
                    .as_ref()
                    .map(|plan| plan.as_ref().map_err(String::as_str)),
                provenance: request.provenance.as_ref(),
            },
            &chip,
            request.force,
        );
        Ok(Prepared {
            file,
            record,
            board,
            chip,
            selection: request.selection,
            report,
        })
    }

    /// The bytes to program.
    pub fn staging(&self) -> Result<Staging<'_>, StagingError> {
        Staging::new(&self.file.image, &self.selection, self.record.as_ref())
    }
}
