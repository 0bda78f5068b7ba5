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

use std::ops::Range;

use super::labels::{Callout, draw_stack, spread};
use super::regions::Regions;
use super::scale::{BREAK_GAP, Scale};
use super::scene::{FONT, LINE, Scene, escape, text_width};
use super::size_text;

/// The least width of a memory bar, in px.
const MIN_BAR_WIDTH: f64 = 130.0;
/// Space between a label and the edge of its bar, in px.
const PADDING: f64 = 6.0;
/// Space between the region lanes and the labels beside them, in px.
const LABEL_GAP: f64 = 14.0;
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
        let cuts: Vec<Option<Range<u64>>> = self
            .pieces
            .iter()
            .map(|p| scale.cut(p.start, p.end))
            .collect();
        let axis = Axis::new(&self.pieces, &cuts, scale.pixels_per_byte);
        // A label goes inside its piece when it fits below the break (or
        // in the whole piece), else beside the column.
        let inside: Vec<bool> = self
            .pieces
            .iter()
            .zip(&cuts)
            .map(|(p, cut)| {
                let room = axis.y(p.start) - axis.y(cut.as_ref().map_or(p.end, |c| c.start));
                room >= p.label.len() as f64 * LINE + 4.0
            })
            .collect();
        let cut_texts: Vec<String> = cuts.iter().flatten().map(cut_text).collect();
        let boundaries: Vec<u64> = self
            .pieces
            .first()
            .map(|p| p.start)
            .into_iter()
            .chain(self.pieces.iter().map(|p| p.end))
            .collect();
        let address_width = boundaries
            .iter()
            .map(|&a| text_width(&address_text(a), FONT))
            .fold(0.0, f64::max);
        let bar = x + address_width + 2.0 * PADDING;
        let header = self.header();
        let bar_width = self
            .pieces
            .iter()
            .zip(&inside)
            .filter(|(_, inside)| **inside)
            .flat_map(|(p, _)| p.label.iter().map(|l| text_width(l, FONT)))
            .chain(cut_texts.iter().map(|t| text_width(t, FONT)))
            .chain([
                text_width(&header[0], HEADER_FONT),
                text_width(&header[1], FONT),
            ])
            .fold(MIN_BAR_WIDTH, |w, t| w.max(t + 2.0 * PADDING));

        let top = axis.y(self.pieces.last().map_or(0, |p| p.end));
        scene.bold_text(bar, top - LINE - 9.0, HEADER_FONT, header[0].clone());
        scene.text(bar, top - 8.0, FONT, header[1].clone());

        // Addresses, top first, moved apart where boundaries crowd; each
        // tick runs from its address to the boundary's true place.
        let anchors: Vec<f64> = boundaries.iter().rev().map(|&a| axis.y(a)).collect();
        let tops = spread(&anchors, &vec![LINE; anchors.len()], 0.0);
        for ((&address, y), top) in boundaries.iter().rev().zip(anchors).zip(tops) {
            let middle = top + LINE / 2.0;
            scene.text(x, middle + 3.5, FONT, address_text(address));
            scene.line((x + address_width + 2.0, middle), (bar, y), "tick");
        }
        let mut callouts = Vec::new();
        for (i, piece) in self.pieces.iter().enumerate() {
            let below = cuts[i].as_ref().map_or(piece.end, |c| c.start);
            self.draw_piece(
                scene,
                (index, i),
                (bar, bar_width),
                &axis,
                piece,
                cuts[i].is_some(),
            );
            let (top, bottom) = (axis.y(below), axis.y(piece.start));
            if inside[i] {
                let lines = piece.label.len() as f64;
                let first = (top + bottom) / 2.0 - lines * LINE / 2.0 + LINE - 3.5;
                for (n, line) in piece.label.iter().enumerate() {
                    scene.text(bar + PADDING, first + n as f64 * LINE, FONT, line.clone());
                }
            } else {
                callouts.push(Callout {
                    anchor: (bar + bar_width, (top + bottom) / 2.0),
                    lines: piece.label.clone(),
                    heading: false,
                });
            }
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
        callouts.extend(self.regions.draw(scene, lanes, &|a| axis.y(a)));
        let lanes_right = lanes + self.regions.lanes_width();
        let right = if callouts.is_empty() {
            bar + bar_width
        } else {
            draw_stack(scene, lanes_right + LABEL_GAP, callouts)
        };
        // Break signs last, over the bar and the region lanes alike, each
        // with the size of the addresses it cuts out.
        for ((i, cut), text) in cuts
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
            .zip(cut_texts)
        {
            let (top, bottom) = (axis.y(cut.end), axis.y(cut.start));
            scene.break_sign(
                (bar - 3.0, lanes_right + 3.0),
                (top, bottom),
                format!(
                    r#" data-piece="piece-{index}-{i}" data-cut-start="{:#x}" data-cut-end="{:#x}""#,
                    cut.start, cut.end
                ),
            );
            scene.text(bar + PADDING, (top + bottom) / 2.0 + 3.5, FONT, text);
        }
        right
    }

    fn draw_piece(
        &self,
        scene: &mut Scene,
        (column, i): (usize, usize),
        (bar, width): (f64, f64),
        axis: &Axis,
        piece: &Piece,
        shortened: bool,
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
        if shortened {
            attrs += r#" data-shortened="true""#;
        }
        scene.rect(
            (bar, top),
            (width, bottom - top),
            piece.fill.class(),
            attrs,
            Some(tooltip),
        );
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

/// The text a break carries: the size of the addresses it cuts out.
fn cut_text(cut: &Range<u64>) -> String {
    format!("{} not shown", size_text(cut.end - cut.start))
}

/// Where addresses go: linear at the map's scale, except that the span a
/// break cuts out of a piece is squeezed into [`BREAK_GAP`].
struct Axis {
    /// (address, y) at every piece boundary and at both ends of every cut,
    /// ascending addresses from y = 0 upwards (negative y).
    points: Vec<(u64, f64)>,
}

impl Axis {
    fn new(pieces: &[Piece], cuts: &[Option<Range<u64>>], pixels_per_byte: f64) -> Axis {
        let mut y = 0.0;
        let mut points: Vec<(u64, f64)> =
            pieces.first().map(|p| (p.start, y)).into_iter().collect();
        let mut to = |points: &mut Vec<(u64, f64)>, from: u64, address: u64, gap: Option<f64>| {
            y -= gap.unwrap_or((address - from) as f64 * pixels_per_byte);
            points.push((address, y));
        };
        for (p, cut) in pieces.iter().zip(cuts) {
            match cut {
                Some(c) => {
                    to(&mut points, p.start, c.start, None);
                    to(&mut points, c.start, c.end, Some(BREAK_GAP));
                    to(&mut points, c.end, p.end, None);
                }
                None => to(&mut points, p.start, p.end, None),
            }
        }
        Axis { points }
    }

    /// The y of `address`: linear between points, clamped to the column.
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
