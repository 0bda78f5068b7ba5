//! Drawing a plan as an SVG memory map that reads at a glance.
//!
//! One column per memory of the board, each drawn whole (free space
//! included), low addresses at the bottom as in reference manuals.
//! Partitions are coloured by owner (kernel blue, the kernel heap pale
//! blue, user orange), alignment loss red, free space white, and each says
//! what unprivileged code may do there. Beside each memory, a bar per MPU
//! region spans its addresses (on ARMv7-M cut into subregions, disabled
//! ones hatched) and a label gives its register values.
//!
//! Every column shares one linear scale (module `scale`), chosen so that
//! typical pieces are drawn to it; a piece too tall for the map has a span
//! of its addresses cut out at a break sign that says how much, everything
//! else stays at its true place, and the legend shows a bar of known size at
//! the scale. Labels that do not fit where they belong sit beside it, joined
//! by a leader (module `labels`). The canvas is measured from what is drawn
//! (module `scene`), so nothing is cut off, and the output depends only on the
//! plan and the board's memories (no clock, no hash order).

mod column;
mod labels;
mod regions;
mod scale;
mod scene;

pub use scene::{Extent, text_extent, text_width};

use crate::board::Memory;
use crate::mpu::Arch;

use super::plan::Plan;
use column::{Column, MemorySpan};
use scale::Scale;
use scene::{FONT, LINE, Scene};

/// Space between two columns, in px.
const COLUMN_GAP: f64 = 28.0;
/// The font size of the title, in px.
const TITLE_FONT: f64 = 15.0;
/// The side of a legend swatch, in px.
const SWATCH: f64 = 14.0;

const DEFS: &str = concat!(
    r##"<pattern id="disabled" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">"##,
    r##"<rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#555555" stroke-width="2.5"/></pattern>"##,
    r##"<pattern id="outside" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">"##,
    r##"<rect width="8" height="8" fill="#f4f4f4"/><line x1="0" y1="0" x2="0" y2="8" stroke="#dddddd" stroke-width="2"/></pattern>"##,
);

const STYLE: &str = concat!(
    ".kernel{fill:#9ecae1;stroke:#3182bd}",
    ".heap{fill:#deebf7;stroke:#3182bd;stroke-dasharray:4 2}",
    ".user{fill:#fdae6b;stroke:#e6550d}",
    ".loss{fill:#fb6a4a;stroke:#a50f15}",
    ".free{fill:#ffffff;stroke:#bbbbbb}",
    ".outside{fill:url(#outside);stroke:#bbbbbb;stroke-dasharray:3 3}",
    ".outline{fill:none;stroke:#555555;stroke-width:1.5}",
    ".enabled{fill:#e6550d;fill-opacity:0.75;stroke:#a63603}",
    ".off{fill:url(#disabled);stroke:#555555}",
    ".break{fill:#ffffff;stroke:#444444}",
    ".tick{stroke:#888888}",
    ".leader{stroke:#777777;stroke-dasharray:2 2}",
    ".scale{fill:#555555}",
    "text{fill:#222222}",
);

/// The SVG document for `plan` on a board with `memories`. A memory that
/// holds partitions but is missing from `memories` is drawn from its
/// partitions' extent.
pub fn render(plan: &Plan, memories: &[Memory]) -> String {
    let heading = format!(
        "{}: {} MPU, {} of {} regions for user partitions",
        plan.board,
        plan.arch,
        plan.programmed().len(),
        plan.budget.for_user()
    );
    render_headed(plan, memories, &heading)
}

/// [`render`] with `heading` as the title's first line (a plan of
/// processes, whose regions are programmed one process at a time, says so).
pub fn render_headed(plan: &Plan, memories: &[Memory], heading: &str) -> String {
    let mut spans: Vec<MemorySpan> = memories.iter().map(MemorySpan::of).collect();
    for p in &plan.partitions {
        if !spans.iter().any(|m| m.name == p.memory) {
            let (start, end) = plan
                .partitions
                .iter()
                .filter(|q| q.memory == p.memory)
                .fold((p.start, p.end), |(s, e), q| (s.min(q.start), e.max(q.end)));
            spans.push(MemorySpan {
                name: p.memory.clone(),
                kind: p.kind,
                start,
                end,
            });
        }
    }
    let all = spans.clone();
    let columns: Vec<Column> = spans
        .into_iter()
        .map(|m| Column::new(plan, m, &all))
        .collect();
    let sizes: Vec<Vec<u64>> = columns.iter().map(Column::sizes).collect();
    let scale = Scale::new(&sizes);

    let mut scene = Scene::default();
    let mut x = 0.0;
    for (i, column) in columns.iter().enumerate() {
        x = column.draw(&mut scene, i, x, &scale) + COLUMN_GAP;
    }
    let map = scene.extent();
    title(&mut scene, plan, heading, map.left, map.top - 16.0);
    let width = scene.extent().right - map.left;
    let outside = columns.iter().any(Column::reaches_outside);
    legend(
        &mut scene,
        plan.arch,
        outside,
        &scale,
        map.left,
        map.bottom + 28.0,
        width,
    );
    scene.finish(DEFS, STYLE)
}

/// Two lines ending above `bottom`: `heading` (the board, the MPU and its
/// budget); the alignment loss and (ARMv8-M) MAIR0.
fn title(scene: &mut Scene, plan: &Plan, heading: &str, x: f64, bottom: f64) {
    let mut second = format!(
        "alignment loss {} bytes ({:.2}% of the memories used)",
        plan.loss.bytes, plan.loss.percent
    );
    if let Some(mair0) = plan.mair0 {
        second += &format!(", MAIR0={mair0:#010x}");
    }
    scene.text(x, bottom - 4.0, FONT, second);
    scene.bold_text(x, bottom - 4.0 - LINE - 8.0, TITLE_FONT, heading.to_owned());
}

/// The key to the colours and signs from `top`, wrapped at `width`, and
/// under it the scale bar.
fn legend(
    scene: &mut Scene,
    arch: Arch,
    outside: bool,
    scale: &Scale,
    left: f64,
    top: f64,
    width: f64,
) {
    let mut items: Vec<(&'static str, &str)> = vec![
        ("kernel", "kernel partition"),
        ("heap", "kernel heap"),
        ("user", "user partition"),
        ("loss", "alignment loss"),
        ("free", "free"),
    ];
    if outside {
        items.push(("outside", "outside the memory"));
    }
    match arch {
        Arch::Armv7m => {
            items.push(("enabled", "MPU subregion enabled"));
            items.push(("off", "MPU subregion disabled"));
        }
        // PMSAv8 has no subregions: a region grants base..limit whole.
        Arch::Armv8m => items.push(("enabled", "MPU region")),
    }
    let (mut x, mut y) = (left, top);
    let mut place = |scene: &mut Scene, label: &str| -> (f64, f64) {
        let item = SWATCH + 6.0 + text_width(label, FONT);
        if x > left && x + item > left + width {
            x = left;
            y += SWATCH + 10.0;
        }
        let at = (x, y);
        scene.text(x + SWATCH + 6.0, y + SWATCH - 3.0, FONT, label);
        x += item + 22.0;
        at
    };
    for (class, label) in items {
        let (sx, sy) = place(scene, label);
        scene.rect((sx, sy), (SWATCH, SWATCH), class, String::new(), None);
    }
    let label = "break: the size written in it is cut out";
    let (sx, sy) = place(scene, label);
    scene.rect((sx, sy), (SWATCH, SWATCH), "free", String::new(), None);
    scene.break_sign(
        (sx - 2.0, sx + SWATCH + 2.0),
        (sy + 4.0, sy + SWATCH - 4.0),
        String::new(),
    );

    // The scale bar: a known size at the shared scale.
    let bytes = scale.reference_bytes();
    let height = bytes as f64 * scale.pixels_per_byte;
    let top = y + SWATCH + 14.0;
    scene.rect(
        (left + 4.0, top),
        (6.0, height),
        "scale",
        format!(r#" data-bytes="{bytes}""#),
        None,
    );
    let middle = top + height / 2.0;
    scene.text(
        left + SWATCH + 6.0,
        middle - 2.0,
        FONT,
        format!("scale: this bar is {}", size_text(bytes)),
    );
    scene.text(
        left + SWATCH + 6.0,
        middle + LINE - 2.0,
        FONT,
        "all but the spans cut out at breaks is drawn to it",
    );
}

/// A size as reference manuals write it: MiB or KiB when whole, else bytes.
pub fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}
