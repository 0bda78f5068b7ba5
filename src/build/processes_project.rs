//! `protect` of a project with `[[process]]` tables (Tock's model): the
//! planner places every process ([`crate::layout::processes`]), the build
//! makes each at its addresses and the kernel with the process table
//! ([`super::processes`]), and the result is recorded in `build.json` as
//! for a project with passes, every process's partitions as user
//! partitions, so that `run` and `flash` check it the same way.
//!
//! ```text
//! mcu-build.toml [[process]] + [pass2]
//!   -> plan_processes     per process: flash, RAM, grant on top, exact regions
//!   -> verify             per process, from the register values alone
//!   -> build_all          pass 1 per process, pass 2 with the table, merge
//!   -> check_elf          every process ELF inside its own partitions
//!   -> build.json         plan, processes, verdicts, inputs, outputs
//! ```

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::config::{BoardSource, ConfigError, ProcessesConfig};
use super::manifest::FileDigest;
use super::process_config;
use super::process_table::ProcessSpec;
use super::processes::{self, BuiltSystem, KernelBuild, ProcessBuild, SystemPlan};
use super::protect::{self, OutDir, ProtectError};
use super::provenance::{self, Provenance};
use super::record;
use super::{Reporter, Step};
use crate::board::Board;
use crate::layout::elf_check;
use crate::layout::plan::{AddressRange, Partition, Plan};
use crate::layout::processes::measure::{self, Measured, ProcessSize};
use crate::layout::processes::{self as planner, FaultPolicy, ProcessPlan, ProcessesPlan, verify};
use crate::mpu::GRANULE;
use crate::mpu::MemoryKind;

/// The restarts of `restart` without a limit: as many as the kernel can
/// count.
const UNLIMITED_RESTARTS: u32 = u32::MAX;

/// A project of processes, planned.
#[derive(Clone, Debug)]
pub struct ProcessesProject {
    pub config: ProcessesConfig,
    pub board: Board,
    pub plan: ProcessesPlan,
    /// `target/mcu-build/<board>/` under the root, absolute.
    pub out_dir: PathBuf,
    /// What the measuring links of the `auto` processes took, by name.
    pub measured: BTreeMap<String, Measured>,
    /// The image's partitions as `run` and `flash` check it and build.json
    /// records it ([`ProcessesPlan::as_partition_plan`]): the kernel's, and
    /// per process `<name>-flash`, `<name>-ram` (below the grant) and the
    /// kernel's `<name>-grant`. The `same plan` check compares them with
    /// the plan now; `flash --only process:NAME` programs `<name>-flash`.
    pub image_plan: Plan,
}

/// What `protect` made of a project of processes.
#[derive(Clone, Debug)]
pub struct ProcessesOutcome {
    pub built: BuiltSystem,
    /// Every file written, build.json last.
    pub outputs: Vec<FileDigest>,
}

impl ProcessesProject {
    /// Plans `config`'s processes on its board (or `board`), as `run` and
    /// `flash` need it: `auto` sizes are the ones the last `protect`
    /// measured, from its build.json; without one, an `auto` size is
    /// refused by name.
    pub fn open(
        config: ProcessesConfig,
        board: Option<BoardSource>,
    ) -> Result<ProcessesProject, ProtectError> {
        let (config, board) = resolve(config, board)?;
        let out_dir = out_dir(&config, &board);
        let measured = recorded_measures(&out_dir.join(record::FILE_NAME));
        plan(config, board, out_dir, measured)
    }

    /// Plans `config`'s processes as `protect` does: every process with an
    /// `auto` size is linked once in the memory the kernel leaves free (a
    /// measuring link) and measured, then everything is planned.
    pub fn open_measured(
        config: ProcessesConfig,
        board: Option<BoardSource>,
        reporter: &mut dyn Reporter,
    ) -> Result<ProcessesProject, ProtectError> {
        let (config, board) = resolve(config, board)?;
        let out_dir = out_dir(&config, &board);
        let auto: Vec<String> = config
            .layout
            .processes
            .iter()
            .filter(|p| p.flash == ProcessSize::Auto || p.ram == ProcessSize::Auto)
            .map(|p| p.name.clone())
            .collect();
        if auto.is_empty() {
            return plan(config, board, out_dir, BTreeMap::new());
        }
        // The kernel's partitions do not depend on the processes' sizes: a
        // plan with the least sizes gives them, and the windows after them.
        let least = auto
            .iter()
            .map(|name| {
                (
                    name.clone(),
                    Measured {
                        flash: GRANULE,
                        ram: 0,
                    },
                )
            })
            .collect();
        let provisional = plan(config, board, out_dir, least)?;
        let windows = provisional.free_windows()?;
        let system = provisional.system()?;
        let mut measured = BTreeMap::new();
        for process in system
            .processes
            .iter()
            .filter(|p| auto.contains(&p.spec.name))
        {
            let name = &process.spec.name;
            let elf = processes::measuring_link(
                &system,
                process,
                windows.0.clone(),
                windows.1.clone(),
                &mut |line| reporter.output(Step::Plan, line),
            )
            .map_err(|error| provisional.refused(error.to_string()))?;
            let extents = std::fs::read(&elf)
                .map_err(|error| provisional.refused(format!("{}: {error}", elf.display())))
                .and_then(|bytes| {
                    elf_check::read_extents(&bytes)
                        .map_err(|error| provisional.refused(format!("{}: {error}", elf.display())))
                })?;
            measured.insert(name.clone(), measure::measure(&extents));
        }
        let ProcessesProject {
            config,
            board,
            out_dir,
            ..
        } = provisional;
        plan(config, board, out_dir, measured)
    }

    /// The path of output `name` (e.g. `combined.hex`).
    pub fn output(&self, name: &str) -> PathBuf {
        self.out_dir.join(name)
    }

    pub fn root(&self) -> &Path {
        &self.config.layout.root
    }

    fn out(&self) -> OutDir<'_> {
        OutDir {
            dir: &self.out_dir,
            root: self.root(),
        }
    }

    /// A refusal of this project's build: `error`, named by its
    /// configuration.
    fn refused(&self, error: String) -> ProtectError {
        ProtectError::Processes {
            path: self.config.layout.path.clone(),
            error,
        }
    }

    /// The flash and RAM the kernel's partitions leave free in the
    /// memories the processes are placed in, `[start, end)`: where a
    /// measuring link puts a process.
    fn free_windows(&self) -> Result<(Range<u64>, Range<u64>), ProtectError> {
        let window = |memory: &str| -> Result<Range<u64>, ProtectError> {
            let memory = self
                .board
                .memory(memory)
                .ok_or_else(|| self.refused(format!("the board has no memory {memory}")))?;
            Ok(planner::plan::free_window(memory, &self.plan.kernel))
        };
        Ok((
            window(&self.plan.memories.flash)?,
            window(&self.plan.memories.ram)?,
        ))
    }

    /// The build of every process and the kernel, as the plan places them.
    fn system(&self) -> Result<SystemPlan<'_>, ProtectError> {
        let partition = |kind: MemoryKind| -> Result<&Partition, ProtectError> {
            self.plan
                .kernel
                .iter()
                .find(|p| p.kind == kind)
                .ok_or_else(|| ProtectError::Processes {
                    path: self.config.layout.path.clone(),
                    error: format!("the plan has no kernel {kind} partition"),
                })
        };
        let range = |p: &Partition| p.start..p.end;
        let splits = self.config.layout.splits;
        Ok(SystemPlan {
            board: &self.board,
            root: self.root(),
            out_dir: &self.out_dir,
            syscalls: self.config.syscalls.as_ref(),
            mair0: self.plan.mair0,
            kernel: KernelBuild {
                pass: self.config.kernel.clone(),
                flash: range(partition(MemoryKind::Flash)?),
                sram: range(partition(MemoryKind::Ram)?),
                stack_size: splits.kernel_stack,
                heap_size: self.plan.kernel_heap.len(),
            },
            processes: self
                .plan
                .processes
                .iter()
                .zip(&self.config.layout.processes)
                .map(|(planned, configured)| ProcessBuild {
                    spec: ProcessSpec {
                        name: planned.name.clone(),
                        header: None,
                        flash: span(&planned.flash),
                        ram: span(&planned.ram),
                        grant: span(&planned.grant),
                        regions: planned
                            .regions
                            .iter()
                            .map(|r| (r.number, r.registers))
                            .collect(),
                        fault_policy: fault_policy(planned.fault),
                        time_slice_ms: configured.time_slice_ms,
                    },
                    pass: configured.build.clone(),
                    stack_size: planned.stack,
                    heap_size: planned.heap,
                })
                .collect(),
        })
    }

    /// What the project is made from now, for build.json and for `run`
    /// and `flash` to compare with.
    pub fn provenance(&self) -> Result<Provenance, super::inspect::InspectError> {
        let layout = &self.config.layout;
        let plan = serde_json::to_string(&self.plan).expect("the plan serialises");
        Provenance::of_files(
            &layout.root,
            &layout.path,
            &layout.board,
            self.config.syscalls.as_ref(),
            &plan,
        )
    }
}

/// `config` with its root absolute and `board` (if given) in place of its
/// own, and that board loaded.
fn resolve(
    mut config: ProcessesConfig,
    board: Option<BoardSource>,
) -> Result<(ProcessesConfig, Board), ProtectError> {
    let layout = &mut config.layout;
    layout.root = std::path::absolute(&layout.root).map_err(|error| ConfigError::Io {
        path: layout.root.clone(),
        error,
    })?;
    if let Some(board) = board {
        layout.board = board;
    }
    let board = layout
        .board
        .load(&layout.root)
        .map_err(|error| ProtectError::Board {
            path: layout.path.clone(),
            error,
        })?;
    Ok((config, board))
}

/// `target/mcu-build/<board>/` under the project root.
fn out_dir(config: &ProcessesConfig, board: &Board) -> PathBuf {
    config
        .layout
        .root
        .join("target/mcu-build")
        .join(&board.name)
}

/// The measuring links build.json at `path` records, by process; none
/// when there is no such file or it records none.
fn recorded_measures(path: &Path) -> BTreeMap<String, Measured> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|json| serde_json::from_value(json.get("measured")?.clone()).ok())
        .unwrap_or_default()
}

/// Plans the processes of `config` on `board`, `auto` sizes from
/// `measured`.
fn plan(
    config: ProcessesConfig,
    board: Board,
    out_dir: PathBuf,
    measured: BTreeMap<String, Measured>,
) -> Result<ProcessesProject, ProtectError> {
    let layout = &config.layout;
    let by_name = measured.clone().into_iter().collect();
    let request =
        process_config::processes_request(layout.request(&board), &layout.processes, &by_name)
            .map_err(|error| ProtectError::Processes {
                path: layout.path.clone(),
                error: format!(
                    "{error}; `mcu-build protect` measures it (a measuring link): run it first"
                ),
            })?;
    let plan =
        planner::plan_processes(&board, &request).map_err(|error| ProtectError::Processes {
            path: layout.path.clone(),
            error: error.to_string(),
        })?;
    // The kernel allocates every process's record from its heap at boot.
    let needed = plan.processes.len() as u64 * u64::from(firmware_abi::PROCESS_RECORD_BYTES);
    if plan.kernel_heap.len() < needed {
        return Err(ProtectError::Processes {
            path: layout.path.clone(),
            error: format!(
                "layout.kernel-heap: the kernel heap of {} bytes cannot hold the records of {} \
                 processes ({} bytes each, {needed} in all; the kernel allocates them at boot): \
                 give [layout] kernel-heap = {} or more",
                plan.kernel_heap.len(),
                plan.processes.len(),
                firmware_abi::PROCESS_RECORD_BYTES,
                needed.next_multiple_of(1024)
            ),
        });
    }
    Ok(ProcessesProject {
        config,
        board,
        image_plan: plan.as_partition_plan(),
        plan,
        out_dir,
        measured,
    })
}

/// The merged image's files.
const COMBINED: [&str; 3] = ["combined.hex", "combined.bin", "combined.elf"];

fn span(range: &AddressRange) -> std::ops::Range<u64> {
    range.start..range.end
}

/// The kernel's policy for the planner's.
fn fault_policy(policy: FaultPolicy) -> firmware_abi::FaultPolicy {
    match policy {
        FaultPolicy::Stop => firmware_abi::FaultPolicy::Stop,
        FaultPolicy::Restart { limit } => firmware_abi::FaultPolicy::Restart {
            limit: limit.unwrap_or(UNLIMITED_RESTARTS),
        },
    }
}

/// Plans (done by [`ProcessesProject::open`]), verifies every process
/// from its register values, builds everything, checks every process ELF
/// against its partitions, and writes the combined image and build.json.
pub fn protect(
    project: &ProcessesProject,
    reporter: &mut dyn Reporter,
) -> Result<ProcessesOutcome, ProtectError> {
    let refused = |error: String| project.refused(error);
    reporter.started(Step::Verify);
    let verdicts = verify::verify(&project.plan);
    let failed: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.is_ok())
        .flat_map(|v| {
            v.report
                .findings
                .iter()
                .map(|finding| format!("process {}: {finding}", v.process))
                .chain(
                    v.reached
                        .iter()
                        .map(|r| format!("process {}: {r}", v.process)),
                )
                .collect::<Vec<_>>()
        })
        .chain(
            verify::check_layout(&project.plan)
                .iter()
                .map(ToString::to_string),
        )
        .collect();
    if !failed.is_empty() {
        return Err(refused(failed.join("; ")));
    }
    reporter.finished(
        Step::Verify,
        &format!(
            "{}: each reaches exactly its flash and its RAM below its grant",
            planner::count(verdicts.len())
        ),
    );
    reporter.started(Step::Pass1);
    let system = project.system()?;
    let built = processes::build_all(&system, &mut |line| reporter.output(Step::Pass1, line))
        .map_err(|error| refused(error.to_string()))?;
    let checked = project
        .plan
        .processes
        .iter()
        .zip(&built.process_elfs)
        .try_for_each(|(process, elf)| {
            let bytes = std::fs::read(elf)
                .map_err(|error| refused(format!("{}: {error}", elf.display())))?;
            let extents = elf_check::read_extents(&bytes)
                .map_err(|error| refused(format!("{}: {error}", elf.display())))?;
            let misplaced = verify::check_elf(&project.plan, &process.name, &extents)
                .map_err(|error| refused(error.to_string()))?;
            if misplaced.is_empty() {
                return Ok(());
            }
            let list: Vec<String> = misplaced.iter().map(ToString::to_string).collect();
            Err(refused(format!("{}: {}", elf.display(), list.join("; "))))
        });
    if let Err(error) = checked {
        // The merged image is not this build's to use: no stale
        // combined.* may pass for it (build.json is not written yet).
        project.out().remove(COMBINED);
        return Err(error);
    }
    reporter.finished(
        Step::Pass1,
        &format!(
            "{} and the kernel built, every section inside its partitions",
            planner::count(built.process_elfs.len())
        ),
    );
    reporter.started(Step::Merge);
    let combined = &built.combined;
    let mut outputs = combined.outputs.clone();
    let inputs = built
        .process_elfs
        .iter()
        .chain(std::iter::once(&built.kernel_elf))
        .map(|path| provenance::digest(project.root(), path))
        .collect::<Result<Vec<_>, _>>()?;
    let manifest = ProcessesManifest {
        mcu_build: env!("CARGO_PKG_VERSION"),
        plan: &project.image_plan,
        processes: &project.plan.processes,
        measured: &project.measured,
        verification: Verification {
            checked: vec![
                "per process: its registers reach exactly its flash and its RAM below its grant",
                "per process: its ELF inside its own partitions",
                "the kernel inside the kernel partitions",
            ],
            findings: Vec::new(),
        },
        inputs,
        outputs: outputs.clone(),
        provenance: project.provenance()?,
    };
    let json = serde_json::to_string_pretty(&manifest).expect("the manifest serialises") + "\n";
    outputs.push(project.out().write(record::FILE_NAME, json.as_bytes())?);
    reporter.finished(Step::Merge, &protect::combined_summary(combined));
    Ok(ProcessesOutcome { built, outputs })
}

/// `build.json` of a project of processes: what [`record`] reads of any
/// build.json (plan, verification, inputs, outputs, provenance), and the
/// processes' plan.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ProcessesManifest<'a> {
    mcu_build: &'static str,
    /// The image's partitions ([`ProcessesProject::image_plan`]).
    plan: &'a Plan,
    /// Every process as `layout --json` gives it: partitions, grant,
    /// registers.
    processes: &'a [ProcessPlan],
    /// The measuring links of the processes with `auto` sizes, by name;
    /// `run` and `flash` plan with them.
    measured: &'a BTreeMap<String, Measured>,
    verification: Verification,
    inputs: Vec<FileDigest>,
    outputs: Vec<FileDigest>,
    provenance: Provenance,
}

#[derive(Serialize)]
struct Verification {
    checked: Vec<&'static str>,
    findings: Vec<String>,
}
