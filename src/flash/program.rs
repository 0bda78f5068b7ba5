//! Programming the chip: erase, program, verify, then reset, halt or
//! leave it.
//!
//! probe-rs chooses the flash algorithm per memory region and erases what
//! the staged data touches (or the whole chip with `--chip-erase`). By
//! default every byte is read back after programming: a flash that
//! "succeeded" on a bad connection is worse than one that failed.

use std::time::Duration;

use probe_rs::Session;
use probe_rs::flashing::{DownloadOptions, FlashError, FlashProgress};

use super::explain::with_hint;
use super::progress::{FlashReporter, Tracker};
use super::staging::{Selection, Staging, StagingError};

/// What the chip does after programming.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum After {
    /// Reset and run the new firmware.
    #[default]
    Reset,
    /// Reset and halt at the reset vector, for a debugger to take over.
    Halt,
    /// Leave the core as the flash algorithm left it (halted).
    NoReset,
}

/// How to program.
#[derive(Clone, Debug)]
pub struct ProgramOptions {
    pub selection: Selection,
    /// Erase the whole chip instead of the sectors the data touches.
    pub chip_erase: bool,
    /// Read back and compare after programming.
    pub verify: bool,
    /// Read first and skip sectors that already hold the same bytes.
    pub preverify: bool,
    pub after: After,
}

impl Default for ProgramOptions {
    fn default() -> Self {
        ProgramOptions {
            selection: Selection::All,
            chip_erase: false,
            verify: true,
            preverify: false,
            after: After::Reset,
        }
    }
}

/// Programming failed.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    #[error(transparent)]
    Staging(#[from] StagingError),
    #[error(
        "--chip-erase erases the whole chip, which a partial update (--only) must not do; \
         leave out one of them"
    )]
    ChipEraseWithOnly,
    #[error("programming failed: {}", with_hint(error))]
    Flash { error: FlashError },
    #[error(
        "the chip was programmed, but the reset after it failed: {}",
        with_hint(error)
    )]
    Reset { error: probe_rs::Error },
}

/// Programs `staging` into the chip of `session`, reporting progress.
pub fn program(
    session: &mut Session,
    staging: &Staging,
    options: &ProgramOptions,
    reporter: &mut dyn FlashReporter,
) -> Result<(), ProgramError> {
    if options.chip_erase && options.selection != Selection::All {
        return Err(ProgramError::ChipEraseWithOnly);
    }
    let mut loader = session.target().flash_loader();
    staging.stage(&mut loader)?;
    let mut tracker = Tracker::new(reporter);
    let result = {
        let mut download = DownloadOptions::default();
        download.progress = FlashProgress::new(|event| tracker.handle(event));
        download.do_chip_erase = options.chip_erase;
        download.verify = options.verify;
        download.preverify = options.preverify;
        download.keep_unwritten_bytes = options.selection.keep_unwritten_bytes();
        loader.commit(session, download)
    };
    tracker.close(result.is_ok());
    result.map_err(|error| ProgramError::Flash { error })?;
    reset(session, options.after).map_err(|error| ProgramError::Reset { error })
}

/// How long a core may take to halt after a reset.
const HALT_TIMEOUT: Duration = Duration::from_millis(500);

fn reset(session: &mut Session, after: After) -> Result<(), probe_rs::Error> {
    match after {
        After::NoReset => Ok(()),
        After::Reset => session.core(0)?.reset(),
        After::Halt => session.core(0)?.reset_and_halt(HALT_TIMEOUT).map(|_| ()),
    }
}
