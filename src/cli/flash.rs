//! `mcu-build flash`: check, then program, the image of the last `protect`.

mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use probe_rs::probe::DebugProbeSelector;
use serde::Serialize;

use self::render::Renderer;
use super::UsageError;
use super::progress::MessageFormat;
use crate::board::{self, Board, BoardError};
use crate::build::config;
use crate::build::opened::Opened;
use crate::flash::prepare::{Prepared, Request};
use crate::flash::program::{self, After, ProgramOptions};
use crate::flash::progress::{FlashEvent, FlashReporter};
use crate::flash::safety::{self, Outcome, Report};
use crate::flash::session::{self, ConnectOptions, Protocol};
use crate::flash::staging::Selection;
use crate::image::file::InputSpec;

#[derive(Debug, Args)]
pub struct FlashArgs {
    /// The image (Intel HEX, ELF, or BIN@ADDR); default: combined.hex of the
    /// last `protect` for the board. The build.json beside it is checked.
    #[arg(value_name = "IMAGE")]
    image: Option<InputSpec>,
    /// Only run the safety checks, without a probe; exit 1 if one fails.
    #[arg(long)]
    check: bool,
    /// A bundled board; default: the board of mcu-build.toml (`--config`),
    /// else, for IMAGE outside a project, the one build.json beside it names.
    #[arg(long, value_name = "NAME", conflicts_with = "board_file")]
    board: Option<String>,
    /// A board file of your own.
    #[arg(long, value_name = "FILE")]
    board_file: Option<PathBuf>,
    /// The chip as probe-rs names it, instead of the board's `probe-rs-chip`.
    #[arg(long, value_name = "NAME")]
    chip: Option<String>,
    /// The project configuration, for the default image and the plan the
    /// image must have been built for; default: mcu-build.toml in the
    /// current directory, when there is one (required without IMAGE).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Program only this part of the image: `kernel`, `user`, or, for a
    /// project with [[process]] tables, `process:NAME` (its flash
    /// partition; e.g. `--only process:b`); every other byte on the chip
    /// stays as it is, in shared erase sectors too.
    #[arg(long, value_name = "PART", conflicts_with = "chip_erase")]
    only: Option<Selection>,
    /// Flash even if build.json records a failed MPU verification, changed
    /// inputs, other load addresses or bytes, another board, or another
    /// plan than the configuration's (never data outside the chip's flash).
    #[arg(long)]
    force: bool,
    /// The probe to use, required when several are connected (see
    /// `mcu-build probes`).
    #[arg(long, value_name = "VID:PID[:SERIAL]", value_parser = parse_selector)]
    probe: Option<DebugProbeSelector>,
    /// Probe clock in kHz; lower it when the target does not respond.
    #[arg(long, value_name = "KHZ", value_parser = |t: &str| crate::number::parse_in(t, 1..=u32::MAX))]
    speed: Option<u32>,
    /// Wire protocol; default: the probe's (SWD on most).
    #[arg(long, value_enum)]
    protocol: Option<Protocol>,
    /// Hold the chip in reset while connecting, for firmware that turns off
    /// the debug pins or sleeps at once.
    #[arg(long)]
    connect_under_reset: bool,
    /// Erase the whole chip instead of the sectors the image touches.
    #[arg(long)]
    chip_erase: bool,
    /// Do not read back and compare after programming.
    #[arg(long)]
    no_verify: bool,
    /// Read before programming and skip sectors that already hold the same
    /// bytes.
    #[arg(long)]
    preverify: bool,
    /// Reset and run the new firmware afterwards (the default).
    #[arg(long, conflicts_with_all = ["halt", "no_reset"])]
    reset: bool,
    /// Reset and halt at the reset vector afterwards, for a debugger.
    #[arg(long, conflicts_with = "no_reset")]
    halt: bool,
    /// Leave the core halted as the flash algorithm left it.
    #[arg(long)]
    no_reset: bool,
    /// Permit the destructive unlock sequence of a locked (read-protected)
    /// chip: it erases ALL of the chip's flash. Without it, a locked chip is
    /// an error and nothing is erased.
    #[arg(long)]
    allow_unlock_erase: bool,
    /// `human`: bars or lines on stderr, a summary on stdout; `json`: one
    /// JSON object per line on stdout.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
}

fn parse_selector(text: &str) -> Result<DebugProbeSelector, String> {
    text.parse()
        .map_err(|error| format!("{error} (e.g. 0483:374b or 0483:374b:0671FF55)"))
}

/// The last JSON line.
#[derive(Serialize)]
#[serde(tag = "event", rename = "result", rename_all = "kebab-case")]
struct FlashResult<'a> {
    check_only: bool,
    passed: bool,
    image: &'a str,
    chip: &'a str,
    bytes: u64,
}

impl FlashArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let project = self.project();
        let board = self.board(&project)?;
        let image = self.image(&project)?;
        // What the configuration makes a build from now; when it cannot
        // be read, the plan check says why.
        let (provenance, project) = match project {
            Some(Ok(project)) => match project.provenance() {
                Ok(provenance) => (Some(provenance), Some(Ok(project))),
                Err(error) => (None, Some(Err(anyhow::Error::from(error)))),
            },
            other => (None, other),
        };
        let selection = self.only.clone().unwrap_or_default();
        let prepared = Prepared::new(Request {
            image: image.clone(),
            board,
            chip: self.chip.clone(),
            selection: selection.clone(),
            force: self.force,
            plan: project.and_then(|p| match p {
                Ok(p) => p.plan().cloned().map(Ok),
                Err(error) => Some(Err(format!("{error:#}"))),
            }),
            provenance,
        })?;
        let staging = prepared.staging().map_err(|error| {
            if error.is_usage() {
                UsageError(error.to_string()).into()
            } else {
                anyhow::Error::from(error)
            }
        })?;
        let mut renderer = Renderer::new(self.message_format);
        renderer.report(&image, &prepared);
        super::run::warn_forced(&prepared.report);
        if !prepared.report.passed() {
            return Err(safety::Refused {
                action: "flash",
                report: prepared.report.clone(),
            }
            .into());
        }
        let bytes = staging.bytes();
        if !self.check {
            let options = self.connect_options();
            let (mut session, probe) = session::attach(&prepared.chip, &options)?;
            renderer.event(FlashEvent::Attached {
                probe: probe.to_string(),
                chip: prepared.chip.name.clone(),
            });
            program::program(
                &mut session,
                &staging,
                &self.program_options(selection),
                &mut renderer,
            )?;
        }
        renderer.result(&FlashResult {
            check_only: self.check,
            passed: true,
            image: &image.to_string(),
            chip: &prepared.chip.name,
            bytes,
        });
        Ok(ExitCode::SUCCESS)
    }

    /// The board given, else the configuration's (said on stderr when
    /// IMAGE is given, as it may come from elsewhere), if any; a bundled
    /// name that does not exist is a usage error. Without either, and
    /// without --chip, the bundled board build.json names is used.
    fn board(&self, project: &Option<anyhow::Result<Opened>>) -> anyhow::Result<Option<Board>> {
        if let Some(path) = &self.board_file {
            return Ok(Some(board::load(path)?));
        }
        let Some(name) = &self.board else {
            return Ok(match project {
                Some(Ok(project)) if self.chip.is_none() => {
                    let board = project.board("flash")?;
                    if self.image.is_some() {
                        eprintln!(
                            "board {} (from {}; no --board)",
                            board.name,
                            project.config_path().display()
                        );
                    }
                    Some(board.clone())
                }
                _ => None,
            });
        };
        board::bundled(name).map(Some).map_err(|e| match e {
            BoardError::Unknown { .. } => UsageError(e.to_string()).into(),
            other => anyhow::Error::from(other),
        })
    }

    /// The project of the configuration (`--config`, or mcu-build.toml
    /// when there is one), for the board given if any, or why it cannot
    /// be opened; `None` when there is no configuration.
    fn project(&self) -> Option<anyhow::Result<Opened>> {
        let config = match &self.image {
            Some(_) => config::find(self.config.as_deref())?,
            None => self
                .config
                .clone()
                .unwrap_or_else(|| config::FILE_NAME.into()),
        };
        let chosen =
            super::protect::board_source(self.board.as_deref(), self.board_file.as_deref());
        Some(Opened::open(&config, chosen).map_err(anyhow::Error::from))
    }

    /// IMAGE, or combined.hex of the last `protect` for the board of
    /// `project`.
    fn image(&self, project: &Option<anyhow::Result<Opened>>) -> anyhow::Result<InputSpec> {
        if let Some(image) = &self.image {
            return Ok(image.clone());
        }
        let project = match project {
            Some(Ok(project)) => project,
            Some(Err(error)) => anyhow::bail!(
                "no IMAGE given, and the project configuration that names the default one \
                 cannot be read: {error:#}"
            ),
            None => anyhow::bail!("no IMAGE given, and no {}", config::FILE_NAME),
        };
        let path = project.output("combined.hex");
        if !path.is_file() {
            anyhow::bail!(
                "{} does not exist: run `mcu-build protect{}` first, or give IMAGE",
                path.display(),
                self.board
                    .as_deref()
                    .map_or(String::new(), |b| format!(" --board {b}"))
            );
        }
        Ok(InputSpec { path, base: None })
    }

    fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            probe: self.probe.clone(),
            speed_khz: self.speed,
            protocol: self.protocol,
            connect_under_reset: self.connect_under_reset,
            allow_unlock_erase: self.allow_unlock_erase,
        }
    }

    fn program_options(&self, selection: Selection) -> ProgramOptions {
        let after = if self.halt {
            After::Halt
        } else if self.no_reset {
            After::NoReset
        } else {
            After::Reset
        };
        ProgramOptions {
            selection,
            chip_erase: self.chip_erase,
            verify: !self.no_verify,
            preverify: self.preverify,
            after,
        }
    }
}

/// The human label of an outcome.
fn label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "ok",
        Outcome::Failed => "FAILED",
        Outcome::Forced => "forced",
        Outcome::Skipped => "skipped",
    }
}

/// The checks as a table.
fn render_report(report: &Report) -> String {
    report
        .checks
        .iter()
        .map(|c| {
            format!(
                "  {:<8} {:<19} {}\n",
                label(c.outcome),
                c.check.to_string(),
                c.detail
            )
        })
        .collect()
}
