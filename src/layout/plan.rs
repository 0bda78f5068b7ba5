//! The result of planning: where every partition is, which MPU regions
//! grant the user partitions, and what alignment cost.
//!
//! [`Plan`] has a stable JSON form (`mcu-build layout --json`): later steps
//! render it into linker scripts and into the kernel's MPU table, so field
//! names and meanings only ever grow. Addresses are numbers; register
//! values are `"0x…"` strings, as reference manuals print them.

use serde::Serialize;

use crate::mpu::verify::{self, RegionBudget, Report, UserPartition};
use crate::mpu::{Access, Arch, MemoryKind, Region, RegionNumber, Registers};

use super::request::Owner;

/// A half-open address range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AddressRange {
    pub start: u64,
    pub end: u64,
}

impl AddressRange {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// One MPU region of a user partition, with the values the kernel writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedRegion {
    pub number: RegionNumber,
    pub registers: Registers,
    /// The decoded fields (base, size, subregions or limit, permissions).
    pub region: Region,
    /// The bytes it grants, adjacent enabled subregions merged.
    pub granted: Vec<AddressRange>,
}

impl PlannedRegion {
    /// Region `region` programmed as number `number`: its register values
    /// and the bytes it grants.
    pub fn new(number: RegionNumber, region: Region) -> PlannedRegion {
        PlannedRegion {
            number,
            registers: region.registers(number),
            region,
            granted: region
                .granted()
                .into_iter()
                .map(|r| AddressRange {
                    start: r.start,
                    end: r.end,
                })
                .collect(),
        }
    }
}

/// A placed partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Partition {
    pub name: String,
    pub owner: Owner,
    pub memory: String,
    pub kind: MemoryKind,
    pub start: u64,
    pub end: u64,
    pub size: u64,
    /// What unprivileged code may do here: the user access of the memory
    /// kind for user partitions, none for the kernel's.
    pub access: Access,
    /// The regions that grant it (user partitions only).
    pub regions: Vec<PlannedRegion>,
}

/// Memory that no partition may use because of alignment: gaps before
/// partitions placed on a coverable origin, and the part of a `rest`
/// window that no allowed region set covers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Loss {
    pub bytes: u64,
    /// Of the memories that hold partitions.
    pub percent: f64,
    pub gaps: Vec<AddressRange>,
}

/// A complete layout.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub board: String,
    pub arch: Arch,
    pub budget: RegionBudget,
    /// ARMv8-M only: the MAIR0 value the regions' attribute indices assume.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "hex_option")]
    pub mair0: Option<u32>,
    /// In memory order, then address order.
    pub partitions: Vec<Partition>,
    /// The kernel heap: the top of kernel SRAM.
    pub kernel_heap: AddressRange,
    pub loss: Loss,
}

fn hex_option<S: serde::Serializer>(value: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_str(&format!("{v:#010x}")),
        None => s.serialize_none(),
    }
}

impl Plan {
    pub fn partition(&self, name: &str) -> Option<&Partition> {
        self.partitions.iter().find(|p| p.name == name)
    }

    /// The user partitions as the verifier takes them.
    pub fn user_partitions(&self) -> Vec<UserPartition> {
        self.partitions
            .iter()
            .filter(|p| p.owner == Owner::User)
            .map(|p| UserPartition {
                name: p.name.clone(),
                start: p.start,
                end: p.end,
                access: p.access,
            })
            .collect()
    }

    /// The region table the kernel programs: number and register values.
    pub fn programmed(&self) -> Vec<(RegionNumber, Registers)> {
        let mut table: Vec<(RegionNumber, Registers)> = self
            .partitions
            .iter()
            .flat_map(|p| p.regions.iter().map(|r| (r.number, r.registers)))
            .collect();
        table.sort_by_key(|(n, _)| *n);
        table
    }

    /// Proves from the register values that the plan grants unprivileged
    /// code exactly the user partitions.
    pub fn verify(&self) -> Report {
        verify::verify(&self.programmed(), &self.user_partitions(), self.budget)
    }
}
