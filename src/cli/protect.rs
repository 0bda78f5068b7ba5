//! `mcu-build protect`, `pass1`, `pass2` and `flat`: build a protected
//! image (or its unprotected twin) from `mcu-build.toml`. `protect` also
//! builds a NuttX project (`[nuttx]`), whose tree builds itself.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::progress::{MessageFormat, Progress};
use crate::build::config::{self, BoardSource, ProjectConfig};
use crate::build::manifest::FileDigest;
use crate::build::nuttx::{self, NuttxProject};
use crate::build::processes_project::{self, ProcessesProject};
use crate::build::protect::{self, Project};
use crate::build::{Reporter, Step};
use crate::layout::request::Owner;

/// What every build command takes.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// The project's configuration; its directory is the project root.
    #[arg(long, value_name = "FILE", default_value = config::FILE_NAME)]
    config: PathBuf,
    /// Build for this bundled board instead of the configuration's.
    #[arg(long, value_name = "NAME", conflicts_with = "board_file")]
    board: Option<String>,
    /// Build for the board described in this file instead.
    #[arg(long, value_name = "FILE")]
    board_file: Option<PathBuf>,
    /// `human`: progress on stderr, a summary on stdout; `json`: one JSON
    /// object per line on stdout.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
}

/// The board chosen on the command line, if any.
pub fn board_source(name: Option<&str>, file: Option<&std::path::Path>) -> Option<BoardSource> {
    match (name, file) {
        (Some(name), _) => Some(BoardSource::Bundled(name.to_owned())),
        (None, Some(file)) => Some(BoardSource::File(
            std::path::absolute(file).unwrap_or_else(|_| file.to_owned()),
        )),
        (None, None) => None,
    }
}

impl ProjectArgs {
    fn board(&self) -> Option<BoardSource> {
        board_source(self.board.as_deref(), self.board_file.as_deref())
    }

    /// Opens the project, reporting the plan as the first step.
    fn open(&self, progress: &mut Progress) -> anyhow::Result<Project> {
        progress.started(Step::Plan);
        let project = Project::open(&self.config, self.board())?;
        let plan = &project.plan;
        let summary = format!(
            "{}: user flash {:#010x}..{:#010x}, user SRAM {:#010x}..{:#010x}, {} MPU regions",
            plan.plan().board,
            plan.user_flash().start,
            plan.user_flash().end,
            plan.user_sram().start,
            plan.user_sram().end,
            plan.plan().programmed().len()
        );
        progress.finished(Step::Plan, &summary);
        Ok(project)
    }
}

/// The JSON result line of a build command.
#[derive(Serialize)]
#[serde(tag = "event", rename = "result", rename_all = "kebab-case")]
struct BuildResult<'a> {
    out_dir: &'a std::path::Path,
    outputs: &'a [FileDigest],
}

/// Prints what a build wrote: a list for people, a JSON line for machines.
fn report_outputs(format: MessageFormat, out_dir: &std::path::Path, outputs: &[FileDigest]) {
    match format {
        MessageFormat::Json => println!(
            "{}",
            serde_json::to_string(&BuildResult { out_dir, outputs })
                .expect("the result serialises")
        ),
        MessageFormat::Human => {
            for output in outputs {
                println!(
                    "{:<44} {:>8} bytes  sha256 {}",
                    output.path,
                    output.bytes,
                    &output.sha256[..16]
                );
            }
        }
    }
}

/// `protect`: with passes, the plan, both passes, verification and merge
/// ([`protect::protect`]); a NuttX project, [`nuttx::protect`].
#[derive(Debug, Args)]
pub struct ProtectArgs {
    #[command(flatten)]
    project: ProjectArgs,
}

impl ProtectArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let format = self.project.message_format;
        match config::load_any(&self.project.config)? {
            ProjectConfig::Nuttx(config) => {
                return protect_nuttx(config, self.project.board(), format);
            }
            ProjectConfig::Processes(config) => {
                return protect_processes(*config, self.project.board(), format);
            }
            ProjectConfig::Passes(_) => {}
        }
        let mut progress = Progress::new(format);
        let project = self.project.open(&mut progress)?;
        let outcome = protect::protect(&project, &mut progress)?;
        drop(progress);
        if format == MessageFormat::Human {
            print!("{}", render_plan(&project, &outcome));
        }
        report_outputs(format, &project.out_dir, &outcome.outputs);
        Ok(ExitCode::SUCCESS)
    }
}

/// `protect` of a NuttX project: the tree read as the plan step, then
/// make, the inspections and the merge; the regions with their use and
/// the header on stdout.
fn protect_nuttx(
    config: config::NuttxConfig,
    board: Option<BoardSource>,
    format: MessageFormat,
) -> anyhow::Result<ExitCode> {
    let mut progress = Progress::new(format);
    progress.started(Step::Plan);
    let project = NuttxProject::open(config, board)?;
    let userspace = project.tree.userspace_address()?;
    let summary = format!(
        "{}: {} regions from {}, CONFIG_NUTTX_USERSPACE {userspace:#010x}",
        project.name,
        project.regions().count(),
        project.tree.memory.path.display()
    );
    progress.finished(Step::Plan, &summary);
    let outcome = nuttx::protect(&project, &mut progress)?;
    drop(progress);
    if format == MessageFormat::Human {
        print!("{}", render_nuttx(&project, &outcome));
    }
    report_outputs(format, &project.out_dir, &outcome.outputs);
    Ok(ExitCode::SUCCESS)
}

/// `protect` of a project of processes: the plan, then every process and
/// the kernel built, verified and merged; the plan on stdout.
fn protect_processes(
    config: config::ProcessesConfig,
    board: Option<BoardSource>,
    format: MessageFormat,
) -> anyhow::Result<ExitCode> {
    let mut progress = Progress::new(format);
    progress.started(Step::Plan);
    let project = ProcessesProject::open_measured(config, board, &mut progress)?;
    let mut summary = format!(
        "{}: {}, {} bytes lost to alignment",
        project.plan.board,
        crate::layout::processes::count(project.plan.processes.len()),
        project.plan.loss.total.mcu_build
    );
    for (name, measured) in &project.measured {
        summary += &format!(
            "; {name} measured: {} bytes of flash, {} of RAM",
            measured.flash, measured.ram
        );
    }
    progress.finished(Step::Plan, &summary);
    let outcome = processes_project::protect(&project, &mut progress)?;
    drop(progress);
    if format == MessageFormat::Human {
        print!("{}", super::processes::render(&project.plan));
    }
    report_outputs(format, &project.out_dir, &outcome.outputs);
    Ok(ExitCode::SUCCESS)
}

/// The regions of the tree with their use, and struct userspace_s.
fn render_nuttx(project: &NuttxProject, outcome: &nuttx::NuttxOutcome) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "{} (NuttX tree {}):\n",
        project.name,
        project.tree.root.display()
    );
    let _ = writeln!(
        out,
        "  {:<13} {:<10}   {:<10}   {:>8} {:>8}",
        "region", "start", "end", "size", "used"
    );
    for region in project.regions() {
        let inspection = match region.role() {
            crate::nuttx::memory_ld::Role::User => &outcome.user,
            _ => &outcome.kernel,
        };
        let _ = writeln!(
            out,
            "  {:<13} {:#010x}   {:#010x}   {:>8} {:>8}",
            region.name,
            region.origin,
            region.end(),
            region.length,
            inspection.used_in(&region.name, region.origin)
        );
    }
    let _ = writeln!(
        out,
        "  struct userspace_s at {:#010x}:",
        outcome.header.address
    );
    for line in outcome.header.to_string().lines() {
        let _ = writeln!(out, "    {line}");
    }
    out
}

/// The partitions with their use, and the MPU table.
fn render_plan(project: &Project, outcome: &protect::Outcome) -> String {
    use std::fmt::Write as _;
    let plan = project.plan.plan();
    let mut out = format!("{} ({}):\n", plan.board, plan.arch);
    let _ = writeln!(
        out,
        "  {:<13} {:<10}   {:<10}   {:>8} {:>8}",
        "partition", "start", "end", "size", "used"
    );
    for p in &plan.partitions {
        let inspection = match p.owner {
            Owner::Kernel => &outcome.kernel.inspection,
            Owner::User => &outcome.user.inspection,
        };
        let _ = writeln!(
            out,
            "  {:<13} {:#010x}   {:#010x}   {:>8} {:>8}",
            p.name,
            p.start,
            p.end,
            p.size,
            inspection.used(p)
        );
    }
    for p in &plan.partitions {
        for region in &p.regions {
            let _ = writeln!(
                out,
                "  MPU region {}: {:<11} {}",
                region.number, p.name, region.registers
            );
        }
    }
    out
}

#[derive(Debug, Args)]
pub struct Pass1Args {
    #[command(flatten)]
    project: ProjectArgs,
}

impl Pass1Args {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let format = self.project.message_format;
        let mut progress = Progress::new(format);
        let project = self.project.open(&mut progress)?;
        project.invalidate_after(Step::Pass1)?;
        let user = protect::pass1(&project, &mut progress)?;
        drop(progress);
        report_outputs(format, &project.out_dir, &user.outputs);
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Debug, Args)]
pub struct Pass2Args {
    #[command(flatten)]
    project: ProjectArgs,
}

impl Pass2Args {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let format = self.project.message_format;
        let mut progress = Progress::new(format);
        let project = self.project.open(&mut progress)?;
        project.invalidate_from(Step::Pass2)?;
        let user = protect::sealed_user(&project)?;
        let kernel = protect::pass2(&project, &user, &mut progress)?;
        drop(progress);
        report_outputs(format, &project.out_dir, &kernel.outputs);
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Debug, Args)]
pub struct FlatArgs {
    #[command(flatten)]
    project: ProjectArgs,
}

impl FlatArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let format = self.project.message_format;
        let mut progress = Progress::new(format);
        let project = self.project.open(&mut progress)?;
        let flat = protect::flat(&project, &mut progress)?;
        drop(progress);
        report_outputs(format, &project.out_dir, &flat.outputs);
        Ok(ExitCode::SUCCESS)
    }
}
