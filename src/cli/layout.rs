//! `mcu-build layout`: plan the partitions of a board and show the map.
//! The board and sizes are those of `mcu-build.toml` when there is one
//! (see [`BoardChoice`]); a line on stderr says which were used. A project
//! with `[[process]]` tables is planned per process ([`super::processes`]).

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::UsageError;
use super::boards::BoardChoice;
use super::processes;
use crate::layout::{self, Plan, compare, svg};
use crate::output;

#[derive(Debug, Args)]
pub struct LayoutArgs {
    #[command(flatten)]
    board: BoardChoice,
    /// Print the plan as JSON (the stable form later steps consume).
    #[arg(long, conflicts_with = "compare")]
    json: bool,
    /// Also draw the memory map as an SVG picture; `-` writes only the
    /// picture, to standard output, so it cannot be combined with --json or
    /// --compare (a usage error, exit status 2).
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Compare the alignment cost with one power-of-two region per partition
    /// (Tock, Zephyr) and with NuttX's one region with outward subregions;
    /// for a project with [[process]] tables, print only the loss per
    /// process against Tock's and Hubris's power-of-two schemes.
    #[arg(long)]
    compare: bool,
    /// A project with [[process]] tables: the linked ELF of process NAME,
    /// whose extents size its `auto` flash and RAM (a measuring link).
    /// Repeat for each such process.
    #[arg(long, value_name = "NAME=FILE", value_parser = processes::parse_process_elf)]
    elf: Vec<processes::ProcessElf>,
}

impl LayoutArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if self.svg.as_deref().is_some_and(output::is_stdout) && (self.json || self.compare) {
            let other = if self.json { "--json" } else { "--compare" };
            return Err(UsageError(format!(
                "--svg - writes only the picture to standard output, so it cannot be \
                 combined with {other}; give --svg a file name"
            ))
            .into());
        }
        let chosen = self.board.load()?;
        eprintln!("{}", chosen.provenance);
        if !chosen.processes.is_empty() {
            let elves = processes::read_elves(&self.elf, &chosen.processes)?;
            let plan = processes::plan(&chosen, &elves)?;
            let drawn = plan.as_partition_plan();
            let heading = format!(
                "{}: {} MPU, {}, up to {} regions each, reprogrammed at every switch",
                plan.board,
                plan.arch,
                crate::layout::processes::count(plan.processes.len()),
                plan.budget.for_user()
            );
            if self.write_svg(&drawn, &chosen.board.memories, Some(&heading))? {
                return Ok(ExitCode::SUCCESS);
            }
            if self.json {
                println!("{}", serde_json::to_string_pretty(&plan)?);
            } else if self.compare {
                print!("{}", processes::render_loss(&plan));
            } else {
                print!("{}", processes::render(&plan));
            }
            return Ok(ExitCode::SUCCESS);
        }
        if !self.elf.is_empty() {
            return Err(UsageError(
                "--elf sizes the processes of a project with [[process]] tables; this \
                 project has none"
                    .to_owned(),
            )
            .into());
        }
        let plan = layout::plan(&chosen.board, &chosen.request)?;
        if self.write_svg(&plan, &chosen.board.memories, None)? {
            return Ok(ExitCode::SUCCESS);
        }
        if self.json {
            println!("{}", serde_json::to_string_pretty(&plan)?);
        } else if self.compare {
            print!("{}", compare::render(&[compare::compare(&plan)]));
        } else {
            print!("{}", render(&plan));
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl LayoutArgs {
    /// Draws `plan` to `--svg`, if given, under `heading` if given;
    /// whether that was to standard output, which then holds only the
    /// picture.
    fn write_svg(
        &self,
        plan: &Plan,
        memories: &[crate::board::Memory],
        heading: Option<&str>,
    ) -> anyhow::Result<bool> {
        let Some(path) = &self.svg else {
            return Ok(false);
        };
        let picture = match heading {
            Some(heading) => svg::render_headed(plan, memories, heading),
            None => svg::render(plan, memories),
        };
        output::write_atomically(path, picture.as_bytes())?;
        if output::is_stdout(path) {
            return Ok(true);
        }
        eprintln!("wrote {}", path.display());
        Ok(false)
    }
}

/// The human form: one line per partition, one per MPU region under it.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({} MPU: {} of {} regions for user partitions)",
        plan.board,
        plan.arch,
        plan.programmed().len(),
        plan.budget.for_user()
    );
    let _ = writeln!(
        out,
        "{:<16} {:<6} {:<10} {:<10} {:<10} {:>10}  access",
        "partition", "owner", "memory", "start", "end", "size"
    );
    for p in &plan.partitions {
        let _ = writeln!(
            out,
            "{:<16} {:<6} {:<10} {:#010x} {:#010x} {:>10}  {}",
            p.name,
            p.owner.to_string(),
            p.memory,
            p.start,
            p.end,
            p.size,
            p.access
        );
        for r in &p.regions {
            let granted: Vec<String> = r
                .granted
                .iter()
                .map(|g| format!("{:#010x}..{:#010x}", g.start, g.end))
                .collect();
            let _ = writeln!(
                out,
                "  region {:<2} {}  grants {}",
                r.number,
                r.registers,
                granted.join(", ")
            );
        }
    }
    let heap = plan.kernel_heap;
    let _ = writeln!(
        out,
        "kernel heap      {:#010x}..{:#010x} ({} bytes)",
        heap.start,
        heap.end,
        heap.len()
    );
    if let Some(mair0) = plan.mair0 {
        let _ = writeln!(out, "MAIR0            {mair0:#010x}");
    }
    let _ = writeln!(
        out,
        "alignment loss   {} bytes ({:.2}% of the memories used)",
        plan.loss.bytes, plan.loss.percent
    );
    out
}
