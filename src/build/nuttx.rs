//! `protect` for a NuttX project: the tree's `.config` and `memory.ld`
//! give the partitions, its own `make` builds both blobs, and mcu-build
//! checks what make does not before it merges them.
//!
//! ```text
//! [nuttx] -> open the tree (.config, memory.ld) [-> inside the board's memories]
//!         -> make (nuttx_user.elf and nuttx)
//!         -> inspect nuttx_user.elf in the u* regions, read and check
//!            struct userspace_s at CONFIG_NUTTX_USERSPACE
//!         -> inspect nuttx in the k* and x* regions
//!         -> merge (the kernel's start address) -> combined.hex/.bin/.elf, build.json
//! ```
//!
//! Outputs go to `target/mcu-build/<board>/` under the project root (the
//! directory of `mcu-build.toml`), as for a project with passes; nothing is
//! written into the tree but what its own make writes. `<board>` is the
//! name of `board` when the project names one, else the tree's
//! `CONFIG_ARCH_BOARD`.
//!
//! make is the incremental step: a second `protect` with nothing changed
//! costs one make that links nothing new, the inspections (milliseconds),
//! and digests; the merge and build.json are not redone when build.json
//! records the same inputs and the outputs still hold what it records.

use std::path::{Path, PathBuf};

use super::config::{BoardSource, ConfigError, NuttxConfig, OverGrantPolicy};
use super::header::{self, UserHeader};
use super::inspect::{self, InspectError, Inspection, Space};
use super::manifest::{FileDigest, NuttxManifest};
use super::pass::{self, PassError};
use super::protect::{self, COMBINED_OUTPUTS, OutDir, ProtectError};
use super::provenance::{self, Provenance};
use super::record::{self, BuildRecord};
use super::{Reporter, Step};
use crate::board::{Board, Name, NameKind};
use crate::build::config::Pass;
use crate::image::format_range;
use crate::layout::request::Owner;
use crate::nuttx::check::{self, CheckError, CheckReport};
use crate::nuttx::memory_ld::{Region, Role};
use crate::nuttx::tree::{self, Tree};
use crate::nuttx::userspace::Userspace;
use crate::output::WriteError;

/// A NuttX project ready to build: its configuration, tree and board.
#[derive(Clone, Debug)]
pub struct NuttxProject {
    /// With `root` absolute.
    pub config: NuttxConfig,
    pub tree: Tree,
    /// The board to run or flash on, if the project names one.
    pub board: Option<Board>,
    /// The board's name, else the tree's `CONFIG_ARCH_BOARD`: names the
    /// output directory and build.json's board.
    pub name: String,
    /// `target/mcu-build/<name>/` under the root, absolute.
    pub out_dir: PathBuf,
}

/// The tree or the board cannot serve a NuttX project.
#[derive(Debug, thiserror::Error)]
pub enum NuttxError {
    #[error(transparent)]
    Tree(#[from] tree::TreeError),
    #[error(
        "{}:{line}: region {region} {} is not inside a memory of board {board} ({memories})",
        memory.display(), format_range(range)
    )]
    OutsideBoard {
        memory: PathBuf,
        line: usize,
        region: String,
        range: std::ops::Range<u64>,
        board: String,
        memories: String,
    },
    #[error(
        "{}: CONFIG_ARCH_BOARD names the output directory target/mcu-build/<board>/, but \
         {error}; name a board with `board = ...` in mcu-build.toml",
        config.display()
    )]
    OutputName { config: PathBuf, error: String },
    #[error(
        "{}: the NuttX project names no board, and {action} needs one for its memories; add \
         `board = \"...\"` (a bundled board) or `board-file = \"...\"` to it, or give --board",
        path.display()
    )]
    NoBoard { path: PathBuf, action: &'static str },
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error("{}: {what}: name the board the tree is configured for", config.display())]
    OtherBoard { config: PathBuf, what: String },
    #[error(
        "`{command}` changed {} or {} while it ran, so the plan mcu-build read before it no \
         longer describes the build; run `mcu-build protect` again (a make that reconfigures \
         the tree, e.g. olddefconfig, should run before protect)",
        config.display(), memory.display()
    )]
    ChangedByMake {
        command: String,
        config: PathBuf,
        memory: PathBuf,
    },
    #[error(
        "NuttX's run-time MPU setup does not confine user code to its own memory:\n  {}\n\
         `mcu-build nuttx check --tree {}` shows the heaps and regions behind it; `mcu-build \
         nuttx layout --tree {}` plans the memory.ld and CONFIG_MM_KERNEL_HEAPSIZE that NuttX \
         grants exactly (`--write` writes them). Or, to build this tree as it is and record \
         the over-grant in build.json, set `over-grant = \"accept\"` under [nuttx] in {}",
        problems.join("\n  "), tree.display(), tree.display(), config.display()
    )]
    OverGranted {
        problems: Vec<String>,
        tree: PathBuf,
        config: PathBuf,
    },
}

/// What a NuttX `protect` produced.
#[derive(Clone, Debug)]
pub struct NuttxOutcome {
    /// nuttx_user.elf, with its `struct userspace_s`.
    pub user: Inspection,
    pub header: Userspace,
    /// nuttx.
    pub kernel: Inspection,
    /// What NuttX's run-time MPU setup grants (`nuttx check`).
    pub report: CheckReport,
    /// The digests of every output, build.json last.
    pub outputs: Vec<FileDigest>,
    /// Whether the merge and build.json were left as they were, because
    /// build.json records these inputs and the outputs are intact.
    pub unchanged: bool,
}

impl NuttxProject {
    /// Opens the tree of `config` and checks it against the board
    /// (`board`, if given, instead of the configuration's).
    pub fn open(
        mut config: NuttxConfig,
        board: Option<BoardSource>,
    ) -> Result<NuttxProject, ProtectError> {
        config.root = std::path::absolute(&config.root).map_err(|error| ConfigError::Io {
            path: config.root.clone(),
            error,
        })?;
        if board.is_some() {
            config.board = board;
        }
        // Resolved, so that messages and build.json name the tree without
        // `..`; a tree that is not there is Tree::open's to report.
        let tree_root = config.root.join(&config.tree);
        let tree_root = std::fs::canonicalize(&tree_root).unwrap_or(tree_root);
        let tree = Tree::open(&tree_root).map_err(NuttxError::from)?;
        tree.check_userspace_address().map_err(NuttxError::from)?;
        tree.user_partitions().map_err(NuttxError::from)?;
        tree.region(Role::Kernel, true).map_err(NuttxError::from)?;
        let board = match &config.board {
            Some(source) => {
                let board = source
                    .load(&config.root)
                    .map_err(|error| ProtectError::Board {
                        path: config.path.clone(),
                        error,
                    })?;
                check_inside(&tree, &board)?;
                Some(board)
            }
            None => None,
        };
        let name = match &board {
            Some(board) => board.name.to_string(),
            None => {
                let named = tree
                    .config
                    .required_text("CONFIG_ARCH_BOARD", "it names the board")
                    .map_err(|e| NuttxError::Tree(e.into()))?;
                Name::new(named, NameKind::Board)
                    .map_err(|e| NuttxError::OutputName {
                        config: tree.config.path.clone(),
                        error: e.to_string(),
                    })?
                    .into()
            }
        };
        let out_dir = config.root.join("target/mcu-build").join(&name);
        Ok(NuttxProject {
            config,
            tree,
            board,
            name,
            out_dir,
        })
    }

    /// The path of output `name` (e.g. `combined.hex`).
    pub fn output(&self, name: &str) -> PathBuf {
        self.out_dir.join(name)
    }

    /// The board, for `action` (`run`, `flash`), which needs one.
    pub fn board_for(&self, action: &'static str) -> Result<&Board, NuttxError> {
        self.board.as_ref().ok_or_else(|| NuttxError::NoBoard {
            path: self.config.path.clone(),
            action,
        })
    }

    fn out(&self) -> OutDir<'_> {
        OutDir {
            dir: &self.out_dir,
            root: &self.config.root,
        }
    }

    /// The regions of memory.ld that `owner`'s blob may occupy: the
    /// user's `u*`, the kernel's `k*` and the left-over `x*` (heaps);
    /// empty ones (`xflash` of length 0) hold nothing.
    pub fn spaces(&self, owner: Owner) -> Vec<Space> {
        let roles: &[Role] = match owner {
            Owner::User => &[Role::User],
            Owner::Kernel => &[Role::Kernel, Role::Extra],
        };
        self.regions()
            .filter(|r| roles.contains(&r.role()))
            .map(|r| Space {
                name: r.name.clone(),
                range: r.origin..r.end(),
                flash: r.is_flash(),
            })
            .collect()
    }

    /// The partitions memory.ld gives: every non-empty region of the
    /// kernel, the user or the left-over memory.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.tree
            .memory
            .regions
            .iter()
            .filter(|r| r.role() != Role::Other && r.length > 0)
    }

    /// The inputs of the build, each with its digest: mcu-build.toml, a
    /// board file, the tree's .config and memory.ld, and the two blobs.
    fn inputs(&self) -> Result<Vec<FileDigest>, InspectError> {
        let mut paths = vec![self.config.path.clone()];
        if let Some(BoardSource::File(file)) = &self.config.board {
            paths.push(self.config.root.join(file));
        }
        paths.extend([
            self.tree.config.path.clone(),
            self.tree.memory.path.clone(),
            self.tree.user_elf(),
            self.tree.kernel_elf(),
        ]);
        paths
            .iter()
            .map(|path| provenance::digest(&self.config.root, path))
            .collect()
    }
}

/// Every non-empty region of the tree lies inside one memory of `board`.
fn check_inside(tree: &Tree, board: &Board) -> Result<(), NuttxError> {
    let config = &tree.config;
    let cores = ["m0", "m3", "m4", "m7", "m23", "m33", "m55", "m85"];
    if let Some(core) = cores
        .iter()
        .find(|core| config.is_set(&format!("CONFIG_ARCH_CORTEX{}", core.to_uppercase())))
    {
        let cpu = format!("cortex-{core}");
        if board.cpu != cpu {
            return Err(NuttxError::OtherBoard {
                config: config.path.clone(),
                what: format!(
                    "CONFIG_ARCH_CORTEX{} builds for a {cpu}, but board {} is a {}",
                    core.to_uppercase(),
                    board.name,
                    board.cpu
                ),
            });
        }
    }
    if let (Some(regions), Some(mpu)) = (
        config
            .number("CONFIG_ARM_MPU_NREGIONS")
            .map_err(|e| NuttxError::Tree(e.into()))?,
        &board.mpu,
    ) && regions > u64::from(mpu.regions)
    {
        return Err(NuttxError::OtherBoard {
            config: config.path.clone(),
            what: format!(
                "CONFIG_ARM_MPU_NREGIONS={regions}, but board {}'s MPU has {} regions",
                board.name, mpu.regions
            ),
        });
    }
    for region in tree.memory.regions.iter().filter(|r| r.length > 0) {
        let inside = board
            .memories
            .iter()
            .any(|m| u64::from(m.origin) <= region.origin && region.end() <= m.end());
        if !inside {
            return Err(NuttxError::OutsideBoard {
                memory: tree.memory.path.clone(),
                line: region.line,
                region: region.name.clone(),
                range: region.origin..region.end(),
                board: board.name.to_string(),
                memories: board.describe_memories(),
            });
        }
    }
    Ok(())
}

/// Builds, inspects, merges and records a NuttX project. On failure the
/// combined image and build.json are removed: a stale one must never pass
/// for this build's.
pub fn protect(
    project: &NuttxProject,
    reporter: &mut dyn Reporter,
) -> Result<NuttxOutcome, ProtectError> {
    let clean_up = || project.out().remove(COMBINED_OUTPUTS);
    let tree = &project.tree;
    protect::run_step(
        Step::Make,
        reporter,
        |reporter| make(project, reporter),
        clean_up,
    )?;
    let (user, header) = protect::run_step(
        Step::Pass1,
        reporter,
        |_| {
            let path = tree.user_elf();
            let (mut user, _) = place(project, &path, Owner::User)?;
            let header = header::nuttx(
                &user.image,
                &path,
                tree.userspace_address().map_err(NuttxError::from)?,
                &tree.userspace_layout(),
                &tree.user_partitions().map_err(NuttxError::from)?,
            )
            .map_err(InspectError::from)?;
            user.header = Some(UserHeader::Nuttx(header.clone()));
            let summary = format!(
                "{}: {}; struct userspace_s at {:#010x}: entry {:#010x}, text {}, data {}, bss {}",
                tree::USER_ELF,
                used(project, &user, Owner::User),
                header.address,
                header.entry(),
                format_range(&header.text()),
                format_range(&header.data()),
                format_range(&header.bss()),
            );
            Ok(((user, header), summary))
        },
        clean_up,
    )?;
    let kernel = protect::run_step(
        Step::Pass2,
        reporter,
        |_| {
            let (kernel, _) = place(project, &tree.kernel_elf(), Owner::Kernel)?;
            let summary = format!(
                "{}: {}",
                tree::KERNEL_ELF,
                used(project, &kernel, Owner::Kernel)
            );
            Ok((kernel, summary))
        },
        clean_up,
    )?;
    let report = protect::run_step(Step::Verify, reporter, |_| verify(project), clean_up)?;
    let (outputs, unchanged) = protect::run_step(
        Step::Merge,
        reporter,
        |_| merge_and_record(project, &user, &header, &kernel, &report),
        clean_up,
    )?;
    Ok(NuttxOutcome {
        user,
        header,
        kernel,
        report,
        outputs,
        unchanged,
    })
}

/// Models the heaps and MPU regions NuttX's own code sets up at run time
/// and checks what they grant (`nuttx check`): a problem stops the build
/// unless the project accepts over-grants.
fn verify(project: &NuttxProject) -> Result<(CheckReport, String), ProtectError> {
    let report = check::check(&project.tree).map_err(NuttxError::from)?;
    let problems = report.problems();
    if !problems.is_empty() && project.config.over_grant == OverGrantPolicy::Refuse {
        return Err(NuttxError::OverGranted {
            problems,
            tree: project.tree.root.clone(),
            config: project.config.path.clone(),
        }
        .into());
    }
    let heaps = &report.heaps;
    let mut summary = format!(
        "NuttX's MPU setup ({}): {} regions; kernel heap {} bytes (CONFIG_MM_KERNEL_HEAPSIZE {}); ",
        report.family.name(),
        report.regions.len(),
        heaps.kernel_end - heaps.kernel_start,
        heaps.kernel_configured,
    );
    if problems.is_empty() {
        summary.push_str("user code reaches exactly its own memory");
    } else {
        summary.push_str(&format!(
            "ACCEPTED over-grant ([nuttx] over-grant = \"accept\"): {}",
            problems.join("; ")
        ));
    }
    if report.executable_data_bytes() > 0 {
        summary.push_str(&format!(
            "; {} bytes of user RAM executable (mpu_user_intsram sets no XN)",
            report.executable_data_bytes()
        ));
    }
    Ok((report, summary))
}

/// Runs the project's make in the tree, which must leave both blobs.
fn make(project: &NuttxProject, reporter: &mut dyn Reporter) -> Result<((), String), ProtectError> {
    let tree = &project.tree;
    let command = project.config.make.clone();
    let pass = Pass::Shell {
        command: command.clone(),
        artifact: tree::KERNEL_ELF.into(),
    };
    let context = pass::Context {
        root: &tree.root,
        gen_dir: &project.out_dir,
        rust_target: None,
        cargo_target_dir: &project.out_dir,
        board: &project.name,
    };
    let step = Step::Make;
    let error = |error| ProtectError::Pass { step, error };
    pass::run(&pass, &context, &mut |line| reporter.output(step, line)).map_err(error)?;
    // The plan and the check read the tree before make: a make that
    // changes .config or memory.ld would leave them describing another
    // build than the one they inspect.
    let after = Tree::open(&tree.root).map_err(NuttxError::from)?;
    if after.config.entries != tree.config.entries || after.memory.regions != tree.memory.regions {
        return Err(NuttxError::ChangedByMake {
            command,
            config: tree.config.path.clone(),
            memory: tree.memory.path.clone(),
        }
        .into());
    }
    let user = tree.user_elf();
    if !user.is_file() {
        return Err(error(PassError::NoArtifact {
            command,
            artifact: user,
        }));
    }
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let summary = format!(
        "{} {} bytes, {} {} bytes",
        tree::USER_ELF,
        size(&user),
        tree::KERNEL_ELF,
        size(&tree.kernel_elf())
    );
    Ok(((), summary))
}

/// Inspects the blob at `path` in the regions of `owner`.
fn place(
    project: &NuttxProject,
    path: &Path,
    owner: Owner,
) -> Result<(Inspection, u64), ProtectError> {
    let bytes = std::fs::read(path).map_err(|error| InspectError::Io {
        path: path.to_owned(),
        error,
    })?;
    Ok(inspect::place(&bytes, path, owner, &project.spaces(owner))?)
}

/// `N bytes in kflash of 131072, M in ksram of 20480`: the use of each
/// region of `owner` that holds something.
fn used(project: &NuttxProject, inspection: &Inspection, owner: Owner) -> String {
    project
        .spaces(owner)
        .iter()
        .map(|s| {
            (
                s,
                inspection.used_in(&s.name, s.range.start),
                s.range.end - s.range.start,
            )
        })
        .filter(|(_, used, _)| *used > 0)
        .map(|(s, used, size)| format!("{used} bytes in {} of {size}", s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Merges kernel and user (the kernel's start address), writes the
/// combined image and build.json; leaves them as they are when build.json
/// records the same inputs and the outputs hold what it records.
fn merge_and_record(
    project: &NuttxProject,
    user: &Inspection,
    header: &Userspace,
    kernel: &Inspection,
    report: &CheckReport,
) -> Result<((Vec<FileDigest>, bool), String), ProtectError> {
    let inputs = project.inputs()?;
    if let Some(outputs) = unchanged(project, &inputs) {
        let summary = format!(
            "unchanged: {} records these inputs, and the outputs are intact",
            record::FILE_NAME
        );
        return Ok(((outputs, true), summary));
    }
    std::fs::create_dir_all(&project.out_dir).map_err(|error| WriteError {
        path: project.out_dir.clone(),
        error,
    })?;
    let combined = protect::write_combined(
        project.out(),
        (tree::KERNEL_ELF, &kernel.image),
        (tree::USER_ELF, &user.image),
    )?;
    let mut outputs = combined.outputs.clone();
    let config_sha256 = provenance::digest(&project.config.root, &project.tree.config.path)?.sha256;
    let manifest = NuttxManifest::new(
        project,
        user,
        header,
        kernel,
        report,
        config_sha256,
        inputs,
        outputs.clone(),
        Provenance::of_nuttx(project)?,
    );
    outputs.push(
        project
            .out()
            .write(record::FILE_NAME, manifest.to_json().as_bytes())?,
    );
    Ok(((outputs, false), protect::combined_summary(&combined)))
}

/// The outputs build.json records, when it records exactly `inputs` for
/// this version of mcu-build and every output still holds its digest.
fn unchanged(project: &NuttxProject, inputs: &[FileDigest]) -> Option<Vec<FileDigest>> {
    let record = BuildRecord::load(&project.output(record::FILE_NAME)).ok()?;
    if record.mcu_build() != Some(env!("CARGO_PKG_VERSION")) {
        return None;
    }
    let recorded: Vec<(&str, &str)> = record
        .inputs()
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let now: Vec<(&str, &str)> = inputs
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    if recorded != now {
        return None;
    }
    let mut outputs = Vec::new();
    for output in record.outputs() {
        let path = project.config.root.join(&output.path);
        if !record::holds_digest(&path, &output.sha256).unwrap_or(false) {
            return None;
        }
        outputs.push(FileDigest {
            path: output.path.clone(),
            bytes: std::fs::metadata(&path).map_or(0, |m| m.len()),
            sha256: output.sha256.clone(),
            loads: output.loads.clone(),
        });
    }
    let manifest = project.output(record::FILE_NAME);
    outputs.push(provenance::digest(&project.config.root, &manifest).ok()?);
    Some(outputs)
}
