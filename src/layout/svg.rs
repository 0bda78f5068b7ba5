//! Drawing a plan as an SVG memory map.
//!
//! One column per memory, low addresses at the bottom as in reference
//! manuals. Partitions are coloured by owner (kernel blue, user orange),
//! alignment loss is red, free space white. Beside each memory, one bar per
//! MPU region spans the region's whole block; enabled subregions are filled,
//! disabled ones hatched, so it shows at a glance that the enabled parts
//! line up with the user partitions and nothing else.
//!
//! Partitions of very different sizes share a column, so the address axis
//! is piecewise linear: each segment between two boundaries gets at least a
//! readable height, and every boundary is labelled with its address.

use std::fmt::Write;

use super::plan::{Partition, Plan};
use super::request::Owner;
use crate::mpu::Region;

const COLUMN_WIDTH: f64 = 190.0;
const REGION_WIDTH: f64 = 16.0;
const AXIS_WIDTH: f64 = 92.0;
const TOP: f64 = 64.0;
const HEIGHT: f64 = 520.0;
const MIN_SEGMENT: f64 = 34.0;

/// The SVG document for `plan`.
pub fn render(plan: &Plan) -> String {
    let memories = memory_names(plan);
    let columns: Vec<Column> = memories.iter().map(|m| Column::new(plan, m)).collect();
    let region_columns: usize = columns.iter().map(|c| c.regions.len()).sum();
    let width = columns.len() as f64 * (AXIS_WIDTH + COLUMN_WIDTH + 24.0)
        + region_columns as f64 * (REGION_WIDTH + 4.0)
        + 24.0;
    let height = TOP + HEIGHT + 90.0;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="monospace" font-size="11">"#
    );
    svg += r##"<defs><pattern id="disabled" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999999" stroke-width="2"/></pattern></defs>
<style>.kernel{fill:#9ecae1;stroke:#3182bd}.user{fill:#fdae6b;stroke:#e6550d}.loss{fill:#fb6a4a;stroke:#a50f15}.free{fill:#ffffff;stroke:#bbbbbb}.enabled{fill:#e6550d;fill-opacity:0.7;stroke:#a63603}.off{fill:url(#disabled);stroke:#999999}text{fill:#222222}</style>
"##;
    let _ = writeln!(
        svg,
        r#"<text x="12" y="22" font-size="15">{} ({}): {} MPU regions of {}, alignment loss {} bytes ({:.2}%)</text>"#,
        escape(&plan.board),
        plan.arch,
        plan.programmed().len(),
        plan.budget.for_user(),
        plan.loss.bytes,
        plan.loss.percent
    );

    let mut x = 12.0;
    for column in &columns {
        x = column.draw(&mut svg, x);
    }
    let legend_y = TOP + HEIGHT + 44.0;
    for (i, (class, label)) in [
        ("kernel", "kernel partition"),
        ("user", "user partition"),
        ("loss", "alignment loss"),
        ("enabled", "MPU subregion enabled"),
        ("off", "subregion disabled"),
    ]
    .iter()
    .enumerate()
    {
        let lx = 12.0 + i as f64 * 170.0;
        let _ = writeln!(
            svg,
            r#"<rect class="{class}" x="{lx}" y="{legend_y}" width="14" height="14"/><text x="{}" y="{}">{label}</text>"#,
            lx + 20.0,
            legend_y + 11.0
        );
    }
    svg += "</svg>\n";
    svg
}

fn memory_names(plan: &Plan) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in &plan.partitions {
        if !names.contains(&p.memory) {
            names.push(p.memory.clone());
        }
    }
    names
}

/// One memory's column: its segments, their y positions, its regions.
struct Column<'a> {
    memory: String,
    segments: Vec<Segment<'a>>,
    /// (address, y) at every boundary, ascending addresses.
    scale: Vec<(u64, f64)>,
    regions: Vec<(u8, Region)>,
}

enum Fill<'a> {
    Partition(&'a Partition),
    Loss,
    Free,
}

struct Segment<'a> {
    start: u64,
    end: u64,
    fill: Fill<'a>,
}

impl<'a> Column<'a> {
    fn new(plan: &'a Plan, memory: &str) -> Column<'a> {
        let parts: Vec<&Partition> = plan
            .partitions
            .iter()
            .filter(|p| p.memory == memory)
            .collect();
        let mut low = parts.iter().map(|p| p.start).min().unwrap_or(0);
        let mut high = parts.iter().map(|p| p.end).max().unwrap_or(0);
        // Loss at either end of the memory belongs to the column too.
        for g in &plan.loss.gaps {
            if g.end == low {
                low = g.start;
            }
            if g.start == high {
                high = g.end;
            }
        }
        let mut bounds: Vec<u64> = parts
            .iter()
            .flat_map(|p| [p.start, p.end])
            .chain(plan.loss.gaps.iter().flat_map(|g| [g.start, g.end]))
            .chain([low, high])
            .filter(|a| (low..=high).contains(a))
            .collect();
        bounds.sort_unstable();
        bounds.dedup();

        let segments: Vec<Segment<'a>> = bounds
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                let fill = if let Some(p) = parts.iter().find(|p| p.start <= start && end <= p.end)
                {
                    Fill::Partition(p)
                } else if plan
                    .loss
                    .gaps
                    .iter()
                    .any(|g| g.start <= start && end <= g.end)
                {
                    Fill::Loss
                } else {
                    Fill::Free
                };
                Segment { start, end, fill }
            })
            .collect();
        let total: u64 = (high - low).max(1);
        let spare = (HEIGHT - MIN_SEGMENT * segments.len() as f64).max(0.0);
        let mut scale = vec![(low, TOP + HEIGHT)];
        let mut y = TOP + HEIGHT;
        for s in &segments {
            y -= MIN_SEGMENT + spare * (s.end - s.start) as f64 / total as f64;
            scale.push((s.end, y));
        }
        let regions = parts
            .iter()
            .flat_map(|p| p.regions.iter().map(|r| (r.number.get(), r.region)))
            .collect();
        Column {
            memory: memory.to_owned(),
            segments,
            scale,
            regions,
        }
    }

    /// The y of `address`, interpolated between boundaries and clamped to
    /// the column.
    fn y(&self, address: u64) -> f64 {
        let first = self.scale[0];
        let last = self.scale[self.scale.len() - 1];
        if address <= first.0 {
            return first.1;
        }
        if address >= last.0 {
            return last.1;
        }
        let i = self.scale.partition_point(|(a, _)| *a <= address);
        let (a0, y0) = self.scale[i - 1];
        let (a1, y1) = self.scale[i];
        y0 + (y1 - y0) * (address - a0) as f64 / (a1 - a0) as f64
    }

    /// Draws the column at `x`; returns the x after it.
    fn draw(&self, svg: &mut String, x: f64) -> f64 {
        let bar = x + AXIS_WIDTH;
        let _ = writeln!(
            svg,
            r#"<g class="memory" data-memory="{0}"><text x="{bar}" y="{1}" font-size="13">{0}</text>"#,
            escape(&self.memory),
            TOP - 10.0
        );
        for (address, y) in &self.scale {
            let _ = writeln!(
                svg,
                r##"<text x="{x}" y="{:.1}">{address:#010x}</text><line x1="{:.1}" y1="{y:.1}" x2="{bar}" y2="{y:.1}" stroke="#888888"/>"##,
                y + 4.0,
                bar - 8.0
            );
        }
        for s in &self.segments {
            let (top, bottom) = (self.y(s.end), self.y(s.start));
            let (class, label, tooltip) = match s.fill {
                Fill::Partition(p) => (
                    match p.owner {
                        Owner::Kernel => "kernel",
                        Owner::User => "user",
                    },
                    format!("{} {}", p.name, size_text(p.size)),
                    format!(
                        "{} ({}, {}): {:#010x}..{:#010x}",
                        p.name, p.owner, p.access, p.start, p.end
                    ),
                ),
                Fill::Loss => (
                    "loss",
                    format!("loss {}", size_text(s.end - s.start)),
                    "alignment loss".to_owned(),
                ),
                Fill::Free => (
                    "free",
                    format!("free {}", size_text(s.end - s.start)),
                    "not requested".to_owned(),
                ),
            };
            let data = match s.fill {
                Fill::Partition(p) => format!(r#" data-partition="{}""#, escape(&p.name)),
                _ => String::new(),
            };
            let _ = writeln!(
                svg,
                r#"<rect class="{class}"{data} x="{bar}" y="{top:.1}" width="{COLUMN_WIDTH}" height="{:.1}"><title>{}</title></rect><text x="{}" y="{:.1}">{}</text>"#,
                bottom - top,
                escape(&tooltip),
                bar + 6.0,
                (top + bottom) / 2.0 + 4.0,
                escape(&label)
            );
        }
        let mut rx = bar + COLUMN_WIDTH + 6.0;
        for (number, region) in &self.regions {
            self.draw_region(svg, rx, *number, region);
            rx += REGION_WIDTH + 4.0;
        }
        svg.push_str("</g>\n");
        rx + 18.0
    }

    /// One region: its block as a bar, a cell per subregion (one cell for
    /// ARMv7-M regions without subregions and for ARMv8-M regions).
    fn draw_region(&self, svg: &mut String, x: f64, number: u8, region: &Region) {
        let cells: Vec<(u64, u64, bool)> = match region {
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
            let (top, bottom) = (self.y(end), self.y(start));
            if bottom - top < 0.5 {
                continue;
            }
            let class = if enabled { "enabled" } else { "off" };
            let _ = writeln!(
                svg,
                r#"<rect class="{class}" data-region="{number}" x="{x:.1}" y="{top:.1}" width="{REGION_WIDTH}" height="{:.1}"><title>region {number}: {start:#010x}..{end:#010x} {}</title></rect>"#,
                bottom - top,
                if enabled { "enabled" } else { "disabled" }
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{}">{number}</text>"#,
            x + 4.0,
            TOP + HEIGHT + 16.0
        );
    }
}

fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
