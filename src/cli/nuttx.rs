//! `mcu-build nuttx`: commands on a NuttX tree. `check` proves, from the
//! registers NuttX's own code programs, what unprivileged code of a built
//! protected tree can reach (see [`crate::nuttx::check`]).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::layout::svg::size_text;
use crate::nuttx::check::{self, CheckReport};
use crate::nuttx::plan::{self, Change, Plan};
use crate::nuttx::plan_files;
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
    /// Plan the placement of a built protected tree's partitions so that
    /// the MPU regions NuttX programs at run time grant exactly the user's
    /// own memory, with the kernel heap exactly CONFIG_MM_KERNEL_HEAPSIZE.
    #[command(after_help = "Examples:
  # in a built tree: print the plan, the files it changes and its check
  mcu-build nuttx layout
  # plan for a 16 KiB kernel heap, as JSON
  mcu-build nuttx layout --tree ~/nuttxspace/nuttx --kernel-heap 16K --json
  # rewrite the board's memory.ld in place, the .config values to a fragment
  mcu-build nuttx layout --write --fragment layout.defconfig
  # in CI: fail when the tree differs from its plan
  mcu-build nuttx layout --check

The sizes come from the built tree (struct userspace_s in nuttx_user.elf);
the regions from NuttX's own arithmetic (arm_mpu.c, the chip's heap code),
decoded as the hardware does, and the plan is proved by the same model as
`nuttx check`. After --write, merge the fragment into the board's defconfig
(or .config), add the printed `. = ALIGN(n);` before `_ebss` in
user-space.ld if the plan pads .bss, update the board's *_userspace.c
check if CONFIG_NUTTX_USERSPACE moved, and rebuild; `--check` then passes.
--write changes nothing but memory.ld (and the --fragment file).

Exit status: 0 when the plan grants exactly the user's own memory (with
--check: and the tree matches it), 1 when no placement does or the
planned user heap cannot hold the init task's stack (nothing is written)
or, with --check, when the tree differs from the plan, 2 when
the tree cannot be read or modelled (e.g. not built: run make), the
request cannot be met at all (a --kernel-heap that leaves no user heap)
or a file cannot be written (a memory.ld that needs the preprocessor, a
--fragment in a missing directory or in the tree).")]
    Layout(LayoutArgs),
    /// Compare NuttX configurations, and convert a defconfig between a
    /// flat and a protected build.
    #[command(subcommand)]
    Config(config::ConfigCommand),
}

impl NuttxCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            NuttxCommand::Check(args) => args.run(),
            NuttxCommand::Layout(args) => args.run(),
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
    if !report.kernel_exposed.is_empty() {
        let _ = writeln!(
            out,
            "kernel in user memory: user code is granted these kernel bytes by design"
        );
        for c in &report.kernel_exposed {
            let _ = writeln!(
                out,
                "  {}  {:>7} bytes  {} in {}",
                span(&(c.start..c.end)),
                c.bytes,
                c.holder,
                c.heap
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
         or kernel in the wrong place, {} other finding{}",
        report.executable_data_bytes(),
        report
            .heap_collisions
            .iter()
            .chain(&report.kernel_exposed)
            .map(|c| c.bytes)
            .sum::<u64>(),
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" }
    );
    out
}

#[derive(Debug, Args)]
pub struct LayoutArgs {
    /// The NuttX tree, configured and built.
    #[arg(long, value_name = "DIR", default_value = ".")]
    tree: PathBuf,
    /// The kernel heap to plan for, bytes (`8K`, `0x2000`); default the
    /// tree's CONFIG_MM_KERNEL_HEAPSIZE. The plan's kernel heap is this or,
    /// when the user heap's power of two does not allow it, the least more.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    kernel_heap: Option<u64>,
    /// Write the planned MEMORY block into the board's memory.ld (in
    /// place, atomically); nothing else in the tree is touched.
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// Report what in the tree differs from the plan (exit 1 if anything);
    /// write nothing.
    #[arg(long)]
    check: bool,
    /// Write the defconfig fragment (CONFIG_NUTTX_USERSPACE,
    /// CONFIG_MM_KERNEL_HEAPSIZE) to FILE instead of printing it.
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    fragment: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// The fragment must not replace a file of the tree (`.config`,
/// `memory.ld`, a blob...): it is a few lines to merge, not a file's
/// content. A new file inside the tree, or any file outside it, will do.
fn refuse_tree_file(path: &std::path::Path, root: &std::path::Path) -> anyhow::Result<()> {
    let resolved = match path.canonicalize() {
        Ok(resolved) => resolved,
        Err(_) => return Ok(()), // a new file
    };
    let root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    if resolved.starts_with(&root) {
        return Err(super::UsageError(format!(
            "--fragment {}: that is {}, a file of the tree; the fragment is a few lines to \
             merge into the defconfig, so write it to a new file or outside the tree",
            path.display(),
            resolved.display()
        ))
        .into());
    }
    Ok(())
}

fn parse_size(text: &str) -> Result<u64, String> {
    crate::number::parse_u64(text).map_err(|e| e.to_string())
}

/// The JSON form of `nuttx layout`.
#[derive(serde::Serialize)]
struct LayoutSummary<'a> {
    /// Whether the exit status is 0.
    ok: bool,
    /// The plan grants exactly the user's own memory.
    exact: bool,
    over_granted_bytes: u64,
    loss_bytes: u64,
    /// What in the tree differs from the plan.
    drift: &'a [Change],
    memory_ld: &'a str,
    fragment: &'a str,
    /// The line to add before `_ebss` in user-space.ld, if any.
    user_space_ld: Option<String>,
    /// The board's `#if CONFIG_NUTTX_USERSPACE != ...` checks.
    userspace_checks: &'a [plan_files::UserspaceCheck],
    written: &'a [PathBuf],
    plan: &'a Plan,
}

impl LayoutArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let planned = Tree::open(&self.tree)
            .map_err(plan::PlanError::from)
            .and_then(|tree| {
                let plan = plan::plan(&tree, self.kernel_heap)?;
                let built = check::read_userspace(&tree)?;
                Ok((tree, plan, built))
            });
        let (tree, plan, built) = match planned {
            Ok(planned) => planned,
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        };
        if let Some(warning) = tree.stale_config() {
            eprintln!("warning: {warning}");
        }
        let board = tree
            .config
            .text("CONFIG_ARCH_BOARD")
            .unwrap_or("the board")
            .to_owned();
        let fragment = plan_files::fragment(&plan, &board);
        let memory_path = tree.memory.path.clone();
        let original = std::fs::read_to_string(&memory_path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", memory_path.display()))?;
        let Some(memory_ld) = plan_files::memory_ld_text(&original, &plan) else {
            eprintln!(
                "error: {}: expected a MEMORY block, found none",
                memory_path.display()
            );
            return Ok(ExitCode::from(2));
        };
        let drift = plan_files::drift(&tree, &plan, &built);
        let checks = plan_files::userspace_checks(&tree.board_dir);
        let exact = plan.exact();
        let mut written = Vec::new();
        let mut refusal = None;
        if self.write && !exact {
            refusal = Some(
                "no placement grants exactly the user's own memory (see the plan's check); \
                 nothing written"
                    .to_owned(),
            );
        } else if self.write && !plan.approved() {
            refusal = Some(
                "the planned user heap cannot hold the init task's stack (see the plan); nothing \
                 written"
                    .to_owned(),
            );
        } else if self.write && memory_path.extension().is_some_and(|e| e == "tmp") {
            eprintln!(
                "error: {}: the board's memory.ld needs the C preprocessor, so it is not \
                 rewritten; put the planned MEMORY block (printed without --write) into it by \
                 hand; nothing written",
                memory_path.with_extension("").display()
            );
            return Ok(ExitCode::from(2));
        } else {
            // Both files are staged before either is committed: a fragment
            // that cannot be written leaves memory.ld as it was. A file
            // that cannot be written is an error of the request: exit 2.
            let staged = (|| -> anyhow::Result<()> {
                let mut staged = Vec::new();
                if let Some(path) = &self.fragment {
                    refuse_tree_file(path, &tree.root)?;
                    staged.push((
                        crate::output::stage(path, fragment.as_bytes())?,
                        path.clone(),
                    ));
                }
                if self.write && !crate::output::holds(&memory_path, memory_ld.as_bytes())? {
                    staged.push((
                        crate::output::stage(&memory_path, memory_ld.as_bytes())?,
                        memory_path.clone(),
                    ));
                }
                for (file, path) in staged {
                    file.commit()?;
                    written.push(path);
                }
                Ok(())
            })();
            if let Err(error) = staged {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        }
        let ok = plan.approved() && refusal.is_none() && (!self.check || drift.is_empty());
        if self.json {
            let summary = LayoutSummary {
                ok,
                exact,
                over_granted_bytes: plan.check.over_granted_bytes(),
                loss_bytes: plan.loss(),
                drift: &drift,
                memory_ld: &memory_ld,
                fragment: &fragment,
                user_space_ld: plan_files::bss_line(&plan),
                userspace_checks: &checks,
                written: &written,
                plan: &plan,
            };
            println!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            let mut out = render_plan(&tree, &plan, &drift, &checks);
            if self.check {
                let _ = writeln!(
                    out,
                    "{}",
                    if drift.is_empty() {
                        "check: the tree matches the plan"
                    } else {
                        "check: FAILED: the tree differs from the plan (see the changes)"
                    }
                );
            } else {
                if self.fragment.is_none() {
                    let _ = write!(out, "defconfig fragment:\n{fragment}");
                }
                if !self.write {
                    let _ = write!(
                        out,
                        "{} MEMORY block (--write puts it there):\n{}",
                        memory_path.display(),
                        plan_files::memory_block_text(&plan)
                    );
                }
                for path in &written {
                    let _ = writeln!(out, "wrote {}", path.display());
                }
            }
            print!("{out}");
        }
        if let Some(refusal) = refusal {
            eprintln!("error: {refusal}");
        }
        Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// The plan for people: where each partition goes and why, the heaps, the
/// loss, the check of the plan, and what changes in the tree.
fn render_plan(
    tree: &Tree,
    plan: &Plan,
    drift: &[Change],
    checks: &[plan_files::UserspaceCheck],
) -> String {
    let mut out = String::new();
    let spans = |s: &[check::Span]| {
        s.iter()
            .map(|g| span(&g.range()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (text, data, heaps) = (&plan.text, &plan.data, &plan.heaps);
    let _ = writeln!(
        out,
        "{}: layout modelled as {}, from the built sizes",
        tree.root.display(),
        plan.family.name()
    );
    let _ = writeln!(
        out,
        "  user text        {}  {:>7} bytes in uflash {}; mpu_user_flash grants {}",
        span(&text.text.range()),
        text.text.bytes(),
        span(&text.uflash.range()),
        spans(&text.granted)
    );
    let _ = writeln!(
        out,
        "  user .data/.bss  {}  {:>7} bytes (built {}) in usram {}; mpu_user_intsram grants {}",
        span(&data.planned.range()),
        data.planned.bytes(),
        span(&data.built.range()),
        span(&data.usram.range()),
        spans(&data.granted)
    );
    let _ = writeln!(
        out,
        "  kernel heap      {}  {:>7} bytes (CONFIG_MM_KERNEL_HEAPSIZE={}, was {}; {} asked{})",
        span(&heaps.kernel.range()),
        heaps.kernel.bytes(),
        heaps.configured,
        heaps.configured_before,
        heaps.requested,
        if heaps.exact {
            ": exact".to_owned()
        } else {
            format!(
                ": {} more, as the user heap must be a power of two dividing {} {:#010x}",
                heaps.kernel.bytes() - heaps.requested,
                heaps.end_name,
                heaps.end
            )
        }
    );
    let _ = writeln!(
        out,
        "  user heap        {}  {:>7} bytes",
        span(&heaps.user.range()),
        heaps.user.bytes()
    );
    let init = &heaps.init_stack;
    let _ = writeln!(
        out,
        "init task stack: {} bytes of the user heap in one piece ({} + 2 x {}, \
         CONFIG_INIT_STACKSIZE and the TLS alignment): {}",
        init.needed,
        init.stack,
        init.align,
        if heaps.init_stack_fits {
            "fits".to_owned()
        } else {
            format!(
                "FAILED: the {}-byte user heap cannot hold it and nx_bringup asserts; lower \
                 CONFIG_TLS_LOG2_MAXSTACK or CONFIG_INIT_STACKSIZE, or ask for a smaller \
                 --kernel-heap",
                heaps.user.bytes()
            )
        }
    );
    let _ = writeln!(
        out,
        "loss: {} bytes (uflash alignment {}, usram alignment {}, .bss padding {})",
        plan.loss(),
        text.alignment,
        data.alignment,
        data.padding
    );
    let over = plan.check.over_granted_bytes();
    if !heaps.as_configured {
        let _ = writeln!(
            out,
            "kernel heap: FAILED: NuttX's heap arithmetic gives {} bytes, not the {} configured",
            heaps.kernel.bytes(),
            heaps.configured
        );
    }
    if plan.check.passes(false) {
        let _ = writeln!(
            out,
            "check of the plan: ok: 0 bytes over-granted, no heap over code or data, no other \
             findings"
        );
    } else {
        let _ = writeln!(
            out,
            "check of the plan: FAILED: no placement grants exactly the user's own memory; the \
             best found grants {over} bytes outside it (user text {}, user .data/.bss {}) and \
             has these problems:",
            text.over_grant, data.over_grant
        );
        for problem in plan.check.problems() {
            let _ = writeln!(out, "  {problem}");
        }
        if data.over_grant > 0 {
            let _ = writeln!(
                out,
                "  usram {} leaves no room to start the .data/.bss region on a subregion and \
                 end .bss on one; a longer usram (or less user data) would",
                span(&data.usram.range())
            );
        }
        if text.over_grant > 0 {
            let _ = writeln!(
                out,
                "  uflash {} cannot hold the user text's MPU block at any aligned origin",
                span(&text.uflash.range())
            );
        }
    }
    match plan_files::bss_line(plan) {
        Some(line) => {
            let _ = writeln!(
                out,
                "user-space.ld: add `{line}` before `_ebss = ABSOLUTE(.);` (.bss padded by {} \
                 bytes to the region's {}-byte subregion)",
                data.padding, data.granule
            );
        }
        None => {
            let _ = writeln!(
                out,
                "user-space.ld: nothing to add: .bss ends on the region's {}-byte subregion",
                data.granule
            );
        }
    }
    for check in checks {
        let _ = writeln!(
            out,
            "{}:{}: needs `#if CONFIG_NUTTX_USERSPACE != {:#010x}`{}",
            check.path.display(),
            check.line,
            text.userspace_address,
            if check.value == text.userspace_address {
                " (as it is)"
            } else {
                ""
            }
        );
    }
    if drift.is_empty() {
        let _ = writeln!(out, "changes: none: the tree is laid out as planned");
    } else {
        let _ = writeln!(out, "changes:");
        for change in drift {
            let _ = writeln!(
                out,
                "  {}: {} -> {}",
                change.what, change.before, change.after
            );
        }
    }
    out
}
