//! `mcu-build nuttx`: commands on a NuttX tree. `check` proves, from the
//! registers NuttX's own code programs, what unprivileged code of a built
//! protected tree can reach (see [`crate::nuttx::check`]).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::layout::svg::size_text;
use crate::nuttx::check::{self, CheckReport};
use crate::nuttx::tree::Tree;

mod config;

#[derive(Debug, Subcommand)]
pub enum NuttxCommand {
    /// Model the heaps and MPU regions a built protected NuttX tree sets up
    /// at boot, decode the regions as the hardware does, and report what
    /// unprivileged code can reach beyond its own memory.
    #[command(after_help = "Examples:
  # in a built tree (make has linked nuttx and nuttx_user.elf)
  mcu-build nuttx check
  mcu-build nuttx check --tree ~/nuttxspace/nuttx --json
  # also fail when user data is executable (mpu_user_intsram leaves XN clear)
  mcu-build nuttx check --deny-executable-data

The user's own memory is the uflash region of memory.ld, the user blob's
.data and .bss (from struct userspace_s) and the user heaps; the kernel heap
lies between them at run time. Modelled chips: tiva, the legacy stm32
families, mps (AN386, AN500).

Exit status: 0 when no byte outside the user's own memory is reachable,
1 on any over-grant (or executable data with --deny-executable-data),
2 when the tree cannot be read or modelled (e.g. not built: run make).")]
    Check(CheckArgs),
    /// Compare NuttX configurations, and convert a defconfig between a
    /// flat and a protected build.
    #[command(subcommand)]
    Config(config::ConfigCommand),
}

impl NuttxCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            NuttxCommand::Check(args) => args.run(),
            NuttxCommand::Config(command) => command.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The NuttX tree, configured and built.
    #[arg(long, value_name = "DIR", default_value = ".")]
    tree: PathBuf,
    /// Fail (exit 1) when unprivileged code may execute its own RAM.
    #[arg(long)]
    deny_executable_data: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

impl CheckArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let report = match Tree::open(&self.tree)
            .map_err(check::CheckError::from)
            .and_then(|tree| check::check(&tree))
        {
            Ok(report) => report,
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        };
        if self.json {
            let summary = Summary {
                ok: report.passes(self.deny_executable_data),
                over_granted_bytes: report.over_granted_bytes(),
                executable_data_bytes: report.executable_data_bytes(),
                report: &report,
            };
            println!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            print!("{}", render(&report, self.deny_executable_data));
        }
        Ok(if report.passes(self.deny_executable_data) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// The JSON form: the verdict and its byte counts first, then the report.
#[derive(serde::Serialize)]
struct Summary<'a> {
    /// Whether the exit status is 0.
    ok: bool,
    over_granted_bytes: u64,
    executable_data_bytes: u64,
    #[serde(flatten)]
    report: &'a CheckReport,
}

fn span(range: &std::ops::Range<u64>) -> String {
    format!("{:#010x}..{:#010x}", range.start, range.end)
}

/// The report for people: the header, the heaps, the regions as table
/// rows, then what unprivileged code can reach beyond its own memory.
fn render(report: &CheckReport, deny_executable_data: bool) -> String {
    let mut out = String::new();
    let h = &report.header;
    let heaps = &report.heaps;
    let _ = writeln!(
        out,
        "{}: CONFIG_ARCH_CHIP=\"{}\", modelled as {}",
        report.tree.display(),
        report.chip,
        report.family.name()
    );
    let _ = writeln!(
        out,
        "struct userspace_s at {:#010x}, entry {:#010x}",
        h.address, h.entry
    );
    for (name, s) in [("text", &h.text), (".data", &h.data), (".bss", &h.bss)] {
        let _ = writeln!(
            out,
            "  {name:<12} {}  {:>7} bytes",
            span(&s.range()),
            s.bytes()
        );
    }
    let _ = writeln!(
        out,
        "heaps (up to {} = {:#010x})",
        heaps.end_name, heaps.end
    );
    let kernel = heaps.kernel();
    let _ = writeln!(
        out,
        "  {:<12} {}  {:>7} bytes (CONFIG_MM_KERNEL_HEAPSIZE={})",
        "kernel heap",
        span(&kernel),
        kernel.end - kernel.start,
        heaps.kernel_configured
    );
    let user = heaps.user();
    let _ = writeln!(
        out,
        "  {:<12} {}  {:>7} bytes",
        "user heap",
        span(&user),
        user.end - user.start
    );
    for extra in &heaps.extra {
        let _ = writeln!(
            out,
            "  {:<12} {}  {:>7} bytes ({})",
            "user heap",
            span(&(extra.start..extra.end)),
            extra.end - extra.start,
            extra.name
        );
    }
    let _ = writeln!(
        out,
        "MPU regions NuttX programs (of CONFIG_ARM_MPU_NREGIONS={}), decoded",
        report.hardware_regions
    );
    let _ = writeln!(
        out,
        "  {:<2} {:<10} {:<10} {:<17} {:<3} {:<22} {:<6} {:<3} call",
        "#", "RBAR", "RASR", "block", "off", "grants", "access", "XN"
    );
    for region in &report.regions {
        let p = &region.programmed;
        let call = format!(
            "{}({:#010x}, {:#x}) in {}: {}",
            p.call.mpu_macro.name(),
            p.call.base,
            p.call.size,
            p.call.caller,
            p.call.purpose
        );
        let (block, off, grants, access, xn) = match &region.decoded {
            Some(d) => (
                format!(
                    "{:#010x} {}",
                    d.block.start,
                    size_text(d.block.bytes()).replace(' ', "")
                ),
                if d.subregions_off.is_empty() {
                    "-".to_owned()
                } else {
                    d.subregions_off
                        .iter()
                        .map(u8::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                },
                d.granted
                    .iter()
                    .map(|g| span(&g.range()))
                    .collect::<Vec<_>>()
                    .join(", "),
                d.access.to_string(),
                if d.execute_never { "yes" } else { "no" },
            ),
            None => (
                "-".to_owned(),
                "-".to_owned(),
                region.error.clone().unwrap_or_default(),
                "---".to_owned(),
                "-",
            ),
        };
        let _ = writeln!(
            out,
            "  {:<2} {:#010x} {:#010x} {block:<17} {off:<3} {grants:<22} {access:<6} {xn:<3} {call}",
            p.number, p.registers.rbar, p.registers.rasr
        );
    }
    let own: Vec<String> = report
        .own
        .iter()
        .filter(|p| p.start < p.end)
        .map(|p| format!("{} {} {}", p.name, span(&(p.start..p.end)), p.access))
        .collect();
    let _ = writeln!(out, "the user's own memory: {}", own.join(", "));
    let over = report.over_granted_bytes();
    if over == 0 {
        let _ = writeln!(
            out,
            "over-grant: none: unprivileged code reaches nothing beyond its own memory"
        );
    } else {
        let _ = writeln!(
            out,
            "over-grant: unprivileged code reaches {over} bytes beyond its own memory"
        );
        for o in &report.over_grants {
            let _ = writeln!(
                out,
                "  {}  {:>7} bytes  {}  region {}  {}",
                span(&(o.start..o.end)),
                o.bytes,
                o.access,
                o.region,
                o.describe_places()
            );
        }
    }
    if !report.executable_data.is_empty() {
        let verdict = if deny_executable_data {
            "a failure with --deny-executable-data"
        } else {
            "not a failure without --deny-executable-data"
        };
        let _ = writeln!(
            out,
            "executable data: unprivileged code may execute {} bytes of its own RAM, as \
             mpu_user_intsram leaves XN clear; {verdict}",
            report.executable_data_bytes()
        );
        for e in &report.executable_data {
            let _ = writeln!(
                out,
                "  {}  {:>7} bytes  {}  region {}",
                span(&(e.start..e.end)),
                e.bytes,
                e.partition,
                e.region
            );
        }
    }
    if !report.heap_collisions.is_empty() {
        let _ = writeln!(
            out,
            "heap over code or data: an allocation there overwrites what lives there"
        );
        for c in &report.heap_collisions {
            let _ = writeln!(
                out,
                "  {}  {:>7} bytes  {} over {}",
                span(&(c.start..c.end)),
                c.bytes,
                c.heap,
                c.holder
            );
        }
    }
    for finding in &report.findings {
        let _ = writeln!(out, "{finding}");
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    let verdict = if report.passes(deny_executable_data) {
        "ok"
    } else {
        "FAILED"
    };
    let _ = writeln!(
        out,
        "{verdict}: {over} bytes over-granted, {} bytes of executable data, {} bytes of heap \
         over code or data, {} other findings",
        report.executable_data_bytes(),
        report.heap_collisions.iter().map(|c| c.bytes).sum::<u64>(),
        report.findings.len()
    );
    out
}
