//! Command-line interface: clap definitions and rendering of results.
//!
//! Each subcommand lives in its own file and exposes an `Args` type with a
//! `run` method returning the process exit code; this file only wires them.

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use progress::MessageFormat;

mod boards;
#[cfg(feature = "flash")]
mod flash;
mod hex;
mod layout;
mod mpu;
mod nuttx;
#[cfg(feature = "flash")]
mod probes;
mod processes;
mod progress;
mod protect;
mod run;
mod size;
mod syscalls;

/// Build, verify, merge and run protected (MPU-isolated) firmware.
#[derive(Debug, Parser)]
#[command(name = "mcu-build", version, about, long_about = None)]
#[command(after_help = "Examples:
  mcu-build protect                      # build the protected image of mcu-build.toml
  mcu-build run                          # boot it in QEMU
  mcu-build flash                        # program it into the board with probe-rs
  mcu-build layout --board stm32f4discovery --svg map.svg
  mcu-build mpu cover 0x08020000 896K
  mcu-build nuttx check --tree ~/nuttxspace/nuttx
  mcu-build syscalls gen --csv syscall.csv --lang c --out gen/
  mcu-build hex merge nuttx.hex nuttx_user.hex -o combined.hex")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The `--message-format` of the subcommand, for the event that ends a
    /// failed run (see [`Cli::parse_args`]).
    #[arg(skip)]
    message_format: MessageFormat,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Merge, inspect, convert and compare Intel HEX, ELF and raw binary images.
    #[command(subcommand)]
    Hex(hex::HexCommand),
    /// List the bundled boards: CPU, MPU, memories, probe-rs chip, QEMU machine.
    #[command(after_help = "Examples:
  mcu-build boards
  mcu-build boards --json")]
    Boards(boards::BoardsArgs),
    /// Plan the partitions of a board and print the memory map with its MPU regions.
    #[command(after_help = "Examples:
  mcu-build layout
  mcu-build layout --board stm32f4discovery --svg layout.svg
  mcu-build layout --board-file myboard.toml --json
  mcu-build layout --board qemu-mps2-an505 --compare
  # a project with [[process]] tables: every process's partitions, grant,
  # registers, and the loss against Tock's and Hubris's power-of-two schemes
  mcu-build layout --config tests/data/processes/mcu-build.toml
  mcu-build layout --config app/mcu-build.toml --elf sensor=sensor.elf --json")]
    Layout(layout::LayoutArgs),
    /// Compute exact MPU region covers and verify layouts and ELF files against the MPU.
    #[command(subcommand)]
    Mpu(mpu::MpuCommand),
    /// Commands on a NuttX tree: check what a built protected tree's MPU
    /// regions let unprivileged code reach.
    #[command(
        subcommand,
        after_help = "Examples:
  mcu-build nuttx check
  mcu-build nuttx check --tree ~/nuttxspace/nuttx --json"
    )]
    Nuttx(nuttx::NuttxCommand),
    /// Generate system-call proxies and stubs (C or Rust) from a NuttX syscall.csv.
    #[command(
        subcommand,
        after_help = "Examples:
  mcu-build syscalls list --csv syscall/syscall.csv
  mcu-build syscalls gen --csv syscall/syscall.csv --lang c --out build/syscalls"
    )]
    Syscalls(syscalls::SyscallsCommand),
    /// Build a protected image from mcu-build.toml: both passes, inspection,
    /// MPU verification, merge, build.json; or several processes
    /// ([[process]]); or a NuttX tree ([nuttx]).
    #[command(after_help = "Examples:
  # the bundled firmware, for the board in mcu-build.toml
  mcu-build protect
  # another board, machine-readable progress
  mcu-build protect --board qemu-mps2-an505 --message-format json
  # a board of your own
  mcu-build protect --board-file boards/mine.toml
  # three isolated processes with grants on the bundled kernel
  mcu-build protect --config examples/processes/mcu-build.toml
  # a NuttX tree: its make, both blobs and struct userspace_s checked
  mcu-build protect --config examples/nuttx-protected/mcu-build.toml

With [[process]] tables (and [pass2] for the kernel), every process is
planned, proved from its register values, built at its own addresses and
checked against its partitions, then the kernel is built with the process
table. With [nuttx] in mcu-build.toml (tree = \"...\", make = \"make\"), the
tree's .config and memory.ld give the partitions and its own make builds
nuttx_user.elf and nuttx; no [layout] or passes.

Outputs go to target/mcu-build/<board>/ under the project root: user.elf/.hex,
kernel.elf/.hex (not for a NuttX tree; <name>.elf per process),
combined.hex/.bin/.elf and build.json.")]
    Protect(protect::ProtectArgs),
    /// Pass 1 only: build, inspect and seal the user blob (user.elf/.hex).
    #[command(after_help = "Examples:
  mcu-build pass1
  mcu-build pass1 --board qemu-mps2-an505")]
    Pass1(protect::Pass1Args),
    /// Pass 2 only: build and inspect the kernel against the sealed user.elf.
    #[command(after_help = "Examples:
  mcu-build pass1 && mcu-build pass2
  mcu-build pass2 --message-format json")]
    Pass2(protect::Pass2Args),
    /// Build the flat variant: the user code linked into the kernel, no MPU,
    /// plain calls instead of system calls, to measure what protection costs.
    #[command(after_help = "Examples:
  # the bundled demo without protection, then boot it
  mcu-build flat && mcu-build run --flat
  # compare the sizes with the protected image
  mcu-build protect && mcu-build flat
  arm-none-eabi-size target/mcu-build/qemu-mps2-an386/{kernel,user}.elf \\
      target/mcu-build/qemu-mps2-an386/flat/flat.elf

The [flat] pass of mcu-build.toml builds it; outputs go to
target/mcu-build/<board>/flat/: flat.elf and flat.hex.")]
    Flat(protect::FlatArgs),
    /// Boot an image in QEMU, stream its console, exit with its status or the console's verdict.
    #[command(after_help = "Examples:
  # the combined.hex of the last protect, the demo
  mcu-build run
  # an attack on the isolation: exits 101 when the MPU stops it
  mcu-build run --scenario read-kernel-sram
  # any image, on another board, with a shorter limit
  mcu-build run build/combined.hex --board qemu-mps2-an505 --timeout 10
  # the flat build of `mcu-build flat`
  mcu-build run --flat
  # NuttX, which never exits QEMU: pass on ostest's last line, fail on an
  # assertion or a fault report (the nuttx fail patterns apply by default)
  mcu-build run nuttx.hex --board qemu-lm3s6965evb \\
      --expect 'ostest_main: Exiting with status 0' --timeout 120
  # your own failure sign instead of NuttX's
  mcu-build run --expect 'user: bye' --fail 'user fault'

Exit status: the firmware's (semihosting exit); with --expect, 0 when the
console showed every --expect; 1 when a --fail (or built-in) pattern
matched, on a timeout, when the firmware exited first, or when QEMU cannot
run; 2 on a usage error, such as a pattern that is no regular expression.")]
    Run(run::RunArgs),
    /// Explain the flash a protected build costs against the flat build:
    /// system-call layer, kernel-only code, second allocator, shared code,
    /// padding, and the rest.
    #[command(after_help = "Examples:
  # the bundled firmware: both builds, then the table
  mcu-build protect && mcu-build flat
  mcu-build size --flat-dir target/mcu-build/qemu-mps2-an386 \\
      --protected-dir target/mcu-build/qemu-mps2-an386
  # any three ELF files, as JSON
  mcu-build size --flat flat.elf --kernel kernel.elf --user user.elf --json
  # two built NuttX trees (flat and protected, the same application)
  mcu-build size --flat-dir ~/flat/nuttx --protected-dir ~/kostest/nuttx

Exit status: 0 on success, 2 when the arguments or files are not usable.")]
    Size(size::SizeArgs),
    /// Check the image of the last `protect`, then program it with probe-rs.
    #[cfg(feature = "flash")]
    #[command(after_help = "Examples:
  # the usual loop: build, check, program, verify, reset
  mcu-build protect && mcu-build flash
  # the safety checks alone, without a probe (for CI)
  mcu-build flash --check
  # update the application, keeping the kernel's bytes
  mcu-build flash --only user
  # in a project with [[process]] tables, update process b alone
  mcu-build flash --only process:b
  # one of several probes, slower clock, connect under reset
  mcu-build flash --probe 0483:374b --speed 1000 --connect-under-reset
  # any image, on a chip named directly
  mcu-build flash app.bin@0x08000000 --chip STM32F407VGTx

Exit status: 0 when the image was programmed (or, with --check, passed the
checks), 1 when a check or the flash failed, 2 on a usage error.")]
    Flash(flash::FlashArgs),
    /// List the connected debug probes (identifier, selector, serial, kind).
    #[cfg(feature = "flash")]
    #[command(after_help = "Examples:
  mcu-build probes
  mcu-build probes --json

Exit status: 0, also when no probe is connected.")]
    Probes(probes::ProbesArgs),
}

/// An error in how the command was called (exit status 2), found after
/// argument parsing, e.g. an output extension that names no format.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl Cli {
    /// Parses the command line as [`Parser::parse`] does (exiting on a usage
    /// error), and notes the `--message-format` of whichever subcommand
    /// takes one, so that [`Cli::run`] can end a failed run in that format.
    pub fn parse_args() -> Cli {
        let matches = Cli::command().get_matches();
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
        cli.message_format = message_format(&matches);
        cli
    }

    /// Runs the chosen subcommand and returns the exit code it asks for.
    /// With `--message-format json`, a failure ends with a `failed` event on
    /// stdout; the caller prints the error for people on stderr.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let format = self.message_format;
        let result = self.run_command();
        if let Err(error) = &result {
            progress::report_failure(format, error);
        }
        result
    }

    fn run_command(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Hex(cmd) => cmd.run(),
            Command::Boards(args) => args.run(),
            Command::Size(args) => args.run(),
            Command::Layout(args) => args.run(),
            Command::Mpu(cmd) => cmd.run(),
            Command::Nuttx(cmd) => cmd.run(),
            Command::Syscalls(cmd) => cmd.run(),
            Command::Protect(args) => args.run(),
            Command::Pass1(args) => args.run(),
            Command::Pass2(args) => args.run(),
            Command::Flat(args) => args.run(),
            Command::Run(args) => args.run(),
            #[cfg(feature = "flash")]
            Command::Flash(args) => args.run(),
            #[cfg(feature = "flash")]
            Command::Probes(args) => args.run(),
        }
    }
}

/// The `--message-format` given to the innermost subcommand, human when it
/// has none.
fn message_format(matches: &clap::ArgMatches) -> MessageFormat {
    match matches.subcommand() {
        Some((_, sub)) => sub
            .try_get_one::<MessageFormat>("message_format")
            .ok()
            .flatten()
            .copied()
            .unwrap_or_else(|| message_format(sub)),
        None => MessageFormat::Human,
    }
}
