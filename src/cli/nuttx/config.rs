//! `mcu-build nuttx config`: NuttX configurations compared
//! ([`crate::nuttx::config_diff`]) and converted between a flat and a
//! protected build ([`crate::nuttx::config_convert`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::layout::needs::SYSTEM_REGION_START;
use crate::number;
use crate::nuttx::config_checks::Severity;
use crate::nuttx::config_convert::{self, Conversion, ProtectOptions};
use crate::nuttx::config_diff::{self, ConfigDiff, Unset};
use crate::nuttx::defconfig::Defconfig;
use crate::nuttx::kconfig::Kconfig;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Compare two NuttX configurations (defconfig or .config) option by
    /// option: what NuttX's tools/cmpconfig does, with numbers equal by
    /// value in any base and `# CONFIG_X is not set` read as Kconfig does.
    #[command(after_help = "Examples:
  mcu-build nuttx config diff boards/arm/tiva/lm3s6965-ek/configs/qemu-flat/defconfig \\
      boards/arm/tiva/lm3s6965-ek/configs/qemu-protected/defconfig
  mcu-build nuttx config diff .config ../other/.config --unset-is-absent --json

Options are listed by name: those only in A, only in B, and those both set
to different values, as written in each file. 0x10 and 16 are equal.

`# CONFIG_X is not set` against a file that does not name CONFIG_X is a
difference: in a defconfig the comment means \"turned off\" and absence means
\"at its default\", which may be y. In a .config every visible option is
written, so an absent bool is off too: --unset-is-absent reads the comment
as absence there (cmpconfig skips such comments altogether).

Exit status: 0 when the files set the same options, 1 when they differ,
2 when a file cannot be read or has a line Kconfig would not write.")]
    Diff(DiffArgs),
    /// Convert a flat defconfig into a protected one: CONFIG_BUILD_PROTECTED
    /// and what it needs that Kconfig does not derive, with checks.
    #[command(after_help = "Examples:
  mcu-build nuttx config protect boards/arm/tiva/lm3s6965-ek/configs/qemu-flat/defconfig \\
      --tree . -o protected.defconfig
  mcu-build nuttx config protect flat.defconfig --userspace 0x08020000 \\
      --kernel-heap 16K -o kernel.defconfig

Sets CONFIG_BUILD_PROTECTED=y, CONFIG_ARM_MPU=y, CONFIG_PASS1_BUILDIR (the
board's kernel/ directory), CONFIG_NUTTX_USERSPACE (--userspace, or the uflash
origin of the board's memory.ld with --tree) and, when not NuttX's default,
CONFIG_MM_KERNEL_HEAPSIZE and CONFIG_ARM_MPU_NREGIONS. Options Kconfig selects
or defaults with a protected build (BUILD_2PASS, LIB_SYSCALL, MM_KERNEL_HEAP,
TLS_ALIGNED) are left out, as make savedefconfig leaves them; the old names
CONFIG_ARMV7M_MPU* are renamed. Every change is listed with its reason.

Checks: the pass-1 directory has a Makefile (with --tree), the MPU has the
regions NuttX programs, every stack fits TLS_LOG2_MAXSTACK, and the aligned
init-task and kernel-thread stacks fit the heaps they come from.

Input is a defconfig: a built .config is refused (it carries the flat build's
derived values). The output is written as make savedefconfig writes it,
never over the input.

Exit status: 0 when written, 1 when a check found an error (nothing
written), 2 when the input cannot be read or converted.")]
    Protect(ProtectArgs),
    /// Convert a protected defconfig into a flat one: every protection
    /// option removed, in current and older names.
    #[command(after_help = "Examples:
  mcu-build nuttx config flat boards/arm/stm32f4/stm32f4discovery/configs/kostest/defconfig \\
      -o flat.defconfig
  mcu-build nuttx config flat kostest.defconfig --keep-mpu -o -

Removes CONFIG_BUILD_PROTECTED, BUILD_2PASS, PASS1_*, NUTTX_USERSPACE,
LIB_SYSCALL, SYS_NNEST, SYS_RESERVED, MM_KERNEL_HEAP(SIZE), TLS_ALIGNED,
TLS_LOG2_MAXSTACK, ARCH_KERNEL_STACK and, unless --keep-mpu, the MPU options
(CONFIG_ARM_MPU*, CONFIG_ARMV7M_MPU*). Every other line is kept.

Exit status: 0 when written, 2 when the input cannot be read or converted
(a built .config is refused: convert the defconfig).")]
    Flat(FlatArgs),
}

impl ConfigCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            ConfigCommand::Diff(args) => args.run(),
            ConfigCommand::Protect(args) => {
                let options = ProtectOptions {
                    userspace: args.userspace,
                    kernel_heap: args.kernel_heap,
                    mpu_regions: args.mpu_regions,
                    tree: args.tree,
                };
                convert(&args.io, |d| config_convert::protect(d, &options))
            }
            ConfigCommand::Flat(args) => {
                convert(&args.io, |d| config_convert::flat(d, args.keep_mpu))
            }
        }
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first configuration (A).
    #[arg(value_name = "A")]
    a: PathBuf,
    /// The second configuration (B).
    #[arg(value_name = "B")]
    b: PathBuf,
    /// Read `# CONFIG_X is not set` as if the file did not name CONFIG_X
    /// (right for two .config files; wrong for defconfigs).
    #[arg(long)]
    unset_is_absent: bool,
    /// Print JSON (`equal`, `only_in_a`, `only_in_b`, `different`).
    #[arg(long)]
    json: bool,
}

impl DiffArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let read = |path: &Path| Kconfig::read(path);
        let (a, b) = match read(&self.a).and_then(|a| Ok((a, read(&self.b)?))) {
            Ok(pair) => pair,
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        };
        let unset = if self.unset_is_absent {
            Unset::Absent
        } else {
            Unset::Value
        };
        let diff = config_diff::diff(&a, &b, unset);
        if self.json {
            println!("{}", serde_json::to_string_pretty(&diff)?);
        } else {
            print!("{}", render_diff(&diff, &self.a, &self.b));
        }
        Ok(if diff.equal {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// An option line as a defconfig writes it.
fn option_line(name: &str, value: &str) -> String {
    if value == "n" {
        format!("# {name} is not set")
    } else {
        format!("{name}={value}")
    }
}

fn render_diff(diff: &ConfigDiff, a: &Path, b: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "A: {}", a.display());
    let _ = writeln!(out, "B: {}", b.display());
    for (side, list) in [("A", &diff.only_in_a), ("B", &diff.only_in_b)] {
        if !list.is_empty() {
            let _ = writeln!(out, "only in {side}:");
            for only in list {
                let _ = writeln!(out, "  {}", option_line(&only.name, &only.value));
            }
        }
    }
    if !diff.different.is_empty() {
        let _ = writeln!(out, "set differently:");
        let shown = |value: &str| {
            if value == "n" {
                "is not set".to_owned()
            } else {
                value.to_owned()
            }
        };
        for d in &diff.different {
            let _ = writeln!(out, "  {}: A {}, B {}", d.name, shown(&d.a), shown(&d.b));
        }
    }
    if diff.equal {
        let _ = writeln!(out, "equal: A and B set the same options");
    } else {
        let _ = writeln!(
            out,
            "different: {} only in A, {} only in B, {} set differently",
            diff.only_in_a.len(),
            diff.only_in_b.len(),
            diff.different.len()
        );
    }
    out
}

/// The input defconfig and the output of a conversion.
#[derive(Debug, Args)]
pub struct ConvertIo {
    /// The defconfig to convert.
    #[arg(value_name = "DEFCONFIG")]
    input: PathBuf,
    /// Where to write the converted defconfig (`-`: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Print the changes and findings as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ProtectArgs {
    #[command(flatten)]
    io: ConvertIo,
    /// CONFIG_NUTTX_USERSPACE: the user flash origin, where the user blob
    /// and its struct userspace_s are linked.
    #[arg(long, value_name = "ADDR", value_parser = parse_userspace)]
    userspace: Option<u64>,
    /// CONFIG_MM_KERNEL_HEAPSIZE in bytes (NuttX's default: 8192).
    #[arg(long, value_name = "SIZE", value_parser = parse_kernel_heap)]
    kernel_heap: Option<u64>,
    /// The chip's MPU region count (written as CONFIG_ARM_MPU_NREGIONS when
    /// not NuttX's default for the core: 16 on Cortex-M7, else 8).
    #[arg(long, value_name = "N", value_parser = |t: &str| number::parse_in(t, 1..=255u64))]
    mpu_regions: Option<u64>,
    /// The NuttX tree: checks that the pass-1 directory has a Makefile and
    /// reads the user flash origin from the board's scripts/memory.ld.
    #[arg(long, value_name = "DIR")]
    tree: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FlatArgs {
    #[command(flatten)]
    io: ConvertIo,
    /// Keep the MPU options (renamed to CONFIG_ARM_MPU*): a flat build may
    /// use the MPU for caches or a stack guard.
    #[arg(long)]
    keep_mpu: bool,
}

/// A user flash origin: a word-aligned address, not 0 (where the kernel's
/// vector table is) and below the System region (0xE0000000, which the MPU
/// does not control and holds no flash; ARMv7-M ARM B3.1), so that
/// struct userspace_s fits below it. include/nuttx/userspace.h warns about
/// an address that is not 4-byte aligned.
fn parse_userspace(text: &str) -> Result<u64, String> {
    let address = parse_number(text)?;
    if address == 0 || address >= SYSTEM_REGION_START || address % 4 != 0 {
        return Err(format!(
            "{address:#x} is not a user flash origin: expected a word-aligned (multiple of 4) \
             address above 0 and below the System region at {SYSTEM_REGION_START:#x}"
        ));
    }
    Ok(address)
}

/// CONFIG_MM_KERNEL_HEAPSIZE: at least 1 byte, and below 4 GiB (an `int`
/// option of a 32-bit chip).
fn parse_kernel_heap(text: &str) -> Result<u64, String> {
    number::parse_in(text, 1..=u64::from(u32::MAX)).map_err(|e| e.to_string())
}

fn parse_number(text: &str) -> Result<u64, String> {
    number::parse_u64(text).map_err(|e| e.to_string())
}

/// Reads the input, converts it, reports, and writes the result unless a
/// check found an error.
fn convert(
    io: &ConvertIo,
    run: impl FnOnce(Defconfig) -> Result<Conversion, config_convert::ConvertError>,
) -> anyhow::Result<ExitCode> {
    let result = refuse_same_file(&io.input, &io.output)
        .and_then(|()| Defconfig::read(&io.input).map_err(|e| e.to_string()))
        .and_then(|defconfig| run(defconfig).map_err(|e| e.to_string()));
    let conversion = match result {
        Ok(conversion) => conversion,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    // Staged before the report, so that the report never says "wrote" of
    // a file that could not be written.
    let staged = if conversion.has_errors() || output::is_stdout(&io.output) {
        None
    } else {
        match output::stage(&io.output, conversion.defconfig.render().as_bytes()) {
            Ok(staged) => Some(staged),
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        }
    };
    let report = if io.json {
        let json = serde_json::json!({
            "written": !conversion.has_errors(),
            "changes": conversion.changes,
            "findings": conversion.findings,
        });
        format!("{}\n", serde_json::to_string_pretty(&json)?)
    } else {
        render_conversion(&conversion, &io.output)
    };
    // The report goes to stderr when the defconfig goes to stdout.
    if output::is_stdout(&io.output) {
        eprint!("{report}");
    } else {
        print!("{report}");
    }
    if conversion.has_errors() {
        return Ok(ExitCode::FAILURE);
    }
    let written = match staged {
        Some(staged) => staged.commit(),
        None => output::write_atomically(&io.output, conversion.defconfig.render().as_bytes()),
    };
    if let Err(error) = written {
        eprintln!("error: {error}");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses an output that is the input (by path, or the same file through
/// a link): the input would be lost if the conversion were wrong.
fn refuse_same_file(input: &Path, output: &Path) -> Result<(), String> {
    let same = match (std::fs::canonicalize(input), std::fs::canonicalize(output)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(format!(
            "{}: the output is the input; write the converted defconfig elsewhere and compare \
             them (mcu-build nuttx config diff) before replacing it",
            output.display()
        ));
    }
    Ok(())
}

fn render_conversion(conversion: &Conversion, output: &Path) -> String {
    let mut out = String::new();
    for change in &conversion.changes {
        let line = match (&change.before, &change.after) {
            (Some(before), Some(after)) => format!("~ {after} (was {before})"),
            (None, Some(after)) => format!("+ {after}"),
            (Some(before), None) => format!("- {before}"),
            (None, None) => continue,
        };
        let _ = writeln!(out, "{line}: {}", change.why);
    }
    for finding in &conversion.findings {
        let severity = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{severity}: {}", finding.message);
    }
    if conversion.has_errors() {
        let _ = writeln!(out, "not written: fix the errors above");
    } else {
        let _ = writeln!(
            out,
            "wrote {} ({} changes)",
            output.display(),
            conversion.changes.len()
        );
    }
    out
}
