//! Proving that a programmed region list grants unprivileged code exactly
//! the user partitions.
//!
//! # What is checked
//!
//! The verifier starts from register values, not from the planner's intent:
//! it decodes every RBAR/RASR (or RBAR/RLAR) pair as the hardware would,
//! works out for every address what unprivileged code may do there, and
//! compares that with what the user partitions call for:
//!
//! - every byte of every user partition is accessible with its intended
//!   permissions (flash RX, RAM RW and XN): otherwise an *under-grant*, and
//!   the user faults;
//! - no byte is accessible beyond that, whether outside every user partition
//!   (kernel memory) or as an extra permission inside one (executable RAM):
//!   otherwise an *over-grant*, and the isolation is broken;
//! - the regions fit in the hardware's count minus those the kernel keeps.
//!
//! Where ARMv7-M regions overlap the highest-numbered enabled region that
//! grants the address decides (a disabled subregion does not grant and
//! lets lower regions show through). On ARMv8-M an address in two enabled
//! regions faults, so it grants nothing and the overlap is reported.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

use super::{Access, RegionNumber, Registers, armv8m};
use crate::image::format_range;

/// A user partition: the bytes unprivileged code must reach, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserPartition {
    pub name: String,
    pub start: u64,
    pub end: u64,
    pub access: Access,
}

/// How many regions the hardware has, and how many of them the kernel keeps
/// for itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RegionBudget {
    pub hardware: u8,
    pub kernel_reserved: u8,
}

impl RegionBudget {
    /// The regions left for the user partitions.
    pub fn for_user(&self) -> usize {
        usize::from(self.hardware.saturating_sub(self.kernel_reserved))
    }
}

/// One thing wrong with a region list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Finding {
    /// Register values the hardware would not apply as written.
    Invalid { region: RegionNumber, error: String },
    /// Two ARMv8-M regions share addresses; accesses there fault.
    Overlap {
        regions: (RegionNumber, RegionNumber),
        start: u64,
        end: u64,
    },
    /// Unprivileged code may do more here than the partitions allow.
    OverGrant {
        start: u64,
        end: u64,
        granted: Access,
        /// What the partition here allows; `None` outside every user partition.
        partition: Option<String>,
        allowed: Access,
        /// The region that decides the access.
        region: RegionNumber,
    },
    /// Unprivileged code may do less here than its partition needs.
    UnderGrant {
        start: u64,
        end: u64,
        partition: String,
        granted: Access,
        needed: Access,
    },
    /// More regions than the user may have.
    TooManyRegions { used: usize, available: usize },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Invalid { region, error } => write!(f, "region {region}: {error}"),
            Finding::Overlap {
                regions: (a, b),
                start,
                end,
            } => write!(
                f,
                "regions {a} and {b} overlap at {}: ARMv8-M faults every access there",
                format_range(&(*start..*end))
            ),
            Finding::OverGrant {
                start,
                end,
                granted,
                partition,
                allowed,
                region,
            } => {
                let range = format_range(&(*start..*end));
                match partition {
                    None => write!(
                        f,
                        "over-grant: {range} is outside every user partition but region \
                         {region} gives unprivileged code {granted}"
                    ),
                    Some(name) => write!(
                        f,
                        "over-grant: {range} in {name} should be {allowed} but region \
                         {region} gives {granted}"
                    ),
                }
            }
            Finding::UnderGrant {
                start,
                end,
                partition,
                granted,
                needed,
            } => write!(
                f,
                "under-grant: {} in {partition} needs {needed} but unprivileged code has {granted}",
                format_range(&(*start..*end))
            ),
            Finding::TooManyRegions { used, available } => write!(
                f,
                "{used} regions programmed for user partitions, but only {available} are \
                 left after the kernel's own"
            ),
        }
    }
}

/// The verdict on a region list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub regions_used: usize,
    pub regions_available: usize,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }

    /// Bytes that unprivileged code may touch beyond what it should.
    pub fn over_granted_bytes(&self) -> u64 {
        self.findings
            .iter()
            .map(|f| match f {
                Finding::OverGrant { start, end, .. } => end - start,
                _ => 0,
            })
            .sum()
    }
}

/// A decoded, enabled region: what it grants and to whom it loses.
struct Grant {
    number: RegionNumber,
    ranges: Vec<Range<u64>>,
    access: Access,
}

/// Checks `programmed` (region number and register values, as the kernel
/// writes them) against the user `partitions` and the region `budget`.
pub fn verify(
    programmed: &[(RegionNumber, Registers)],
    partitions: &[UserPartition],
    budget: RegionBudget,
) -> Report {
    let mut findings = Vec::new();
    let mut grants = Vec::new();
    let mut armv8m_regions = Vec::new();
    for &(number, registers) in programmed {
        let decoded = match registers {
            Registers::Armv7m(r) => r
                .decode(number)
                .map(|r| r.map(super::Region::Armv7m))
                .map_err(|e| e.to_string()),
            Registers::Armv8m(r) => r
                .decode()
                .map(|r| r.map(super::Region::Armv8m))
                .map_err(|e| e.to_string()),
        };
        match decoded {
            Err(error) => findings.push(Finding::Invalid {
                region: number,
                error,
            }),
            Ok(None) => {}
            Ok(Some(region)) => {
                if let super::Region::Armv8m(r) = region {
                    armv8m_regions.push((number, r));
                }
                grants.push(Grant {
                    number,
                    ranges: region.granted(),
                    access: region.unprivileged_access(),
                });
            }
        }
    }
    findings.extend(
        armv8m::overlaps(&armv8m_regions)
            .into_iter()
            .map(|o| Finding::Overlap {
                regions: o.regions,
                start: o.start,
                end: o.end,
            }),
    );
    let overlap_faults = !armv8m_regions.is_empty();
    findings.extend(compare(&grants, partitions, overlap_faults));

    let available = budget.for_user();
    if programmed.len() > available {
        findings.push(Finding::TooManyRegions {
            used: programmed.len(),
            available,
        });
    }
    Report {
        regions_used: programmed.len(),
        regions_available: available,
        findings,
    }
}

/// What unprivileged code may do at `address`, and the region deciding it.
fn effective_at(
    grants: &[Grant],
    address: u64,
    overlap_faults: bool,
) -> (Access, Option<RegionNumber>) {
    let mut hits = grants
        .iter()
        .filter(|g| g.ranges.iter().any(|r| r.contains(&address)));
    let Some(first) = hits.next() else {
        return (Access::None, None);
    };
    if overlap_faults {
        return match hits.next() {
            Some(_) => (Access::None, None),
            None => (first.access, Some(first.number)),
        };
    }
    let top = hits.fold(first, |top, g| if g.number > top.number { g } else { top });
    (top.access, Some(top.number))
}

/// Walks the address space in intervals on which neither the effective
/// access nor the partition changes, and reports every difference, adjacent
/// intervals with the same finding merged.
fn compare(grants: &[Grant], partitions: &[UserPartition], overlap_faults: bool) -> Vec<Finding> {
    let mut bounds: Vec<u64> = grants
        .iter()
        .flat_map(|g| g.ranges.iter().flat_map(|r| [r.start, r.end]))
        .chain(partitions.iter().flat_map(|p| [p.start, p.end]))
        .collect();
    bounds.sort_unstable();
    bounds.dedup();

    let mut findings: Vec<Finding> = Vec::new();
    for pair in bounds.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        let (granted, region) = effective_at(grants, start, overlap_faults);
        let partition = partitions
            .iter()
            .find(|p| (p.start..p.end).contains(&start));
        let allowed = partition.map_or(Access::None, |p| p.access);
        let more = (granted.read() && !allowed.read())
            || (granted.write() && !allowed.write())
            || (granted.execute() && !allowed.execute());
        if let (true, Some(region)) = (more, region) {
            push_merged(
                &mut findings,
                Finding::OverGrant {
                    start,
                    end,
                    granted,
                    partition: partition.map(|p| p.name.clone()),
                    allowed,
                    region,
                },
            );
        }
        let less = (allowed.read() && !granted.read())
            || (allowed.write() && !granted.write())
            || (allowed.execute() && !granted.execute());
        if let (true, Some(p)) = (less, partition) {
            push_merged(
                &mut findings,
                Finding::UnderGrant {
                    start,
                    end,
                    partition: p.name.clone(),
                    granted,
                    needed: p.access,
                },
            );
        }
    }
    findings
}

/// Appends `finding`, or extends the last finding if it is the same finding
/// for the adjacent interval.
fn push_merged(findings: &mut Vec<Finding>, finding: Finding) {
    if let Some(last) = findings.last_mut() {
        let merged = match (last, &finding) {
            (
                Finding::OverGrant {
                    end,
                    granted,
                    partition,
                    region,
                    ..
                },
                Finding::OverGrant {
                    start: s,
                    end: e,
                    granted: g,
                    partition: p,
                    region: r,
                    ..
                },
            ) if end == s && granted == g && partition == p && region == r => {
                *end = *e;
                true
            }
            (
                Finding::UnderGrant {
                    end,
                    partition,
                    granted,
                    ..
                },
                Finding::UnderGrant {
                    start: s,
                    end: e,
                    partition: p,
                    granted: g,
                    ..
                },
            ) if end == s && partition == p && granted == g => {
                *end = *e;
                true
            }
            _ => false,
        };
        if merged {
            return;
        }
    }
    findings.push(finding);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mpu::armv7m::{Block, Region};
    use crate::mpu::{Arch, MemoryKind};

    fn number(n: u8) -> RegionNumber {
        RegionNumber::new(n).unwrap()
    }

    fn partition(name: &str, range: Range<u64>, memory: MemoryKind) -> UserPartition {
        UserPartition {
            name: name.into(),
            start: range.start,
            end: range.end,
            access: memory.user_access(),
        }
    }

    const BUDGET: RegionBudget = RegionBudget {
        hardware: 8,
        kernel_reserved: 2,
    };

    fn program(arch: Arch, parts: &[UserPartition]) -> Vec<(RegionNumber, Registers)> {
        let mut list = Vec::new();
        for p in parts {
            let memory = if p.access.execute() {
                MemoryKind::Flash
            } else {
                MemoryKind::Ram
            };
            for region in arch.cover(p.start..p.end, 8, memory).unwrap() {
                let n = number(list.len() as u8);
                list.push((n, region.registers(n)));
            }
        }
        list
    }

    #[test]
    fn exact_covers_verify_clean_on_both_architectures() {
        let parts = [
            partition("user-flash", 0x0802_0000..0x0810_0000, MemoryKind::Flash),
            partition("user-sram", 0x2000_4000..0x2001_C000, MemoryKind::Ram),
        ];
        for arch in [Arch::Armv7m, Arch::Armv8m] {
            let report = verify(&program(arch, &parts), &parts, BUDGET);
            assert!(report.is_ok(), "{arch}: {:?}", report.findings);
            assert_eq!(report.regions_used, 2);
        }
    }

    #[test]
    fn a_higher_region_without_access_shadows_a_lower_one() {
        let parts = [partition(
            "user-sram",
            0x2000_0000..0x2000_8000,
            MemoryKind::Ram,
        )];
        let all = Region::user(Block::new(0x2000_0000, 16, 0).unwrap(), MemoryKind::Ram);
        let guard = Region::new(
            Block::new(0x2000_8000, 15, 0).unwrap(),
            crate::mpu::armv7m::AccessPermissions::PrivilegedReadWrite,
            true,
            crate::mpu::armv7m::Attributes::for_memory(MemoryKind::Ram),
        );
        let programmed = [
            (number(0), Registers::Armv7m(all.encode(number(0)))),
            (number(1), Registers::Armv7m(guard.encode(number(1)))),
        ];
        assert!(verify(&programmed, &parts, BUDGET).is_ok());
        // The other way round, the lower-numbered guard loses.
        let swapped = [
            (number(0), Registers::Armv7m(guard.encode(number(0)))),
            (number(1), Registers::Armv7m(all.encode(number(1)))),
        ];
        let report = verify(&swapped, &parts, BUDGET);
        assert_eq!(report.over_granted_bytes(), 0x8000);
    }

    #[test]
    fn executable_ram_and_missing_bytes_are_named() {
        let parts = [partition(
            "user-sram",
            0x2000_0000..0x2000_1000,
            MemoryKind::Ram,
        )];
        let rwx = Region::new(
            Block::new(0x2000_0000, 12, 0b1000_0000).unwrap(),
            crate::mpu::armv7m::AccessPermissions::ReadWrite,
            false,
            crate::mpu::armv7m::Attributes::for_memory(MemoryKind::Ram),
        );
        let report = verify(
            &[(number(0), Registers::Armv7m(rwx.encode(number(0))))],
            &parts,
            BUDGET,
        );
        assert_eq!(
            report.findings,
            [
                Finding::OverGrant {
                    start: 0x2000_0000,
                    end: 0x2000_0E00,
                    granted: Access::ReadWriteExecute,
                    partition: Some("user-sram".into()),
                    allowed: Access::ReadWrite,
                    region: number(0),
                },
                Finding::UnderGrant {
                    start: 0x2000_0E00,
                    end: 0x2000_1000,
                    partition: "user-sram".into(),
                    granted: Access::None,
                    needed: Access::ReadWrite,
                },
            ]
        );
    }

    #[test]
    fn armv8m_overlaps_fault_and_too_many_regions_are_reported() {
        let parts = [partition(
            "user-sram",
            0x3800_0000..0x3800_2000,
            MemoryKind::Ram,
        )];
        let a = Arch::Armv8m
            .cover(0x3800_0000..0x3800_1100, 1, MemoryKind::Ram)
            .unwrap()[0];
        let b = Arch::Armv8m
            .cover(0x3800_1000..0x3800_2000, 1, MemoryKind::Ram)
            .unwrap()[0];
        let programmed = [
            (number(0), a.registers(number(0))),
            (number(1), b.registers(number(1))),
        ];
        let tight = RegionBudget {
            hardware: 8,
            kernel_reserved: 7,
        };
        let report = verify(&programmed, &parts, tight);
        assert!(report.findings.contains(&Finding::Overlap {
            regions: (number(0), number(1)),
            start: 0x3800_1000,
            end: 0x3800_1100,
        }));
        assert!(report.findings.iter().any(|f| matches!(
            f,
            Finding::UnderGrant {
                start: 0x3800_1000,
                end: 0x3800_1100,
                ..
            }
        )));
        assert!(report.findings.contains(&Finding::TooManyRegions {
            used: 2,
            available: 1
        }));
    }
}
