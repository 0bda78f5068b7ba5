//! `layout --svg` on every bundled board: a real renderer (`rsvg-convert`,
//! Debian's librsvg2-bin, which scripts/test installs) draws it at its
//! canvas size; every text lies inside the canvas and no two overlap (by
//! the renderer's text-width estimate, itself checked against the glyphs
//! the renderer draws); the legend's scale bar states the scale every
//! unbroken piece is drawn to; each memory is drawn whole; regions carry
//! their register values and access rights beside them.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use mcu_build::board::{self, Board};
use mcu_build::layout::svg::{Extent, size_text, text_extent};
use mcu_build::layout::{self, Plan};
use mcu_build::mpu::{Arch, Region, Registers};
use roxmltree::{Document, Node};

mod common;

const RSVG: &str = "rsvg-convert";

fn boards() -> Vec<(Board, Plan, String)> {
    board::bundled_names()
        .map(|name| {
            let b = board::bundled(name).unwrap();
            let plan = layout::plan(&b, &b.partitions).unwrap();
            let svg = layout::svg::render(&plan, &b.memories);
            (b, plan, svg)
        })
        .collect()
}

/// A board whose pieces differ in size by three orders of magnitude: a
/// 1 KiB kernel heap and a 1 KiB memory beside 28 KiB of SRAM, 96 KiB and
/// 224 KiB flash partitions and 1728 KiB of free flash.
const TINY_HEAP: &str = r#"
name = "tiny-heap"
description = "a 1 KiB piece beside partitions of 28 KiB to 224 KiB"
cpu = "cortex-m7"

[mpu]
kind = "armv7m"
regions = 16
kernel-regions = 0

[[memory]]
name = "flash"
kind = "flash"
origin = 0x08000000
length = "2M"

[[memory]]
name = "ram"
kind = "ram"
origin = 0x20000000
length = "32K"

[[memory]]
name = "ram2"
kind = "ram"
origin = 0x30000000
length = "1K"

[partitions]
kernel-flash = { memory = "flash", size = "96K" }
user-flash = { memory = "flash", size = "224K" }
kernel-sram = { memory = "ram", size = "4K" }
user-sram = { memory = "ram", size = "rest" }
kernel-heap = "1K"
extra = [{ name = "user-tiny", memory = "ram2", size = "rest" }]
"#;

/// The bundled boards and [`TINY_HEAP`] (with a 2 KiB kernel stack, so
/// that 4 KiB of kernel SRAM plans).
fn all_boards() -> Vec<(Board, Plan, String)> {
    let mut b = board::parse(TINY_HEAP, Path::new("tiny-heap.toml")).unwrap();
    b.partitions.splits.kernel_stack = 2048;
    let plan = layout::plan(&b, &b.partitions).unwrap();
    let svg = layout::svg::render(&plan, &b.memories);
    let mut all = boards();
    all.push((b, plan, svg));
    all
}

/// Runs `rsvg-convert` with `args`, failing with the package to install
/// when it is missing.
fn rsvg_convert(args: &[&str], input: &Path, output: &Path) {
    let out = Command::new(RSVG)
        .args(args)
        .arg(input)
        .arg("-o")
        .arg(output)
        .output()
        .unwrap_or_else(|e| {
            panic!("{RSVG}: {e}; install Debian's librsvg2-bin (scripts/test does)")
        });
    assert!(
        out.status.success(),
        "{RSVG} {args:?} {}: {}",
        input.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The width and height of a PNG file, from its IHDR chunk (PNG spec 11.2.2:
/// the 8-byte signature, the chunk length and type, then two big-endian u32).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    assert_eq!(&bytes[12..16], b"IHDR", "{}", path.display());
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

fn number(node: Node, name: &str) -> f64 {
    node.attribute(name)
        .unwrap_or_else(|| panic!("{node:?} has no {name}"))
        .parse()
        .unwrap_or_else(|e| panic!("{node:?} {name}: {e}"))
}

fn hex(node: Node, name: &str) -> u64 {
    let text = node.attribute(name).unwrap();
    u64::from_str_radix(text.trim_start_matches("0x"), 16).unwrap()
}

fn canvas(doc: &Document) -> (f64, f64) {
    let root = doc.root_element();
    (number(root, "width"), number(root, "height"))
}

/// Every `<text>` element with the box the renderer says it covers.
fn texts<'a>(doc: &'a Document) -> Vec<(Node<'a, 'a>, String, Extent)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let text = n.text().unwrap_or("").to_owned();
            let extent = text_extent(
                number(n, "x"),
                number(n, "y"),
                &text,
                number(n, "font-size"),
            );
            (n, text, extent)
        })
        .collect()
}

fn rects_of<'a>(doc: &'a Document, class: &str) -> Vec<Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some(class))
        .collect()
}

#[test]
fn every_board_renders_with_rsvg_convert_at_its_canvas_size() {
    let dir = tempfile::tempdir().unwrap();
    for (b, _, svg) in all_boards() {
        let input = dir.path().join(format!("{}.svg", b.name));
        let png = dir.path().join(format!("{}.png", b.name));
        std::fs::write(&input, &svg).unwrap();
        rsvg_convert(&[], &input, &png);
        let doc = Document::parse(&svg).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        let (width, height) = canvas(&doc);
        assert_eq!(png_size(&png), (width as u32, height as u32), "{}", b.name);
    }
}

#[test]
fn every_text_lies_inside_the_canvas_and_no_two_overlap() {
    for (b, _, svg) in all_boards() {
        assert_texts_fit(&b.name, &Document::parse(&svg).unwrap());
    }
}

fn assert_texts_fit(name: &str, doc: &Document) {
    let (width, height) = canvas(doc);
    let texts = texts(doc);
    assert!(texts.len() > 10, "{name}: {} texts", texts.len());
    for (_, text, e) in &texts {
        assert!(
            e.left >= 0.0 && e.top >= 0.0 && e.right <= width && e.bottom <= height,
            "{name}: {text:?} at {e:?} leaves the {width}x{height} canvas"
        );
    }
    for (i, (_, a, ea)) in texts.iter().enumerate() {
        for (_, z, ez) in &texts[i + 1..] {
            let apart = ea.right <= ez.left
                || ez.right <= ea.left
                || ea.bottom <= ez.top
                || ez.bottom <= ea.top;
            assert!(apart, "{name}: {a:?} {ea:?} overlaps {z:?} {ez:?}");
        }
    }
}

/// The checks above trust `text_extent`; here the renderer draws each
/// distinct text alone (`--export-id` sizes the PNG to the element's ink)
/// and the ink must fit the estimate, to the pixel the PNG rounds to.
#[test]
fn the_text_extent_estimate_covers_the_glyphs_rsvg_convert_draws() {
    let mut distinct: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (_, _, svg) in all_boards() {
        let doc = Document::parse(&svg).unwrap();
        for (n, text, _) in texts(&doc) {
            let size = n.attribute("font-size").unwrap().to_owned();
            let weight = n.attribute("font-weight").unwrap_or("normal").to_owned();
            distinct.insert((size, weight, text));
        }
    }
    let mut svg = String::from(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="100" font-family="monospace">"#,
    );
    for (i, (size, weight, text)) in distinct.iter().enumerate() {
        svg += &format!(
            r#"<text id="t{i}" x="10" y="50" font-size="{size}" font-weight="{weight}">{}</text>"#,
            text.replace('&', "&amp;").replace('<', "&lt;")
        );
    }
    svg += "</svg>";
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("texts.svg");
    std::fs::write(&input, svg).unwrap();
    for (i, (size, _, text)) in distinct.iter().enumerate() {
        let png = dir.path().join(format!("t{i}.png"));
        rsvg_convert(&["--export-id", &format!("t{i}")], &input, &png);
        let (w, h) = png_size(&png);
        let e = text_extent(0.0, 0.0, text, size.parse().unwrap());
        assert!(
            f64::from(w) <= e.right.ceil() + 1.0 && f64::from(h) <= (e.bottom - e.top).ceil() + 1.0,
            "{text:?} at {size} px is drawn {w}x{h}, estimated {:.1}x{:.1}",
            e.right,
            e.bottom - e.top
        );
    }
}

/// The legend's bar of known size gives pixels per byte; every piece
/// without a break is that tall per byte, every piece with one is shorter
/// and carries the sign. So no memory looks as large as one it is not,
/// unmarked.
#[test]
fn every_piece_is_to_the_legends_scale_or_carries_a_break() {
    let mut shortened = 0;
    for (b, _, svg) in all_boards() {
        shortened += assert_to_scale(&b.name, &Document::parse(&svg).unwrap());
    }
    assert!(shortened > 0, "no bundled board exercises a break");
}

/// Checks the scale claim, and that a larger piece is never drawn shorter
/// than a smaller one anywhere on the map; returns how many pieces are
/// shortened.
fn assert_to_scale(name: &str, doc: &Document) -> usize {
    let bars = rects_of(doc, "scale");
    assert_eq!(bars.len(), 1, "{name}");
    let per_byte = number(bars[0], "height") / number(bars[0], "data-bytes");
    let mut shortened = 0;
    let mut drawn: Vec<(u64, f64)> = Vec::new();
    for piece in doc
        .descendants()
        .filter(|n| n.attribute("data-start").is_some())
    {
        let bytes = (hex(piece, "data-end") - hex(piece, "data-start")) as f64;
        let height = number(piece, "height");
        drawn.push((bytes as u64, height));
        let id = piece.attribute("id").unwrap();
        let to_scale = bytes * per_byte;
        if piece.attribute("data-shortened") == Some("true") {
            shortened += 1;
            // A break removes at least 0.05 px; coordinates are rounded
            // to 0.01 px.
            assert!(height < to_scale - 0.02, "{name}: {id} {height} px");
            assert!(
                doc.descendants()
                    .any(|n| n.attribute("class") == Some("break")
                        && n.attribute("data-piece") == Some(id)),
                "{name}: {id} is shortened without a break sign"
            );
        } else {
            assert!(
                (height - to_scale).abs() <= 0.15,
                "{name}: {id} is {height} px, {to_scale:.2} px at the scale"
            );
        }
    }
    drawn.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    for w in drawn.windows(2) {
        assert!(
            w[1].1 >= w[0].1 - 0.15,
            "{name}: {} bytes drawn {} px, {} bytes only {} px",
            w[0].0,
            w[0].1,
            w[1].0,
            w[1].1
        );
    }
    shortened
}

/// Each memory's pieces stack without gaps and cover it from its origin to
/// its end; partitions, the kernel heap and free space are all there.
#[test]
fn every_memory_is_drawn_whole_with_its_free_space_and_the_kernel_heap() {
    for (b, plan, svg) in all_boards() {
        let doc = Document::parse(&svg).unwrap();
        for m in &b.memories {
            let mut pieces: Vec<Node> = doc
                .descendants()
                .filter(|n| n.attribute("data-memory") == Some(m.name.as_str()))
                .collect();
            pieces.sort_by_key(|n| hex(*n, "data-start"));
            let first = pieces.first().expect("a memory without pieces");
            let last = pieces.last().unwrap();
            assert!(
                hex(*first, "data-start") <= u64::from(m.origin),
                "{}",
                m.name
            );
            assert!(hex(*last, "data-end") >= m.end(), "{}", m.name);
            for w in pieces.windows(2) {
                assert_eq!(hex(w[0], "data-end"), hex(w[1], "data-start"));
                let lower_top = number(w[0], "y");
                let upper_bottom = number(w[1], "y") + number(w[1], "height");
                assert!((lower_top - upper_bottom).abs() < 0.15, "{}", m.name);
            }
            let used: u64 = plan
                .partitions
                .iter()
                .filter(|p| p.memory == m.name)
                .map(|p| p.size)
                .sum();
            if used < m.length {
                assert!(
                    pieces.iter().any(|n| n.attribute("class") == Some("free")),
                    "{}: {} has free space but none is drawn",
                    b.name,
                    m.name
                );
            }
        }
        let heap: Vec<Node> = rects_of(&doc, "heap")
            .into_iter()
            .filter(|n| n.attribute("data-start").is_some())
            .collect();
        assert_eq!(heap.len(), 1, "{}", b.name);
        assert_eq!(hex(heap[0], "data-start"), plan.kernel_heap.start);
        assert_eq!(hex(heap[0], "data-end"), plan.kernel_heap.end);
        let texts = texts(&doc);
        let label = format!("kernel heap {} KiB", plan.kernel_heap.len() >> 10);
        assert!(
            texts.iter().any(|(_, t, _)| *t == label),
            "{}: {label}",
            b.name
        );
    }
}

/// Beside each region's bar: its number, its access for unprivileged code,
/// its two register values; ARMv8-M has no subregions, so neither its
/// labels nor its legend mention them, and ARMv7-M's disabled subregions
/// are tall enough to see.
#[test]
fn regions_are_labelled_beside_their_bars_with_access_and_register_values() {
    for (b, plan, svg) in boards() {
        let doc = Document::parse(&svg).unwrap();
        let texts = texts(&doc);
        let has = |s: &str| texts.iter().any(|(_, t, _)| t == s);
        for p in &plan.partitions {
            assert!(has(&format!("unprivileged {}", p.access)), "{}", p.name);
            for r in &p.regions {
                let (rbar, second) = match r.registers {
                    Registers::Armv7m(v) => (v.rbar, format!("RASR={:#010x}", v.rasr)),
                    Registers::Armv8m(v) => (v.rbar, format!("RLAR={:#010x}", v.rlar)),
                };
                assert!(has(&format!("RBAR={rbar:#010x}")), "{}", b.name);
                assert!(has(&second), "{}: {second}", b.name);
                let execute_never = match r.region {
                    Region::Armv7m(v) => v.execute_never(),
                    Region::Armv8m(v) => v.execute_never(),
                };
                let xn = if execute_never { " XN" } else { "" };
                let access = format!("unprivileged {}{xn}", r.region.unprivileged_access());
                assert!(has(&access), "{}: {access}", b.name);

                // The label is right of the bar and within reach of it.
                let n = r.number.to_string();
                let cells: Vec<Node> = doc
                    .descendants()
                    .filter(|c| c.attribute("data-region") == Some(n.as_str()))
                    .collect();
                let right = cells
                    .iter()
                    .map(|c| number(*c, "x") + number(*c, "width"))
                    .fold(f64::MIN, f64::max);
                let top = cells
                    .iter()
                    .map(|c| number(*c, "y"))
                    .fold(f64::MAX, f64::min);
                let bottom = cells
                    .iter()
                    .map(|c| number(*c, "y") + number(*c, "height"))
                    .fold(f64::MIN, f64::max);
                let (_, _, e) = texts
                    .iter()
                    .find(|(_, t, _)| *t == format!("region {n}"))
                    .unwrap_or_else(|| panic!("{}: no label for region {n}", b.name));
                assert!(e.left > right && e.left < right + 40.0, "{}: {e:?}", b.name);
                // The label's four lines (number, access, two registers)
                // reach the bar's height: a label taller than a thin bar
                // is centred on it (lines 13 px apart).
                let label_bottom = e.top + 4.0 * 13.0;
                assert!(label_bottom > top && e.top < bottom, "{}: {e:?}", b.name);
            }
        }
        let speaks_of_subregions = texts
            .iter()
            .any(|(_, t, _)| t.to_lowercase().contains("subregion"));
        match plan.arch {
            Arch::Armv8m => assert!(!speaks_of_subregions, "{}", b.name),
            Arch::Armv7m => {
                assert!(has("MPU subregion disabled"), "{}", b.name);
                // A disabled subregion is drawn at least 8 px tall, or,
                // where the partitions beside it are so much larger that
                // the map's one scale makes it thinner (2 KiB subregions
                // beside 128 KiB on qemu-lm3s6965evb), exactly to scale.
                let bars = rects_of(&doc, "scale");
                let per_byte = number(bars[0], "height") / number(bars[0], "data-bytes");
                for off in rects_of(&doc, "off") {
                    let height = number(off, "height");
                    let Some(low) = off.attribute("data-low") else {
                        continue; // the legend's sample
                    };
                    let bytes = (hex(off, "data-high") - hex(off, "data-low")) as f64;
                    assert!(
                        height >= 8.0 || (height - bytes * per_byte).abs() <= 0.15,
                        "{}: subregion at {low} is {height} px",
                        b.name
                    );
                }
            }
        }
    }
}

#[test]
fn the_svg_depends_only_on_the_plan() {
    for (b, plan, svg) in all_boards() {
        assert_eq!(layout::svg::render(&plan, &b.memories), svg, "{}", b.name);
    }
}

/// A span of addresses a break cuts out of a piece of one column, and the
/// break's box.
struct Cut {
    start: u64,
    end: u64,
    bbox: Extent,
}

/// One memory's column as drawn: its pieces (start, end, top y, bottom y,
/// left x) and its cuts.
struct DrawnColumn {
    pieces: Vec<(u64, u64, f64, f64, f64)>,
    cuts: Vec<Cut>,
}

fn polygon_extent(node: Node) -> Extent {
    let points: Vec<(f64, f64)> = node
        .attribute("points")
        .unwrap()
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    points.iter().fold(
        Extent {
            left: f64::MAX,
            top: f64::MAX,
            right: f64::MIN,
            bottom: f64::MIN,
        },
        |e, &(x, y)| Extent {
            left: e.left.min(x),
            top: e.top.min(y),
            right: e.right.max(x),
            bottom: e.bottom.max(y),
        },
    )
}

/// The columns of `doc`, by their pieces' `data-memory`.
fn columns(doc: &Document) -> Vec<DrawnColumn> {
    let mut names: Vec<&str> = Vec::new();
    for n in doc.descendants() {
        if let Some(m) = n.attribute("data-memory")
            && !names.contains(&m)
        {
            names.push(m);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let nodes: Vec<Node> = doc
                .descendants()
                .filter(|n| n.attribute("data-memory") == Some(name))
                .collect();
            let pieces = nodes
                .iter()
                .map(|n| {
                    let top = number(*n, "y");
                    let x = number(*n, "x");
                    (
                        hex(*n, "data-start"),
                        hex(*n, "data-end"),
                        top,
                        top + number(*n, "height"),
                        x,
                    )
                })
                .collect();
            let ids: Vec<&str> = nodes.iter().filter_map(|n| n.attribute("id")).collect();
            let cuts = doc
                .descendants()
                .filter(|n| {
                    n.attribute("class") == Some("break")
                        && n.attribute("data-piece").is_some_and(|p| ids.contains(&p))
                })
                .map(|n| Cut {
                    start: hex(n, "data-cut-start"),
                    end: hex(n, "data-cut-end"),
                    bbox: polygon_extent(n),
                })
                .collect();
            DrawnColumn { pieces, cuts }
        })
        .collect()
}

impl DrawnColumn {
    /// The y of `address` outside any cut, from the pieces and the scale:
    /// below a piece's cut (or in an uncut piece) measured from its
    /// bottom, above it from its top.
    fn y(&self, address: u64, per_byte: f64) -> Option<f64> {
        let &(start, end, top, bottom, _) = self
            .pieces
            .iter()
            .find(|p| p.0 <= address && address <= p.1)?;
        match self.cuts.iter().find(|c| start <= c.start && c.end <= end) {
            Some(c) if c.start < address && address < c.end => None,
            Some(c) if address >= c.end => Some(top + (end - address) as f64 * per_byte),
            _ => Some(bottom - (address - start) as f64 * per_byte),
        }
    }
}

/// Region cells (ARMv7-M subregions) against the columns: every cell
/// boundary outside a cut lies where the scale puts its address, at the
/// same y as a partition boundary of that address; cells of one region
/// that no cut touches are equally tall (to 0.5 px); a cell a cut
/// touches is crossed by the break sign. Returns how many cell
/// boundaries were checked against a piece boundary.
fn assert_aligned(name: &str, doc: &Document) -> usize {
    let bars = rects_of(doc, "scale");
    let per_byte = number(bars[0], "height") / number(bars[0], "data-bytes");
    let columns = columns(doc);
    let mut shared = 0;
    let mut regions: BTreeSet<&str> = BTreeSet::new();
    for cell in doc
        .descendants()
        .filter(|n| n.attribute("data-region").is_some())
    {
        regions.insert(cell.attribute("data-region").unwrap());
        // The cell's column: the nearest whose bar lies left of it.
        let x = number(cell, "x");
        let column = columns
            .iter()
            .filter(|c| c.pieces[0].4 < x)
            .max_by(|a, b| a.pieces[0].4.total_cmp(&b.pieces[0].4))
            .unwrap_or_else(|| panic!("{name}: no column left of {cell:?}"));
        let (low, high) = (hex(cell, "data-low"), hex(cell, "data-high"));
        let (top, bottom) = (
            number(cell, "y"),
            number(cell, "y") + number(cell, "height"),
        );
        for (address, y) in [(low, bottom), (high, top)] {
            if let Some(expected) = column.y(address, per_byte) {
                assert!(
                    (y - expected).abs() < 0.15,
                    "{name}: region cell {low:#x}..{high:#x} has {address:#x} at y {y}, the scale puts it at {expected}"
                );
            }
            for p in &column.pieces {
                for (boundary, py) in [(p.0, p.3), (p.1, p.2)] {
                    if boundary == address {
                        shared += 1;
                        assert!(
                            (y - py).abs() < 0.15,
                            "{name}: {address:#x} is at y {y} in a region bar, {py} in the column"
                        );
                    }
                }
            }
        }
        if let Some(cut) = column.cuts.iter().find(|c| c.start < high && low < c.end) {
            let right = x + number(cell, "width");
            assert!(
                cut.bbox.left <= x && right <= cut.bbox.right,
                "{name}: cell {low:#x}..{high:#x} is cut but the break does not cross it"
            );
            assert!(
                cut.bbox.bottom >= top && cut.bbox.top <= bottom,
                "{name}: cell {low:#x}..{high:#x} is cut away from its break"
            );
        }
    }
    for region in regions {
        let mut uncut: Vec<(u64, f64)> = Vec::new();
        for cell in doc
            .descendants()
            .filter(|n| n.attribute("data-region") == Some(region))
        {
            let (low, high) = (hex(cell, "data-low"), hex(cell, "data-high"));
            let x = number(cell, "x");
            let cut = columns
                .iter()
                .filter(|c| c.pieces[0].4 < x)
                .max_by(|a, b| a.pieces[0].4.total_cmp(&b.pieces[0].4))
                .is_some_and(|c| c.cuts.iter().any(|k| k.start < high && low < k.end));
            if !cut {
                uncut.push((high - low, number(cell, "height")));
            }
        }
        for w in uncut.windows(2) {
            if w[0].0 == w[1].0 {
                assert!(
                    (w[0].1 - w[1].1).abs() <= 0.5,
                    "{name}: region {region}: two {}-byte subregions are {} px and {} px",
                    w[0].0,
                    w[0].1,
                    w[1].1
                );
            }
        }
    }
    shared
}

/// Every break says how much it cuts out, inside the break; the span lies
/// inside its piece and the piece is marked shortened.
fn assert_breaks_say_their_size(name: &str, doc: &Document) -> usize {
    let texts = texts(doc);
    let mut breaks = 0;
    for b in doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("break") && n.attribute("data-piece").is_some())
    {
        breaks += 1;
        let (start, end) = (hex(b, "data-cut-start"), hex(b, "data-cut-end"));
        assert!(start < end, "{name}: {b:?}");
        let id = b.attribute("data-piece").unwrap();
        let piece = doc
            .descendants()
            .find(|n| n.attribute("id") == Some(id))
            .unwrap();
        assert!(hex(piece, "data-start") < start && end < hex(piece, "data-end"));
        assert_eq!(
            piece.attribute("data-shortened"),
            Some("true"),
            "{name}: {id}"
        );
        let said = format!("{} not shown", size_text(end - start));
        let bbox = polygon_extent(b);
        assert!(
            texts.iter().any(|(_, t, e)| *t == said
                && e.left >= bbox.left
                && e.right <= bbox.right
                && e.top >= bbox.top
                && e.bottom <= bbox.bottom),
            "{name}: the break of {id} does not say {said:?} inside it"
        );
    }
    breaks
}

#[test]
fn breaks_cut_addresses_out_and_everything_else_stays_aligned() {
    let (mut shared, mut breaks) = (0, 0);
    for (b, _, svg) in all_boards() {
        let doc = Document::parse(&svg).unwrap();
        shared += assert_aligned(&b.name, &doc);
        breaks += assert_breaks_say_their_size(&b.name, &doc);
    }
    assert!(
        shared > 20,
        "only {shared} region boundaries meet a partition's"
    );
    assert!(breaks > 3, "only {breaks} breaks");
}

/// The tester's board: the 1 KiB pieces do not set the scale; the
/// partitions of 28 KiB to 224 KiB are drawn whole, to scale.
#[test]
fn typical_partitions_are_to_scale_beside_a_tiny_heap() {
    let (b, plan, svg) = all_boards().pop().unwrap();
    assert_eq!(b.name.as_str(), "tiny-heap");
    let doc = Document::parse(&svg).unwrap();
    for name in ["kernel-flash", "user-flash", "user-sram", "user-tiny"] {
        let p = plan.partitions.iter().find(|p| p.name == name).unwrap();
        let start = format!("{:#x}", p.start);
        let piece = doc
            .descendants()
            .find(|n| n.attribute("data-start") == Some(start.as_str()))
            .unwrap();
        assert_eq!(piece.attribute("data-shortened"), None, "{name}");
    }
    let flash = ["kernel-flash", "user-flash"].map(|name| {
        let p = plan.partitions.iter().find(|p| p.name == name).unwrap();
        let start = format!("{:#x}", p.start);
        let piece = doc
            .descendants()
            .find(|n| n.attribute("data-start") == Some(start.as_str()))
            .unwrap();
        number(piece, "height")
    });
    // 224 KiB drawn 224/96 as tall as 96 KiB, and comfortably readable.
    assert!(
        (flash[1] / flash[0] - 224.0 / 96.0).abs() < 0.01,
        "{flash:?}"
    );
    assert!(flash[0] >= 60.0, "{flash:?}");
    // The thin pieces' labels sit beside them, inside the canvas.
    assert_texts_fit(&b.name, &doc);
}

/// The map of boards unlike the bundled ones: odd origins and lengths, a
/// 36-byte kernel heap (a piece 1/1000 of its memory), alignment loss,
/// partitions granted by several regions, regions reaching past their
/// memory. The same invariants hold.
mod random_boards {
    use super::*;
    use common::small_board::{four_partitions, small_board};
    use proptest::prelude::*;

    /// (origin offset, length, kernel size) of a memory, in 32-byte units.
    fn memory() -> impl Strategy<Value = (u32, u64, u64)> {
        (0u32..4096, 64u64..32768).prop_flat_map(|(origin, length)| {
            (
                Just(origin * 32),
                Just(length * 32),
                (2..length / 2).prop_map(|k| k * 32),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn texts_fit_and_the_scale_holds(
            armv8m in any::<bool>(),
            flash in memory(),
            sram in memory(),
            user_regions in 2u8..6,
        ) {
            let base = if armv8m { "qemu-mps2-an505" } else { "stm32f4discovery" };
            let b = small_board(
                base,
                (0x0800_0000 + flash.0, flash.1),
                (0x2000_0000 + sram.0, sram.1),
                user_regions,
            );
            let Ok(plan) = layout::plan(&b, &four_partitions(&b, flash.2, sram.2)) else {
                return Ok(());
            };
            let svg = layout::svg::render(&plan, &b.memories);
            let name = format!("{base} {flash:x?} {sram:x?} {user_regions} regions");
            let doc = Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_texts_fit(&name, &doc);
            assert_to_scale(&name, &doc);
            assert_aligned(&name, &doc);
            assert_breaks_say_their_size(&name, &doc);
        }
    }
}
