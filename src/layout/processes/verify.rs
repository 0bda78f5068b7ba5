//! Proving a process plan: for every process, the set of addresses
//! unprivileged code reaches with that process's registers is exactly its
//! flash (r-x) and its RAM below the grant (rw-, execute-never).
//!
//! The proof is [`crate::mpu::verify::verify`], run once per process with
//! the register values the kernel programs at a switch to it (every other
//! region disabled) against that process's two partitions. Anything else
//! reachable is an over-grant; this module also names what lives there
//! (a grant region, another process, the kernel), because a reachable
//! grant byte is the failure Tock shipped in tock#4366, where an app's
//! last enabled subregion reached into the kernel-owned memory above its
//! app break. It checks, too, that the plan's ranges are disjoint and that
//! each grant is the top of its RAM partition; and a linked process ELF
//! against its partitions ([`check_elf`]).

use serde::Serialize;

use super::plan::{ProcessPlan, ProcessesPlan};
use crate::image::format_range;
use crate::layout::elf_check::{self, Extent, Misplaced};
use crate::layout::plan::AddressRange;
use crate::layout::request::Owner;
use crate::mpu::verify::{self, Finding, Report, UserPartition};
use crate::mpu::{RegionNumber, Registers};

/// What one process's registers grant, and what the over-granted bytes
/// belong to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessVerdict {
    pub process: String,
    pub report: Report,
    /// The owners of over-granted bytes, by range.
    pub reached: Vec<Reached>,
}

impl ProcessVerdict {
    pub fn is_ok(&self) -> bool {
        self.report.is_ok()
    }
}

/// Over-granted bytes and what lives there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reached {
    pub start: u64,
    pub end: u64,
    /// `grant of <process>`, `flash of <process>`, `RAM of <process>`, a
    /// kernel partition's name, or `kernel heap`.
    pub owner: String,
}

impl std::fmt::Display for Reached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is the {} and reachable",
            format_range(&(self.start..self.end)),
            self.owner
        )
    }
}

/// Something wrong with the plan's ranges themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum LayoutFinding {
    #[error("{a} ({}) and {b} ({}) overlap", format_range(&(a_range.start..a_range.end)), format_range(&(b_range.start..b_range.end)))]
    Overlap {
        a: String,
        a_range: AddressRange,
        b: String,
        b_range: AddressRange,
    },
    #[error(
        "process {process}: its grant {} is not the top of its RAM partition {} above its RAM {}",
        format_range(&(grant.start..grant.end)),
        format_range(&(ram.start..ram.end)),
        format_range(&(user_ram.start..user_ram.end))
    )]
    GrantNotOnTop {
        process: String,
        ram: AddressRange,
        user_ram: AddressRange,
        grant: AddressRange,
    },
}

/// Every process's verdict, from the regions the plan programs for it.
pub fn verify(plan: &ProcessesPlan) -> Vec<ProcessVerdict> {
    plan.processes
        .iter()
        .map(|p| {
            let programmed: Vec<(RegionNumber, Registers)> =
                p.regions.iter().map(|r| (r.number, r.registers)).collect();
            verify_process(plan, p, &programmed)
        })
        .collect()
}

/// The verdict on `programmed` (register values, as the kernel writes them
/// when it switches to `process`): exactly the process's flash and RAM
/// below its grant, within the per-process budget.
pub fn verify_process(
    plan: &ProcessesPlan,
    process: &ProcessPlan,
    programmed: &[(RegionNumber, Registers)],
) -> ProcessVerdict {
    let partitions: Vec<UserPartition> = process
        .partitions(&plan.memories)
        .into_iter()
        .map(|p| UserPartition {
            name: p.name,
            start: p.start,
            end: p.end,
            access: p.access,
        })
        .collect();
    let report = verify::verify(programmed, &partitions, plan.budget);
    let owners = owners(plan);
    let reached = report
        .findings
        .iter()
        .filter_map(|f| match f {
            Finding::OverGrant { start, end, .. } => Some((*start, *end)),
            _ => None,
        })
        .flat_map(|(start, end)| {
            owners.iter().filter_map(move |(owner, r)| {
                let (s, e) = (start.max(r.start), end.min(r.end));
                (s < e).then(|| Reached {
                    start: s,
                    end: e,
                    owner: owner.clone(),
                })
            })
        })
        .collect();
    ProcessVerdict {
        process: process.name.clone(),
        report,
        reached,
    }
}

/// Everything the plan places, named for people; the kernel heap before
/// kernel SRAM, so that bytes of it are named as the heap.
fn owners(plan: &ProcessesPlan) -> Vec<(String, AddressRange)> {
    let mut owners = vec![("kernel heap".to_owned(), plan.kernel_heap)];
    for k in &plan.kernel {
        let heap = plan.kernel_heap;
        let below_heap = AddressRange {
            start: k.start,
            end: if heap.start >= k.start && heap.end <= k.end {
                heap.start
            } else {
                k.end
            },
        };
        owners.push((k.name.clone(), below_heap));
    }
    for p in &plan.processes {
        owners.push((format!("grant of {}", p.name), p.grant));
        owners.push((format!("flash of {}", p.name), p.flash));
        owners.push((format!("RAM of {}", p.name), p.user_ram));
    }
    owners
}

/// The plan's ranges: pairwise disjoint (the kernel's partitions and every
/// process's flash and RAM partition), and each grant the top of its RAM.
pub fn check_layout(plan: &ProcessesPlan) -> Vec<LayoutFinding> {
    let mut findings = Vec::new();
    let mut ranges: Vec<(String, AddressRange)> = plan
        .kernel
        .iter()
        .map(|k| {
            (
                k.name.clone(),
                AddressRange {
                    start: k.start,
                    end: k.end,
                },
            )
        })
        .collect();
    for p in &plan.processes {
        ranges.push((format!("{}-flash", p.name), p.flash));
        ranges.push((format!("{}-ram", p.name), p.ram));
        let on_top = p.user_ram.start == p.ram.start
            && p.user_ram.end == p.grant.start
            && p.grant.end == p.ram.end
            && !p.grant.is_empty();
        if !on_top {
            findings.push(LayoutFinding::GrantNotOnTop {
                process: p.name.clone(),
                ram: p.ram,
                user_ram: p.user_ram,
                grant: p.grant,
            });
        }
    }
    for (i, (a, ar)) in ranges.iter().enumerate() {
        for (b, br) in &ranges[i + 1..] {
            if ar.start < br.end && br.start < ar.end {
                findings.push(LayoutFinding::Overlap {
                    a: a.clone(),
                    a_range: *ar,
                    b: b.clone(),
                    b_range: *br,
                });
            }
        }
    }
    findings
}

/// No process of that name in the plan.
#[derive(Debug, thiserror::Error)]
#[error("no process {name:?} in the plan; its processes are {known}")]
pub struct UnknownProcess {
    pub name: String,
    pub known: String,
}

/// Checks the extents of process `name`'s linked ELF (from
/// [`elf_check::read_extents`]) against its flash and its RAM below the
/// grant: a section in the grant, in another process or in the kernel is
/// misplaced.
pub fn check_elf(
    plan: &ProcessesPlan,
    name: &str,
    extents: &[Extent],
) -> Result<Vec<Misplaced>, UnknownProcess> {
    let process = plan.process(name).ok_or_else(|| UnknownProcess {
        name: name.to_owned(),
        known: plan
            .processes
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let partitions = process.partitions(&plan.memories);
    let refs: Vec<_> = partitions.iter().collect();
    Ok(elf_check::check_partitions(&refs, Owner::User, extents))
}
