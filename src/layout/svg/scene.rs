//! The drawing as a list of shapes whose extents are known, so that the
//! canvas can be sized to its content instead of guessed.
//!
//! Shapes are placed in free coordinates (the columns grow upwards from
//! y = 0); [`Scene::finish`] measures everything, moves it inside a margin
//! and writes the SVG document with absolute coordinates, so a reader (or a
//! test) sees plain `x`/`y` attributes and no transforms.

use std::fmt::Write;

/// Space around the content, in px.
const MARGIN: f64 = 12.0;

/// The advance of one glyph of a monospace font, in em: 0.6 em for DejaVu
/// Sans Mono (1233 of 2048 font units), Liberation Mono and Courier, the
/// fonts fontconfig picks for `monospace`.
const ADVANCE_EM: f64 = 0.6;
/// How far glyphs reach above the baseline, in em (DejaVu Sans Mono: cap
/// height 0.73 em, accents higher; 0.8 leaves room).
const ASCENT_EM: f64 = 0.8;
/// How far descenders (g, p, y) reach below the baseline, in em (0.24 em in
/// DejaVu Sans Mono).
const DESCENT_EM: f64 = 0.25;

/// The font size of ordinary labels, in px.
pub const FONT: f64 = 11.0;
/// The distance between the baselines of two label lines, in px.
pub const LINE: f64 = 13.0;

/// An axis-aligned box: left, top, right, bottom, in px.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Extent {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Extent {
    fn union(self, other: Extent) -> Extent {
        Extent {
            left: self.left.min(other.left),
            top: self.top.min(other.top),
            right: self.right.max(other.right),
            bottom: self.bottom.max(other.bottom),
        }
    }
}

/// The width a `font_size` px monospace line of `text` takes, in px.
pub fn text_width(text: &str, font_size: f64) -> f64 {
    text.chars().count() as f64 * ADVANCE_EM * font_size
}

/// The box the glyphs of a `<text>` element at (`x`, baseline `y`) may
/// cover, for `text-anchor="start"` (the only anchor the map uses).
pub fn text_extent(x: f64, y: f64, text: &str, font_size: f64) -> Extent {
    Extent {
        left: x,
        top: y - ASCENT_EM * font_size,
        right: x + text_width(text, font_size),
        bottom: y + DESCENT_EM * font_size,
    }
}

/// One shape. `attrs` is extra attribute text (e.g. ` data-memory="ccm"`),
/// already escaped.
enum Shape {
    Rect {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        class: &'static str,
        attrs: String,
        title: Option<String>,
    },
    Line {
        from: (f64, f64),
        to: (f64, f64),
        class: &'static str,
    },
    Polygon {
        points: Vec<(f64, f64)>,
        class: &'static str,
        attrs: String,
    },
    Text {
        x: f64,
        y: f64,
        size: f64,
        bold: bool,
        text: String,
    },
}

impl Shape {
    fn extent(&self) -> Extent {
        match self {
            Shape::Rect {
                x,
                y,
                width,
                height,
                ..
            } => Extent {
                left: *x,
                top: *y,
                right: x + width,
                bottom: y + height,
            },
            Shape::Line { from, to, .. } => points_extent(&[*from, *to]),
            Shape::Polygon { points, .. } => points_extent(points),
            Shape::Text {
                x, y, size, text, ..
            } => text_extent(*x, *y, text, *size),
        }
    }
}

fn points_extent(points: &[(f64, f64)]) -> Extent {
    points.iter().fold(
        Extent {
            left: f64::INFINITY,
            top: f64::INFINITY,
            right: f64::NEG_INFINITY,
            bottom: f64::NEG_INFINITY,
        },
        |e, &(x, y)| Extent {
            left: e.left.min(x),
            top: e.top.min(y),
            right: e.right.max(x),
            bottom: e.bottom.max(y),
        },
    )
}

/// The shapes of one drawing, in painting order.
#[derive(Default)]
pub struct Scene {
    shapes: Vec<Shape>,
}

impl Scene {
    /// A rectangle of CSS `class` (see the style sheet in [`finish`](Self::finish)).
    /// The top left corner is `(x, y)`.
    pub fn rect(
        &mut self,
        (x, y): (f64, f64),
        (width, height): (f64, f64),
        class: &'static str,
        attrs: String,
        title: Option<String>,
    ) {
        self.shapes.push(Shape::Rect {
            x,
            y,
            width,
            height,
            class,
            attrs,
            title,
        });
    }

    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), class: &'static str) {
        self.shapes.push(Shape::Line { from, to, class });
    }

    pub fn polygon(&mut self, points: Vec<(f64, f64)>, class: &'static str, attrs: String) {
        self.shapes.push(Shape::Polygon {
            points,
            class,
            attrs,
        });
    }

    /// The drafting sign for a break: a white band from `left` to `right`
    /// between two zigzag lines running along `top` and `bottom`.
    pub fn break_sign(
        &mut self,
        (left, right): (f64, f64),
        (top, bottom): (f64, f64),
        attrs: String,
    ) {
        const STEP: f64 = 6.0;
        const AMPLITUDE: f64 = 3.0;
        let steps = ((right - left) / STEP).ceil() as usize;
        let zigzag = |y: f64| -> Vec<(f64, f64)> {
            (0..=steps)
                .map(|i| {
                    let x = (left + i as f64 * STEP).min(right);
                    let up = if i % 2 == 0 { -AMPLITUDE } else { AMPLITUDE };
                    (x, y + up)
                })
                .collect()
        };
        let mut points = zigzag(top);
        points.extend(zigzag(bottom).into_iter().rev());
        self.polygon(points, "break", attrs);
    }

    /// One line of text, its baseline at `y`.
    pub fn text(&mut self, x: f64, y: f64, size: f64, text: impl Into<String>) {
        self.push_text(x, y, size, false, text.into());
    }

    pub fn bold_text(&mut self, x: f64, y: f64, size: f64, text: impl Into<String>) {
        self.push_text(x, y, size, true, text.into());
    }

    fn push_text(&mut self, x: f64, y: f64, size: f64, bold: bool, text: String) {
        self.shapes.push(Shape::Text {
            x,
            y,
            size,
            bold,
            text,
        });
    }

    /// The box around everything drawn so far (all zero when empty).
    pub fn extent(&self) -> Extent {
        self.shapes
            .iter()
            .map(Shape::extent)
            .reduce(Extent::union)
            .unwrap_or(Extent {
                left: 0.0,
                top: 0.0,
                right: 0.0,
                bottom: 0.0,
            })
    }

    /// The SVG document: a canvas of the content's size plus a margin, with
    /// `defs` (patterns) and `style` placed before the shapes.
    pub fn finish(&self, defs: &str, style: &str) -> String {
        let extent = self.extent();
        let (dx, dy) = (MARGIN - extent.left, MARGIN - extent.top);
        let width = (extent.right - extent.left + 2.0 * MARGIN).ceil();
        let height = (extent.bottom - extent.top + 2.0 * MARGIN).ceil();
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="{FONT}">"#
        );
        let _ = writeln!(svg, "<defs>{defs}</defs>\n<style>{style}</style>");
        let _ = writeln!(
            svg,
            r##"<rect class="canvas" x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
        );
        for shape in &self.shapes {
            write_shape(&mut svg, shape, dx, dy);
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn write_shape(svg: &mut String, shape: &Shape, dx: f64, dy: f64) {
    let _ = match shape {
        Shape::Rect {
            x,
            y,
            width,
            height,
            class,
            attrs,
            title,
        } => {
            let (x, y) = (x + dx, y + dy);
            match title {
                Some(title) => writeln!(
                    svg,
                    r#"<rect class="{class}"{attrs} x="{x:.2}" y="{y:.2}" width="{width:.2}" height="{height:.2}"><title>{}</title></rect>"#,
                    escape(title)
                ),
                None => writeln!(
                    svg,
                    r#"<rect class="{class}"{attrs} x="{x:.2}" y="{y:.2}" width="{width:.2}" height="{height:.2}"/>"#
                ),
            }
        }
        Shape::Line { from, to, class } => writeln!(
            svg,
            r#"<line class="{class}" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
            from.0 + dx,
            from.1 + dy,
            to.0 + dx,
            to.1 + dy
        ),
        Shape::Polygon {
            points,
            class,
            attrs,
        } => {
            let points: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{:.1},{:.1}", x + dx, y + dy))
                .collect();
            writeln!(
                svg,
                r#"<polygon class="{class}"{attrs} points="{}"/>"#,
                points.join(" ")
            )
        }
        Shape::Text {
            x,
            y,
            size,
            bold,
            text,
        } => writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="{size}"{}>{}</text>"#,
            x + dx,
            y + dy,
            if *bold { r#" font-weight="bold""# } else { "" },
            escape(text)
        ),
    };
}

/// `text` with the characters XML gives a meaning replaced by entities.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
