//! `layout` and `mpu check` of a project with `[[process]]` tables: the
//! plan from the configuration (sizing `auto` processes from `--elf
//! NAME=FILE`), its text form, and the per-process verdicts.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

use super::UsageError;
use super::boards::Chosen;
use crate::build::process_config::{self, ProcessConfig};
use crate::layout::elf_check::{self, Extent, Misplaced};
use crate::layout::plan::AddressRange;
use crate::layout::processes::measure::{self, Measured};
use crate::layout::processes::verify::{self, LayoutFinding, ProcessVerdict};
use crate::layout::processes::{ProcessesPlan, plan_processes};
use crate::layout::request::Owner;

/// `--elf NAME=FILE`: a linked ELF of process NAME.
#[derive(Clone, Debug)]
pub struct ProcessElf {
    pub process: String,
    pub path: PathBuf,
}

/// Reads `NAME=FILE`.
pub fn parse_process_elf(text: &str) -> Result<ProcessElf, String> {
    match text.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => Ok(ProcessElf {
            process: name.to_owned(),
            path: PathBuf::from(path),
        }),
        _ => Err(format!(
            "expected NAME=FILE (a process of the configuration and its linked ELF), \
             found {text:?}"
        )),
    }
}

/// The extents of every `--elf`, by process name; a name that is not a
/// process of `processes` is a usage error.
pub fn read_elves(
    elves: &[ProcessElf],
    processes: &[ProcessConfig],
) -> anyhow::Result<HashMap<String, (PathBuf, Vec<Extent>)>> {
    for (i, elf) in elves.iter().enumerate() {
        if let Some(first) = elves[..i].iter().find(|e| e.process == elf.process) {
            return Err(UsageError(format!(
                "--elf {}={}: process {} has --elf {} already; give one ELF per process",
                elf.process,
                elf.path.display(),
                elf.process,
                first.path.display()
            ))
            .into());
        }
    }
    let mut read = HashMap::new();
    for elf in elves {
        if !processes.iter().any(|p| p.name == elf.process) {
            let known: Vec<&str> = processes.iter().map(|p| p.name.as_str()).collect();
            return Err(UsageError(format!(
                "--elf {}={}: no process {:?} in the configuration; its processes are {}",
                elf.process,
                elf.path.display(),
                elf.process,
                known.join(", ")
            ))
            .into());
        }
        let data = std::fs::read(&elf.path)
            .with_context(|| format!("cannot read {}", elf.path.display()))?;
        let extents =
            elf_check::read_extents(&data).with_context(|| elf.path.display().to_string())?;
        read.insert(elf.process.clone(), (elf.path.clone(), extents));
    }
    Ok(read)
}

/// Plans the processes of `chosen`, sizing `auto` ones from `elves`.
pub fn plan(
    chosen: &Chosen,
    elves: &HashMap<String, (PathBuf, Vec<Extent>)>,
) -> anyhow::Result<ProcessesPlan> {
    let measured: HashMap<String, Measured> = elves
        .iter()
        .map(|(name, (_, extents))| (name.clone(), measure::measure(extents)))
        .collect();
    let request =
        process_config::processes_request(chosen.request.clone(), &chosen.processes, &measured)?;
    Ok(plan_processes(&chosen.board, &request)?)
}

fn range(r: &AddressRange) -> String {
    format!("{:#010x}..{:#010x}", r.start, r.end)
}

/// The human form: the kernel's partitions, then every process with its
/// partitions, grant and registers, then the loss table.
pub fn render(plan: &ProcessesPlan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({} MPU: {}, up to {} regions each, reprogrammed at every switch)",
        plan.board,
        plan.arch,
        crate::layout::processes::count(plan.processes.len()),
        plan.budget.for_user()
    );
    for k in &plan.kernel {
        let _ = writeln!(
            out,
            "{:<16} {:<10} {:#010x}..{:#010x} {:>10}",
            k.name, k.memory, k.start, k.end, k.size
        );
    }
    let _ = writeln!(
        out,
        "{:<16} {:<10} {} {:>10}",
        "kernel heap",
        "",
        range(&plan.kernel_heap),
        plan.kernel_heap.len()
    );
    for p in &plan.processes {
        let _ = writeln!(
            out,
            "process {} (fault: {}; stack {}, heap {} bytes)",
            p.name, p.fault, p.stack, p.heap
        );
        let rows = [
            ("flash", &plan.memories.flash, &p.flash, "r-x"),
            ("ram", &plan.memories.ram, &p.user_ram, "rw-"),
            ("grant", &plan.memories.ram, &p.grant, "kernel"),
        ];
        for (what, memory, r, access) in rows {
            let _ = writeln!(
                out,
                "  {what:<14} {memory:<10} {} {:>10}  {access}",
                range(r),
                r.len()
            );
        }
        for r in &p.regions {
            let granted: Vec<String> = r.granted.iter().map(range).collect();
            let _ = writeln!(
                out,
                "  region {:<2} {}  grants {}",
                r.number,
                r.registers,
                granted.join(", ")
            );
        }
    }
    if let Some(mair0) = plan.mair0 {
        let _ = writeln!(out, "MAIR0            {mair0:#010x}");
    }
    out.push_str(&render_loss(plan));
    out
}

/// Bytes lost to alignment per process and in total, by scheme.
pub fn render_loss(plan: &ProcessesPlan) -> String {
    let loss = &plan.loss;
    let mut out = format!(
        "alignment loss (bytes)   {:>12} {:>12} {:>12}\n",
        "mcu-build", "Tock pow2", "Hubris pow2"
    );
    for p in &loss.processes {
        let _ = writeln!(
            out,
            "  {:<22} {:>12} {:>12} {:>12}",
            p.process, p.bytes.mcu_build, p.bytes.tock, p.bytes.hubris
        );
    }
    let _ = writeln!(
        out,
        "  {:<22} {:>12} {:>12} {:>12}",
        "total", loss.total.mcu_build, loss.total.tock, loss.total.hubris
    );
    for (fits, scheme) in [(loss.tock_fits, "Tock's"), (loss.hubris_fits, "Hubris's")] {
        if !fits {
            let _ = writeln!(
                out,
                "  ({scheme} layout of these processes does not fit the free memory)"
            );
        }
    }
    out
}

/// What `mpu check` found for a project with processes.
#[derive(Serialize)]
pub struct Checked {
    pub board: String,
    pub config: Option<PathBuf>,
    pub processes: Vec<CheckedProcess>,
    pub layout: Vec<LayoutFinding>,
    /// Sections of `--kernel-elf` outside the kernel's partitions.
    pub kernel_misplaced: Vec<(String, Misplaced)>,
}

#[derive(Serialize)]
pub struct CheckedProcess {
    #[serde(flatten)]
    pub verdict: ProcessVerdict,
    /// Sections of its `--elf` outside its flash and RAM below the grant.
    pub misplaced: Vec<(String, Misplaced)>,
}

impl Checked {
    pub fn is_ok(&self) -> bool {
        self.layout.is_empty()
            && self.kernel_misplaced.is_empty()
            && self
                .processes
                .iter()
                .all(|p| p.verdict.is_ok() && p.misplaced.is_empty())
    }
}

/// Verifies every process's registers, the plan's ranges, and the ELF
/// files given.
pub fn check(
    plan: &ProcessesPlan,
    config: Option<PathBuf>,
    elves: &HashMap<String, (PathBuf, Vec<Extent>)>,
    kernel: Option<(String, Vec<Extent>)>,
) -> anyhow::Result<Checked> {
    let mut processes = Vec::new();
    for verdict in verify::verify(plan) {
        let misplaced = match elves.get(&verdict.process) {
            None => Vec::new(),
            Some((path, extents)) => {
                let file = path.display().to_string();
                verify::check_elf(plan, &verdict.process, extents)?
                    .into_iter()
                    .map(|m| (file.clone(), m))
                    .collect()
            }
        };
        processes.push(CheckedProcess { verdict, misplaced });
    }
    let kernel_misplaced = match kernel {
        None => Vec::new(),
        Some((file, extents)) => {
            let partitions: Vec<_> = plan.kernel.iter().collect();
            elf_check::check_partitions(&partitions, Owner::Kernel, &extents)
                .into_iter()
                .map(|m| (file.clone(), m))
                .collect()
        }
    };
    Ok(Checked {
        board: plan.board.clone(),
        config,
        processes,
        layout: verify::check_layout(plan),
        kernel_misplaced,
    })
}

/// The human form of a check.
pub fn render_check(plan: &ProcessesPlan, checked: &Checked) -> String {
    let mut out = String::new();
    for (p, c) in plan.processes.iter().zip(&checked.processes) {
        let report = &c.verdict.report;
        if report.is_ok() {
            let _ = writeln!(
                out,
                "{}: process {}: {} of {} MPU regions grant unprivileged code exactly {} r-x \
                 and {} rw-, nothing else (no grant, no other process, no kernel byte)",
                plan.board,
                p.name,
                report.regions_used,
                report.regions_available,
                range(&p.flash),
                range(&p.user_ram)
            );
        }
        for finding in &report.findings {
            let _ = writeln!(out, "{}: process {}: {finding}", plan.board, p.name);
        }
        for reached in &c.verdict.reached {
            let _ = writeln!(out, "{}: process {}: {reached}", plan.board, p.name);
        }
        for (file, m) in &c.misplaced {
            let _ = writeln!(out, "{file}: {m}");
        }
    }
    for finding in &checked.layout {
        let _ = writeln!(out, "{}: {finding}", plan.board);
    }
    for (file, m) in &checked.kernel_misplaced {
        let _ = writeln!(out, "{file}: {m}");
    }
    out
}
