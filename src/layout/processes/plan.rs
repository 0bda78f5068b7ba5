//! The plan of a project with processes: the kernel's partitions as a
//! protected build has them, and for every process its flash, its RAM
//! partition with the grant region at the top, and the MPU regions the
//! kernel programs while it runs.
//!
//! [`ProcessesPlan`] has a stable JSON form (`mcu-build layout --json`,
//! top-level `processes`): the build renders it into each process's linker
//! script and into the kernel's process table, so field names and meanings
//! only ever grow.

use std::ops::Range;

use serde::Serialize;

use super::loss::{self, LossReport};
use super::place::{self, Piece, Placement, Unplaceable};
use super::{FaultPolicy, ProcessRequest, ProcessesRequest};
use crate::board::{Board, Memory};
use crate::image::format_range;
use crate::layout::needs;
use crate::layout::plan::{AddressRange, Partition, PlannedRegion};
use crate::layout::request::{
    KERNEL_FLASH, KERNEL_SRAM, Owner, PartitionRequest, Size, USER_FLASH, USER_SRAM,
};
use crate::layout::{Plan, PlanError};
use crate::mpu::verify::RegionBudget;
use crate::mpu::{Access, Arch, GRANULE, MemoryKind, RegionNumber, align_up, armv8m};

/// One planned process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessPlan {
    pub name: String,
    /// Its flash partition, granted read and execute.
    pub flash: AddressRange,
    /// Its whole RAM partition: `user_ram` then `grant`.
    pub ram: AddressRange,
    /// Its RAM below the grant, granted read and write, execute-never.
    pub user_ram: AddressRange,
    /// The top of its RAM partition, owned by the kernel.
    pub grant: AddressRange,
    /// Bytes of `user_ram` its linker script reserves for the stack and heap.
    pub stack: u64,
    pub heap: u64,
    pub fault: FaultPolicy,
    /// The regions the kernel programs while this process runs: its flash
    /// first, then its RAM below the grant. Every other region is disabled.
    pub regions: Vec<PlannedRegion>,
}

/// Which memories hold the processes' flash and RAM partitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessMemories {
    pub flash: String,
    pub ram: String,
}

/// A complete layout of a project with processes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcessesPlan {
    pub board: String,
    pub arch: Arch,
    /// The hardware's regions and the kernel's; every process may use
    /// `budget.for_user()` of them, since the kernel reprograms the MPU at
    /// each switch.
    pub budget: RegionBudget,
    /// ARMv8-M only: the MAIR0 value the regions' attribute indices assume.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "hex_option")]
    pub mair0: Option<u32>,
    pub memories: ProcessMemories,
    /// The kernel's partitions: kernel flash and kernel SRAM.
    pub kernel: Vec<Partition>,
    /// The kernel heap: the top of kernel SRAM.
    pub kernel_heap: AddressRange,
    /// In the configuration's order.
    pub processes: Vec<ProcessPlan>,
    /// Alignment loss, per process and in total, against Tock's and
    /// Hubris's power-of-two schemes for the same processes.
    pub loss: LossReport,
}

fn hex_option<S: serde::Serializer>(value: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_str(&format!("{v:#010x}")),
        None => s.serialize_none(),
    }
}

/// Why no layout meets a request with processes.
#[derive(Debug, thiserror::Error)]
pub enum ProcessPlanError {
    #[error("board {0} has no MPU, so its processes cannot be isolated")]
    NoMpu(String),
    #[error(
        "every process needs at least two MPU regions (its flash and its RAM), but board \
         {board} leaves {available} after the kernel's {kernel} of {hardware}"
    )]
    TooFewRegions {
        board: String,
        available: usize,
        kernel: u8,
        hardware: u8,
    },
    #[error("there are no processes to plan")]
    NoProcesses,
    #[error(
        "board {board} has no {0} partition to say which memory the processes' {1} go to",
        partition,
        what
    )]
    NoMemory {
        board: String,
        partition: &'static str,
        what: &'static str,
    },
    #[error(
        "process {process}: {what} = {value} bytes is not a positive multiple of the \
         {GRANULE}-byte MPU granule, so no MPU region set grants it exactly; nearest: {} or {}",
        value / GRANULE * GRANULE,
        align_up(*value, GRANULE).max(GRANULE)
    )]
    OffGranule {
        process: String,
        what: &'static str,
        value: u64,
    },
    #[error(
        "process {process}: ram = {ram} bytes cannot hold its stack ({stack} bytes, 8-byte \
         aligned) and heap ({heap} bytes): at least {needed} bytes"
    )]
    TooSmall {
        process: String,
        ram: u64,
        stack: u64,
        heap: u64,
        needed: u64,
    },
    #[error(
        "partition {partition} is `rest` in memory {memory}, which the processes' {what} \
         share: it would leave them nothing; give it a size"
    )]
    KernelRest {
        partition: String,
        memory: String,
        what: &'static str,
    },
    #[error(
        "partition {partition} ({size} bytes at {origin:#010x}) does not fit memory \
         {memory} ({})",
        format_range(memory_range)
    )]
    KernelOutside {
        partition: String,
        origin: u64,
        size: u64,
        memory: String,
        memory_range: Range<u64>,
    },
    #[error(
        "the processes' {what} ({needed} bytes before alignment: {sizes}) cannot be placed \
         with exact MPU covers of at most {budget} regions per process (flash and RAM \
         together) in the free window {} of memory {memory} ({} bytes){}",
        format_range(window),
        window.end - window.start,
        if *needed > window.end - window.start {
            format!(", {} bytes too many", needed - (window.end - window.start))
        } else {
            String::new()
        }
    )]
    DoesNotFit {
        what: &'static str,
        memory: String,
        window: Range<u64>,
        needed: u64,
        sizes: String,
        budget: usize,
    },
    #[error(transparent)]
    Kernel(#[from] PlanError),
}

/// Plans `request` on `board`: the kernel's partitions where a protected
/// build puts them, then every process's flash and RAM partition with the
/// least alignment loss the search finds ([`super::place`]), each granted
/// exactly by the per-process regions.
pub fn plan_processes(
    board: &Board,
    request: &ProcessesRequest,
) -> Result<ProcessesPlan, ProcessPlanError> {
    let mpu = board
        .mpu
        .ok_or_else(|| ProcessPlanError::NoMpu(board.name.to_string()))?;
    let budget = RegionBudget {
        hardware: mpu.regions,
        kernel_reserved: mpu.kernel_regions,
    };
    if budget.for_user() < 2 {
        return Err(ProcessPlanError::TooFewRegions {
            board: board.name.to_string(),
            available: budget.for_user(),
            kernel: mpu.kernel_regions,
            hardware: mpu.regions,
        });
    }
    if request.processes.is_empty() {
        return Err(ProcessPlanError::NoProcesses);
    }
    for p in &request.processes {
        check_process(p)?;
    }
    needs::check_request(board, &request.kernel)?;
    let memory_of = |partition: &'static str, what: &'static str| {
        request
            .kernel
            .partitions
            .iter()
            .find(|p| p.name == partition)
            .and_then(|p| board.memory(&p.memory))
            .map(needs::usable)
            .ok_or_else(|| ProcessPlanError::NoMemory {
                board: board.name.to_string(),
                partition,
                what,
            })
    };
    let flash_memory = memory_of(USER_FLASH, "flash")?;
    let ram_memory = memory_of(USER_SRAM, "RAM")?;

    let mut kernel = Vec::new();
    for name in [KERNEL_FLASH, KERNEL_SRAM] {
        let p = request
            .kernel
            .partitions
            .iter()
            .find(|p| p.name == name)
            .ok_or(PlanError::Missing(name))?;
        kernel.push(place_kernel(board, request, p, &flash_memory, &ram_memory)?);
    }
    let flash_window = free_window(&flash_memory, &kernel);
    let ram_window = free_window(&ram_memory, &kernel);
    let flash_pieces: Vec<Piece> = request
        .processes
        .iter()
        .map(|p| Piece {
            covered: p.flash,
            tail: 0,
        })
        .collect();
    let ram_pieces: Vec<Piece> = request
        .processes
        .iter()
        .map(|p| Piece {
            covered: p.ram,
            tail: p.grant,
        })
        .collect();
    let flash = place::Memory {
        window: flash_window.clone(),
        pieces: &flash_pieces,
    };
    let ram = place::Memory {
        window: ram_window.clone(),
        pieces: &ram_pieces,
    };
    let placement = place::place(mpu.arch, budget.for_user(), &flash, &ram).map_err(|side| {
        let (what, memory, window, pieces) = match side {
            Unplaceable::Flash => ("flash", &flash_memory, flash_window.clone(), &flash_pieces),
            Unplaceable::Ram => ("RAM", &ram_memory, ram_window.clone(), &ram_pieces),
        };
        does_not_fit(
            what,
            memory,
            window,
            pieces,
            &request.processes,
            budget.for_user(),
        )
    })?;
    let processes = build_processes(
        mpu.arch,
        budget,
        request,
        &placement,
        &flash_pieces,
        &ram_pieces,
    );
    let sram = &kernel[1];
    let kernel_heap = AddressRange {
        start: sram.end - request.kernel.kernel_heap.min(sram.size),
        end: sram.end,
    };
    let loss = loss::report(
        &request.processes,
        &placement,
        [
            (&flash, flash_pieces.as_slice()),
            (&ram, ram_pieces.as_slice()),
        ],
        budget.for_user(),
    );
    Ok(ProcessesPlan {
        board: board.name.to_string(),
        arch: mpu.arch,
        budget,
        mair0: (mpu.arch == Arch::Armv8m).then_some(armv8m::MAIR0),
        memories: ProcessMemories {
            flash: flash_memory.name.clone(),
            ram: ram_memory.name.clone(),
        },
        kernel,
        kernel_heap,
        processes,
        loss,
    })
}

/// Sizes that no exact cover or linker script could honour.
fn check_process(p: &ProcessRequest) -> Result<(), ProcessPlanError> {
    for (what, value) in [("flash", p.flash), ("ram", p.ram), ("grant", p.grant)] {
        if value == 0 || !value.is_multiple_of(GRANULE) {
            return Err(ProcessPlanError::OffGranule {
                process: p.name.clone(),
                what,
                value,
            });
        }
    }
    let needed = align_up(p.stack, 8) + p.heap;
    if p.ram < needed {
        return Err(ProcessPlanError::TooSmall {
            process: p.name.clone(),
            ram: p.ram,
            stack: p.stack,
            heap: p.heap,
            needed,
        });
    }
    Ok(())
}

/// A kernel partition at its fixed origin, else at the start of its
/// memory (where the core fetches the vector table at reset, for kernel
/// flash); `rest` only in a memory without processes.
fn place_kernel(
    board: &Board,
    request: &ProcessesRequest,
    p: &PartitionRequest,
    flash: &Memory,
    ram: &Memory,
) -> Result<Partition, ProcessPlanError> {
    let memory =
        board
            .memory(&p.memory)
            .map(needs::usable)
            .ok_or_else(|| PlanError::UnknownMemory {
                partition: p.name.clone(),
                memory: p.memory.clone(),
                board: board.name.to_string(),
            })?;
    let start = p.origin.map_or(u64::from(memory.origin), u64::from);
    let size = match p.size {
        Size::Bytes(n) => n,
        Size::Rest => {
            for (shared, what) in [(flash, "flash"), (ram, "RAM")] {
                if shared.name == memory.name {
                    return Err(ProcessPlanError::KernelRest {
                        partition: p.name.clone(),
                        memory: memory.name.clone(),
                        what,
                    });
                }
            }
            memory.end().saturating_sub(start)
        }
    };
    if start < u64::from(memory.origin) || start + size > memory.end() {
        return Err(ProcessPlanError::KernelOutside {
            partition: p.name.clone(),
            origin: start,
            size,
            memory: memory.name.clone(),
            memory_range: u64::from(memory.origin)..memory.end(),
        });
    }
    needs::check_size(p, &request.kernel, size, p.size == Size::Rest)?;
    Ok(Partition {
        name: p.name.clone(),
        owner: Owner::Kernel,
        memory: memory.name.clone(),
        kind: memory.kind,
        start,
        end: start + size,
        size,
        access: Access::None,
        regions: Vec::new(),
    })
}

/// Where the processes of `memory` go: above the kernel's partition in
/// it, from the next granule, or the whole memory. Memory below a kernel
/// partition at a fixed origin stays unused.
pub fn free_window(memory: &Memory, kernel: &[Partition]) -> Range<u64> {
    let start = kernel
        .iter()
        .filter(|k| k.memory == memory.name)
        .map(|k| align_up(k.end, GRANULE))
        .max()
        .unwrap_or(u64::from(memory.origin));
    start.min(memory.end())..memory.end()
}

fn does_not_fit(
    what: &'static str,
    memory: &Memory,
    window: Range<u64>,
    pieces: &[Piece],
    processes: &[ProcessRequest],
    budget: usize,
) -> ProcessPlanError {
    let sizes: Vec<String> = processes
        .iter()
        .zip(pieces)
        .map(|(p, piece)| match piece.tail {
            0 => format!("{} {}", p.name, piece.covered),
            grant => format!("{} {}+{grant} grant", p.name, piece.covered),
        })
        .collect();
    ProcessPlanError::DoesNotFit {
        what,
        memory: memory.name.clone(),
        window,
        needed: pieces.iter().map(Piece::len).sum(),
        sizes: sizes.join(", "),
        budget,
    }
}

/// Every process's ranges and the regions that grant them.
fn build_processes(
    arch: Arch,
    budget: RegionBudget,
    request: &ProcessesRequest,
    placement: &Placement,
    flash: &[Piece],
    ram: &[Piece],
) -> Vec<ProcessPlan> {
    request
        .processes
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let flash_start = placement.flash.origins[i];
            let ram_start = placement.ram.origins[i];
            let flash_range = flash_start..flash_start + flash[i].covered;
            let user_end = ram_start + ram[i].covered;
            let ram_range = ram_start..user_end + ram[i].tail;
            let allowed_flash = placement.flash_regions[i];
            let allowed_ram = budget.for_user() - allowed_flash;
            let regions = [
                (flash_range.clone(), allowed_flash, MemoryKind::Flash),
                (ram_start..user_end, allowed_ram, MemoryKind::Ram),
            ]
            .into_iter()
            .flat_map(|(range, allowed, kind)| {
                arch.cover(range, allowed, kind)
                    .expect("the placement checked that the range is coverable")
            })
            .zip(0u8..)
            .map(|(region, n)| {
                let number = RegionNumber::new(n).expect("within the board's region count");
                PlannedRegion::new(number, region)
            })
            .collect();
            ProcessPlan {
                name: p.name.clone(),
                flash: range(flash_range),
                ram: range(ram_range.clone()),
                user_ram: range(ram_start..user_end),
                grant: range(user_end..ram_range.end),
                stack: p.stack,
                heap: p.heap,
                fault: p.fault,
                regions,
            }
        })
        .collect()
}

fn range(r: Range<u64>) -> AddressRange {
    AddressRange {
        start: r.start,
        end: r.end,
    }
}

impl ProcessPlan {
    /// Its two partitions as the verifier and the ELF check take them:
    /// `<name>-flash` (r-x) and `<name>-ram` (rw-, below the grant), each
    /// with the regions that grant it.
    pub fn partitions(&self, memories: &ProcessMemories) -> Vec<Partition> {
        [
            (
                format!("{}-flash", self.name),
                &memories.flash,
                self.flash,
                MemoryKind::Flash,
            ),
            (
                format!("{}-ram", self.name),
                &memories.ram,
                self.user_ram,
                MemoryKind::Ram,
            ),
        ]
        .into_iter()
        .map(|(name, memory, r, kind)| Partition {
            name,
            owner: Owner::User,
            memory: memory.clone(),
            kind,
            start: r.start,
            end: r.end,
            size: r.len(),
            access: kind.user_access(),
            regions: self
                .regions
                .iter()
                .filter(|region| {
                    region
                        .granted
                        .iter()
                        .any(|g| g.start < r.end && r.start < g.end)
                })
                .cloned()
                .collect(),
        })
        .collect()
    }
}

impl ProcessesPlan {
    /// The process called `name`.
    pub fn process(&self, name: &str) -> Option<&ProcessPlan> {
        self.processes.iter().find(|p| p.name == name)
    }

    /// The plan as one [`Plan`] of partitions, for drawing: the kernel's,
    /// then per process its flash and RAM (user partitions with their
    /// regions) and its grant (a kernel partition `<name>-grant`).
    pub fn as_partition_plan(&self) -> Plan {
        let mut partitions = self.kernel.clone();
        for p in &self.processes {
            partitions.extend(p.partitions(&self.memories));
            partitions.push(Partition {
                name: format!("{}-grant", p.name),
                owner: Owner::Kernel,
                memory: self.memories.ram.clone(),
                kind: MemoryKind::Ram,
                start: p.grant.start,
                end: p.grant.end,
                size: p.grant.len(),
                access: Access::None,
                regions: Vec::new(),
            });
        }
        partitions.sort_by_key(|p| (p.kind == MemoryKind::Ram, p.start));
        let gaps = self.loss.gaps.clone();
        Plan {
            board: self.board.clone(),
            arch: self.arch,
            budget: self.budget,
            mair0: self.mair0,
            partitions,
            kernel_heap: self.kernel_heap,
            loss: crate::layout::plan::Loss {
                bytes: self.loss.total.mcu_build,
                percent: self.loss.percent,
                gaps,
            },
        }
    }
}
