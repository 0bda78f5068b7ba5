//! `mcu-build boards`, and the `--board`/`--board-file` choice other
//! commands share.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::UsageError;
use crate::board::{self, Board, BoardError};

/// Which board a command works on.
#[derive(Debug, Args)]
pub struct BoardChoice {
    /// A bundled board (list them with `mcu-build boards`).
    #[arg(long, value_name = "NAME", default_value = board::DEFAULT_BOARD, conflicts_with = "board_file")]
    board: String,
    /// A board file of your own, in the format of the bundled ones.
    #[arg(long, value_name = "FILE")]
    board_file: Option<PathBuf>,
}

impl BoardChoice {
    pub fn load(&self) -> anyhow::Result<Board> {
        match &self.board_file {
            Some(path) => Ok(board::load(path)?),
            None => board::bundled(&self.board).map_err(|e| match e {
                BoardError::Unknown { .. } => UsageError(e.to_string()).into(),
                other => anyhow::Error::from(other),
            }),
        }
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
