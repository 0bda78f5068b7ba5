//! One memory's column: the whole memory from its origin to its end, cut
//! into pieces (partitions, the kernel heap, alignment loss, free space),
//! low addresses at the bottom as in reference manuals, with the address of
//! every boundary on the axis to its left.
//!
//! An ARMv7-M region is a naturally aligned power of two and may reach past
//! the memory (its disabled subregions cover what lies beyond); the column
//! then also spans those addresses, drawn as "outside", so that every
//! subregion has its place.

use crate::board::Memory;
use crate::layout::plan::{Partition, Plan, PlannedRegion};
use crate::layout::request::Owner;
use crate::mpu::MemoryKind;

use super::regions::Regions;
use super::scale::{Height, Scale};
use super::scene::{FONT, LINE, Scene, escape, text_width};
use super::size_text;

/// The least width of a memory bar, in px.
const MIN_BAR_WIDTH: f64 = 130.0;
/// Space between a label and the edge of its bar, in px.
const PADDING: f64 = 6.0;
/// The font size of memory names, in px.
const HEADER_FONT: f64 = 13.0;

/// What a memory is, as far as the column needs it.
#[derive(Clone)]
pub struct MemorySpan {
    pub name: String,
    pub kind: MemoryKind,
    pub start: u64,
    pub end: u64,
}

impl MemorySpan {
    pub fn of(memory: &Memory) -> MemorySpan {
        MemorySpan {
            name: memory.name.clone(),
            kind: memory.kind,
            start: u64::from(memory.origin),
            end: memory.end(),
        }
    }
}

/// What fills a piece of the column.
#[derive(Clone, Copy)]
enum Fill<'a> {
    Partition(&'a Partition),
    /// The kernel heap, inside this kernel partition.
    Heap(&'a Partition),
    Loss,
    Free,
    /// Addresses outside the memory that a region of it spans.
    Outside,
}

impl Fill<'_> {
    fn class(&self) -> &'static str {
        match self {
            Fill::Partition(p) => match p.owner {
                Owner::Kernel => "kernel",
                Owner::User => "user",
            },
            Fill::Heap(_) => "heap",
            Fill::Loss => "loss",
            Fill::Free => "free",
            Fill::Outside => "outside",
        }
    }

    /// Whether two adjacent pieces of these fills are one piece.
    fn merges_with(&self, other: &Fill) -> bool {
        matches!(
            (self, other),
            (Fill::Loss, Fill::Loss) | (Fill::Free, Fill::Free) | (Fill::Outside, Fill::Outside)
        )
    }
}

struct Piece<'a> {
    start: u64,
    end: u64,
    fill: Fill<'a>,
    /// The label, one entry per line.
    label: Vec<String>,
}

/// One memory's column, ready to draw once the scale is known.
pub struct Column<'a> {
    memory: MemorySpan,
    pieces: Vec<Piece<'a>>,
    partitions: Vec<&'a Partition>,
    regions: Regions<'a>,
}

impl<'a> Column<'a> {
    /// The column of `memory`; `all` names what lies outside it.
    pub fn new(plan: &'a Plan, memory: MemorySpan, all: &[MemorySpan]) -> Column<'a> {
        let partitions: Vec<&Partition> = plan
            .partitions
            .iter()
            .filter(|p| p.memory == memory.name)
            .collect();
        let planned: Vec<&PlannedRegion> =
            partitions.iter().flat_map(|p| p.regions.iter()).collect();
        let regions = Regions::new(planned);
        let (low, high) = regions.span().map_or((memory.start, memory.end), |r| {
            (r.start.min(memory.start), r.end.max(memory.end))
        });
        let heap = plan.kernel_heap;
        let mut bounds: Vec<u64> = [low, high, memory.start, memory.end, heap.start, heap.end]
            .into_iter()
            .chain(partitions.iter().flat_map(|p| [p.start, p.end]))
            .chain(plan.loss.gaps.iter().flat_map(|g| [g.start, g.end]))
            .filter(|a| (low..=high).contains(a))
            .collect();
        bounds.sort_unstable();
        bounds.dedup();

        let mut pieces: Vec<Piece> = Vec::new();
        for w in bounds.windows(2) {
            let (start, end) = (w[0], w[1]);
            let inside = |s: u64, e: u64| s <= start && end <= e;
            let fill = if !inside(memory.start, memory.end) {
                Fill::Outside
            } else if let Some(p) = partitions.iter().find(|p| inside(p.start, p.end)) {
                if !heap.is_empty() && inside(heap.start, heap.end) {
                    Fill::Heap(p)
                } else {
                    Fill::Partition(p)
                }
            } else if plan.loss.gaps.iter().any(|g| inside(g.start, g.end)) {
                Fill::Loss
            } else {
                Fill::Free
            };
            match pieces.last_mut() {
                Some(last) if last.fill.merges_with(&fill) => last.end = end,
                _ => pieces.push(Piece {
                    start,
                    end,
                    fill,
                    label: Vec::new(),
                }),
            }
        }
        for piece in &mut pieces {
            piece.label = label(piece, &memory, all);
        }
        Column {
            memory,
            pieces,
            partitions,
            regions,
        }
    }

    /// The sizes of the pieces, in bytes, bottom first.
    pub fn sizes(&self) -> Vec<u64> {
        self.pieces.iter().map(|p| p.end - p.start).collect()
    }

    /// Whether some piece lies outside the memory.
    pub fn reaches_outside(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p.fill, Fill::Outside))
    }

    /// Draws the column with its left edge at `x` and its lowest address at
    /// y = 0 (higher addresses upwards, at negative y); returns the x of its
    /// right edge. `index` makes the ids of its pieces unique.
    pub fn draw(&self, scene: &mut Scene, index: usize, x: f64, scale: &Scale) -> f64 {
        let heights = scale.heights(&self.sizes());
        let axis = Axis::new(&self.pieces, &heights);
        let address_width = axis
            .boundaries()
            .map(|(address, _)| text_width(&address_text(address), FONT))
            .fold(0.0, f64::max);
        let bar = x + address_width + 2.0 * PADDING;
        let header = self.header();
        let bar_width = self
            .pieces
            .iter()
            .flat_map(|p| p.label.iter().map(|l| text_width(l, FONT)))
            .chain([
                text_width(&header[0], HEADER_FONT),
                text_width(&header[1], FONT),
            ])
            .fold(MIN_BAR_WIDTH, |w, t| w.max(t + 2.0 * PADDING));

        let top = axis.y(self.pieces.last().map_or(0, |p| p.end));
        scene.bold_text(bar, top - LINE - 9.0, HEADER_FONT, header[0].clone());
        scene.text(bar, top - 8.0, FONT, header[1].clone());

        for (address, y) in axis.boundaries() {
            scene.text(x, y + 4.0, FONT, address_text(address));
            scene.line((bar - PADDING, y), (bar, y), "tick");
        }
        for (i, (piece, height)) in self.pieces.iter().zip(&heights).enumerate() {
            self.draw_piece(scene, (index, i), (bar, bar_width), &axis, piece, height);
        }
        for p in &self.partitions {
            let (top, bottom) = (axis.y(p.end), axis.y(p.start));
            scene.rect(
                (bar, top),
                (bar_width, bottom - top),
                "outline",
                String::new(),
                None,
            );
        }
        let lanes = bar + bar_width + PADDING;
        let right = self.regions.draw(scene, lanes, &|a| axis.y(a));
        // Break signs last, over the bar and the region lanes alike.
        for (i, (piece, height)) in self.pieces.iter().zip(&heights).enumerate() {
            if height.shortened {
                let y = axis.y(piece.end) + 0.22 * height.pixels;
                scene.break_sign(
                    bar - 3.0,
                    lanes + self.regions.lanes_width() + 3.0,
                    y,
                    format!(r#" data-piece="piece-{index}-{i}""#),
                );
            }
        }
        right.max(bar + bar_width)
    }

    fn draw_piece(
        &self,
        scene: &mut Scene,
        (column, i): (usize, usize),
        (bar, width): (f64, f64),
        axis: &Axis,
        piece: &Piece,
        height: &Height,
    ) {
        let (top, bottom) = (axis.y(piece.end), axis.y(piece.start));
        let mut attrs = format!(
            r#" id="piece-{column}-{i}" data-memory="{}" data-start="{:#x}" data-end="{:#x}""#,
            escape(&self.memory.name),
            piece.start,
            piece.end
        );
        let tooltip = match piece.fill {
            Fill::Partition(p) | Fill::Heap(p) => {
                attrs += &format!(r#" data-partition="{}""#, escape(&p.name));
                format!(
                    "{} ({}, unprivileged {}): {:#010x}..{:#010x}",
                    p.name, p.owner, p.access, p.start, p.end
                )
            }
            _ => format!(
                "{}: {:#010x}..{:#010x}",
                piece.label[0], piece.start, piece.end
            ),
        };
        if height.shortened {
            attrs += r#" data-shortened="true""#;
        }
        scene.rect(
            (bar, top),
            (width, bottom - top),
            piece.fill.class(),
            attrs,
            Some(tooltip),
        );
        let lines = piece.label.len() as f64;
        let first = (top + bottom) / 2.0 - lines * LINE / 2.0 + LINE - 3.5;
        for (n, line) in piece.label.iter().enumerate() {
            scene.text(bar + PADDING, first + n as f64 * LINE, FONT, line.clone());
        }
    }

    /// The memory's name, and its kind, size and origin.
    fn header(&self) -> [String; 2] {
        let m = &self.memory;
        [
            m.name.clone(),
            format!(
                "{} {} at {:#010x}",
                m.kind,
                size_text(m.end - m.start),
                m.start
            ),
        ]
    }
}

/// The label of a piece: what it is, its size, and what unprivileged code
/// may do there.
fn label(piece: &Piece, memory: &MemorySpan, all: &[MemorySpan]) -> Vec<String> {
    let size = size_text(piece.end - piece.start);
    match piece.fill {
        Fill::Partition(p) => vec![
            format!("{} {}", p.name, size_text(p.size)),
            format!("unprivileged {}", p.access),
        ],
        Fill::Heap(p) => vec![format!("kernel heap {size}"), format!("top of {}", p.name)],
        Fill::Loss => vec![format!("alignment loss {size}")],
        Fill::Free => vec![format!("free {size}")],
        Fill::Outside => {
            let there: Vec<&str> = all
                .iter()
                .filter(|m| m.start < piece.end && piece.start < m.end)
                .map(|m| m.name.as_str())
                .collect();
            vec![
                format!("outside {} {size}", memory.name),
                if there.is_empty() {
                    "no memory".to_owned()
                } else {
                    format!("({})", there.join(", "))
                },
            ]
        }
    }
}

/// An address as the axis shows it: eight hex digits (nine for the end
/// of the 4 GiB address space).
fn address_text(address: u64) -> String {
    format!("{address:#010x}")
}

/// Where addresses go: the y of every piece boundary, bottom (y = 0) first.
struct Axis {
    /// (address, y) at every boundary, ascending addresses.
    points: Vec<(u64, f64)>,
}

impl Axis {
    fn new(pieces: &[Piece], heights: &[Height]) -> Axis {
        let mut y = 0.0;
        let mut points: Vec<(u64, f64)> =
            pieces.first().map(|p| (p.start, y)).into_iter().collect();
        for (p, h) in pieces.iter().zip(heights) {
            y -= h.pixels;
            points.push((p.end, y));
        }
        Axis { points }
    }

    fn boundaries(&self) -> impl Iterator<Item = (u64, f64)> + '_ {
        self.points.iter().copied()
    }

    /// The y of `address`: linear within each piece, clamped to the column.
    fn y(&self, address: u64) -> f64 {
        let (Some(&first), Some(&last)) = (self.points.first(), self.points.last()) else {
            return 0.0;
        };
        if address <= first.0 {
            return first.1;
        }
        if address >= last.0 {
            return last.1;
        }
        let i = self.points.partition_point(|(a, _)| *a <= address);
        let (a0, y0) = self.points[i - 1];
        let (a1, y1) = self.points[i];
        y0 + (y1 - y0) * (address - a0) as f64 / (a1 - a0) as f64
    }
}
