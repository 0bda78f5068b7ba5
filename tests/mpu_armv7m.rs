//! The ARMv7-M cover, checked the way the hardware would see it: every cover
//! is encoded to RBAR/RASR, decoded back, and the bytes the decoded regions
//! grant must be exactly the requested range; the region count is checked
//! against an independent exhaustive search.

#[path = "mpu_support/random.rs"]
mod random;

use std::ops::Range;

use mcu_build::mpu::armv7m::{self, Block, Region};
use mcu_build::mpu::{Access, MemoryKind, RegionNumber};

const GRANULE: u64 = 32;

/// The bytes that `blocks`, programmed as regions 0.. and decoded from their
/// register values, grant to unprivileged code, as sorted merged ranges.
fn granted_after_round_trip(blocks: &[Block], memory: MemoryKind) -> Vec<Range<u64>> {
    let mut ranges: Vec<Range<u64>> = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        // Covers of random 4 GiB ranges may need more than 16 regions; the
        // number does not change what a region grants.
        let number = RegionNumber::new((i % 16) as u8).expect("below 16");
        let region = Region::user(*block, memory);
        let decoded = region
            .encode(number)
            .decode(number)
            .expect("our own encoding decodes")
            .expect("and is enabled");
        assert_eq!(decoded, region, "decode(encode(r)) == r");
        assert_eq!(decoded.unprivileged_access(), memory.user_access());
        ranges.extend(decoded.granted());
    }
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if last.end >= r.start => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

fn assert_exact(range: &Range<u64>, blocks: &[Block]) {
    let granted = granted_after_round_trip(blocks, MemoryKind::Ram);
    assert_eq!(
        granted,
        std::slice::from_ref(range),
        "cover of {range:x?}: {blocks:x?}"
    );
}

#[test]
fn every_aligned_range_in_64k_is_covered_exactly_with_up_to_3_regions() {
    const SPACE: u64 = 64 * 1024;
    // covered[i]: ranges that fit in i + 1 regions.
    let mut covered = [0usize; 3];
    for start in (0..SPACE).step_by(GRANULE as usize) {
        for end in (start + GRANULE..=SPACE).step_by(GRANULE as usize) {
            let range = start..end;
            let needed = armv7m::regions_needed(range.clone()).unwrap();
            for (fits, max) in covered.iter_mut().zip(1..) {
                match armv7m::cover(range.clone(), max) {
                    Ok(blocks) => {
                        assert!(needed <= max);
                        assert_eq!(blocks.len(), needed, "{range:x?}");
                        assert_exact(&range, &blocks);
                        *fits += 1;
                    }
                    Err(err) => {
                        assert!(needed > max, "{range:x?} fits {needed} but failed: {err}");
                        assert_eq!(err.needed, Some(needed));
                    }
                }
            }
        }
    }
    // One region: exactly the distinct intervals a single block can grant,
    // counted independently from the block geometry.
    assert_eq!(covered[0], single_region_intervals(SPACE).len());
    assert!(covered[0] < covered[1] && covered[1] < covered[2]);
}

/// Every interval one region grants inside `space`: a whole small block, or
/// a run of consecutive enabled subregions of a block of 256 bytes or more.
fn single_region_intervals(space: u64) -> std::collections::BTreeSet<(u64, u64)> {
    let mut intervals = std::collections::BTreeSet::new();
    for size_log2 in 5..=space.trailing_zeros() {
        let size = 1u64 << size_log2;
        for base in (0..space).step_by(size as usize) {
            if size_log2 < 8 {
                intervals.insert((base, base + size));
                continue;
            }
            let sub = size / 8;
            for first in 0..8 {
                for last in first + 1..=8 {
                    intervals.insert((base + first * sub, base + last * sub));
                }
            }
        }
    }
    intervals
}

/// The fewest regions covering the granule mask `target` exactly, by
/// exhaustive search: some region must grant the lowest uncovered granule;
/// try each (per size, the block containing it with every subregion inside
/// `target` enabled) and recurse. Independent of the greedy sweep.
fn fewest_regions(target: u128, covered: u128, space_log2: u8, budget: usize) -> Option<usize> {
    if covered == target {
        return Some(0);
    }
    if budget == 0 {
        return None;
    }
    let lowest = (target & !covered).trailing_zeros() as u64;
    let mut best: Option<usize> = None;
    for size_log2 in 5..=space_log2 {
        let granules = 1u64 << (size_log2 - 5);
        let base = lowest / granules * granules;
        let sub = if size_log2 >= 8 {
            granules / 8
        } else {
            granules
        };
        let mut grant = 0u128;
        for s in (base..base + granules).step_by(sub as usize) {
            let mask = ((1u128 << sub) - 1) << s;
            if target & mask == mask {
                grant |= mask;
            }
        }
        if grant & (1 << lowest) == 0 {
            continue;
        }
        if let Some(n) = fewest_regions(target, covered | grant, space_log2, budget - 1) {
            best = Some(best.map_or(n + 1, |b: usize| b.min(n + 1)));
        }
    }
    best
}

#[test]
fn the_cover_uses_the_fewest_regions_in_a_4k_space() {
    const GRANULES: u64 = 128; // 4 KiB
    for first in 0..GRANULES {
        for last in first + 1..=GRANULES {
            let target = if last - first == 128 {
                u128::MAX
            } else {
                ((1u128 << (last - first)) - 1) << first
            };
            let range = first * GRANULE..last * GRANULE;
            let needed = armv7m::regions_needed(range.clone()).unwrap();
            assert_eq!(
                fewest_regions(target, 0, 12, needed),
                Some(needed),
                "{range:x?}"
            );
            if needed > 1 {
                assert_eq!(
                    fewest_regions(target, 0, 12, needed - 1),
                    None,
                    "{range:x?}"
                );
            }
        }
    }
}

#[test]
fn random_large_ranges_are_covered_exactly() {
    let mut rng = random::SplitMix64::new(0x6d63_752d_6275_696c);
    let mut most = 0;
    for _ in 0..100_000 {
        let range = rng.aligned_range(1 << 20);
        let blocks = armv7m::cover(range.clone(), usize::MAX).unwrap();
        most = most.max(blocks.len());
        let granted = blocks.iter().flat_map(Block::granted).collect::<Vec<_>>();
        let total: u64 = blocks.iter().map(Block::granted_bytes).sum();
        // Exact and without double counting: the blocks tile the range.
        assert_eq!(total, range.end - range.start, "{range:x?}: {blocks:x?}");
        assert!(
            granted
                .iter()
                .all(|g| g.start >= range.start && g.end <= range.end)
        );
        assert_exact(&range, &blocks);
    }
    assert!(
        most <= 18,
        "a 32-bit range never needs more than 18 regions, got {most}"
    );
}

/// The sweep step as it was before it was solved in closed form: probe every
/// region size at `at` and keep the block reaching furthest (the smallest on
/// a tie). Slow and obviously right; the reference for the fast step.
mod probing {
    use mcu_build::mpu::armv7m::Block;

    fn furthest_block_at(at: u64, start: u64, end: u64) -> (Block, u64) {
        let mut best = (Block::new(at as u32, 5, 0).unwrap(), at + 32);
        for size_log2 in 5..=32u8 {
            let size = 1u64 << size_log2;
            let base = at / size * size;
            let block_end = base + size;
            let (reach, srd) = if size_log2 < 8 {
                if base < start || block_end > end {
                    continue;
                }
                (block_end, 0)
            } else {
                let sub = size / 8;
                let first = start.max(base).div_ceil(sub) * sub;
                if first > at {
                    continue;
                }
                let reach = end.min(block_end) / sub * sub;
                if reach <= at {
                    continue;
                }
                let from = (at - base) / sub;
                let to = (reach - base) / sub;
                (reach, !(((1u32 << to) - (1u32 << from)) as u8))
            };
            if reach > best.1 {
                best = (Block::new(base as u32, size_log2, srd).unwrap(), reach);
            }
        }
        best
    }

    /// The greedy cover of `start..end`: its blocks, all of them however
    /// many there are.
    pub fn cover(start: u64, end: u64) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut at = start;
        while at < end {
            let (block, reach) = furthest_block_at(at, start, end);
            blocks.push(block);
            at = reach;
        }
        blocks
    }
}

/// A 32-byte aligned range whose bounds are aligned to random powers of two
/// (32 bytes to 4 GiB), so that the ties and boundaries of the region sizes
/// (start 0, end 4 GiB, bounds on large alignments) come up often.
fn range_with_random_alignments(rng: &mut random::SplitMix64) -> Range<u64> {
    let mut bound = || {
        let log2 = 5 + rng.next_u64() % 28;
        match rng.next_u64() {
            // The end of the address space, 1 in 16.
            bits if bits % 16 == 0 => 1 << 32,
            bits => (bits >> 32) >> log2 << log2,
        }
    };
    loop {
        let (a, b) = (bound(), bound());
        if a != b {
            return a.min(b)..a.max(b);
        }
    }
}

#[test]
fn the_cover_is_the_probing_sweep_on_random_ranges() {
    let mut rng = random::SplitMix64::new(0x7377_6565_7021);
    for i in 0..100_000 {
        let range = if i % 2 == 0 {
            rng.aligned_range(32)
        } else {
            range_with_random_alignments(&mut rng)
        };
        let expected = probing::cover(range.start, range.end);
        for max in [1, 3, 8, 16, usize::MAX] {
            match armv7m::cover(range.clone(), max) {
                Ok(blocks) => assert_eq!(blocks, expected, "{range:x?}, {max} regions"),
                Err(err) => {
                    assert!(expected.len() > max, "{range:x?}: {err}");
                    assert_eq!(err.needed, Some(expected.len()), "{range:x?}");
                }
            }
        }
    }
}

#[test]
fn the_cover_is_the_probing_sweep_on_every_range_in_16k() {
    const SPACE: u64 = 16 * 1024;
    for start in (0..SPACE).step_by(GRANULE as usize) {
        for end in (start + GRANULE..=SPACE).step_by(GRANULE as usize) {
            let blocks = armv7m::cover(start..end, usize::MAX).unwrap();
            assert_eq!(blocks, probing::cover(start, end), "{start:#x}..{end:#x}");
        }
    }
}

/// Brute force: the largest sub-range, and the smallest super-range within
/// `space`, that `max` regions cover.
fn nearest_by_brute_force(range: &Range<u64>, max: usize, space: u64) -> (Range<u64>, Range<u64>) {
    let fits = |r: Range<u64>| armv7m::regions_needed(r).is_some_and(|n| n <= max);
    let mut inside = range.start..range.start;
    let mut around = 0..space;
    for s in (0..=space).step_by(GRANULE as usize) {
        for e in (s + GRANULE..=space).step_by(GRANULE as usize) {
            let len = e - s;
            let within = s >= range.start && e <= range.end;
            if within && len > inside.end - inside.start && fits(s..e) {
                inside = s..e;
            }
            let covers = s <= range.start && e >= range.end;
            if covers && len < around.end - around.start && fits(s..e) {
                around = s..e;
            }
        }
    }
    (inside, around)
}

#[test]
fn suggestions_are_the_nearest_coverable_ranges_in_a_2k_space() {
    const SPACE: u64 = 2048;
    for max in 1..=2 {
        for start in (0..SPACE).step_by(GRANULE as usize) {
            for end in (start + GRANULE..=SPACE).step_by(GRANULE as usize) {
                let range = start..end;
                let Err(err) = armv7m::cover(range.clone(), max) else {
                    continue;
                };
                let nearest = err.nearest();
                let (inside, around) = nearest_by_brute_force(&range, max, SPACE);
                let found = nearest.inside.unwrap();
                assert_eq!(
                    found.end - found.start,
                    inside.end - inside.start,
                    "{range:x?}"
                );
                let found = nearest.around.unwrap();
                assert_eq!(
                    found.end - found.start,
                    around.end - around.start,
                    "{range:x?}"
                );
            }
        }
    }
}

#[test]
fn named_cases_from_other_systems() {
    // NuttX computes RBAR 0x00030000 for a 128 KiB region here, which the
    // MPU reads as 0x00020000: one aligned region does it exactly.
    let nuttx = armv7m::cover(0x0003_0000..0x0005_0000, 8).unwrap();
    assert_eq!(nuttx.len(), 1);
    assert_eq!(nuttx[0].base() as u64 % nuttx[0].size(), 0);
    assert_exact(&(0x0003_0000..0x0005_0000), &nuttx);

    // NuttX's stm32f4discovery notes: user flash at most 512 KiB with one
    // region. 896 KiB after a 128 KiB kernel is one region.
    let flash = armv7m::cover(0x0802_0000..0x0810_0000, 1).unwrap();
    assert_eq!(flash.len(), 1);
    assert_eq!(flash[0].disabled_subregions(), 0b0000_0001);
    assert_exact(&(0x0802_0000..0x0810_0000), &flash);

    // ... and user SRAM at most 4 KiB. 96 KiB of the 112 KiB SRAM1 after a
    // 16 KiB kernel: one 128 KiB region with subregions 1..=6 enabled.
    let sram = armv7m::cover(0x2000_4000..0x2001_C000, 1).unwrap();
    assert_eq!(sram.len(), 1);
    assert_exact(&(0x2000_4000..0x2001_C000), &sram);
}

#[test]
fn flash_regions_are_read_execute_and_ram_regions_never_execute() {
    let block = armv7m::cover(0x0800_0000..0x0801_0000, 1).unwrap()[0];
    assert_eq!(
        Region::user(block, MemoryKind::Flash).unprivileged_access(),
        Access::ReadExecute
    );
    assert_eq!(
        Region::user(block, MemoryKind::Ram).unprivileged_access(),
        Access::ReadWrite
    );
}
