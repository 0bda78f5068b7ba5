//! Where the four partitions of a protected build go, and the MPU regions
//! that grant the user blob exactly its two.
//!
//! Kernel partitions start at the origin of their memory; each user
//! partition follows at the next address the MPU can cover cheaply: on
//! ARMv7-M a multiple of the partition size rounded up to a power of two
//! (then one region, with subregions for sizes in eighths, covers it), on
//! ARMv8-M the 32-byte granule. The bytes skipped are reported as padding:
//! they are the alignment cost of protection. The regions come from
//! [`crate::mpu`]'s exact covers, so the plan never over-grants.

use serde::Serialize;

use super::board::{Board, Sizes};
use crate::mpu::verify::{RegionBudget, UserPartition};
use crate::mpu::{Arch, CoverError, GRANULE, MemoryKind, Region, RegionNumber, Registers};

/// Who a partition belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Owner {
    Kernel,
    User,
}

/// One placed partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Partition {
    pub name: &'static str,
    pub owner: Owner,
    pub memory: MemoryKind,
    pub start: u32,
    pub end: u32,
}

impl Partition {
    pub fn size(&self) -> u32 {
        self.end - self.start
    }

    pub fn contains(&self, range: &std::ops::Range<u64>) -> bool {
        u64::from(self.start) <= range.start && range.end <= u64::from(self.end)
    }

    /// The partition in the form the firmware ABI checks headers against.
    pub fn abi(&self) -> firmware_abi::Partition {
        firmware_abi::Partition {
            start: self.start,
            end: self.end,
        }
    }
}

/// One MPU region of the plan and the partition it serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedRegion {
    pub number: RegionNumber,
    pub partition: &'static str,
    pub registers: Registers,
}

/// The placed partitions, stack and heap sizes, and MPU regions of a build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Plan {
    pub board: &'static str,
    pub arch: Arch,
    /// Kernel flash, user flash, kernel SRAM, user SRAM, in that order.
    pub partitions: [Partition; 4],
    pub sizes: Sizes,
    pub regions: Vec<PlannedRegion>,
    /// Bytes left unused between partitions so the MPU can cover them.
    pub alignment_padding: u64,
    pub region_budget: RegionBudget,
}

/// The partitions cannot be placed or covered.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(
        "{partition} ({size} bytes at {start:#010x}) ends past its memory, which ends at \
         {memory_end:#010x}; make the partitions smaller in [layout] of mcu-build.toml"
    )]
    DoesNotFit {
        partition: &'static str,
        start: u64,
        size: u32,
        memory_end: u64,
    },
    #[error("{partition}: {error}")]
    Cover {
        partition: &'static str,
        error: CoverError,
    },
}

impl Plan {
    pub fn kernel_flash(&self) -> &Partition {
        &self.partitions[0]
    }

    pub fn user_flash(&self) -> &Partition {
        &self.partitions[1]
    }

    pub fn kernel_sram(&self) -> &Partition {
        &self.partitions[2]
    }

    pub fn user_sram(&self) -> &Partition {
        &self.partitions[3]
    }

    /// The partitions of `owner`.
    pub fn owned_by(&self, owner: Owner) -> impl Iterator<Item = &Partition> {
        self.partitions.iter().filter(move |p| p.owner == owner)
    }

    /// The user partitions as the MPU verifier takes them.
    pub fn user_partitions(&self) -> Vec<UserPartition> {
        self.owned_by(Owner::User)
            .map(|p| UserPartition {
                name: p.name.to_owned(),
                start: p.start.into(),
                end: p.end.into(),
                access: p.memory.user_access(),
            })
            .collect()
    }

    /// The region table as the kernel programs it.
    pub fn programmed(&self) -> Vec<(RegionNumber, Registers)> {
        self.regions
            .iter()
            .map(|r| (r.number, r.registers))
            .collect()
    }
}

/// Places the partitions of `sizes` on `board` and covers the user ones.
pub fn plan(board: &Board, sizes: Sizes) -> Result<Plan, PlanError> {
    let mut padding = 0;
    let mut place = |name, owner, memory, at: u64, size: u32, end: u64| {
        let start = match owner {
            Owner::Kernel => at,
            Owner::User => align_up(at, user_alignment(board.arch, size)),
        };
        padding += start - at;
        if start + u64::from(size) > end {
            return Err(PlanError::DoesNotFit {
                partition: name,
                start,
                size,
                memory_end: end,
            });
        }
        let start = start as u32;
        Ok(Partition {
            name,
            owner,
            memory,
            start,
            end: start + size,
        })
    };
    let (flash, sram) = (board.flash, board.sram);
    let kernel_flash = place(
        "kernel-flash",
        Owner::Kernel,
        MemoryKind::Flash,
        flash.origin.into(),
        sizes.kernel_flash,
        flash.end(),
    )?;
    let user_flash = place(
        "user-flash",
        Owner::User,
        MemoryKind::Flash,
        kernel_flash.end.into(),
        sizes.user_flash,
        flash.end(),
    )?;
    let kernel_sram = place(
        "kernel-sram",
        Owner::Kernel,
        MemoryKind::Ram,
        sram.origin.into(),
        sizes.kernel_sram,
        sram.end(),
    )?;
    let user_sram = place(
        "user-sram",
        Owner::User,
        MemoryKind::Ram,
        kernel_sram.end.into(),
        sizes.user_sram,
        sram.end(),
    )?;
    let budget = RegionBudget {
        hardware: board.mpu_regions,
        kernel_reserved: board.kernel_regions,
    };
    let regions = cover(board.arch, budget, [&user_flash, &user_sram])?;
    Ok(Plan {
        board: board.name,
        arch: board.arch,
        partitions: [kernel_flash, user_flash, kernel_sram, user_sram],
        sizes,
        regions,
        alignment_padding: padding,
        region_budget: budget,
    })
}

/// Covers each user partition exactly, numbering regions from the first
/// the kernel leaves; each partition may use what the earlier ones left,
/// less one region for every partition still to come.
fn cover(
    arch: Arch,
    budget: RegionBudget,
    partitions: [&Partition; 2],
) -> Result<Vec<PlannedRegion>, PlanError> {
    let mut planned = Vec::new();
    for (i, partition) in partitions.iter().enumerate() {
        let left = budget.for_user() - planned.len();
        let max = left.saturating_sub(partitions.len() - i - 1);
        let range = u64::from(partition.start)..u64::from(partition.end);
        let regions: Vec<Region> =
            arch.cover(range, max, partition.memory)
                .map_err(|error| PlanError::Cover {
                    partition: partition.name,
                    error,
                })?;
        for region in regions {
            let index = budget.kernel_reserved + planned.len() as u8;
            let number = RegionNumber::new(index).expect("the budget is below MAX_REGIONS");
            planned.push(PlannedRegion {
                number,
                partition: partition.name,
                registers: region.registers(number),
            });
        }
    }
    Ok(planned)
}

/// Where a user partition of `size` bytes may start.
fn user_alignment(arch: Arch, size: u32) -> u64 {
    match arch {
        Arch::Armv7m => u64::from(size).next_power_of_two().max(GRANULE),
        Arch::Armv8m => GRANULE,
    }
}

fn align_up(value: u64, alignment: u64) -> u64 {
    value.div_ceil(alignment) * alignment
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::board;
    use crate::mpu::verify;

    fn plan_for(name: &str, sizes: impl FnOnce(&mut Sizes)) -> Result<Plan, PlanError> {
        let board = board::find(name).unwrap();
        let mut s = board.defaults;
        sizes(&mut s);
        plan(board, s)
    }

    #[test]
    fn default_mps2_plans_are_exact_with_one_region_per_user_partition() {
        for name in ["qemu-mps2-an386", "qemu-mps2-an505"] {
            let plan = plan_for(name, |_| {}).unwrap();
            assert_eq!(plan.regions.len(), 2, "{name}");
            assert_eq!(plan.alignment_padding, 0);
            let report = verify::verify(
                &plan.programmed(),
                &plan.user_partitions(),
                plan.region_budget,
            );
            assert!(report.is_ok(), "{name}: {:?}", report.findings);
        }
        let an386 = plan_for("qemu-mps2-an386", |_| {}).unwrap();
        assert_eq!(an386.user_flash().start, 0x0004_0000);
        assert_eq!(an386.user_sram().start, 0x2001_0000);
    }

    #[test]
    fn a_small_kernel_partition_leaves_padding_before_an_aligned_user_partition() {
        let plan = plan_for("qemu-mps2-an386", |s| s.kernel_flash = 16 * 1024).unwrap();
        assert_eq!(plan.kernel_flash().end, 0x4000);
        assert_eq!(plan.user_flash().start, 0x0004_0000);
        assert_eq!(plan.alignment_padding, 0x0004_0000 - 0x4000);
        let v8 = plan_for("qemu-mps2-an505", |s| s.kernel_flash = 16 * 1024).unwrap();
        assert_eq!(v8.user_flash().start, 0x1000_4000);
        assert_eq!(v8.alignment_padding, 0);
    }

    #[test]
    fn partitions_past_the_memory_end_are_refused() {
        let error = plan_for("qemu-mps2-an386", |s| s.user_sram = 8 << 20).unwrap_err();
        assert!(
            matches!(
                error,
                PlanError::DoesNotFit {
                    partition: "user-sram",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn a_partition_no_region_set_covers_names_itself() {
        let error = plan_for("qemu-mps2-an386", |s| s.user_flash = 1000).unwrap_err();
        assert!(error.to_string().starts_with("user-flash: "), "{error}");
    }
}
