//! The planner on the bundled boards and on requests that cannot be met.

use mcu_build::board::{self, Board};
use mcu_build::layout::nearest::{Nearest, Side};
use mcu_build::layout::request::{Owner, PartitionRequest, Request, Size, Splits};
use mcu_build::layout::{PlanError, plan};
use mcu_build::mpu::Arch;

fn bundled(name: &str) -> Board {
    board::bundled(name).unwrap()
}

#[test]
fn every_bundled_board_plans_and_verifies_clean() {
    for name in board::bundled_names() {
        let b = bundled(name);
        let p = plan(&b, &b.partitions).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = p.verify();
        assert!(report.is_ok(), "{name}: {:?}", report.findings);
        assert!(report.regions_used <= report.regions_available);
        // Partitions stay inside their memories and do not overlap.
        for (i, a) in p.partitions.iter().enumerate() {
            let m = b.memory(&a.memory).unwrap();
            assert!(
                a.start >= u64::from(m.origin) && a.end <= m.end(),
                "{name}: {a:?}"
            );
            for other in &p.partitions[i + 1..] {
                assert!(
                    a.end <= other.start || other.end <= a.start,
                    "{name}: {a:?} {other:?}"
                );
            }
        }
        assert!(p.kernel_heap.start >= p.partition("kernel-sram").unwrap().start);
    }
}

#[test]
fn stm32f4discovery_beats_nuttx_notes_with_one_region_each() {
    let b = bundled("stm32f4discovery");
    let p = plan(&b, &b.partitions).unwrap();
    let flash = p.partition("user-flash").unwrap();
    assert_eq!((flash.start, flash.end), (0x0802_0000, 0x0810_0000));
    assert_eq!(flash.regions.len(), 1);
    let sram = p.partition("user-sram").unwrap();
    assert_eq!(sram.size, 80 * 1024, "far above NuttX's 4 KiB");
    assert_eq!(sram.regions.len(), 1);
    assert_eq!(p.loss.bytes, 0);
}

#[test]
fn the_default_board_matches_the_bundled_firmware_table() {
    let b = bundled(board::DEFAULT_BOARD);
    let p = plan(&b, &b.partitions).unwrap();
    let regs: Vec<String> = p.programmed().iter().map(|(_, r)| r.to_string()).collect();
    // templates/README.md: user flash 0x40000..0x80000, user SRAM
    // 0x20010000..0x20020000, RASR 0x06020023 and 0x130b001f.
    assert_eq!(
        regs,
        [
            "RBAR=0x00040010 RASR=0x06020023",
            "RBAR=0x20010011 RASR=0x130b001f"
        ]
    );
    let an505 = bundled("qemu-mps2-an505");
    let p = plan(&an505, &an505.partitions).unwrap();
    assert_eq!(p.arch, Arch::Armv8m);
    assert_eq!(p.mair0, Some(0x0000_ffaa));
}

fn request(parts: &[(&str, Owner, &str, Size, Option<u32>)]) -> Request {
    Request {
        partitions: parts
            .iter()
            .map(|(name, owner, memory, size, origin)| PartitionRequest {
                name: (*name).into(),
                owner: *owner,
                memory: (*memory).into(),
                size: *size,
                origin: *origin,
            })
            .collect(),
        kernel_heap: 1024,
        splits: Splits::default(),
    }
}

#[test]
fn misaligned_user_sizes_are_placed_on_coverable_origins_with_the_loss_reported() {
    let b = bundled("stm32f4discovery");
    let r = request(&[
        (
            "kernel-flash",
            Owner::Kernel,
            "flash",
            Size::Bytes(100 * 1024),
            None,
        ),
        (
            "user-flash",
            Owner::User,
            "flash",
            Size::Bytes(300 * 1024),
            None,
        ),
        ("kernel-sram", Owner::Kernel, "sram1", Size::Rest, None),
        (
            "user-sram",
            Owner::User,
            "sram1",
            Size::Bytes(24 * 1024 + 96),
            None,
        ),
    ]);
    let p = plan(&b, &r).unwrap();
    assert!(p.verify().is_ok());
    let user_sram = p.partition("user-sram").unwrap();
    assert_eq!(user_sram.size, 24 * 1024 + 96);
    // Kernel SRAM is `rest`: it absorbs the SRAM alignment slack.
    let kernel_sram = p.partition("kernel-sram").unwrap();
    assert!(kernel_sram.end == user_sram.start || kernel_sram.start == user_sram.end);
    // Flash: the gap between kernel and user flash is the only loss.
    let gap = p.partition("user-flash").unwrap().start - p.partition("kernel-flash").unwrap().end;
    assert_eq!(p.loss.bytes, gap);
    assert!(p.loss.percent < 5.0, "{}", p.loss.percent);
}

#[test]
fn impossible_requests_name_the_constraint_and_alternatives() {
    let b = bundled("nrf52840");
    let too_big = request(&[
        (
            "kernel-flash",
            Owner::Kernel,
            "flash",
            Size::Bytes(600 * 1024),
            None,
        ),
        (
            "user-flash",
            Owner::User,
            "flash",
            Size::Bytes(600 * 1024),
            None,
        ),
        ("kernel-sram", Owner::Kernel, "ram", Size::Rest, None),
        (
            "user-sram",
            Owner::User,
            "ram",
            Size::Bytes(32 * 1024),
            None,
        ),
    ]);
    let err = plan(&b, &too_big).unwrap_err();
    assert!(matches!(err, PlanError::DoesNotFit { .. }), "{err}");
    assert!(err.to_string().contains("flash"));

    let fixed = request(&[
        (
            "kernel-flash",
            Owner::Kernel,
            "flash",
            Size::Bytes(4096),
            None,
        ),
        (
            "user-flash",
            Owner::User,
            "flash",
            Size::Bytes(0x1_0000),
            Some(0x0000_1020),
        ),
        ("kernel-sram", Owner::Kernel, "ram", Size::Rest, None),
        (
            "user-sram",
            Owner::User,
            "ram",
            Size::Bytes(32 * 1024),
            None,
        ),
    ]);
    let mut tight = b.clone();
    tight.mpu.as_mut().unwrap().kernel_regions = 6;
    let err = plan(&tight, &fixed).unwrap_err();
    let PlanError::FixedOriginNotCoverable {
        allowed,
        alternatives,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(*allowed, 1);
    // One region grants 64 KiB only on a 16 KiB subregion boundary (a 128
    // KiB region), and below 0x1020 lies kernel flash.
    let origins = alternatives.values[0].origins;
    assert_eq!(
        origins,
        Some(Nearest {
            below: Side::None,
            above: Side::Found(0x4000)
        }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("origins of user-flash that plan: none below, 0x00004000 above"),
        "{err}"
    );

    let unknown = request(&[("kernel-flash", Owner::Kernel, "rom", Size::Bytes(32), None)]);
    assert!(matches!(
        plan(&b, &unknown),
        Err(PlanError::UnknownMemory { .. })
    ));
}
