//! `mcu-build boards`, and the board choice `layout` and `mpu check`
//! share: `--board`/`--board-file`, else the board of `mcu-build.toml`
//! (`--config`, or the one in the current directory), else the default.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::UsageError;
use crate::board::{self, Board, BoardError};
use crate::build::config::{self, BoardSource};
use crate::layout::request::Request;

/// Which board a command plans, and with which partition sizes.
#[derive(Debug, Args)]
pub struct BoardChoice {
    /// A bundled board (list them with `mcu-build boards`); default: the
    /// board of the configuration, else qemu-mps2-an386.
    #[arg(long, value_name = "NAME", conflicts_with = "board_file")]
    board: Option<String>,
    /// A board file of your own, in the format of the bundled ones.
    #[arg(long, value_name = "FILE")]
    board_file: Option<PathBuf>,
    /// The project configuration whose board and `[layout]` sizes to plan;
    /// default: mcu-build.toml in the current directory, when there is one.
    /// `--board` or `--board-file` replaces its board, not its sizes.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The board chosen and the partitions to plan on it.
#[derive(Debug)]
pub struct Chosen {
    pub board: Board,
    pub request: Request,
    /// The configuration read, if any.
    pub config: Option<PathBuf>,
    /// Its `[[process]]` tables; empty for a `[pass1]` project.
    pub processes: Vec<crate::build::process_config::ProcessConfig>,
    /// Where the board and the sizes came from, one line for people.
    pub provenance: String,
}

impl BoardChoice {
    /// Reads the configuration (if there is one) and the board, as
    /// `protect` does: an explicit board replaces the configuration's, its
    /// `[layout]` sizes still apply.
    pub fn load(&self) -> anyhow::Result<Chosen> {
        let explicit =
            super::protect::board_source(self.board.as_deref(), self.board_file.as_deref());
        let config = config::find(self.config.as_deref())
            .map(|path| config::load_layout(&path))
            .transpose()?;
        let source = explicit
            .clone()
            .or_else(|| config.as_ref().map(|c| c.board.clone()))
            .unwrap_or_else(|| BoardSource::Bundled(board::DEFAULT_BOARD.to_owned()));
        let root = config.as_ref().map_or(Path::new("."), |c| c.root.as_path());
        let board = source.load(root).map_err(|e| match e {
            BoardError::Unknown { .. } => UsageError(e.to_string()).into(),
            other => anyhow::Error::from(other),
        })?;
        let request = match &config {
            Some(config) => config.request(&board),
            None => board.partitions.clone(),
        };
        let given = match (&self.board, &self.board_file) {
            (Some(_), _) => Some("--board"),
            (None, Some(_)) => Some("--board-file"),
            (None, None) => None,
        };
        let provenance = match (&config, given) {
            (Some(c), None) => format!(
                "board {} and [layout] from {}",
                board.name,
                c.path.display()
            ),
            (Some(c), Some(flag)) => format!(
                "board {} from {flag}, [layout] from {}",
                board.name,
                c.path.display()
            ),
            (None, Some(flag)) => {
                format!("board {} from {flag}; no {}", board.name, config::FILE_NAME)
            }
            (None, None) => format!(
                "board {} (the default; no {} here, and no --board)",
                board.name,
                config::FILE_NAME
            ),
        };
        let processes = config
            .as_ref()
            .map_or_else(Vec::new, |c| c.processes.clone());
        Ok(Chosen {
            board,
            request,
            processes,
            config: config.map(|c| c.path),
            provenance,
        })
    }
}

#[derive(Debug, Args)]
pub struct BoardsArgs {
    /// Print JSON (an array of boards, memories and default partitions).
    #[arg(long)]
    json: bool,
}

impl BoardsArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let boards = board::bundled_names()
            .map(|name| board::bundled(name).with_context(|| format!("bundled board {name}")))
            .collect::<anyhow::Result<Vec<Board>>>()?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&boards)?);
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "{:<18} {:<11} {:<13} {:<16} {:<16} memories",
            "board", "cpu", "mpu", "probe-rs chip", "qemu machine"
        );
        for b in &boards {
            let mpu = b
                .mpu
                .map_or("none".to_owned(), |m| format!("{} x{}", m.arch, m.regions));
            let memories: Vec<String> = b
                .memories
                .iter()
                .map(|m| {
                    format!(
                        "{} {} {}K@{:#010x}",
                        m.name,
                        m.kind,
                        m.length >> 10,
                        m.origin
                    )
                })
                .collect();
            println!(
                "{:<18} {:<11} {:<13} {:<16} {:<16} {}",
                b.name,
                b.cpu,
                mpu,
                b.probe_rs_chip.as_deref().unwrap_or("-"),
                b.qemu_machine.as_deref().unwrap_or("-"),
                memories.join(", ")
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
