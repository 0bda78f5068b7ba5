//! The MPU regions of one memory, drawn beside its column: one bar per
//! region over the addresses it spans, cut into its subregions on ARMv7-M
//! (enabled ones filled, disabled ones hatched), and for each region a label
//! with its number, what it lets unprivileged code do, and the register
//! values the kernel writes (RBAR/RASR on ARMv7-M, RBAR/RLAR on ARMv8-M),
//! which the column places beside the bars (module `labels`).
//!
//! Regions that do not overlap share a lane; ARMv7-M regions may overlap
//! (the higher number wins), and then each gets its own.

use std::ops::Range;

use crate::layout::plan::PlannedRegion;
use crate::mpu::{Region, Registers};

use super::labels::Callout;
use super::scene::Scene;

/// The width of one region bar, in px, and the space between two.
const LANE: f64 = 16.0;
const LANE_GAP: f64 = 4.0;

/// The regions of one memory and the lane of each.
pub struct Regions<'a> {
    /// (region, lane), by region number.
    regions: Vec<(&'a PlannedRegion, usize)>,
    lanes: usize,
}

/// The addresses a region spans, granted or not: an ARMv7-M region's whole
/// block, disabled subregions included.
fn block(region: &Region) -> Range<u64> {
    match region {
        Region::Armv7m(r) => {
            let base = u64::from(r.block().base());
            base..base + r.block().size()
        }
        Region::Armv8m(r) => r.range(),
    }
}

impl<'a> Regions<'a> {
    pub fn new(mut planned: Vec<&'a PlannedRegion>) -> Regions<'a> {
        planned.sort_by_key(|r| r.number);
        // Interval partitioning by block start: each region takes the first
        // lane whose last block ends at or below its start.
        let mut order: Vec<usize> = (0..planned.len()).collect();
        order.sort_by_key(|&i| (block(&planned[i].region).start, planned[i].number));
        let mut lane_ends: Vec<u64> = Vec::new();
        let mut lane_of = vec![0; planned.len()];
        for i in order {
            let span = block(&planned[i].region);
            let lane = match lane_ends.iter().position(|&end| end <= span.start) {
                Some(lane) => lane,
                None => {
                    lane_ends.push(0);
                    lane_ends.len() - 1
                }
            };
            lane_ends[lane] = span.end;
            lane_of[i] = lane;
        }
        Regions {
            regions: planned.into_iter().zip(lane_of).collect(),
            lanes: lane_ends.len(),
        }
    }

    /// The addresses all the regions span together, if there are any.
    pub fn span(&self) -> Option<Range<u64>> {
        self.regions
            .iter()
            .map(|(r, _)| block(&r.region))
            .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
    }

    /// The width of the lanes, in px.
    pub fn lanes_width(&self) -> f64 {
        self.lanes as f64 * (LANE + LANE_GAP)
    }

    /// Draws the lanes from `x`, addresses placed by `y`, and returns the
    /// label of each region (module `labels` places them), anchored at the
    /// middle of its granted addresses on the right of its bar.
    pub fn draw(&self, scene: &mut Scene, x: f64, y: &dyn Fn(u64) -> f64) -> Vec<Callout> {
        self.regions
            .iter()
            .map(|(planned, lane)| {
                let left = x + *lane as f64 * (LANE + LANE_GAP);
                draw_cells(scene, left, planned, y);
                let granted = planned
                    .granted
                    .iter()
                    .map(|g| g.start..g.end)
                    .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
                    .unwrap_or_else(|| block(&planned.region));
                Callout {
                    anchor: (left + LANE, (y(granted.start) + y(granted.end)) / 2.0),
                    lines: label(planned),
                    heading: true,
                }
            })
            .collect()
    }
}

/// The bar of one region: one cell per subregion on ARMv7-M (a single cell
/// below 256 bytes, where there are none), one cell on ARMv8-M.
fn draw_cells(scene: &mut Scene, x: f64, planned: &PlannedRegion, y: &dyn Fn(u64) -> f64) {
    let number = planned.number;
    let cells: Vec<(u64, u64, bool)> = match &planned.region {
        Region::Armv7m(r) => {
            let block = r.block();
            let base = u64::from(block.base());
            let sub = block.subregion_size();
            (0..block.size() / sub)
                .map(|i| {
                    let enabled =
                        !block.has_subregions() || block.disabled_subregions() & (1 << i) == 0;
                    (base + i * sub, base + (i + 1) * sub, enabled)
                })
                .collect()
        }
        Region::Armv8m(r) => vec![(r.range().start, r.range().end, true)],
    };
    for (start, end, enabled) in cells {
        let (top, bottom) = (y(end), y(start));
        let (class, state) = if enabled {
            ("enabled", "enabled")
        } else {
            ("off", "disabled")
        };
        scene.rect(
            (x, top),
            (LANE, bottom - top),
            class,
            format!(r#" data-region="{number}" data-low="{start:#x}" data-high="{end:#x}""#),
            Some(format!(
                "region {number}: {start:#010x}..{end:#010x} {state}"
            )),
        );
    }
}

/// The label lines of a region: number, unprivileged access (with XN when
/// the region forbids instruction fetch), the two register values, and on
/// ARMv7-M the disabled subregions (RASR.SRD).
fn label(planned: &PlannedRegion) -> Vec<String> {
    let region = &planned.region;
    let execute_never = match region {
        Region::Armv7m(r) => r.execute_never(),
        Region::Armv8m(r) => r.execute_never(),
    };
    let mut lines = vec![
        format!("region {}", planned.number),
        format!(
            "unprivileged {}{}",
            region.unprivileged_access(),
            if execute_never { " XN" } else { "" }
        ),
    ];
    match planned.registers {
        Registers::Armv7m(r) => {
            lines.push(format!("RBAR={:#010x}", r.rbar));
            lines.push(format!("RASR={:#010x}", r.rasr));
        }
        Registers::Armv8m(r) => {
            lines.push(format!("RBAR={:#010x}", r.rbar));
            lines.push(format!("RLAR={:#010x}", r.rlar));
        }
    }
    if let Region::Armv7m(r) = region {
        let srd = r.block().disabled_subregions();
        if srd != 0 {
            let off: Vec<String> = (0..8)
                .filter(|i| srd & (1 << i) != 0)
                .map(|i: u8| i.to_string())
                .collect();
            let plural = if off.len() == 1 { "" } else { "s" };
            lines.push(format!("subregion{plural} {} off", off.join(",")));
        }
    }
    lines
}
