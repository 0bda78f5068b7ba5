//! `mcu-build run`: boot an image in QEMU and exit with the firmware's
//! status.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::board::{self, Board};
use crate::build::config;
use crate::build::protect::Project;
use crate::qemu::{self, RunError, RunOptions};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The image to boot (Intel HEX or ELF); default: combined.hex of the
    /// last `protect` for the board.
    #[arg(value_name = "IMAGE")]
    image: Option<PathBuf>,
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
    #[arg(long, value_name = "S", default_value_t = 30.0)]
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
}

impl RunArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let boot_argument = qemu::scenario_argument(&self.scenario)
            .map_err(|error| super::UsageError(error.to_string()))?;
        let chosen =
            super::protect::board_source(self.board.as_deref(), self.board_file.as_deref());
        let (board, image): (Board, PathBuf) = match (&self.image, &chosen) {
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
                let image = self
                    .image
                    .clone()
                    .unwrap_or_else(|| project.output(default));
                (project.board, image)
            }
        };
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
            image,
            machine,
            boot_argument,
            timeout,
        };
        let status = qemu::run(&options, &mut std::io::stdout().lock())?;
        Ok(ExitCode::from(status.clamp(0, 255) as u8))
    }
}
