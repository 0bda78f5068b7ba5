//! The alignment cost of a plan against the two usual alternatives, for the
//! same partitions: one power-of-two region per partition (Tock, Zephyr),
//! and NuttX's one region per partition with subregions rounded outward.

use std::fmt::Write;

use serde::Serialize;

use super::plan::Plan;
use super::request::Owner;
use crate::mpu::baseline::{nuttx_registers, power_of_two_region_size};
use crate::mpu::verify::{Finding, verify};
use crate::mpu::{Arch, RegionNumber, Registers};

/// The three mappings of one plan's user partitions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub board: String,
    /// Bytes in user partitions.
    pub user_bytes: u64,
    /// mcu-build: regions used and memory lost to alignment (no over-grant).
    pub regions: usize,
    pub loss_bytes: u64,
    /// Power of two: the bytes each partition grows by to fill its region.
    pub power_of_two_padding: u64,
    /// NuttX (ARMv7-M only): bytes granted to user code beyond its
    /// partitions, and regions whose RBAR is misaligned.
    pub nuttx: Option<NuttxOutcome>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NuttxOutcome {
    pub over_granted: u64,
    pub misaligned: usize,
}

pub fn compare(plan: &Plan) -> Comparison {
    let users: Vec<_> = plan
        .partitions
        .iter()
        .filter(|p| p.owner == Owner::User)
        .collect();
    let nuttx = (plan.arch == Arch::Armv7m).then(|| {
        let programmed: Vec<(RegionNumber, Registers)> = users
            .iter()
            .zip(0u8..)
            .filter_map(|(p, n)| {
                let number = RegionNumber::new(n)?;
                let regs = nuttx_registers(p.start..p.end, p.kind, number);
                Some((number, Registers::Armv7m(regs)))
            })
            .collect();
        let report = verify(&programmed, &plan.user_partitions(), plan.budget);
        NuttxOutcome {
            over_granted: report.over_granted_bytes(),
            misaligned: report
                .findings
                .iter()
                .filter(|f| matches!(f, Finding::Invalid { .. }))
                .count(),
        }
    });
    Comparison {
        board: plan.board.clone(),
        user_bytes: users.iter().map(|p| p.size).sum(),
        regions: plan.programmed().len(),
        loss_bytes: plan.loss.bytes,
        power_of_two_padding: users
            .iter()
            .map(|p| power_of_two_region_size(p.size) - p.size)
            .sum(),
        nuttx,
    }
}

/// A Markdown table, one row per comparison.
pub fn render(rows: &[Comparison]) -> String {
    let mut out = String::from(
        "| board | user bytes | mcu-build: regions, loss | one power-of-two region each: padding | NuttX outward subregions: over-granted, misaligned RBARs |\n\
         |---|---:|---:|---:|---:|\n",
    );
    let percent = |bytes: u64, of: u64| bytes as f64 * 100.0 / of.max(1) as f64;
    for r in rows {
        let nuttx = r.nuttx.as_ref().map_or("n/a (ARMv8-M)".to_owned(), |n| {
            format!(
                "{} B ({:.1}%), {}",
                n.over_granted,
                percent(n.over_granted, r.user_bytes),
                n.misaligned
            )
        });
        let _ = writeln!(
            out,
            "| {} | {} | {}, {} B ({:.1}%) | {} B ({:.1}%) | {} |",
            r.board,
            r.user_bytes,
            r.regions,
            r.loss_bytes,
            percent(r.loss_bytes, r.user_bytes),
            r.power_of_two_padding,
            percent(r.power_of_two_padding, r.user_bytes),
            nuttx
        );
    }
    out
}
