//! The ARMv8-M cover and register round trip: any 32-byte aligned range is
//! one region, RBAR/RLAR decode back to exactly that range, and unaligned
//! requests are refused with their aligned neighbours.

#[path = "mpu_support/random.rs"]
mod random;

use mcu_build::mpu::armv8m::{self, Region};
use mcu_build::mpu::{Access, Arch, MemoryKind, RegionNumber};

#[test]
fn random_ranges_round_trip_through_rbar_and_rlar() {
    let mut rng = random::SplitMix64::new(8);
    for _ in 0..100_000 {
        let range = rng.aligned_range(32);
        let spans = armv8m::cover(range.clone(), 1).unwrap();
        assert_eq!(spans.len(), 1);
        for memory in [MemoryKind::Flash, MemoryKind::Ram] {
            let region = Region::user(spans[0], memory);
            let decoded = region.encode().decode().unwrap().unwrap();
            assert_eq!(decoded, region);
            assert_eq!(decoded.range(), range);
            assert_eq!(decoded.unprivileged_access(), memory.user_access());
        }
    }
}

#[test]
fn every_byte_bound_in_a_1k_space_is_judged_by_its_alignment() {
    for start in 0..1024u64 {
        for end in start..=1024 {
            let aligned = start % 32 == 0 && end % 32 == 0;
            match armv8m::cover(start..end, 1) {
                Ok(spans) => {
                    assert!(aligned, "{start:#x}..{end:#x}");
                    assert_eq!(spans.len(), usize::from(end > start));
                }
                Err(err) => {
                    assert!(!aligned);
                    assert_eq!(err.needed, None);
                    let nearest = err.nearest();
                    let around = nearest.around.unwrap();
                    assert!(around.start <= start && around.end >= end);
                    assert!(start - around.start < 32 && around.end - end < 32);
                }
            }
        }
    }
}

#[test]
fn generic_cover_gives_user_permissions_per_memory_kind() {
    let flash = Arch::Armv8m
        .cover(0x1000_0000..0x1008_0000, 8, MemoryKind::Flash)
        .unwrap();
    assert_eq!(flash[0].unprivileged_access(), Access::ReadExecute);
    let sram = Arch::Armv8m
        .cover(0x3800_0000..0x3804_0000, 8, MemoryKind::Ram)
        .unwrap();
    assert_eq!(sram[0].unprivileged_access(), Access::ReadWrite);
    let number = RegionNumber::new(1).unwrap();
    assert_eq!(
        sram[0].registers(number).to_string(),
        "RBAR=0x38000003 RLAR=0x3803ffe3"
    );
}
