//! The protected build, step by step: [`pass1`], [`pass2`] and [`protect`]
//! (both passes, verification, merge and manifest).
//!
//! Outputs go to `target/mcu-build/<board>/` under the project root and are
//! written atomically, and only when their bytes change. When a step
//! fails, the outputs of that step and every later one are removed, so a
//! stale combined image can never pass for this build's.

use std::path::{Path, PathBuf};

use super::config::{self, BoardSource, Config, ConfigError, Pass};
use super::generate;
use super::header::UserHeader;
use super::inspect::{self, InspectError, Inspection};
use super::manifest::{FileDigest, Loads, Manifest};
use super::pass::{self, PassError};
use super::planned::{MissingPartition, Planned};
use super::provenance::{self, Difference, Provenance};
use super::seal::{self, SealError};
use super::syscalls::{self, SyscallsError};
use super::{Reporter, Step};
use crate::board::{Board, BoardError};
use crate::image::bin::{self, BinReadError};
use crate::image::ihex::{self, RecordLength};
use crate::image::merge::{self, EntryChoice, MergeConflict};
use crate::image::{Image, OverlapPolicy, elf};
use crate::layout::PlanError;
use crate::layout::request::Owner;
use crate::mpu::verify::Report;
use crate::output::WriteError;

/// A protected build failed.
#[derive(Debug, thiserror::Error)]
pub enum ProtectError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A project of processes could not be planned, verified or built.
    #[error("{}: {error}", path.display())]
    Processes { path: PathBuf, error: String },
    #[error("{}: {error}", path.display())]
    Board { path: PathBuf, error: BoardError },
    #[error("{}: cannot plan the layout for {board}: {error}", path.display())]
    Plan {
        path: PathBuf,
        board: String,
        error: Box<PlanError>,
    },
    #[error("{}: {error}", path.display())]
    Partitions {
        path: PathBuf,
        error: MissingPartition,
    },
    #[error(transparent)]
    Syscalls(#[from] SyscallsError),
    #[error("{step}: {error}")]
    Pass { step: Step, error: PassError },
    #[error(transparent)]
    Inspect(#[from] InspectError),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    ProcessTable(#[from] super::process_table::ProcessTableError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(
        "the MPU table does not grant exactly the user partitions:\n  {}",
        report.findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    Verify { report: Report },
    #[error("merging {kernel} and {user}: {error}")]
    Merge {
        kernel: &'static str,
        user: &'static str,
        error: MergeConflict,
    },
    #[error("{}: {error}", path.display())]
    BinRead { path: PathBuf, error: BinReadError },
    #[error("{} is missing: run `mcu-build pass1` first", path.display())]
    NoUserBlob { path: PathBuf },
    #[error(
        "{} was built from another {}: {}; run `mcu-build pass1`",
        path.display(),
        difference.what,
        difference.detail
    )]
    UserFromOtherInputs {
        path: PathBuf,
        difference: Difference,
    },
    #[error(
        "{}: no record of what it was built from ({} is missing or unreadable: {reason}); \
         run `mcu-build pass1`",
        path.display(),
        record.display()
    )]
    NoPass1Record {
        path: PathBuf,
        record: PathBuf,
        reason: String,
    },
    #[error(
        "{} was built for another plan: its data starts at {built:#010x}, but user-flash \
         starts at {planned:#010x} now; run `mcu-build pass1` first",
        path.display()
    )]
    UserForAnotherPlan {
        path: PathBuf,
        built: u64,
        planned: u64,
    },
    #[error("{}: no [flat] pass: add one to build the flat variant", path.display())]
    NoFlatPass { path: PathBuf },
    #[error(transparent)]
    Nuttx(Box<super::nuttx::NuttxError>),
}

impl From<super::nuttx::NuttxError> for ProtectError {
    fn from(error: super::nuttx::NuttxError) -> ProtectError {
        ProtectError::Nuttx(Box::new(error))
    }
}

/// A project ready to build: its configuration, board and plan.
#[derive(Clone, Debug)]
pub struct Project {
    pub config: Config,
    pub board: Board,
    pub plan: Planned,
    /// `target/mcu-build/<board>/` under the root, absolute.
    pub out_dir: PathBuf,
}

impl Project {
    /// Reads `config_path` and plans the layout, for `board` if given
    /// instead of the configuration's.
    pub fn open(config_path: &Path, board: Option<BoardSource>) -> Result<Project, ProtectError> {
        let mut config = config::load(config_path)?;
        config.root = std::path::absolute(&config.root).map_err(|error| ConfigError::Io {
            path: config.root.clone(),
            error,
        })?;
        if let Some(board) = board {
            config.board = board;
        }
        let board = config
            .board
            .load(&config.root)
            .map_err(|error| ProtectError::Board {
                path: config.path.clone(),
                error,
            })?;
        let request = config.request(&board);
        let plan = crate::layout::plan(&board, &request).map_err(|error| ProtectError::Plan {
            path: config.path.clone(),
            board: board.name.to_string(),
            error: Box::new(error),
        })?;
        let plan = Planned::new(plan).map_err(|error| ProtectError::Partitions {
            path: config.path.clone(),
            error,
        })?;
        let out_dir = config.root.join("target/mcu-build").join(&board.name);
        Ok(Project {
            config,
            board,
            plan,
            out_dir,
        })
    }

    /// The path of output `name` (e.g. `combined.hex`).
    pub fn output(&self, name: &str) -> PathBuf {
        self.out_dir.join(name)
    }

    fn gen_dir(&self) -> PathBuf {
        self.out_dir.join("gen")
    }

    /// Writes what every pass reads into the generated directory: the
    /// linker scripts, board.rs and the system call layer. Returns the
    /// digests of the files it read (the syscall table) for build.json.
    fn generate_common(&self) -> Result<Vec<FileDigest>, ProtectError> {
        let gen_dir = self.gen_dir();
        std::fs::create_dir_all(&gen_dir).map_err(|error| WriteError {
            path: gen_dir.clone(),
            error,
        })?;
        generate::write_common(&gen_dir, &self.plan, &self.config.splits, &self.board)?;
        let Some(table) = &self.config.syscalls else {
            return Ok(Vec::new());
        };
        let read = syscalls::generate(table, &self.config.root, &gen_dir)?;
        read.iter()
            .map(|path| {
                let bytes = std::fs::read(path).map_err(|error| InspectError::Io {
                    path: path.clone(),
                    error,
                })?;
                Ok(self.digest(path, &bytes))
            })
            .collect()
    }

    /// Runs `pass` as `step` with cargo's output in `cargo_target_dir`,
    /// reporting its output lines.
    fn run_pass(
        &self,
        step: Step,
        pass: &Pass,
        cargo_target_dir: &Path,
        reporter: &mut dyn Reporter,
    ) -> Result<(PathBuf, Vec<u8>), ProtectError> {
        let gen_dir = self.gen_dir();
        let context = pass::Context {
            root: &self.config.root,
            gen_dir: &gen_dir,
            rust_target: self.board.rust_target.as_deref(),
            cargo_target_dir,
            board: &self.board.name,
        };
        let artifact = pass::run(pass, &context, &mut |line| reporter.output(step, line))
            .map_err(|error| ProtectError::Pass { step, error })?;
        let bytes = std::fs::read(&artifact).map_err(|error| InspectError::Io {
            path: artifact.clone(),
            error,
        })?;
        Ok((artifact, bytes))
    }

    fn digest(&self, path: &Path, bytes: &[u8]) -> FileDigest {
        FileDigest::of(path, &self.config.root, bytes)
    }

    /// The output directory, for writing.
    fn out(&self) -> OutDir<'_> {
        OutDir {
            dir: &self.out_dir,
            root: &self.config.root,
        }
    }

    /// Writes output `name` if its bytes changed; returns its digest.
    fn write(&self, name: &str, bytes: &[u8]) -> Result<FileDigest, ProtectError> {
        self.out().write(name, bytes)
    }

    /// Writes `<stem>.elf` (the given bytes) and `<stem>.hex` (`image`).
    fn write_blob(
        &self,
        stem: &str,
        elf: &[u8],
        image: &Image,
    ) -> Result<Vec<FileDigest>, ProtectError> {
        let out = self.out();
        Ok(vec![
            out.write_image(&format!("{stem}.elf"), elf, image)?,
            out.write_image(
                &format!("{stem}.hex"),
                &ihex::write(image, RecordLength::default()),
                image,
            )?,
        ])
    }

    /// Removes the outputs of every step after `step`, before `mcu-build
    /// pass1` runs that step alone: they were made from what it is about
    /// to replace (after pass 1, a kernel holds the old user header), and
    /// a stale combined image must never pass for this build's. `protect`
    /// does not need this: it rewrites them all.
    pub fn invalidate_after(&self, step: Step) -> Result<(), ProtectError> {
        let later = match step {
            Step::Plan | Step::Make => Step::Pass1,
            Step::Pass1 => Step::Pass2,
            Step::Pass2 | Step::Verify | Step::Merge => Step::Merge,
            Step::Flat => return Ok(()),
        };
        self.invalidate_from(later)
    }

    /// Removes the outputs of `step` and of every later step, before
    /// `mcu-build pass2` runs: when it fails before building (no user blob
    /// for this plan), the kernel of an earlier plan must not stay behind
    /// as if it were this build's.
    pub fn invalidate_from(&self, step: Step) -> Result<(), ProtectError> {
        for name in Self::outputs_from(step) {
            let path = self.output(name);
            match std::fs::remove_file(&path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    return Err(WriteError { path, error }.into());
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Removes the outputs of a step that failed, and of every later one.
    fn remove_outputs_from(&self, step: Step) {
        self.out().remove(Self::outputs_from(step));
    }

    /// The outputs of `step` and of every later step.
    fn outputs_from(step: Step) -> impl Iterator<Item = &'static str> {
        let stale: &[&str] = match step {
            Step::Plan | Step::Make | Step::Pass1 => &[
                "user.elf",
                "user.hex",
                provenance::PASS1_FILE_NAME,
                "kernel.elf",
                "kernel.hex",
            ],
            Step::Pass2 => &["kernel.elf", "kernel.hex"],
            Step::Verify | Step::Merge => &[],
            Step::Flat => &["flat/flat.elf", "flat/flat.hex"],
        };
        let always: &[&str] = match step {
            Step::Flat => &[],
            _ => &COMBINED_OUTPUTS,
        };
        stale.iter().chain(always).copied()
    }
}

/// What the merge writes, build.json last: the outputs a failed build
/// must not leave behind.
pub const COMBINED_OUTPUTS: [&str; 4] =
    ["combined.hex", "combined.bin", "combined.elf", "build.json"];

/// An output directory and the project root its digests are relative to.
#[derive(Clone, Copy, Debug)]
pub struct OutDir<'a> {
    pub dir: &'a Path,
    pub root: &'a Path,
}

impl OutDir<'_> {
    /// Writes output `name` if its bytes changed; returns its digest.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<FileDigest, ProtectError> {
        let path = self.dir.join(name);
        generate::write_if_changed(&path, bytes)?;
        Ok(FileDigest::of(&path, self.root, bytes))
    }

    /// Writes output `name`, an image file that loads `image`, if its
    /// bytes changed; returns its digest with what it loads.
    pub fn write_image(
        &self,
        name: &str,
        bytes: &[u8],
        image: &Image,
    ) -> Result<FileDigest, ProtectError> {
        Ok(FileDigest {
            loads: Some(Loads::of(image)),
            ..self.write(name, bytes)?
        })
    }

    /// Removes the outputs `names`.
    pub fn remove<'n>(&self, names: impl IntoIterator<Item = &'n str>) {
        for name in names {
            // A file that is not there is what we want; any other failure
            // leaves a file the next successful build replaces.
            let _ = std::fs::remove_file(self.dir.join(name));
        }
    }
}

/// The user blob of pass 1, sealed when its header is mcu-build's.
#[derive(Clone, Debug)]
pub struct UserBlob {
    pub inspection: Inspection,
    pub header: UserHeader,
    /// Digests of what pass 1 built and wrote.
    pub inputs: Vec<FileDigest>,
    pub outputs: Vec<FileDigest>,
}

/// The kernel of pass 2.
#[derive(Clone, Debug)]
pub struct KernelBlob {
    pub inspection: Inspection,
    pub inputs: Vec<FileDigest>,
    pub outputs: Vec<FileDigest>,
}

/// What `protect` produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub user: UserBlob,
    pub kernel: KernelBlob,
    pub verification: Report,
    /// The digests of every output, build.json last.
    pub outputs: Vec<FileDigest>,
}

/// Runs `step` with `work`, reporting its start and finish; on failure
/// removes the outputs it and later steps would have written.
fn step<T>(
    project: &Project,
    step: Step,
    reporter: &mut dyn Reporter,
    work: impl FnOnce(&mut dyn Reporter) -> Result<(T, String), ProtectError>,
) -> Result<T, ProtectError> {
    run_step(step, reporter, work, || project.remove_outputs_from(step))
}

/// Runs `step` with `work`, reporting its start and finish; on failure
/// calls `clean_up` to remove the outputs that must not outlive it.
pub fn run_step<T>(
    step: Step,
    reporter: &mut dyn Reporter,
    work: impl FnOnce(&mut dyn Reporter) -> Result<(T, String), ProtectError>,
    clean_up: impl FnOnce(),
) -> Result<T, ProtectError> {
    reporter.started(step);
    match work(reporter) {
        Ok((value, summary)) => {
            reporter.finished(step, &summary);
            Ok(value)
        }
        Err(error) => {
            clean_up();
            Err(error)
        }
    }
}

/// Pass 1: generates the linker scripts, board.rs and the system call
/// layer, builds the user blob, inspects it and seals its header; writes
/// user.elf and user.hex.
pub fn pass1(project: &Project, reporter: &mut dyn Reporter) -> Result<UserBlob, ProtectError> {
    step(project, Step::Pass1, reporter, |reporter| {
        let mut inputs = project.generate_common()?;
        let (artifact, bytes) = project.run_pass(
            Step::Pass1,
            &project.config.user,
            &project.output("cargo"),
            reporter,
        )?;
        inputs.push(project.digest(&artifact, &bytes));
        let built = inspect::inspect(
            &bytes,
            &artifact,
            Owner::User,
            &project.plan,
            project.config.header,
        )?;
        let header = built
            .header
            .clone()
            .expect("inspect reads a user blob's header");
        let (inspection, outputs, summary) = match header {
            UserHeader::McuBuild(_) => {
                let sealed = seal::seal(bytes, &built.image, &artifact, &project.plan)?;
                let outputs = project.write_blob("user", &sealed.elf, &sealed.image)?;
                let summary = format!(
                    "user.elf: {} bytes in user-flash, CRC {:#010x}",
                    built.used(project.plan.user_flash()),
                    sealed.header.crc32
                );
                let inspection = Inspection {
                    image: sealed.image,
                    header: Some(UserHeader::McuBuild(sealed.header)),
                    ..built
                };
                (inspection, outputs, summary)
            }
            // NuttX's struct userspace_s has no CRC: the blob is used as
            // linked.
            UserHeader::Nuttx(header) => {
                let outputs = project.write_blob("user", &bytes, &built.image)?;
                let summary = format!(
                    "user.elf: {} bytes in user-flash, NuttX struct userspace_s, entry {:#010x}",
                    built.used(project.plan.user_flash()),
                    header.entry()
                );
                (built, outputs, summary)
            }
        };
        // Read after the build, so that it names what this user.elf was
        // built from; pass 2 compares it with the project then.
        let made_from = Provenance::of(project)?;
        let mut record = serde_json::to_string_pretty(&made_from).expect("it serialises");
        record.push('\n');
        crate::output::write_atomically(
            &project.output(provenance::PASS1_FILE_NAME),
            record.as_bytes(),
        )?;
        let blob = UserBlob {
            header: inspection.header.clone().expect("a user blob has a header"),
            inspection,
            inputs,
            outputs,
        };
        Ok((blob, summary))
    })
}

/// The user blob an earlier pass 1 wrote, checked again, CRC included:
/// what `mcu-build pass2` builds the kernel against.
pub fn sealed_user(project: &Project) -> Result<UserBlob, ProtectError> {
    let path = project.output("user.elf");
    if !path.is_file() {
        return Err(ProtectError::NoUserBlob { path });
    }
    let bytes = std::fs::read(&path).map_err(|error| InspectError::Io {
        path: path.clone(),
        error,
    })?;
    // The sealed header is the first thing in user flash, so a blob whose
    // data starts elsewhere was linked for another plan.
    let loaded = elf::read(&bytes).map_err(|error| InspectError::Elf {
        path: path.clone(),
        error,
    })?;
    let planned = project.plan.user_flash().start;
    if let Some(extent) = loaded.image.extent()
        && extent.start != planned
    {
        return Err(ProtectError::UserForAnotherPlan {
            path,
            built: extent.start,
            planned,
        });
    }
    check_pass1_record(project, &path)?;
    let inspection = inspect::inspect(
        &bytes,
        &path,
        Owner::User,
        &project.plan,
        project.config.header,
    )?;
    let header = inspection.header.clone().expect("a user blob has a header");
    let (elf, image) = match &header {
        UserHeader::McuBuild(built) => {
            let sealed = seal::seal(bytes, &inspection.image, &path, &project.plan)?;
            if *built != sealed.header {
                let error = firmware_abi::HeaderError::Crc {
                    stored: built.crc32,
                    computed: sealed.header.crc32,
                };
                return Err(SealError::Header { path, error }.into());
            }
            (sealed.elf, sealed.image)
        }
        UserHeader::Nuttx(_) => (bytes, inspection.image.clone()),
    };
    let hex = project.output("user.hex");
    let root = &project.config.root;
    let outputs = vec![
        FileDigest::of_image(&path, root, &elf, &image),
        FileDigest::of_image(
            &hex,
            root,
            &ihex::write(&image, RecordLength::default()),
            &image,
        ),
    ];
    Ok(UserBlob {
        inspection,
        header,
        inputs: Vec::new(),
        outputs,
    })
}

/// Compares what pass 1 recorded in pass1.json beside `user` with what
/// `project` is made from now: a user blob built against another system
/// call table numbers its calls differently from the kernel, and one
/// built for other `[layout]` sizes places its stack and heap elsewhere.
fn check_pass1_record(project: &Project, user: &Path) -> Result<(), ProtectError> {
    let record = project.output(provenance::PASS1_FILE_NAME);
    let then: Provenance = std::fs::read_to_string(&record)
        .map_err(|error| error.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|error| error.to_string()))
        .map_err(|reason| ProtectError::NoPass1Record {
            path: user.to_owned(),
            record: record.clone(),
            reason,
        })?;
    let now = Provenance::of(project)?;
    // The configuration file changes with each of the others: name what
    // in it made the difference when something else differs too.
    let mut differences = then.differences(&now);
    differences.sort_by_key(|d| d.what == "configuration");
    match differences.into_iter().next() {
        None => Ok(()),
        Some(difference) => Err(ProtectError::UserFromOtherInputs {
            path: user.to_owned(),
            difference,
        }),
    }
}

/// Pass 2: writes layout.rs with the MPU table and the sealed header of
/// `user`, builds the kernel and inspects it; writes kernel.elf and
/// kernel.hex.
pub fn pass2(
    project: &Project,
    user: &UserBlob,
    reporter: &mut dyn Reporter,
) -> Result<KernelBlob, ProtectError> {
    step(project, Step::Pass2, reporter, |reporter| {
        project.generate_common()?;
        let sealed = match &user.header {
            UserHeader::McuBuild(header) => Some(header),
            UserHeader::Nuttx(_) => None,
        };
        let layout = generate::layout_rs(&project.plan, sealed)?;
        let layout_path = project.gen_dir().join("layout.rs");
        generate::write_if_changed(&layout_path, layout.as_bytes())?;
        let (artifact, bytes) = project.run_pass(
            Step::Pass2,
            &project.config.kernel,
            &project.output("cargo"),
            reporter,
        )?;
        let inputs = vec![
            project.digest(&layout_path, layout.as_bytes()),
            project.digest(&artifact, &bytes),
        ];
        let inspection = inspect::inspect(&bytes, &artifact, Owner::Kernel, &project.plan, None)?;
        let outputs = project.write_blob("kernel", &bytes, &inspection.image)?;
        let summary = format!(
            "kernel.elf: {} bytes in kernel-flash of {}",
            inspection.used(project.plan.kernel_flash()),
            project.plan.kernel_flash().size
        );
        Ok((
            KernelBlob {
                inspection,
                inputs,
                outputs,
            },
            summary,
        ))
    })
}

/// Both passes, the MPU verification, the merge and build.json.
pub fn protect(project: &Project, reporter: &mut dyn Reporter) -> Result<Outcome, ProtectError> {
    let user = pass1(project, reporter)?;
    let kernel = pass2(project, &user, reporter)?;
    let verification = step(project, Step::Verify, reporter, |_| {
        let report = project.plan.plan().verify();
        if !report.is_ok() {
            return Err(ProtectError::Verify { report });
        }
        let summary = format!(
            "{} of {} MPU regions grant exactly the user partitions, 0 bytes over-granted",
            report.regions_used, report.regions_available
        );
        Ok((report, summary))
    })?;
    let outputs = step(project, Step::Merge, reporter, |_| {
        merge_and_record(project, &user, &kernel, &verification)
    })?;
    Ok(Outcome {
        user,
        kernel,
        verification,
        outputs,
    })
}

/// Merges kernel and user (kernel first, so that its reset entry is the
/// start address), writes the combined image in three formats and
/// build.json; returns the digests of all outputs.
fn merge_and_record(
    project: &Project,
    user: &UserBlob,
    kernel: &KernelBlob,
    verification: &Report,
) -> Result<(Vec<FileDigest>, String), ProtectError> {
    let mut outputs: Vec<FileDigest> = user
        .outputs
        .iter()
        .chain(&kernel.outputs)
        .cloned()
        .collect();
    let combined = write_combined(
        project.out(),
        ("kernel.elf", &kernel.inspection.image),
        ("user.elf", &user.inspection.image),
    )?;
    outputs.extend(combined.outputs.iter().cloned());
    let mut inputs = vec![provenance::config_digest(
        &project.config.root,
        &project.config.path,
    )?];
    // A board file is an input like the configuration: a changed memory
    // size or partition default moves the partitions.
    if let BoardSource::File(board_file) = &project.config.board {
        let path = project.config.root.join(board_file);
        let text = std::fs::read(&path).map_err(|error| InspectError::Io {
            path: path.clone(),
            error,
        })?;
        inputs.push(project.digest(&path, &text));
    }
    inputs.extend(user.inputs.iter().chain(&kernel.inputs).cloned());
    let made_from = Provenance::of(project)?;
    let mut manifest = Manifest::new(
        &project.plan,
        project.config.splits,
        verification,
        &user.inspection,
        &kernel.inspection,
        inputs,
        outputs.clone(),
    );
    manifest.provenance = Some(made_from);
    outputs.push(project.write("build.json", manifest.to_json().as_bytes())?);
    Ok((outputs, combined_summary(&combined)))
}

/// The merge step's summary: the combined image's size and start address.
pub fn combined_summary(combined: &Combined) -> String {
    let start = combined
        .image
        .start_address()
        .map_or_else(|| "none".to_owned(), |s| s.to_string());
    let mut summary = format!(
        "combined.hex: {} bytes, start address {start}",
        combined.image.total_size()
    );
    if let Some(reason) = &combined.bin_skipped {
        summary.push_str(&format!("; combined.bin not written: {reason}"));
    }
    summary
}

/// The merged image and the files written of it.
#[derive(Clone, Debug)]
pub struct Combined {
    pub image: Image,
    /// The digests of combined.hex, combined.bin (unless skipped) and
    /// combined.elf.
    pub outputs: Vec<FileDigest>,
    /// Why there is no combined.bin: an image whose parts lie far apart
    /// (a NuttX user blob at 0x20000000 above a kernel at 0) would fill
    /// hundreds of MiB of gap; combined.hex and combined.elf hold it.
    pub bin_skipped: Option<String>,
}

/// Merges `kernel` and `user` (each a name for messages and an image),
/// kernel first so that its reset entry is the start address, and
/// writes combined.hex, combined.bin and combined.elf to `out`. The binary
/// is left out (and an old one removed) when its gaps would pass
/// [`bin::Limits`]'s bounds.
pub fn write_combined(
    out: OutDir,
    kernel: (&'static str, &Image),
    user: (&'static str, &Image),
) -> Result<Combined, ProtectError> {
    let inputs = vec![
        merge::Input {
            name: kernel.0.into(),
            image: kernel.1.clone(),
        },
        merge::Input {
            name: user.0.into(),
            image: user.1.clone(),
        },
    ];
    let combined = merge::merge(inputs, OverlapPolicy::Error, EntryChoice::First)
        .map_err(|error| ProtectError::Merge {
            kernel: kernel.0,
            user: user.0,
            error,
        })?
        .image;
    write_merged(out, combined)
}

/// Writes the merged image `combined` as combined.hex, combined.bin and
/// combined.elf to `out`, leaving the binary out (and removing an old one)
/// when its gaps would pass [`bin::Limits`]'s bounds.
pub fn write_merged(out: OutDir, combined: Image) -> Result<Combined, ProtectError> {
    let bin_path = out.dir.join("combined.bin");
    let binary = match bin::write(&combined, 0xFF, bin::Limits::default()) {
        Ok(binary) => binary,
        Err(error) => {
            out.remove(["combined.bin"]);
            let reason = match error {
                bin::BinWriteError::GapTooLarge { gap, .. } => format!(
                    "it would hold the gap {}; use combined.hex or combined.elf",
                    crate::image::format_range(&gap)
                ),
                bin::BinWriteError::TooLarge { extent, .. } => format!(
                    "it would span {} bytes; use combined.hex or combined.elf",
                    extent.end - extent.start
                ),
            };
            return finish(out, combined, None, Some(reason));
        }
    };
    // The binary loads its gaps too, filled, from the lowest address on.
    let base = combined.extent().map_or(0, |extent| extent.start as u32);
    let binary_image = bin::read(binary.clone(), base).map_err(|error| ProtectError::BinRead {
        path: bin_path,
        error,
    })?;
    finish(out, combined, Some((binary, binary_image)), None)
}

/// Writes combined.hex, combined.bin when there is one, and combined.elf.
fn finish(
    out: OutDir,
    image: Image,
    binary: Option<(Vec<u8>, Image)>,
    bin_skipped: Option<String>,
) -> Result<Combined, ProtectError> {
    let mut outputs = vec![out.write_image(
        "combined.hex",
        &ihex::write(&image, RecordLength::default()),
        &image,
    )?];
    if let Some((bytes, loaded)) = binary {
        outputs.push(out.write_image("combined.bin", &bytes, &loaded)?);
    }
    outputs.push(out.write_image("combined.elf", &elf::write(&image), &image)?);
    Ok(Combined {
        image,
        outputs,
        bin_skipped,
    })
}

/// What `flat` produced.
#[derive(Clone, Debug)]
pub struct FlatOutcome {
    pub inspection: Inspection,
    /// flat.elf and flat.hex.
    pub outputs: Vec<FileDigest>,
}

/// The flat build: the `[flat]` pass (the user code linked into the
/// kernel, no MPU, plain calls instead of traps), inspected as a kernel,
/// written to `flat/flat.elf` and `flat/flat.hex`. It shares the generated
/// directory with the protected build and keeps its own cargo directory,
/// so that neither build makes the other rebuild.
pub fn flat(project: &Project, reporter: &mut dyn Reporter) -> Result<FlatOutcome, ProtectError> {
    let pass = project
        .config
        .flat
        .as_ref()
        .ok_or_else(|| ProtectError::NoFlatPass {
            path: project.config.path.clone(),
        })?;
    step(project, Step::Flat, reporter, |reporter| {
        project.generate_common()?;
        let flat_dir = project.output("flat");
        std::fs::create_dir_all(&flat_dir).map_err(|error| WriteError {
            path: flat_dir.clone(),
            error,
        })?;
        let (artifact, bytes) =
            project.run_pass(Step::Flat, pass, &flat_dir.join("cargo"), reporter)?;
        let inspection = inspect::inspect(&bytes, &artifact, Owner::Kernel, &project.plan, None)?;
        let outputs = project.write_blob("flat/flat", &bytes, &inspection.image)?;
        let summary = format!(
            "flat.elf: {} bytes of flash, no MPU, no user blob",
            inspection.image.total_size()
        );
        Ok((
            FlatOutcome {
                inspection,
                outputs,
            },
            summary,
        ))
    })
}
