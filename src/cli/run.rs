//! `mcu-build run`: boot an image in QEMU and exit with the firmware's
//! status, or with the console's verdict (`--expect`, `--fail`).
//!
//! Before QEMU starts, the image passes the checks of
//! [`crate::build::admission`]: against the build.json beside it (MPU
//! verdict, freshness, board, plan, what it loads where; `--force`
//! overrides these), against the board's memories and for a vector table
//! at its boot address ([`crate::build::boot`]; never overridden): an
//! image QEMU cannot run ends in a lockup dump and a killed emulator,
//! which says nothing about the cause.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::board::{self, Board};
use crate::build::admission::{self, Refused, Report, Subject};
use crate::build::boot;
use crate::build::config::{self, BoardSource};
use crate::build::opened::Opened;
use crate::build::provenance::Provenance;
use crate::build::record::BuildRecord;
use crate::image::file::{self, InputSpec};
use crate::layout::Plan;
use crate::qemu::{self, Ending, FailDefault, FailPattern, RunError, RunOptions};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The image to boot (Intel HEX, ELF, or BIN@ADDR); default:
    /// combined.hex of the last `protect` for the board. The build.json
    /// beside it is checked.
    #[arg(value_name = "IMAGE")]
    image: Option<InputSpec>,
    /// The board whose QEMU machine runs the image; default: the board of
    /// the configuration, else the one build.json beside IMAGE names, else
    /// qemu-mps2-an386.
    #[arg(long, value_name = "NAME", conflicts_with = "board_file")]
    board: Option<String>,
    /// A board file whose QEMU machine runs the image.
    #[arg(long, value_name = "FILE")]
    board_file: Option<PathBuf>,
    /// Boot the flat build (`mcu-build flat`) instead of the protected one.
    #[arg(long, conflicts_with = "image")]
    flat: bool,
    /// The project configuration, for the default board, plan and image;
    /// default: mcu-build.toml in the current directory, when there is one
    /// (required without IMAGE).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Seconds the firmware may run before the run is an error.
    #[arg(long, value_name = "S", default_value_t = 30.0, value_parser = crate::number::parse_seconds)]
    timeout: f64,
    /// End the run with success as soon as a console line matches REGEX
    /// (Rust regex syntax, unanchored; a line not yet ended is matched too,
    /// so a prompt can be expected). Repeat it to wait for several lines:
    /// the run passes when each has matched. QEMU is then stopped; a
    /// firmware exit before that is a failure.
    #[arg(long, value_name = "REGEX", value_parser = parse_pattern)]
    expect: Vec<regex::Regex>,
    /// End the run with a failure (exit 1) as soon as a console line
    /// matches REGEX; the error names the pattern and the line. Repeatable;
    /// works with or without --expect.
    #[arg(long, value_name = "REGEX", value_parser = parse_pattern)]
    fail: Vec<regex::Regex>,
    /// Built-in fail patterns besides --fail: `nuttx` is NuttX's assertion
    /// and fault reports, the patterns 'Assertion failed\b.*at file:' and
    /// 'PANIC!!!'. Default: nuttx when --expect is given without --fail,
    /// else none.
    #[arg(long, value_name = "SET", value_enum)]
    fail_default: Option<qemu::FailDefault>,
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
    /// inputs, other load addresses or bytes, another board, or another
    /// plan than the configuration's (never data outside the board's
    /// memories, nor an image without a vector table at its boot address).
    #[arg(long)]
    force: bool,
}

impl RunArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let boot_argument = qemu::scenario_argument(&self.scenario)
            .map_err(|error| super::UsageError(error.to_string()))?;
        let target = self.target()?;
        if target.processes && boot_argument != 0 {
            return Err(super::UsageError(format!(
                "--scenario {}: the scenarios are attacks of the bundled user blob; a project \
                 with [[process]] tables runs its processes, whose own checks decide the run's \
                 status",
                self.scenario
            ))
            .into());
        }
        admit(&target, self.force)?;
        let board = &target.board;
        let machine = board
            .qemu_machine
            .clone()
            .ok_or_else(|| RunError::NoMachine {
                board: board.name.to_string(),
            })?;
        qemu::check_machine(&machine, &target.origin)?;
        let timeout = Duration::try_from_secs_f64(self.timeout).map_err(|_| {
            super::UsageError(format!(
                "--timeout {}: not a number of seconds",
                self.timeout
            ))
        })?;
        let options = RunOptions {
            image: target.spec.path,
            base: target.spec.base,
            machine,
            boot_argument,
            timeout,
            fail: self.fail_patterns(),
            expect: self.expect,
        };
        match qemu::run(&options, &mut std::io::stdout().lock())? {
            Ending::Exited(status) => Ok(ExitCode::from(status.clamp(0, 255) as u8)),
            Ending::Expected { line } => {
                eprintln!("run: the console showed every --expect (last: {line:?}); QEMU stopped");
                Ok(ExitCode::SUCCESS)
            }
        }
    }

    /// `--fail` patterns, then those of the built-in set: the one
    /// `--fail-default` names, else NuttX's when the run waits for an
    /// `--expect` and names no `--fail` of its own.
    fn fail_patterns(&self) -> Vec<FailPattern> {
        let set = self
            .fail_default
            .unwrap_or(if !self.expect.is_empty() && self.fail.is_empty() {
                FailDefault::Nuttx
            } else {
                FailDefault::None
            });
        let mut patterns: Vec<FailPattern> = self
            .fail
            .iter()
            .map(|regex| FailPattern {
                regex: regex.clone(),
                default: None,
            })
            .collect();
        patterns.extend(FailPattern::defaults(set));
        patterns
    }

    /// The image, the board and the plan to check it against: with the
    /// configuration (`--config`, or mcu-build.toml when there is one) its
    /// board and plan, `--board`/`--board-file` replacing the board;
    /// without one, the given board, else the board the build.json beside
    /// the image names, else the default board, said on stderr.
    fn target(&self) -> anyhow::Result<Target> {
        let chosen =
            super::protect::board_source(self.board.as_deref(), self.board_file.as_deref());
        let Some(spec) = self.image.clone() else {
            // The configuration names the image, so it is required.
            let config = self
                .config
                .clone()
                .unwrap_or_else(|| config::FILE_NAME.into());
            return self.project_target(&config, chosen, None);
        };
        if let Some(config) = config::find(self.config.as_deref()) {
            return self.project_target(&config, chosen, Some(spec));
        }
        let record = BuildRecord::beside(&spec.path)?;
        // A build.json for a board file names a board mcu-build cannot load.
        let recorded = record
            .as_ref()
            .filter(|r| board::bundled_names().any(|known| known == r.board()));
        let source = match (chosen, recorded) {
            (Some(source), _) => source,
            (None, Some(record)) => {
                eprintln!(
                    "board {} (from {}; no {} here, and no --board)",
                    record.board(),
                    record.path.display(),
                    config::FILE_NAME
                );
                BoardSource::Bundled(record.board().to_owned())
            }
            (None, None) => {
                eprintln!(
                    "board {} (the default; no {} here, no build.json beside the image, and no \
                     --board)",
                    board::DEFAULT_BOARD,
                    config::FILE_NAME
                );
                BoardSource::Bundled(board::DEFAULT_BOARD.to_owned())
            }
        };
        let root = Path::new(".");
        Ok(Target {
            processes: false,
            board: source.load(root)?,
            origin: origin(&source, root),
            plan: None,
            provenance: None,
            spec,
        })
    }

    /// `image` (default: the project's combined.hex, or flat.hex with
    /// `--flat`) on the board of the project of `config` (or `chosen`),
    /// against its plan.
    fn project_target(
        &self,
        config: &Path,
        chosen: Option<BoardSource>,
        image: Option<InputSpec>,
    ) -> anyhow::Result<Target> {
        let project = Opened::open(config, chosen)?;
        let default = if self.flat {
            "flat/flat.hex"
        } else {
            "combined.hex"
        };
        let spec = image.unwrap_or_else(|| InputSpec {
            path: project.output(default),
            base: None,
        });
        let board = project.board("run")?;
        Ok(Target {
            processes: matches!(project, Opened::Processes(_)),
            spec,
            provenance: Some(project.provenance()?),
            origin: project
                .board_source()
                .map_or_else(|| board.name.to_string(), |b| origin(b, project.root())),
            plan: project.plan().cloned(),
            board: board.clone(),
        })
    }
}

/// What `run` boots, on what, checked against which plan.
struct Target {
    spec: InputSpec,
    board: Board,
    /// Where the board came from, for errors about its keys: the board
    /// file, or the bundled board's name.
    origin: String,
    /// The plan of the configuration read, if one was.
    plan: Option<Plan>,
    /// What that configuration makes a build from now.
    provenance: Option<Provenance>,
    /// The configuration has `[[process]]` tables.
    processes: bool,
}

/// The board file of `source`, or the bundled board it names.
fn origin(source: &BoardSource, root: &Path) -> String {
    match source {
        BoardSource::Bundled(name) => format!("bundled board {name}"),
        BoardSource::File(path) => root.join(path).display().to_string(),
    }
}

/// Runs the checks before QEMU starts; warns on stderr of each failure
/// `force` overrode.
fn admit(target: &Target, force: bool) -> anyhow::Result<()> {
    let spec = &target.spec;
    if !spec.path.is_file() {
        return Err(RunError::NoImage {
            path: spec.path.clone(),
        }
        .into());
    }
    let file = file::load(spec)?;
    let record = BuildRecord::beside(&spec.path)?;
    if record.is_none() {
        eprintln!(
            "warning: no {} beside {}: nothing says which build made this image or that its MPU \
             regions were verified",
            crate::build::record::FILE_NAME,
            spec.path.display()
        );
    }
    let subject = Subject {
        spec,
        image: &file.image,
        record: record.as_ref(),
        board: Some(&target.board),
        plan: target.plan.as_ref().map(Ok),
        provenance: target.provenance.as_ref(),
    };
    let mut checks = admission::record_checks(&subject);
    checks.push(admission::in_memories(spec, &file.image, &target.board));
    checks.push(boot::vector_table(spec, &file.image, &target.board));
    let report = Report::new(checks, force);
    if !report.passed() {
        return Err(Refused {
            action: "run",
            report,
        }
        .into());
    }
    warn_forced(&report);
    if let Some(record) = &record
        && !record.accepted().is_empty()
    {
        eprintln!(
            "warning: {} records an over-grant of NuttX's MPU setup that the project accepts \
             ([nuttx] over-grant = \"accept\"): {}",
            record.path.display(),
            record.accepted().join("; ")
        );
    }
    Ok(())
}

/// One warning on stderr per failed check `--force` overrode (`run` and
/// `flash`).
pub(super) fn warn_forced(report: &Report) {
    for check in report.forced() {
        eprintln!("warning: {}: {} (--force)", check.check, check.detail);
    }
}

/// A console pattern of `--expect` or `--fail`: a regular expression that
/// can match something (an empty one would match every line).
fn parse_pattern(text: &str) -> Result<regex::Regex, String> {
    if text.is_empty() {
        return Err("an empty pattern matches every line".to_owned());
    }
    regex::Regex::new(text).map_err(|error| error.to_string())
}
