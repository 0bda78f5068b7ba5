//! Placing the processes' pieces: in one memory every process's flash, in
//! another (or the same) every process's RAM partition, each at an origin
//! where the MPU regions left to it grant its covered part exactly.
//!
//! # The model
//!
//! A *piece* is a covered part (flash, or RAM below the grant) followed by
//! an uncovered *tail* (the grant region, kernel-owned; none for flash).
//! The pieces of a memory are packed upward from the start of its free
//! window (after the kernel's partition there): a piece needs an origin at
//! which its covered part is exactly coverable with the regions allowed to
//! it, and the gap that skipping to such an origin leaves is alignment
//! loss. The loss of a memory is the top of its packed pieces minus the
//! window start minus their bytes; what lies above the top stays free.
//!
//! Every process may use the whole per-process budget `B` (the kernel
//! reprograms the MPU at each switch), split between its flash (`a`
//! regions) and its RAM (`B - a`).
//!
//! # Why greedy packing is optimal for a given order and split
//!
//! For a piece, the set of origins where it is coverable is fixed, so the
//! earliest such origin at or above a cursor never decreases when the
//! cursor rises. Placing each piece at its earliest origin therefore keeps
//! every later cursor as low as any placement in the same order can, and
//! the top as well: the least loss of an order and a split is the greedy
//! one. [`EXACT_PROCESSES`] processes or fewer are searched over every
//! order in each memory and every split of every process, so when the
//! earliest origins are exact (below) the result is the least loss over
//! all placements; `tests/process_plan.rs` checks it against a search over
//! every granule origin on small boards. Above that the search is a local
//! one: splits and pairwise swaps of the order, from largest-first, kept
//! while they lower the loss, then while they lower the regions at that
//! loss. That is a heuristic, not a proof of the least loss. Exactness of
//! the covers never depends on the search: every piece is placed only
//! where its cover is exact, and [`super::verify`] proves the result.
//!
//! The earliest origin is exact when it lies within [`SCAN_GRANULES`]
//! granules of the cursor (every granule is tried); beyond, it is the
//! earliest among the cursor rounded up to every region size
//! ([`crate::layout::planner::origins_above`]), as the partition planner
//! does, and the origins that put the piece's end on every region size.
//! Between placements of equal loss the search takes the one whose covers
//! use the fewest regions.

use std::collections::HashMap;
use std::ops::Range;

use crate::layout::planner::origins_above;
use crate::mpu::{Arch, GRANULE, align_up};

/// Up to this many processes the search tries every order and split.
pub const EXACT_PROCESSES: usize = 3;

/// Origins this many granules above the cursor are all tried.
pub const SCAN_GRANULES: u64 = 64;

/// Rounds of the local search above [`EXACT_PROCESSES`] processes.
const ROUNDS: usize = 32;

/// One process's part of a memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Bytes the MPU grants the process exactly (a multiple of 32).
    pub covered: u64,
    /// Bytes above them that belong to the kernel (the grant region).
    pub tail: u64,
}

impl Piece {
    pub fn len(&self) -> u64 {
        self.covered + self.tail
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The pieces of one memory and the window they go in.
#[derive(Clone, Debug)]
pub struct Memory<'a> {
    pub window: Range<u64>,
    pub pieces: &'a [Piece],
}

/// Where each piece of a memory went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packed {
    /// Origin of every piece, by process index.
    pub origins: Vec<u64>,
    pub loss: u64,
    /// The regions the pieces' exact covers take at those origins, all
    /// together: between placements of equal loss the fewer the better, as
    /// the kernel writes them at every switch.
    pub regions: usize,
}

impl Packed {
    /// What the search minimises: the loss, then the regions.
    fn cost(&self) -> (u64, usize) {
        (self.loss, self.regions)
    }
}

/// The chosen placement of both memories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub flash: Packed,
    pub ram: Packed,
    /// Regions allowed to each process's flash; its RAM has the rest.
    pub flash_regions: Vec<usize>,
}

impl Placement {
    pub fn loss(&self) -> u64 {
        self.flash.loss + self.ram.loss
    }

    fn cost(&self) -> (u64, usize) {
        (self.loss(), self.flash.regions + self.ram.regions)
    }
}

/// Which memory no split and order could pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unplaceable {
    Flash,
    Ram,
}

/// The least-loss placement of `flash` and `ram` pieces (one of each per
/// process, in process order) with `budget` regions per process.
pub fn place(
    arch: Arch,
    budget: usize,
    flash: &Memory,
    ram: &Memory,
) -> Result<Placement, Unplaceable> {
    let mut search = Search {
        flash: Packer::new(arch, flash),
        ram: Packer::new(arch, ram),
        budget,
    };
    if flash.pieces.len() <= EXACT_PROCESSES {
        search.exhaustive()
    } else {
        search.local()
    }
}

/// The earliest coverable origins, remembered per cursor and size.
struct Packer<'a> {
    arch: Arch,
    memory: &'a Memory<'a>,
    /// (cursor, covered bytes) -> origins at which fewer regions suffice
    /// than at every origin before, with the regions they need, lowest
    /// origin first.
    origins: HashMap<(u64, u64), Vec<(u64, usize)>>,
}

impl<'a> Packer<'a> {
    fn new(arch: Arch, memory: &'a Memory<'a>) -> Self {
        Packer {
            arch,
            memory,
            origins: HashMap::new(),
        }
    }

    /// The earliest origin at or above `low` where `covered` bytes need at
    /// most `allowed` regions, and the regions they need there.
    fn earliest(&mut self, low: u64, covered: u64, allowed: usize) -> Option<(u64, usize)> {
        let arch = self.arch;
        let end = self.memory.window.end;
        let frontier = self.origins.entry((low, covered)).or_insert_with(|| {
            let scanned = (0..SCAN_GRANULES).map(|g| low + g * GRANULE);
            // Origins at which the end, not the start, is aligned.
            let end_aligned = origins_above(low + covered).map(|end| end - covered);
            let mut candidates: Vec<u64> = scanned
                .chain(origins_above(low))
                .chain(end_aligned)
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            let mut frontier: Vec<(u64, usize)> = Vec::new();
            for origin in candidates {
                if origin + covered > end {
                    break;
                }
                let Some(needed) = arch.regions_needed(origin..origin + covered) else {
                    continue;
                };
                if frontier.last().is_none_or(|&(_, fewest)| needed < fewest) {
                    frontier.push((origin, needed));
                    if needed == 1 {
                        // No later origin can need fewer.
                        break;
                    }
                }
            }
            frontier
        });
        frontier
            .iter()
            .find(|&&(_, needed)| needed <= allowed)
            .copied()
    }

    /// Packs the pieces in `order`, piece `i` with `allowed[i]` regions.
    fn pack(&mut self, order: &[usize], allowed: &[usize]) -> Option<Packed> {
        let window = self.memory.window.clone();
        let pieces = self.memory.pieces;
        let mut origins = vec![0; pieces.len()];
        let mut cursor = align_up(window.start, GRANULE);
        let mut regions = 0;
        for &i in order {
            let (origin, needed) = self.earliest(cursor, pieces[i].covered, allowed[i])?;
            cursor = origin + pieces[i].len();
            if cursor > window.end {
                return None;
            }
            origins[i] = origin;
            regions += needed;
        }
        let bytes: u64 = pieces.iter().map(Piece::len).sum();
        Some(Packed {
            origins,
            loss: cursor - window.start - bytes,
            regions,
        })
    }
}

struct Search<'a> {
    flash: Packer<'a>,
    ram: Packer<'a>,
    budget: usize,
}

impl Search<'_> {
    /// Every split and every order of each memory.
    fn exhaustive(&mut self) -> Result<Placement, Unplaceable> {
        let n = self.flash.memory.pieces.len();
        let orders = permutations(n);
        let mut flash_best: HashMap<Vec<usize>, Option<Packed>> = HashMap::new();
        let mut ram_best: HashMap<Vec<usize>, Option<Packed>> = HashMap::new();
        let mut best: Option<Placement> = None;
        let mut flash_ok = false;
        for split in splits(n, self.budget) {
            let rest: Vec<usize> = split.iter().map(|a| self.budget - a).collect();
            let flash = flash_best
                .entry(split.clone())
                .or_insert_with(|| best_order(&mut self.flash, &orders, &split))
                .clone();
            let ram = ram_best
                .entry(rest.clone())
                .or_insert_with(|| best_order(&mut self.ram, &orders, &rest))
                .clone();
            flash_ok |= flash.is_some();
            if let (Some(flash), Some(ram)) = (flash, ram) {
                let candidate = Placement {
                    flash,
                    ram,
                    flash_regions: split,
                };
                if best.as_ref().is_none_or(|b| candidate.cost() < b.cost()) {
                    best = Some(candidate);
                }
            }
        }
        best.ok_or(if flash_ok {
            Unplaceable::Ram
        } else {
            Unplaceable::Flash
        })
    }

    /// A local search from largest-first orders (see the module docs).
    fn local(&mut self) -> Result<Placement, Unplaceable> {
        let n = self.flash.memory.pieces.len();
        let by_size = |pieces: &[Piece]| {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&i| (std::cmp::Reverse(pieces[i].covered), i));
            order
        };
        let mut flash_order = by_size(self.flash.memory.pieces);
        let mut ram_order = by_size(self.ram.memory.pieces);
        // Start from the first even split that packs both memories.
        let mut start = None;
        let mut flash_ok = false;
        let half = (self.budget / 2).max(1);
        for a in std::iter::once(half).chain(1..self.budget) {
            let split = vec![a; n];
            let flash = self.flash.pack(&flash_order, &split);
            let ram = self.ram.pack(&ram_order, &rest_of(&split, self.budget));
            flash_ok |= flash.is_some();
            if let (Some(flash), Some(ram)) = (flash, ram) {
                start = Some(Placement {
                    flash,
                    ram,
                    flash_regions: split,
                });
                break;
            }
        }
        let Some(mut best) = start else {
            return Err(if flash_ok {
                Unplaceable::Ram
            } else {
                Unplaceable::Flash
            });
        };
        // First the loss alone, then, at that loss, the regions.
        for by_regions in [false, true] {
            for _ in 0..ROUNDS {
                if !by_regions && best.loss() == 0 {
                    break;
                }
                let before = best.cost();
                for i in 0..n {
                    for a in 1..self.budget {
                        let mut split = best.flash_regions.clone();
                        split[i] = a;
                        self.try_candidate(&mut best, &flash_order, &ram_order, split, by_regions);
                    }
                }
                for which in [Unplaceable::Flash, Unplaceable::Ram] {
                    for i in 0..n {
                        for j in i + 1..n {
                            let (mut f, mut r) = (flash_order.clone(), ram_order.clone());
                            match which {
                                Unplaceable::Flash => f.swap(i, j),
                                Unplaceable::Ram => r.swap(i, j),
                            }
                            let split = best.flash_regions.clone();
                            if self.try_candidate(&mut best, &f, &r, split, by_regions) {
                                (flash_order, ram_order) = (f, r);
                            }
                        }
                    }
                }
                if best.cost() == before {
                    break;
                }
            }
        }
        Ok(best)
    }

    /// Packs with `split` and the orders; keeps it in `best` if it loses
    /// less or, `by_regions`, as much with fewer regions.
    fn try_candidate(
        &mut self,
        best: &mut Placement,
        flash_order: &[usize],
        ram_order: &[usize],
        split: Vec<usize>,
        by_regions: bool,
    ) -> bool {
        let Some(flash) = self.flash.pack(flash_order, &split) else {
            return false;
        };
        let Some(ram) = self.ram.pack(ram_order, &rest_of(&split, self.budget)) else {
            return false;
        };
        let better = if by_regions {
            (flash.loss + ram.loss, flash.regions + ram.regions) < best.cost()
        } else {
            flash.loss + ram.loss < best.loss()
        };
        if better {
            *best = Placement {
                flash,
                ram,
                flash_regions: split,
            };
            return true;
        }
        false
    }
}

/// The regions each process's RAM has when its flash has `split`.
fn rest_of(split: &[usize], budget: usize) -> Vec<usize> {
    split.iter().map(|a| budget - a).collect()
}

/// The least-loss order of a memory for one split.
fn best_order(packer: &mut Packer, orders: &[Vec<usize>], allowed: &[usize]) -> Option<Packed> {
    orders
        .iter()
        .filter_map(|order| packer.pack(order, allowed))
        .min_by_key(Packed::cost)
}

/// Every order of `n` indices.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut all: Vec<Vec<usize>> = vec![Vec::new()];
    for _ in 0..n {
        all = all
            .iter()
            .flat_map(|prefix| {
                (0..n).filter(|i| !prefix.contains(i)).map(|i| {
                    let mut next = prefix.clone();
                    next.push(i);
                    next
                })
            })
            .collect();
    }
    all
}

/// Every vector of `n` flash region counts, each from 1 to `budget - 1`
/// (so that the RAM keeps at least one).
fn splits(n: usize, budget: usize) -> Vec<Vec<usize>> {
    let mut all: Vec<Vec<usize>> = vec![Vec::new()];
    for _ in 0..n {
        all = all
            .iter()
            .flat_map(|prefix| {
                (1..budget).map(|a| {
                    let mut next = prefix.clone();
                    next.push(a);
                    next
                })
            })
            .collect();
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armv8m_packs_back_to_back_with_no_loss() {
        let pieces = [
            Piece {
                covered: 96,
                tail: 32,
            },
            Piece {
                covered: 1024,
                tail: 0,
            },
        ];
        let memory = Memory {
            window: 0x1000..0x2000,
            pieces: &pieces,
        };
        let placed = place(Arch::Armv8m, 2, &memory, &memory.clone()).unwrap();
        assert_eq!(placed.loss(), 0);
        let mut origins = placed.flash.origins.clone();
        origins.sort_unstable();
        assert!(origins == [0x1000, 0x1080] || origins == [0x1000, 0x1400]);
    }

    #[test]
    fn one_region_needs_subregion_alignment_on_armv7m() {
        // 4 KiB with one region: enabled 1 KiB subregions of an 8 KiB
        // region, so a multiple of 1 KiB (512-byte subregions of a 4 KiB
        // region cannot hold it anywhere but at a multiple of 4 KiB).
        let pieces = [Piece {
            covered: 0x1000,
            tail: 0,
        }];
        let memory = Memory {
            window: 0x20..0x4000,
            pieces: &pieces,
        };
        let placed = place(Arch::Armv7m, 2, &memory, &memory.clone()).unwrap();
        assert_eq!(placed.flash.origins, [0x400]);
        assert_eq!(placed.flash.loss, 0x3e0);
        // With three regions for it: 0x200..0x1000 (512-byte subregions
        // of a 4 KiB region) and 0x1000..0x1200, one region each.
        let placed = place(Arch::Armv7m, 4, &memory, &memory.clone()).unwrap();
        assert_eq!(placed.flash.origins, [0x200]);
        assert_eq!(placed.flash.loss, 0x1e0);
    }

    #[test]
    fn a_memory_too_small_is_named() {
        let big = [Piece {
            covered: 0x800,
            tail: 0,
        }];
        let small = Memory {
            window: 0..0x400,
            pieces: &big,
        };
        let fits = Memory {
            window: 0..0x1000,
            pieces: &big,
        };
        assert_eq!(
            place(Arch::Armv8m, 2, &small, &fits),
            Err(Unplaceable::Flash)
        );
        assert_eq!(place(Arch::Armv8m, 2, &fits, &small), Err(Unplaceable::Ram));
    }
}
