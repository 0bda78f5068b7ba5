//! Placing partitions so that every user partition is exactly coverable
//! within the region budget, losing as little memory as possible.
//!
//! # How
//!
//! Within one memory the partitions are laid out in some order: those
//! before the `rest` partition packed upward from the memory's start, those
//! after it packed downward from its end, and `rest` taking the window in
//! between. A kernel partition goes anywhere (32-byte aligned: the kernel
//! reaches memory through the default map) and takes whole 32-byte
//! granules, so the partition after it starts on one. Partitions lie below
//! the System region, also in a memory that crosses into it. A user partition needs an origin
//! at which its range is exactly coverable with the regions allowed to it;
//! the gap that skipping to such an origin leaves is alignment loss, and so
//! is the part of a user `rest` window no allowed region set covers. A
//! kernel partition next to a user one absorbs that slack when it is `rest`,
//! which is why the planner tries every order.
//!
//! Across memories the user partitions share the region budget. For each
//! memory the planner finds the least loss for every number of regions its
//! user partitions may use (stopping once the loss is zero), then chooses
//! the per-memory counts with the least total loss that fit the budget.
//!
//! Before placing anything, [`needs`](super::needs) refuses what cannot
//! work whatever the addresses (a partition in the wrong kind of memory or
//! reaching into the System region, a size below what the firmware puts there); a
//! `rest` partition is checked against the same minimum when it is placed.
//! When no placement works, [`nearest`](super::nearest) finds the nearest
//! sizes and origins that do, by planning again.
//!
//! Candidate origins are the free cursor rounded up (or, packing downward,
//! down) to every region size. For the greedy cover the same candidate set
//! is checked against brute force (`tests/mpu_armv7m.rs`). For placement it
//! is a search heuristic, not a proof: `tests/layout_brute_force.rs` checks
//! it against every 32-byte aligned window and every split of the regions
//! for a fixed-size kernel and a `rest` user partition per memory.

use std::ops::Range;

use crate::board::{Board, Memory};
use crate::image::format_range;
use crate::mpu::verify::RegionBudget;
use crate::mpu::{Arch, GRANULE, MemoryKind, RegionNumber, align_down, align_up, armv8m};

use super::nearest::{self, Alternatives};
use super::needs;
use super::plan::{AddressRange, Loss, Partition, Plan, PlannedRegion};
use super::request::{KERNEL_FLASH, KERNEL_SRAM, Owner, PartitionRequest, Request, Size};

/// Why no layout meets a request. The variants about a partition's size or
/// origin carry [`Alternatives`]: the nearest values with which the whole
/// request plans, found by planning again ([`super::nearest`]).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("board {0} has no MPU, so its partitions cannot be isolated")]
    NoMpu(String),
    #[error("partition {partition} is in memory {memory:?}, which board {board} does not have")]
    UnknownMemory {
        partition: String,
        memory: String,
        board: String,
    },
    #[error(
        "partition {partition} is in memory {memory}, a {kind} memory; {partition} must be in a \
         {expected} memory ({})",
        needs::why_kind(*owner, *kind, *expected)
    )]
    WrongKind {
        partition: String,
        owner: Owner,
        memory: String,
        kind: MemoryKind,
        expected: MemoryKind,
    },
    #[error(
        "partition {partition} in memory {memory} would reach {} in the System region \
         (0xe0000000 and up: Execute Never, and the MPU does not apply to the Private \
         Peripheral Bus, ARMv7-M ARM B3.1 and B3.5), where no partition can live",
        format_range(range)
    )]
    SystemRegion {
        partition: String,
        memory: String,
        /// The partition's range at a fixed origin, otherwise its memory's.
        range: Range<u64>,
    },
    #[error(
        "partition {partition}: {what} {} is not a multiple of the {GRANULE}-byte MPU \
         granule, so no MPU region can grant it exactly{alternatives}",
        if *what == "origin" { format!("{value:#010x}") } else { format!("{value} bytes") }
    )]
    OffGranule {
        partition: String,
        /// `size` or `origin`.
        what: &'static str,
        value: u64,
        alternatives: Box<Alternatives>,
    },
    #[error(
        "partition {partition}: {}, below the minimum of {minimum} bytes: {holds}{alternatives}",
        if *rest {
            format!("`{key}` = \"rest\" leaves it {value} bytes")
        } else {
            format!("`{key}` = {value} bytes is too small")
        }
    )]
    TooSmall {
        partition: String,
        /// The `mcu-build.toml` `[layout]` key (the board's `[partitions]`
        /// key) that sets the value.
        key: String,
        value: u64,
        /// Whether the value is what a `rest` partition was left with.
        rest: bool,
        minimum: u64,
        /// What the minimum is made of.
        holds: String,
        alternatives: Box<Alternatives>,
    },
    #[error(
        "{partitions} user partitions need at least one MPU region each, but only {available} \
         are left after the kernel's {kernel} of {hardware}"
    )]
    TooFewRegions {
        partitions: usize,
        available: usize,
        kernel: u8,
        hardware: u8,
    },
    #[error(
        "memory {memory} ({length} bytes) cannot hold {partitions}: together {needed} bytes \
         before alignment, {} too many{alternatives}",
        needed - length
    )]
    DoesNotFit {
        memory: String,
        length: u64,
        partitions: String,
        needed: u64,
        alternatives: Box<Alternatives>,
    },
    #[error(
        "partition {partition}: origin {origin:#010x} + {size} bytes is outside memory {memory} ({}){alternatives}",
        format_range(memory_range)
    )]
    OriginOutsideMemory {
        partition: String,
        origin: u32,
        size: u64,
        memory: String,
        memory_range: Range<u64>,
        alternatives: Box<Alternatives>,
    },
    #[error(
        "partition {partition} ({}) cannot be placed where the MPU region(s) left for it \
         (at most {allowed}) grant it exactly, anywhere in the free window {}{alternatives}",
        if *size == 0 { "rest".to_owned() } else { format!("{size} bytes") },
        format_range(window)
    )]
    NotCoverable {
        partition: String,
        size: u64,
        allowed: usize,
        window: Range<u64>,
        alternatives: Box<Alternatives>,
    },
    #[error(
        "partition {partition}: {size} bytes at the fixed origin {origin:#010x} need {} MPU \
         regions, {allowed} allowed{alternatives}",
        needed.map_or("more".to_owned(), |n| n.to_string())
    )]
    FixedOriginNotCoverable {
        partition: String,
        origin: u32,
        size: u64,
        allowed: usize,
        needed: Option<usize>,
        alternatives: Box<Alternatives>,
    },
    #[error(
        "the user partitions need more MPU regions than the {available} left for them: {needs}{alternatives}"
    )]
    BudgetExhausted {
        available: usize,
        /// The fewest regions each memory's user partitions can be
        /// covered with, by name.
        needs: String,
        alternatives: Box<Alternatives>,
    },
    #[error(
        "partition {partition} at its fixed origin {origin:#010x} overlaps the partitions \
         placed below it, which end at {cursor:#010x}{alternatives}"
    )]
    OriginConflict {
        partition: String,
        origin: u32,
        cursor: u64,
        alternatives: Box<Alternatives>,
    },
    #[error("the request has no {0} partition")]
    Missing(&'static str),
}

/// Plans `request` on `board`. When no layout meets it, the error names
/// the failing partition and constraint, with the nearest values that plan.
pub fn plan(board: &Board, request: &Request) -> Result<Plan, PlanError> {
    plan_only(board, request).map_err(|error| nearest::explain(board, request, error))
}

/// [`plan`] without looking for alternatives on failure: what the search
/// for them retries.
pub fn plan_only(board: &Board, request: &Request) -> Result<Plan, PlanError> {
    let mpu = board
        .mpu
        .ok_or_else(|| PlanError::NoMpu(board.name.to_string()))?;
    let budget = RegionBudget {
        hardware: mpu.regions,
        kernel_reserved: mpu.kernel_regions,
    };
    for p in &request.partitions {
        if board.memory(&p.memory).is_none() {
            return Err(PlanError::UnknownMemory {
                partition: p.name.clone(),
                memory: p.memory.clone(),
                board: board.name.to_string(),
            });
        }
    }
    needs::check_request(board, request)?;
    let user_count = request
        .partitions
        .iter()
        .filter(|p| p.owner == Owner::User)
        .count();
    if user_count > budget.for_user() {
        return Err(PlanError::TooFewRegions {
            partitions: user_count,
            available: budget.for_user(),
            kernel: mpu.kernel_regions,
            hardware: mpu.regions,
        });
    }

    // Per memory: the best placement for each number of regions.
    // Partitions lie below the System region, even in a memory that
    // crosses into it.
    let usable: Vec<Memory> = board.memories.iter().map(needs::usable).collect();
    let groups: Vec<(&Memory, Vec<&PartitionRequest>)> = usable
        .iter()
        .map(|m| {
            let parts = request
                .partitions
                .iter()
                .filter(|p| p.memory == m.name)
                .collect();
            (m, parts)
        })
        .filter(|(_, parts): &(_, Vec<_>)| !parts.is_empty())
        .collect();
    let minimum: Vec<usize> = groups.iter().map(|(_, parts)| users(parts)).collect();
    let total_minimum: usize = minimum.iter().sum();
    let mut options = Vec::new();
    for (i, (memory, parts)) in groups.iter().enumerate() {
        let spare = budget.for_user() - total_minimum;
        options.push(memory_options(
            mpu.arch,
            memory,
            parts,
            minimum[i] + spare,
            request,
        )?);
    }
    let chosen = choose(&options, budget.for_user()).ok_or_else(|| PlanError::BudgetExhausted {
        available: budget.for_user(),
        needs: region_needs(&groups, &options),
        alternatives: Default::default(),
    })?;

    let mut partitions = Vec::new();
    let mut gaps = Vec::new();
    let mut next_region = 0u8;
    for ((memory, parts), placement) in groups.iter().zip(chosen) {
        gaps.extend(placement.gaps.iter().copied());
        let mut placed: Vec<_> = placement.placed.iter().collect();
        placed.sort_by_key(|p| p.range.start);
        for p in placed {
            let request = parts[p.index];
            partitions.push(build_partition(
                mpu.arch,
                memory,
                request,
                p,
                &mut next_region,
            ));
        }
    }
    let kernel_heap = kernel_heap(&partitions, request.kernel_heap)?;
    let loss_bytes: u64 = gaps.iter().map(AddressRange::len).sum();
    let memory_bytes: u64 = groups.iter().map(|(m, _)| m.length).sum();
    Ok(Plan {
        board: board.name.to_string(),
        arch: mpu.arch,
        budget,
        mair0: (mpu.arch == Arch::Armv8m).then_some(armv8m::MAIR0),
        partitions,
        kernel_heap,
        loss: Loss {
            bytes: loss_bytes,
            percent: loss_bytes as f64 * 100.0 / memory_bytes as f64,
            gaps,
        },
    })
}

/// For each memory with user partitions, the fewest regions they can be
/// covered with, in words.
fn region_needs(
    groups: &[(&Memory, Vec<&PartitionRequest>)],
    options: &[Vec<Option<Placement>>],
) -> String {
    let needs: Vec<String> = groups
        .iter()
        .zip(options)
        .filter(|((_, parts), _)| users(parts) > 0)
        .map(|((memory, parts), options)| {
            let names: Vec<&str> = parts
                .iter()
                .filter(|p| p.owner == Owner::User)
                .map(|p| p.name.as_str())
                .collect();
            let fewest = options.iter().position(Option::is_some);
            format!(
                "{} in memory {} need{} at least {}",
                names.join(", "),
                memory.name,
                if names.len() == 1 { "s" } else { "" },
                fewest.map_or("more".to_owned(), |n| n.to_string())
            )
        })
        .collect();
    needs.join("; ")
}

fn users(parts: &[&PartitionRequest]) -> usize {
    parts.iter().filter(|p| p.owner == Owner::User).count()
}

fn build_partition(
    arch: Arch,
    memory: &Memory,
    request: &PartitionRequest,
    placed: &Placed,
    next_region: &mut u8,
) -> Partition {
    let range = placed.range.clone();
    let regions = match request.owner {
        Owner::Kernel => Vec::new(),
        Owner::User => arch
            .cover(range.clone(), placed.allowed, memory.kind)
            .expect("the placement checked that the range is coverable")
            .into_iter()
            .map(|region| {
                let number =
                    RegionNumber::new(*next_region).expect("within the board's region count");
                *next_region += 1;
                PlannedRegion::new(number, region)
            })
            .collect(),
    };
    Partition {
        name: request.name.clone(),
        owner: request.owner,
        memory: memory.name.clone(),
        kind: memory.kind,
        start: range.start,
        end: range.end,
        size: range.end - range.start,
        access: match request.owner {
            Owner::Kernel => crate::mpu::Access::None,
            Owner::User => memory.kind.user_access(),
        },
        regions,
    }
}

/// The top `size` bytes of kernel SRAM, which the placement has checked
/// can hold it (see [`needs::minimum`]).
fn kernel_heap(partitions: &[Partition], size: u64) -> Result<AddressRange, PlanError> {
    let sram = partitions
        .iter()
        .find(|p| p.name == KERNEL_SRAM)
        .ok_or(PlanError::Missing(KERNEL_SRAM))?;
    Ok(AddressRange {
        start: sram.end - size.min(sram.size),
        end: sram.end,
    })
}

/// A partition placed in its memory.
#[derive(Clone, Debug)]
struct Placed {
    /// Index into the memory's partition list.
    index: usize,
    range: Range<u64>,
    /// Regions allowed to it (user partitions).
    allowed: usize,
}

/// One way to lay out a memory.
#[derive(Clone, Debug)]
struct Placement {
    placed: Vec<Placed>,
    gaps: Vec<AddressRange>,
    regions: usize,
}

impl Placement {
    fn loss(&self) -> u64 {
        self.gaps.iter().map(AddressRange::len).sum()
    }
}

/// For a memory, `options[k]` is the least-loss placement whose user
/// partitions use at most `k` regions, for `k` up to `max` (the search stops
/// once the loss is zero). The error, if no placement works at all, is the
/// one met in the requested order with the most regions.
fn memory_options(
    arch: Arch,
    memory: &Memory,
    parts: &[&PartitionRequest],
    max: usize,
    request: &Request,
) -> Result<Vec<Option<Placement>>, PlanError> {
    check_fits(memory, parts)?;
    let user_indices: Vec<usize> = (0..parts.len())
        .filter(|&i| parts[i].owner == Owner::User)
        .collect();
    let orders = orders(parts);
    let mut options: Vec<Option<Placement>> = vec![None; max + 1];
    let mut error = None;
    for total in user_indices.len()..=max {
        for allowances in allowance_vectors(user_indices.len(), total) {
            let mut allowed = vec![0; parts.len()];
            for (&i, &a) in user_indices.iter().zip(&allowances) {
                allowed[i] = a;
            }
            for order in &orders {
                match place(arch, memory, parts, order, &allowed, request) {
                    Ok(p) => {
                        let better = options[total].as_ref().is_none_or(|b| p.loss() < b.loss());
                        if better {
                            options[total] = Some(p);
                        }
                    }
                    Err(e) if Some(order) == orders.first() || error.is_none() => error = Some(e),
                    Err(_) => {}
                }
            }
        }
        // At most `total` regions: keep fewer if that loses no more.
        let previous = total.checked_sub(1).and_then(|t| options[t].clone());
        if let Some(previous) = previous
            && options[total]
                .as_ref()
                .is_none_or(|best| previous.loss() <= best.loss())
        {
            options[total] = Some(previous);
        }
        if options[total].as_ref().is_some_and(|p| p.loss() == 0) {
            break;
        }
    }
    match error {
        Some(e) if options.iter().all(Option::is_none) => Err(e),
        _ => Ok(options),
    }
}

/// The sum of the fixed sizes must fit before any alignment.
fn check_fits(memory: &Memory, parts: &[&PartitionRequest]) -> Result<(), PlanError> {
    let needed: u64 = parts
        .iter()
        .map(|p| match p.size {
            Size::Bytes(n) => n,
            Size::Rest => 0,
        })
        .sum();
    if needed > memory.length {
        let names: Vec<String> = parts
            .iter()
            .map(|p| format!("{} ({})", p.name, p.size))
            .collect();
        return Err(PlanError::DoesNotFit {
            memory: memory.name.clone(),
            length: memory.length,
            partitions: names.join(", "),
            needed,
            alternatives: Default::default(),
        });
    }
    Ok(())
}

/// Every way to split `total` regions among `n` user partitions, at least
/// one each.
fn allowance_vectors(n: usize, total: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return if total == 0 {
            vec![Vec::new()]
        } else {
            Vec::new()
        };
    }
    let mut out = Vec::new();
    for first in 1..=total.saturating_sub(n - 1) {
        for mut rest in allowance_vectors(n - 1, total - first) {
            rest.insert(0, first);
            out.push(rest);
        }
    }
    out
}

/// The orders worth trying: every permutation, except that kernel flash
/// without a fixed origin stays first, where the core fetches its vector
/// table at reset.
fn orders(parts: &[&PartitionRequest]) -> Vec<Vec<usize>> {
    let mut all: Vec<Vec<usize>> = vec![Vec::new()];
    for _ in 0..parts.len() {
        all = all
            .iter()
            .flat_map(|prefix| {
                (0..parts.len()).filter(|i| !prefix.contains(i)).map(|i| {
                    let mut next = prefix.clone();
                    next.push(i);
                    next
                })
            })
            .collect();
    }
    all.retain(|order| {
        order.iter().enumerate().all(|(position, &i)| {
            position == 0 || parts[i].name != KERNEL_FLASH || parts[i].origin.is_some()
        })
    });
    all
}

/// Lays out `parts` in `order` (see the module documentation).
fn place(
    arch: Arch,
    memory: &Memory,
    parts: &[&PartitionRequest],
    order: &[usize],
    allowed: &[usize],
    request: &Request,
) -> Result<Placement, PlanError> {
    let rest_at = order.iter().position(|&i| parts[i].size == Size::Rest);
    let (upward, downward) = match rest_at {
        Some(r) => (&order[..r], &order[r + 1..]),
        None => (order, &order[..0]),
    };
    let mut placed = Vec::new();
    let mut gaps = Vec::new();
    let mut low = u64::from(memory.origin);
    for &i in upward {
        let range = place_up(arch, memory, parts[i], low, allowed[i])?;
        if range.start > low {
            gaps.push(AddressRange {
                start: low,
                end: range.start,
            });
        }
        let reach = reach(parts[i], range.end);
        if reach > range.end {
            gaps.push(AddressRange {
                start: range.end,
                end: reach,
            });
        }
        low = reach;
        placed.push(Placed {
            index: i,
            range,
            allowed: allowed[i],
        });
    }
    let mut high = memory.end();
    for &i in downward.iter().rev() {
        let range = place_down(arch, memory, parts[i], low, high, allowed[i])?;
        if range.end < high {
            gaps.push(AddressRange {
                start: range.end,
                end: high,
            });
        }
        high = range.start;
        placed.push(Placed {
            index: i,
            range,
            allowed: allowed[i],
        });
    }
    if let Some(r) = rest_at {
        let i = order[r];
        let window = low..high;
        let range = match parts[i].owner {
            Owner::Kernel => {
                align_up(low, GRANULE)..align_down(high, GRANULE).max(align_up(low, GRANULE))
            }
            Owner::User => {
                let s = arch
                    .largest_inside(window.clone(), allowed[i])
                    .ok_or_else(|| PlanError::NotCoverable {
                        partition: parts[i].name.clone(),
                        size: 0,
                        allowed: allowed[i],
                        window: window.clone(),
                        alternatives: Default::default(),
                    })?;
                s.start..s.end
            }
        };
        // What `rest` leaves must hold what the firmware puts there.
        needs::check_size(parts[i], request, range.end - range.start, true)?;
        if range.start > low {
            gaps.push(AddressRange {
                start: low,
                end: range.start,
            });
        }
        if range.end < high {
            gaps.push(AddressRange {
                start: range.end,
                end: high,
            });
        }
        placed.push(Placed {
            index: i,
            range,
            allowed: allowed[i],
        });
    }
    gaps.sort_by_key(|g| g.start);
    let gaps = gaps
        .into_iter()
        .fold(Vec::new(), |mut merged: Vec<AddressRange>, gap| {
            match merged.last_mut() {
                Some(last) if last.end == gap.start => last.end = gap.end,
                _ => merged.push(gap),
            }
            merged
        });
    let regions = allowed.iter().sum();
    Ok(Placement {
        placed,
        gaps,
        regions,
    })
}

/// Where the slot of `p`, ending at `end`, ends: a kernel partition's is
/// rounded up to a whole granule, so that the next partition starts on one
/// (where a user partition must start anyway) and whether a kernel size
/// plans depends only on the granules it takes and on its minimum, which
/// lets [`nearest`] step through kernel sizes a granule at a time.
fn reach(p: &PartitionRequest, end: u64) -> u64 {
    match p.owner {
        Owner::Kernel => align_up(end, GRANULE),
        Owner::User => end,
    }
}

fn fixed_size(p: &PartitionRequest) -> u64 {
    match p.size {
        Size::Bytes(n) => n,
        Size::Rest => 0,
    }
}

/// Places `p` at or above `low`.
fn place_up(
    arch: Arch,
    memory: &Memory,
    p: &PartitionRequest,
    low: u64,
    allowed: usize,
) -> Result<Range<u64>, PlanError> {
    let size = fixed_size(p);
    if let Some(origin) = p.origin {
        return place_fixed(arch, memory, p, origin, low, allowed);
    }
    let fits = |start: u64| reach(p, start + size) <= memory.end();
    let start = match p.owner {
        Owner::Kernel => Some(align_up(low, GRANULE)).filter(|&s| fits(s)),
        Owner::User => lowest_origin(arch, low, size, allowed).filter(|&s| fits(s)),
    };
    let start = start.ok_or_else(|| not_coverable(p, low..memory.end(), allowed))?;
    Ok(start..start + size)
}

/// Places `p` below `high`, not under `low`.
fn place_down(
    arch: Arch,
    memory: &Memory,
    p: &PartitionRequest,
    low: u64,
    high: u64,
    allowed: usize,
) -> Result<Range<u64>, PlanError> {
    let size = fixed_size(p);
    if let Some(origin) = p.origin {
        let range = place_fixed(arch, memory, p, origin, low, allowed)?;
        return if reach(p, range.end) <= high {
            Ok(range)
        } else {
            Err(PlanError::OriginConflict {
                partition: p.name.clone(),
                origin,
                cursor: high,
                alternatives: Default::default(),
            })
        };
    }
    let top = high.checked_sub(reach(p, size)).filter(|&t| t >= low);
    let start = top.and_then(|top| match p.owner {
        Owner::Kernel => Some(align_down(top, GRANULE)).filter(|&s| s >= low),
        Owner::User => highest_origin(arch, top, low, size, allowed),
    });
    let start = start.ok_or_else(|| not_coverable(p, low..high, allowed))?;
    Ok(start..start + size)
}

fn place_fixed(
    arch: Arch,
    memory: &Memory,
    p: &PartitionRequest,
    origin: u32,
    low: u64,
    allowed: usize,
) -> Result<Range<u64>, PlanError> {
    let size = fixed_size(p);
    let range = u64::from(origin)..u64::from(origin) + size;
    if range.start < u64::from(memory.origin) || reach(p, range.end) > memory.end() {
        return Err(PlanError::OriginOutsideMemory {
            partition: p.name.clone(),
            origin,
            size,
            memory: memory.name.clone(),
            memory_range: u64::from(memory.origin)..memory.end(),
            alternatives: Default::default(),
        });
    }
    if range.start < low {
        return Err(PlanError::OriginConflict {
            partition: p.name.clone(),
            origin,
            cursor: low,
            alternatives: Default::default(),
        });
    }
    if p.owner == Owner::User {
        let needed = arch.regions_needed(range.clone());
        if needed.is_none_or(|n| n > allowed) {
            return Err(PlanError::FixedOriginNotCoverable {
                partition: p.name.clone(),
                origin,
                size,
                allowed,
                needed,
                alternatives: Default::default(),
            });
        }
    }
    Ok(range)
}

fn not_coverable(p: &PartitionRequest, window: Range<u64>, allowed: usize) -> PlanError {
    PlanError::NotCoverable {
        partition: p.name.clone(),
        size: fixed_size(p),
        allowed,
        window,
        alternatives: Default::default(),
    }
}

/// The lowest origin at or above `low`, among `low` rounded up to every
/// region size, where `size` bytes are coverable with `allowed` regions.
fn lowest_origin(arch: Arch, low: u64, size: u64, allowed: usize) -> Option<u64> {
    origins_above(low).find(|&o| {
        arch.regions_needed(o..o + size)
            .is_some_and(|n| n <= allowed)
    })
}

/// `low` rounded up to every region size (32 bytes to 4 GiB), lowest
/// first: where a region of each size could begin at or above `low`.
pub(crate) fn origins_above(low: u64) -> impl Iterator<Item = u64> {
    (5..=32).map(move |log2| align_up(low, 1 << log2))
}

/// The highest origin at or below `top` and not under `low`, among `top`
/// rounded down to every region size, where `size` bytes are coverable.
fn highest_origin(arch: Arch, top: u64, low: u64, size: u64, allowed: usize) -> Option<u64> {
    (5..=32)
        .map(|log2| align_down(top, 1 << log2))
        .take_while(|&o| o >= low)
        .find(|&o| {
            arch.regions_needed(o..o + size)
                .is_some_and(|n| n <= allowed)
        })
}

/// The per-memory region counts with the least total loss within `budget`
/// (fewer regions on a tie), or `None` if no combination fits.
fn choose(options: &[Vec<Option<Placement>>], budget: usize) -> Option<Vec<Placement>> {
    // best[b]: (loss, regions, choice per memory so far) using at most b regions.
    let mut best: Vec<Option<(u64, usize, Vec<usize>)>> =
        vec![Some((0, 0, Vec::new())); budget + 1];
    for memory_options in options {
        let mut next: Vec<Option<(u64, usize, Vec<usize>)>> = vec![None; budget + 1];
        for (b, slot) in next.iter_mut().enumerate() {
            for (k, option) in memory_options.iter().enumerate().take(b + 1) {
                let (Some(placement), Some((loss, regions, picks))) = (option, &best[b - k]) else {
                    continue;
                };
                let candidate = (loss + placement.loss(), regions + placement.regions);
                if slot.as_ref().is_none_or(|(l, r, _)| candidate < (*l, *r)) {
                    let mut picks = picks.clone();
                    picks.push(k);
                    *slot = Some((candidate.0, candidate.1, picks));
                }
            }
        }
        best = next;
    }
    let (_, _, picks) = best[budget].as_ref()?;
    options
        .iter()
        .zip(picks)
        .map(|(o, &k)| o[k].clone())
        .collect()
}
