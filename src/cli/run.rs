//! `mcu-build run`: boot an image in QEMU and exit with the firmware's
//! status.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::build::board;
use crate::build::config;
use crate::build::protect::Project;
use crate::qemu::{self, RunOptions};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The image to boot (Intel HEX or ELF); default: combined.hex of the
    /// last `protect` for the board.
    #[arg(value_name = "IMAGE")]
    image: Option<PathBuf>,
    /// The board whose QEMU machine runs the image; default: the board of
    /// mcu-build.toml.
    #[arg(long, value_name = "NAME")]
    board: Option<String>,
    /// The project configuration, for the default board and image.
    #[arg(long, value_name = "FILE", default_value = config::FILE_NAME)]
    config: PathBuf,
    /// Seconds the firmware may run before the run is an error.
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    timeout: f64,
    /// What the bundled user blob does: `demo`, or an attack on the
    /// isolation (see the list in the error for an unknown name).
    #[arg(long, value_name = "NAME", default_value = "demo")]
    scenario: String,
}

impl RunArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let boot_argument = qemu::scenario_argument(&self.scenario)
            .map_err(|error| super::UsageError(error.to_string()))?;
        let (board, image) = match (&self.image, &self.board) {
            (Some(image), Some(name)) => (board::find(name)?, image.clone()),
            _ => {
                let project = Project::open(&self.config, self.board.as_deref())?;
                let image = self
                    .image
                    .clone()
                    .unwrap_or_else(|| project.output("combined.hex"));
                (project.board, image)
            }
        };
        let timeout = Duration::try_from_secs_f64(self.timeout).map_err(|_| {
            super::UsageError(format!(
                "--timeout {}: not a number of seconds",
                self.timeout
            ))
        })?;
        let options = RunOptions {
            image,
            machine: board.qemu_machine.to_owned(),
            boot_argument,
            timeout,
        };
        let status = qemu::run(&options, &mut std::io::stdout().lock())?;
        Ok(ExitCode::from(status.clamp(0, 255) as u8))
    }
}
