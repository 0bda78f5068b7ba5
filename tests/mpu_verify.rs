//! The verifier against NuttX-style region programming and against exact
//! covers of the same partitions.

use mcu_build::mpu::baseline::nuttx_registers;
use mcu_build::mpu::verify::{Finding, RegionBudget, UserPartition, verify};
use mcu_build::mpu::{Access, Arch, MemoryKind, RegionNumber, Registers};

const BUDGET: RegionBudget = RegionBudget {
    hardware: 8,
    kernel_reserved: 2,
};

fn user_sram(start: u64, end: u64) -> UserPartition {
    UserPartition {
        name: "user-sram".into(),
        start,
        end,
        access: Access::ReadWrite,
    }
}

#[test]
fn nuttx_outward_subregion_rounding_is_an_over_grant_of_the_exact_bytes() {
    // 6 KiB of user data + bss at 0x20004600: NuttX maps it with one 8 KiB
    // region of 1 KiB subregions (0x20004000..0x20006000) and enables the
    // seven the partition touches, so the 0x200 bytes below it and the
    // 0x200 bytes of kernel heap above it are user-writable.
    let partition = user_sram(0x2000_4600, 0x2000_6000 - 0x200);
    let n = RegionNumber::new(0).unwrap();
    let nuttx = nuttx_registers(partition.start..partition.end, MemoryKind::Ram, n);
    let report = verify(
        &[(n, Registers::Armv7m(nuttx))],
        std::slice::from_ref(&partition),
        BUDGET,
    );
    assert_eq!(
        report.findings,
        [
            Finding::OverGrant {
                start: 0x2000_4400,
                end: 0x2000_4600,
                granted: Access::ReadWrite,
                partition: None,
                allowed: Access::None,
                region: n,
            },
            Finding::OverGrant {
                start: 0x2000_5E00,
                end: 0x2000_6000,
                granted: Access::ReadWrite,
                partition: None,
                allowed: Access::None,
                region: n,
            },
        ]
    );
    assert_eq!(report.over_granted_bytes(), 0x400);

    // The exact cover of the same partition is clean.
    let exact: Vec<_> = Arch::Armv7m
        .cover(partition.start..partition.end, 6, MemoryKind::Ram)
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let n = RegionNumber::new(i as u8).unwrap();
            (n, r.registers(n))
        })
        .collect();
    let report = verify(&exact, &[partition], BUDGET);
    assert!(report.is_ok(), "{:?}", report.findings);
}

#[test]
fn nuttx_misaligned_rbar_is_reported_as_invalid() {
    let partition = user_sram(0x0003_0000, 0x0005_0000);
    let n = RegionNumber::new(0).unwrap();
    let nuttx = nuttx_registers(0x0003_0000..0x0005_0000, MemoryKind::Ram, n);
    let report = verify(&[(n, Registers::Armv7m(nuttx))], &[partition], BUDGET);
    assert!(matches!(report.findings[0], Finding::Invalid { .. }));
    assert!(report.findings[0].to_string().contains("not aligned"));
    // Nothing decodes, so the whole partition is under-granted.
    assert!(report.findings.iter().any(|f| matches!(
        f,
        Finding::UnderGrant {
            start: 0x0003_0000,
            end: 0x0005_0000,
            ..
        }
    )));
}
