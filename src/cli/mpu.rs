//! `mcu-build mpu`: exact region covers, and verifying a layout (and linked
//! ELF files) against the MPU.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::boards::{BoardChoice, Chosen};
use super::processes;
use crate::layout::elf_check::{self, Misplaced};
use crate::layout::request::Owner;
use crate::layout::{self, plan::PlannedRegion};
use crate::mpu::verify::Report;
use crate::mpu::{Arch, MAX_REGIONS, MemoryKind, RegionNumber};
use crate::number;

#[derive(Debug, Subcommand)]
pub enum MpuCommand {
    /// The fewest MPU regions that grant exactly START..START+SIZE.
    #[command(after_help = "Examples:
  # NuttX's stm32f4discovery user flash: one region with a subregion off
  mcu-build mpu cover 0x08020000 896K --regions 1 --memory flash
  # the range NuttX programs with a misaligned RBAR
  mcu-build mpu cover 0x00030000 0x20000
  mcu-build mpu cover 0x38000020 0x1000 --arch armv8m --json

Exit status: 0 when the range is covered, 1 when it needs more regions
than allowed (the error names the nearest ranges that fit), 2 on a usage
error.")]
    Cover(CoverArgs),
    /// Verify a board's layout: the MPU regions grant unprivileged code
    /// exactly the user partitions; with ELF files, every section lies in
    /// its partitions. The board and sizes are those of mcu-build.toml
    /// when there is one.
    #[command(after_help = "Examples:
  mcu-build mpu check
  mcu-build mpu check --config examples/nuttx-protected/mcu-build.toml
  mcu-build mpu check --board stm32f4discovery --json
  mcu-build mpu check --kernel-elf nuttx --user-elf nuttx_user.elf
  # a project with [[process]] tables: each process's registers must grant
  # exactly its flash and its RAM below the grant
  mcu-build mpu check --config tests/data/processes/mcu-build.toml
  mcu-build mpu check --elf sensor=sensor.elf --elf radio=radio.elf --json

In a protected NuttX tree (a .config with CONFIG_BUILD_PROTECTED=y beside
mcu-build.toml, or here) it refuses: NuttX programs its own regions; use
`mcu-build nuttx check`.

Exit status: 0 when everything holds, 1 on any over-grant, under-grant,
budget overrun or misplaced section, 2 on a usage error.")]
    Check(CheckArgs),
}

impl MpuCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            MpuCommand::Cover(args) => args.run(),
            MpuCommand::Check(args) => args.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct CoverArgs {
    /// First address, e.g. 0x08020000.
    #[arg(value_parser = parse_u32)]
    start: u32,
    /// Size in bytes, e.g. 896K, 0x20000 or 131072.
    #[arg(value_parser = parse_u64)]
    size: u64,
    /// The MPU architecture.
    #[arg(long, value_enum, default_value_t = Arch::Armv7m)]
    arch: Arch,
    /// The most regions to use.
    #[arg(long, default_value_t = MAX_REGIONS, value_parser = |t: &str| number::parse_in(t, 0..=16u8))]
    regions: u8,
    /// The kind of memory, which sets the permissions (flash RX, RAM RW+XN)
    /// and cache attributes.
    #[arg(long, value_enum, default_value_t = MemoryKind::Ram)]
    memory: MemoryKind,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_u32(text: &str) -> Result<u32, String> {
    number::parse_u32(text).map_err(|e| e.to_string())
}

fn parse_u64(text: &str) -> Result<u64, String> {
    number::parse_u64(text).map_err(|e| e.to_string())
}

impl CoverArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let range = u64::from(self.start)..u64::from(self.start) + self.size;
        let regions = self
            .arch
            .cover(range.clone(), usize::from(self.regions), self.memory)?;
        let planned: Vec<PlannedRegion> = regions
            .iter()
            .zip(0u8..)
            .filter_map(|(region, n)| {
                let number = RegionNumber::new(n)?;
                Some(PlannedRegion {
                    number,
                    registers: region.registers(number),
                    region: *region,
                    granted: region
                        .granted()
                        .into_iter()
                        .map(|r| layout::plan::AddressRange {
                            start: r.start,
                            end: r.end,
                        })
                        .collect(),
                })
            })
            .collect();
        if self.json {
            println!("{}", serde_json::to_string_pretty(&planned)?);
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "{:#010x}..{:#010x} ({} bytes): {} {} region(s)",
            range.start,
            range.end,
            self.size,
            planned.len(),
            self.arch
        );
        for r in &planned {
            let granted: Vec<String> = r
                .granted
                .iter()
                .map(|g| format!("{:#010x}..{:#010x}", g.start, g.end))
                .collect();
            println!(
                "  region {:<2} {}  grants {}",
                r.number,
                r.registers,
                granted.join(", ")
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Refuses to check mcu-build's own region table for a protected NuttX
/// tree (the directory of `config`, else the current one): NuttX programs
/// its own regions at boot and never this table, so its success would be a
/// false claim; `nuttx check` checks what NuttX programs.
fn refuse_nuttx_tree(config: Option<&std::path::Path>) -> anyhow::Result<()> {
    let project = config
        .and_then(std::path::Path::parent)
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    match crate::nuttx::project::protected_tree_config(project) {
        None => Ok(()),
        Some(dot_config) => Err(super::UsageError(format!(
            "{}: this is a protected NuttX tree (CONFIG_BUILD_PROTECTED=y); NuttX programs \
             its own MPU regions at boot, never mcu-build's table, so `mpu check` would prove \
             nothing about it: run `mcu-build nuttx check --tree {}`",
            dot_config.display(),
            project.display()
        ))
        .into()),
    }
}

/// Refuses a `[nuttx]` project (the configuration `config`, else the one
/// `mcu-build.toml` found here) for the same reason as
/// [`refuse_nuttx_tree`]: its MPU regions are NuttX's.
fn refuse_nuttx_project(config: Option<&std::path::Path>) -> anyhow::Result<()> {
    let Some(path) = crate::build::config::find(config) else {
        return Ok(());
    };
    match crate::build::config::load_any(&path) {
        Ok(crate::build::config::ProjectConfig::Nuttx(project)) => Err(super::UsageError(format!(
            "{}: a NuttX project ([nuttx]); NuttX programs its own MPU regions at boot, never \
             mcu-build's table, so `mpu check` would prove nothing about it: run `mcu-build \
             nuttx check --tree {}`",
            path.display(),
            project.root.join(&project.tree).display()
        ))
        .into()),
        _ => Ok(()),
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    board: BoardChoice,
    /// The linked kernel: its sections must lie in the kernel partitions.
    #[arg(long, value_name = "FILE")]
    kernel_elf: Option<PathBuf>,
    /// The linked user blob: its sections must lie in the user partitions.
    #[arg(long, value_name = "FILE")]
    user_elf: Option<PathBuf>,
    /// A project with [[process]] tables: the linked ELF of process NAME,
    /// whose sections must lie in its flash and its RAM below the grant
    /// (and whose extents size its `auto` flash and RAM). Repeatable.
    #[arg(long, value_name = "NAME=FILE", value_parser = processes::parse_process_elf)]
    elf: Vec<processes::ProcessElf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct CheckResult {
    board: String,
    /// The configuration whose board and `[layout]` were checked, if any.
    config: Option<PathBuf>,
    mpu: Report,
    misplaced: Vec<(String, Misplaced)>,
}

impl CheckArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        refuse_nuttx_project(self.board.config.as_deref())?;
        let chosen = self.board.load()?;
        refuse_nuttx_tree(chosen.config.as_deref())?;
        eprintln!("{}", chosen.provenance);
        if !chosen.processes.is_empty() {
            return self.run_processes(&chosen);
        }
        if !self.elf.is_empty() {
            return Err(super::UsageError(
                "--elf checks the processes of a project with [[process]] tables; this \
                 project has none (--kernel-elf and --user-elf check its two blobs)"
                    .to_owned(),
            )
            .into());
        }
        let board = chosen.board;
        let plan = layout::plan(&board, &chosen.request)?;
        let mpu = plan.verify();
        let mut misplaced = Vec::new();
        for (path, owner) in [
            (&self.kernel_elf, Owner::Kernel),
            (&self.user_elf, Owner::User),
        ] {
            let Some(path) = path else { continue };
            let data =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let extents =
                elf_check::read_extents(&data).with_context(|| path.display().to_string())?;
            let file = path.display().to_string();
            misplaced.extend(
                elf_check::check(&plan, owner, &extents)
                    .into_iter()
                    .map(|m| (file.clone(), m)),
            );
        }
        let ok = mpu.is_ok() && misplaced.is_empty();
        if self.json {
            let result = CheckResult {
                board: board.name.to_string(),
                config: chosen.config,
                mpu,
                misplaced,
            };
            println!("{}", serde_json::to_string_pretty(&result)?);
        } else {
            let users: Vec<String> = plan
                .user_partitions()
                .iter()
                .map(|p| format!("{} {}", p.name, p.access))
                .collect();
            if mpu.is_ok() {
                println!(
                    "{}: {} of {} MPU regions grant unprivileged code exactly {}, nothing else",
                    board.name,
                    mpu.regions_used,
                    mpu.regions_available,
                    users.join(", ")
                );
            }
            for finding in &mpu.findings {
                println!("{}: {finding}", board.name);
            }
            for (file, m) in &misplaced {
                println!("{file}: {m}");
            }
            if ok && (self.kernel_elf.is_some() || self.user_elf.is_some()) {
                println!("every allocated section and loaded segment lies in its partitions");
            }
        }
        Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

impl CheckArgs {
    /// `mpu check` of a project with processes: every process's registers,
    /// the plan's ranges, each `--elf` and `--kernel-elf`.
    fn run_processes(self, chosen: &Chosen) -> anyhow::Result<ExitCode> {
        if let Some(user) = &self.user_elf {
            return Err(super::UsageError(format!(
                "--user-elf {}: a project with [[process]] tables has one ELF per process; \
                 give each as --elf NAME=FILE",
                user.display()
            ))
            .into());
        }
        let elves = processes::read_elves(&self.elf, &chosen.processes)?;
        let plan = processes::plan(chosen, &elves)?;
        let kernel = match &self.kernel_elf {
            None => None,
            Some(path) => {
                let data = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let extents =
                    elf_check::read_extents(&data).with_context(|| path.display().to_string())?;
                Some((path.display().to_string(), extents))
            }
        };
        let checked = processes::check(&plan, chosen.config.clone(), &elves, kernel)?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&checked)?);
        } else {
            print!("{}", processes::render_check(&plan, &checked));
            if checked.is_ok() && (self.kernel_elf.is_some() || !self.elf.is_empty()) {
                println!("every allocated section and loaded segment lies in its partitions");
            }
        }
        Ok(if checked.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}
