//! `mcu-build run`: boot an image in QEMU and exit with the firmware's
//! status.
//!
//! Before QEMU starts, the image passes the checks of
//! [`crate::build::admission`]: against the build.json beside it (MPU
//! verdict, freshness, board, what it loads where; `--force` overrides
//! these) and against the board's memories (never overridden): an image
//! QEMU cannot run ends in a lockup dump and a killed emulator, which
//! says nothing about the cause.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::board::{self, Board};
use crate::build::admission::{self, Refused, Report, Subject};
use crate::build::config;
use crate::build::protect::Project;
use crate::build::record::BuildRecord;
use crate::image::file::{self, InputSpec};
use crate::qemu::{self, RunError, RunOptions};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The image to boot (Intel HEX, ELF, or BIN@ADDR); default:
    /// combined.hex of the last `protect` for the board. The build.json
    /// beside it is checked.
    #[arg(value_name = "IMAGE")]
    image: Option<InputSpec>,
    /// The board whose QEMU machine runs the image; default: the board of
    /// mcu-build.toml.
    #[arg(long, value_name = "NAME", conflicts_with = "board_file")]
    board: Option<String>,
    /// A board file whose QEMU machine runs the image.
    #[arg(long, value_name = "FILE")]
    board_file: Option<PathBuf>,
    /// Boot the flat build (`mcu-build flat`) instead of the protected one.
    #[arg(long, conflicts_with = "image")]
    flat: bool,
    /// The project configuration, for the default board and image.
    #[arg(long, value_name = "FILE", default_value = config::FILE_NAME)]
    config: PathBuf,
    /// Seconds the firmware may run before the run is an error.
    #[arg(long, value_name = "S", default_value_t = 30.0, value_parser = crate::number::parse_seconds)]
    timeout: f64,
    /// What the bundled user blob does: `demo`, or an attack on the
    /// isolation or a fault, which the kernel must stop (exit 101).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "demo",
        value_parser = clap::builder::PossibleValuesParser::new(qemu::SCENARIOS)
    )]
    scenario: String,
    /// Boot even if build.json records a failed MPU verification, changed
    /// inputs, other load addresses or bytes, or another board (never
    /// data outside the board's memories).
    #[arg(long)]
    force: bool,
}

impl RunArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let boot_argument = qemu::scenario_argument(&self.scenario)
            .map_err(|error| super::UsageError(error.to_string()))?;
        let chosen =
            super::protect::board_source(self.board.as_deref(), self.board_file.as_deref());
        let (board, spec): (Board, InputSpec) = match (&self.image, &chosen) {
            (Some(image), Some(config::BoardSource::Bundled(name))) => {
                (board::bundled(name)?, image.clone())
            }
            (Some(image), Some(config::BoardSource::File(path))) => {
                (board::load(path)?, image.clone())
            }
            _ => {
                let project = Project::open(&self.config, chosen)?;
                let default = if self.flat {
                    "flat/flat.hex"
                } else {
                    "combined.hex"
                };
                let image = self.image.clone().unwrap_or_else(|| InputSpec {
                    path: project.output(default),
                    base: None,
                });
                (project.board, image)
            }
        };
        admit(&spec, &board, self.force)?;
        let machine = board
            .qemu_machine
            .clone()
            .ok_or_else(|| RunError::NoMachine {
                board: board.name.to_string(),
            })?;
        let timeout = Duration::try_from_secs_f64(self.timeout).map_err(|_| {
            super::UsageError(format!(
                "--timeout {}: not a number of seconds",
                self.timeout
            ))
        })?;
        let options = RunOptions {
            image: spec.path,
            base: spec.base,
            machine,
            boot_argument,
            timeout,
        };
        let status = qemu::run(&options, &mut std::io::stdout().lock())?;
        Ok(ExitCode::from(status.clamp(0, 255) as u8))
    }
}

/// Runs the checks before QEMU starts; warns on stderr of each failure
/// `force` overrode.
fn admit(spec: &InputSpec, board: &Board, force: bool) -> anyhow::Result<()> {
    if !spec.path.is_file() {
        return Err(RunError::NoImage {
            path: spec.path.clone(),
        }
        .into());
    }
    let file = file::load(spec)?;
    let record = BuildRecord::beside(&spec.path)?;
    let subject = Subject {
        spec,
        image: &file.image,
        record: record.as_ref(),
        board: Some(board),
    };
    let mut checks = admission::record_checks(&subject);
    checks.push(admission::in_memories(spec, &file.image, board));
    let report = Report::new(checks, force);
    if !report.passed() {
        return Err(Refused {
            action: "run",
            report,
        }
        .into());
    }
    for check in report.forced() {
        eprintln!("warning: {}: {} (--force)", check.check, check.detail);
    }
    Ok(())
}
