//! Building an image of several processes (Tock's model): pass 1 once per
//! process at its own addresses, pass 2 the kernel with the process table.
//!
//! ```text
//! per process: memory.ld (its flash, its RAM below the grant region)
//!              -> pass 1 -> inspect (inside its partitions) -> seal
//! kernel:      memory.ld (kernel partitions) + layout.rs (ProcessTable)
//!              -> pass 2 -> inspect (inside the kernel partitions)
//! merge:       kernel first (its start address), then every process
//! ```
//!
//! The addresses come from the caller ([`SystemPlan`]): a planner's
//! per-process plan, or a test's hand-chosen layout. Before anything is
//! built, the table is checked and each process's MPU registers are
//! proved to grant exactly its partitions (`mpu::verify`). Each process gets a
//! generated directory of its own (`gen-<name>/`), so that its blob links
//! against its own partitions; the outputs are `<name>.elf`,
//! `kernel.elf` and `combined.hex` in the output directory.

use std::ops::Range;
use std::path::{Path, PathBuf};

use firmware_abi::HeaderError;

use super::config::{Pass, Syscalls};
use super::generate::{self, MemoryLd};
use super::inspect::{self, InspectError, Space};
use super::pass::{self, Context, PassError};
use super::process_table::{ProcessSpec, ProcessTable, ProcessTableError};
use super::protect::{self, Combined, OutDir};
use super::seal::{self, SealError};
use super::syscalls::{self, SyscallsError};
use crate::board::Board;
use crate::image::Image;
use crate::image::OverlapPolicy;
use crate::image::merge::{self, EntryChoice, Input, MergeConflict};
use crate::layout::request::Owner;
use crate::mpu::MemoryKind;
use crate::mpu::verify::{self, RegionBudget, UserPartition};
use crate::output::WriteError;

/// How the kernel is built and where it lives.
#[derive(Clone, Debug)]
pub struct KernelBuild {
    pub pass: Pass,
    /// Its flash and SRAM partitions, `[start, end)`.
    pub flash: Range<u64>,
    pub sram: Range<u64>,
    /// Bytes of its SRAM for the main stack and the kernel heap.
    pub stack_size: u64,
    pub heap_size: u64,
}

/// How one process is built and where it lives.
#[derive(Clone, Debug)]
pub struct ProcessBuild {
    /// Its table entry; `header` is filled in by the build (its value
    /// here is ignored).
    pub spec: ProcessSpec,
    pub pass: Pass,
    /// Bytes of its RAM for its stack and its heap.
    pub stack_size: u64,
    pub heap_size: u64,
}

/// Everything [`build_all`] needs.
#[derive(Clone, Debug)]
pub struct SystemPlan<'a> {
    pub board: &'a Board,
    /// The project root: passes run and paths start here.
    pub root: &'a Path,
    /// Where the generated directories, the cargo target directory and
    /// the outputs go.
    pub out_dir: &'a Path,
    /// The system call table both sides are generated from, if any.
    pub syscalls: Option<&'a Syscalls>,
    /// ARMv8-M: the MAIR0 the processes' regions index.
    pub mair0: Option<u32>,
    pub kernel: KernelBuild,
    /// In the order the kernel starts and schedules them.
    pub processes: Vec<ProcessBuild>,
}

/// What [`build_all`] made.
#[derive(Clone, Debug)]
pub struct BuiltSystem {
    /// The table the kernel was built with, every header sealed.
    pub table: ProcessTable,
    /// `<name>.elf` of each process, in the table's order.
    pub process_elfs: Vec<PathBuf>,
    pub kernel_elf: PathBuf,
    /// The merged image and its files: combined.hex, combined.elf and,
    /// unless its gaps are too large, combined.bin.
    pub combined: Combined,
}

/// A step of [`build_all`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessesError {
    // The step errors are boxed: they are large, and a `Result` carries
    // its error's size on every return.
    #[error("{name}: {error}")]
    Pass { name: String, error: Box<PassError> },
    #[error("{name}: {error}")]
    Inspect {
        name: String,
        error: Box<InspectError>,
    },
    #[error("{name}: {error}")]
    Seal { name: String, error: Box<SealError> },
    #[error("{name}: {}: {error}", path.display())]
    Header {
        name: String,
        path: PathBuf,
        error: HeaderError,
    },
    #[error(transparent)]
    Table(#[from] ProcessTableError),
    #[error("process {name}: its MPU regions do not grant exactly its partitions: {findings}")]
    Verify { name: String, findings: String },
    #[error("board {board} has no MPU: it cannot isolate processes")]
    NoMpu { board: String },
    #[error(transparent)]
    Syscalls(#[from] SyscallsError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("merging the kernel and the processes: {0}")]
    Merge(#[from] MergeConflict),
    #[error(transparent)]
    Combined(Box<super::protect::ProtectError>),
}

/// The kernel's name in messages and in its generated directory; a
/// process is `process <name>` in messages.
const KERNEL: &str = "kernel";

/// Builds every process at its addresses, then the kernel with the
/// process table, and merges them. `on_line` sees every line the passes
/// print.
pub fn build_all(
    plan: &SystemPlan,
    on_line: &mut dyn FnMut(&str),
) -> Result<BuiltSystem, ProcessesError> {
    // The table is checked before anything is built: a bad name or range
    // would otherwise surface only after the passes.
    let mut table = ProcessTable {
        board: plan.board.name.to_string(),
        mair0: plan.mair0,
        processes: plan.processes.iter().map(|p| p.spec.clone()).collect(),
    };
    table.check()?;
    for process in &table.processes {
        prove(plan.board, process)?;
    }
    let mut process_elfs = Vec::with_capacity(plan.processes.len());
    let mut inputs = Vec::with_capacity(plan.processes.len() + 1);
    for (process, entry) in plan.processes.iter().zip(&mut table.processes) {
        let built = build_process(plan, process, on_line)?;
        entry.header = Some(built.header);
        inputs.push(Input {
            name: process.spec.name.clone(),
            image: built.image,
        });
        process_elfs.push(built.elf);
    }

    let kernel = &plan.kernel;
    let first = &plan.processes[0].spec;
    let memory = MemoryLd {
        kernel_flash: kernel.flash.clone(),
        // kernel.ld places nothing in the user partitions; any process's
        // do for the MEMORY block it INCLUDEs.
        user_flash: first.flash.clone(),
        user_sram: first.ram.start..first.grant.start,
        kernel_sram: kernel.sram.clone(),
        kernel_stack: kernel.stack_size,
        kernel_heap: kernel.heap_size,
        user_stack: 0,
        user_heap: 0,
    };
    let gen_dir = prepare_gen_dir(plan, KERNEL, &memory)?;
    generate::write_if_changed(&gen_dir.join("layout.rs"), table.render()?.as_bytes())?;
    let kernel_elf = run_pass(plan, &kernel.pass, &gen_dir, KERNEL, on_line)?;
    let spaces = [
        space("kernel-flash", &kernel.flash, true),
        space("kernel-sram", &kernel.sram, false),
    ];
    let bytes = read(&kernel_elf, KERNEL)?;
    let (inspection, _) = inspect::place(&bytes, &kernel_elf, Owner::Kernel, &spaces)
        .map_err(|error| inspect_error(KERNEL, error))?;
    let kernel_elf = write_output(plan, "kernel.elf", &bytes)?;
    inputs.insert(
        0,
        Input {
            name: KERNEL.to_owned(),
            image: inspection.image,
        },
    );

    let merged = merge::merge(inputs, OverlapPolicy::Error, EntryChoice::First)?;
    let out = OutDir {
        dir: plan.out_dir,
        root: plan.root,
    };
    let combined = protect::write_merged(out, merged.image)
        .map_err(|error| ProcessesError::Combined(Box::new(error)))?;
    Ok(BuiltSystem {
        table,
        process_elfs,
        kernel_elf,
        combined,
    })
}

/// Proves from the register values alone (`mpu::verify`) that the
/// process's regions grant unprivileged code exactly its flash (read,
/// execute) and its RAM below the grant region (read, write), within the
/// board's region budget: its grant region, the kernel and every other
/// process stay out of its reach.
fn prove(board: &Board, process: &ProcessSpec) -> Result<(), ProcessesError> {
    let mpu = board.mpu.as_ref().ok_or_else(|| ProcessesError::NoMpu {
        board: board.name.to_string(),
    })?;
    let partition = |what: &str, range: &Range<u64>, kind: MemoryKind| UserPartition {
        name: format!("{}-{what}", process.name),
        start: range.start,
        end: range.end,
        access: kind.user_access(),
    };
    let partitions = [
        partition("flash", &process.flash, MemoryKind::Flash),
        partition(
            "ram",
            &(process.ram.start..process.grant.start),
            MemoryKind::Ram,
        ),
    ];
    let budget = RegionBudget {
        hardware: mpu.regions,
        kernel_reserved: mpu.kernel_regions,
    };
    let report = verify::verify(&process.regions, &partitions, budget);
    if report.is_ok() {
        return Ok(());
    }
    let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    Err(ProcessesError::Verify {
        name: process.name.clone(),
        findings: findings.join("; "),
    })
}

/// A measuring link of `process` (Hubris sizes its tasks the same way):
/// pass 1 with its partitions replaced by `flash` and `ram`, the free
/// windows of the memories after the kernel's, in a generated directory of
/// its own (`gen-<name>-measure/`). Returns the linked ELF, whose extents
/// give the sizes `auto` stands for; nothing of it goes into the image.
pub fn measuring_link(
    plan: &SystemPlan,
    process: &ProcessBuild,
    flash: Range<u64>,
    ram: Range<u64>,
    on_line: &mut dyn FnMut(&str),
) -> Result<PathBuf, ProcessesError> {
    let name = &process.spec.name;
    let memory = MemoryLd {
        kernel_flash: plan.kernel.flash.clone(),
        user_flash: flash,
        kernel_sram: plan.kernel.sram.clone(),
        user_sram: ram,
        kernel_stack: plan.kernel.stack_size,
        kernel_heap: plan.kernel.heap_size,
        user_stack: process.stack_size,
        user_heap: process.heap_size,
    };
    let gen_dir = prepare_gen_dir(plan, &format!("{name}-measure"), &memory)?;
    run_pass(
        plan,
        &process.pass,
        &gen_dir,
        &format!("process {name} (measuring link)"),
        on_line,
    )
}

/// One process's sealed blob.
struct BuiltProcess {
    elf: PathBuf,
    image: Image,
    header: firmware_abi::UserspaceHeader,
}

/// Pass 1 for one process: linked against its flash and the RAM below its
/// grant region, inspected inside them, sealed.
fn build_process(
    plan: &SystemPlan,
    process: &ProcessBuild,
    on_line: &mut dyn FnMut(&str),
) -> Result<BuiltProcess, ProcessesError> {
    let spec = &process.spec;
    let name = spec.name.as_str();
    let who = format!("process {name}");
    let reachable = spec.ram.start..spec.grant.start;
    let memory = MemoryLd {
        kernel_flash: plan.kernel.flash.clone(),
        user_flash: spec.flash.clone(),
        kernel_sram: plan.kernel.sram.clone(),
        user_sram: reachable.clone(),
        kernel_stack: plan.kernel.stack_size,
        kernel_heap: plan.kernel.heap_size,
        user_stack: process.stack_size,
        user_heap: process.heap_size,
    };
    let gen_dir = prepare_gen_dir(plan, name, &memory)?;
    let artifact = run_pass(plan, &process.pass, &gen_dir, &who, on_line)?;
    let bytes = read(&artifact, &who)?;
    let spaces = [
        space(&format!("{name}-flash"), &spec.flash, true),
        space(&format!("{name}-ram"), &reachable, false),
    ];
    let (inspection, _) = inspect::place(&bytes, &artifact, Owner::User, &spaces)
        .map_err(|error| inspect_error(&who, error))?;
    // The table's check kept every range below 4 GiB.
    let abi = |range: &Range<u64>| firmware_abi::Partition {
        start: range.start as u32,
        end: range.end as u32,
    };
    let flash = abi(&spec.flash);
    let sealed = seal::seal_in(bytes, &inspection.image, &artifact, flash).map_err(|error| {
        ProcessesError::Seal {
            name: who.clone(),
            error: Box::new(error),
        }
    })?;
    // The kernel refuses a blob whose extents leave its partitions; say so
    // now rather than at boot.
    sealed
        .header
        .check_extents(flash, abi(&reachable))
        .map_err(|error| ProcessesError::Header {
            name: who.clone(),
            path: artifact.clone(),
            error,
        })?;
    let elf = write_output(plan, &format!("{name}.elf"), &sealed.elf)?;
    Ok(BuiltProcess {
        elf,
        image: sealed.image,
        header: sealed.header,
    })
}

/// `gen-<name>/` with `memory`, the linker templates, `board.rs` and the
/// system call layer.
fn prepare_gen_dir(
    plan: &SystemPlan,
    name: &str,
    memory: &MemoryLd,
) -> Result<PathBuf, ProcessesError> {
    let dir = plan.out_dir.join(format!("gen-{name}"));
    std::fs::create_dir_all(&dir).map_err(|error| WriteError {
        path: dir.clone(),
        error,
    })?;
    let text = memory.render() + &process_symbols(&plan.processes);
    generate::write_if_changed(&dir.join("memory.ld"), text.as_bytes())?;
    generate::write_templates(&dir)?;
    generate::write_if_changed(
        &dir.join("board.rs"),
        generate::board_rs(plan.board).as_bytes(),
    )?;
    if let Some(table) = plan.syscalls {
        syscalls::generate(table, plan.root, &dir)?;
    }
    Ok(dir)
}

/// Linker symbols for every process's partitions, appended to each
/// generated memory.ld: `__process_<name>_{flash,ram,grant}_{start,end}`
/// (`ram` is the RAM below the grant region). The layout is fixed at
/// build time, so a process may name another's memory, as the demo's
/// attacker does to show it cannot reach it.
fn process_symbols(processes: &[ProcessBuild]) -> String {
    let mut text =
        String::from("\n/* Every process's partitions (mcu-build, build::processes). */\n");
    for process in processes {
        let spec = &process.spec;
        let parts = [
            ("flash", &spec.flash),
            ("ram", &(spec.ram.start..spec.grant.start)),
            ("grant", &spec.grant),
        ];
        for (what, range) in parts {
            text += &format!(
                "__process_{name}_{what}_start = {:#010x};\n__process_{name}_{what}_end = {:#010x};\n",
                range.start,
                range.end,
                name = spec.name
            );
        }
    }
    text
}

fn run_pass(
    plan: &SystemPlan,
    pass: &Pass,
    gen_dir: &Path,
    who: &str,
    on_line: &mut dyn FnMut(&str),
) -> Result<PathBuf, ProcessesError> {
    let context = Context {
        root: plan.root,
        gen_dir,
        rust_target: plan.board.rust_target.as_deref(),
        cargo_target_dir: &plan.out_dir.join("cargo"),
        board: &plan.board.name,
    };
    pass::run(pass, &context, on_line).map_err(|error| ProcessesError::Pass {
        name: who.to_owned(),
        error: Box::new(error),
    })
}

fn space(name: &str, range: &Range<u64>, flash: bool) -> Space {
    Space {
        name: name.to_owned(),
        range: range.clone(),
        flash,
    }
}

fn read(path: &Path, who: &str) -> Result<Vec<u8>, ProcessesError> {
    std::fs::read(path).map_err(|error| {
        inspect_error(
            who,
            InspectError::Io {
                path: path.to_owned(),
                error,
            },
        )
    })
}

fn inspect_error(who: &str, error: InspectError) -> ProcessesError {
    ProcessesError::Inspect {
        name: who.to_owned(),
        error: Box::new(error),
    }
}

/// Writes output `name` into the output directory; returns its path.
fn write_output(plan: &SystemPlan, name: &str, bytes: &[u8]) -> Result<PathBuf, ProcessesError> {
    let path = plan.out_dir.join(name);
    generate::write_if_changed(&path, bytes)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::process_table::ProcessSpec;
    use crate::mpu::{Arch, RegionNumber};
    use firmware_abi::FaultPolicy;

    fn plan_for<'a>(board: &'a Board, dir: &'a Path, spec: ProcessSpec) -> SystemPlan<'a> {
        // A package that does not exist: a pass that ran would fail on it.
        let pass = Pass::Cargo {
            package: PathBuf::from("no-such-package"),
            bin: "none".to_owned(),
            features: Vec::new(),
        };
        SystemPlan {
            board,
            root: dir,
            out_dir: dir,
            syscalls: None,
            mair0: None,
            kernel: KernelBuild {
                pass: pass.clone(),
                flash: 0..0x4_0000,
                sram: 0x2000_0000..0x2001_0000,
                stack_size: 8192,
                heap_size: 16384,
            },
            processes: vec![ProcessBuild {
                spec,
                pass,
                stack_size: 2048,
                heap_size: 0,
            }],
        }
    }

    fn spec() -> ProcessSpec {
        ProcessSpec {
            name: "a".to_owned(),
            header: None,
            flash: 0x4_0000..0x4_8000,
            ram: 0x2001_0000..0x2001_2000,
            grant: 0x2001_1c00..0x2001_2000,
            regions: Vec::new(),
            fault_policy: FaultPolicy::Stop,
            time_slice_ms: 2,
        }
    }

    #[test]
    fn regions_that_reach_the_grant_region_are_refused_before_any_pass_runs() {
        let board = crate::board::bundled("qemu-mps2-an386").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec();
        // The whole 8 KiB RAM partition in one region: the grant region too.
        let number = RegionNumber::new(1).unwrap();
        let region = Arch::Armv7m
            .cover(spec.ram.clone(), 1, MemoryKind::Ram)
            .unwrap()
            .remove(0);
        let flash = Arch::Armv7m
            .cover(spec.flash.clone(), 1, MemoryKind::Flash)
            .unwrap()
            .remove(0);
        let zero = RegionNumber::new(0).unwrap();
        spec.regions = vec![
            (zero, flash.registers(zero)),
            (number, region.registers(number)),
        ];
        let error = build_all(&plan_for(&board, dir.path(), spec), &mut |_| {}).unwrap_err();
        assert_eq!(
            error.to_string(),
            "process a: its MPU regions do not grant exactly its partitions: over-grant: \
             0x20011c00..0x20012000 (1024 bytes) is outside every user partition but region 1 \
             gives unprivileged code rw-"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_bad_table_is_refused_before_any_pass_runs() {
        let board = crate::board::bundled("qemu-mps2-an386").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec();
        spec.grant = 0x2001_1000..0x2001_1c00;
        let plan = plan_for(&board, dir.path(), spec);
        let error = build_all(&plan, &mut |_| {}).unwrap_err();
        assert!(
            matches!(
                error,
                ProcessesError::Table(ProcessTableError::GrantNotAtTop { .. })
            ),
            "{error}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
