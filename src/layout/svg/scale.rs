//! The vertical scale: one linear scale shared by every column, with
//! marked breaks where a piece would be too tall.
//!
//! The pixels per byte are chosen so that as many pieces as possible are
//! drawn between [`LABEL_HEIGHT`] (room for their two-line label) and
//! [`MAX_PIECE`], so typical partitions are to scale and keep their relative
//! sizes; a tiny piece stays to scale too, however thin, and its label is
//! placed beside it (module `labels`). A piece taller than the cap is drawn
//! with a break: the drafting sign for "not to scale", here meaning a span of
//! addresses cut out at the sign. Everything outside the cut span is drawn
//! to scale at its true place, so region bars, subregion cells and partition
//! boundaries stay aligned with the address axis. Every break cuts the same
//! number of pixels' worth of bytes from its piece's ends, so all shortened
//! pieces are drawn equally tall and never shorter than a piece drawn whole.

use std::ops::Range;

use super::scene::LINE;

/// The height of a two-line label and its margin, in px: the least height a
/// piece needs to hold its label inside.
pub const LABEL_HEIGHT: f64 = 2.0 * LINE + 4.0;
/// The tallest a piece is drawn without a break, in px.
pub const MAX_PIECE: f64 = 300.0;
/// How tall a column may grow before its largest pieces are cut lower than
/// [`MAX_PIECE`], in px.
pub const MAX_COLUMN: f64 = 600.0;
/// The height of the white band that stands for a cut span, in px: two
/// zigzags and one line of text (the cut size) between them.
pub const BREAK_GAP: f64 = 26.0;
/// The least height of a shortened piece, in px: its label below the
/// break, the break, and a little of the piece's top above it.
pub const MIN_SHORTENED: f64 = BREAK_GAP + 2.0 * LABEL_HEIGHT;
/// The least a break removes, in px. A piece within this of the shortened
/// height is drawn whole: a cut that removes less would be lost in the
/// 0.01 px rounding of the coordinates, and a piece drawn whole that much
/// taller than a shortened, larger one is not visibly out of order.
const MIN_CUT: f64 = 0.05;
/// The share of a shortened piece's drawn bytes kept below its break (the
/// rest is kept above it); the label goes below.
const BELOW_BREAK: f64 = 0.75;

/// Pixels per byte for everything drawn to scale, and how a piece too tall
/// for the map is cut.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub pixels_per_byte: f64,
    /// Bytes kept to scale below and above a break.
    kept_below: u64,
    kept_above: u64,
}

impl Scale {
    /// The scale for `columns`, each the sizes of its pieces in bytes.
    /// The cap (one for the whole map, so heights keep the order of sizes)
    /// is [`MAX_PIECE`], or lower where a column needs it to stay within
    /// [`MAX_COLUMN`] (water filling), but at least [`MIN_SHORTENED`].
    pub fn new(columns: &[Vec<u64>]) -> Scale {
        let all: Vec<u64> = columns
            .iter()
            .flatten()
            .copied()
            .filter(|&s| s > 0)
            .collect();
        let pixels_per_byte = pixels_per_byte(&all);
        let cap = columns
            .iter()
            .map(|sizes| {
                let natural: Vec<f64> = sizes.iter().map(|&s| s as f64 * pixels_per_byte).collect();
                cap(&natural)
            })
            .fold(MAX_PIECE, f64::min)
            .max(MIN_SHORTENED);
        // Kept spans are whole multiples of a power of two worth at most
        // four pixels, so the cut size reads as reference manuals write
        // sizes (KiB at the scales of real boards).
        let mut unit: u64 = 1;
        while (unit * 2) as f64 * pixels_per_byte <= 4.0 && unit < 1 << 31 {
            unit *= 2;
        }
        let kept = |share: f64| {
            let bytes = share * (cap - BREAK_GAP) / pixels_per_byte;
            (bytes / unit as f64).floor() as u64 * unit
        };
        Scale {
            pixels_per_byte,
            kept_below: kept(BELOW_BREAK),
            kept_above: kept(1.0 - BELOW_BREAK),
        }
    }

    /// The height, in px, of every shortened piece.
    pub fn shortened_height(&self) -> f64 {
        (self.kept_below + self.kept_above) as f64 * self.pixels_per_byte + BREAK_GAP
    }

    /// The span of addresses cut out of the piece `start..end`, if it is
    /// too tall to draw whole.
    pub fn cut(&self, start: u64, end: u64) -> Option<Range<u64>> {
        let natural = (end - start) as f64 * self.pixels_per_byte;
        (natural > self.shortened_height() + MIN_CUT)
            .then(|| start + self.kept_below..end - self.kept_above)
    }

    /// A power-of-two number of bytes whose bar is at least
    /// [`LABEL_HEIGHT`] tall, the smallest such, for the legend's scale bar.
    pub fn reference_bytes(&self) -> u64 {
        let mut bytes: u64 = 1;
        while (bytes as f64) * self.pixels_per_byte < LABEL_HEIGHT && bytes < 1 << 32 {
            bytes <<= 1;
        }
        bytes
    }
}

/// Whether a piece of `pixels` height is drawn comfortably: tall enough for
/// its label, short enough to need no break.
fn comfortable(pixels: f64) -> bool {
    (LABEL_HEIGHT - 1e-9..=MAX_PIECE + 1e-9).contains(&pixels)
}

/// The pixels per byte that draw the most of `sizes` comfortably: each
/// candidate gives some size exactly [`LABEL_HEIGHT`]; among equals, the one
/// that breaks the fewest pieces (a thin piece is still to scale, a broken
/// one is not), then the largest (the map is then as legible as it can be).
fn pixels_per_byte(sizes: &[u64]) -> f64 {
    let score = |candidate: f64| {
        let pixels = sizes.iter().map(|&t| t as f64 * candidate);
        let comfortable = pixels.clone().filter(|&p| comfortable(p)).count();
        let broken = pixels.filter(|&p| p > MAX_PIECE + 1e-9).count();
        (comfortable, std::cmp::Reverse(broken))
    };
    sizes
        .iter()
        .map(|&s| LABEL_HEIGHT / s as f64)
        .map(|candidate| (score(candidate), candidate))
        .max_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map_or(LABEL_HEIGHT, |(_, candidate)| candidate)
}

/// The cap `c` with `sum(min(h, c)) == MAX_COLUMN`, or infinity when the
/// column fits uncut.
fn cap(natural: &[f64]) -> f64 {
    if natural.iter().sum::<f64>() <= MAX_COLUMN {
        return f64::INFINITY;
    }
    let mut sorted = natural.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut below = 0.0;
    for (i, &h) in sorted.iter().enumerate() {
        let cap = (MAX_COLUMN - below) / (sorted.len() - i) as f64;
        if cap <= h {
            return cap;
        }
        below += h;
    }
    f64::INFINITY
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: u64 = 1 << 10;

    fn height(scale: &Scale, size: u64) -> f64 {
        match scale.cut(0, size) {
            Some(_) => scale.shortened_height(),
            None => size as f64 * scale.pixels_per_byte,
        }
    }

    #[test]
    fn a_scale_that_breaks_fewer_pieces_wins_a_tie() {
        // 896 KiB at the label height draws both large pieces whole; 16 KiB
        // at it would draw two pieces comfortably too, but break two.
        let scale = Scale::new(&[vec![16 * KIB, 64 * KIB, 896 * KIB, 3 << 20]]);
        assert!((height(&scale, 896 * KIB) - LABEL_HEIGHT).abs() < 1e-9);
        assert!(scale.cut(0, 3 << 20).is_none());
    }

    #[test]
    fn typical_pieces_set_the_scale_and_a_tiny_one_does_not() {
        // A 1 KiB heap beside 28 KiB of SRAM and 96 KiB and 224 KiB of
        // flash: the heap is thin, the partitions keep their proportions.
        let columns = vec![
            vec![96 * KIB, 224 * KIB, 1728 * KIB],
            vec![3 * KIB, KIB, 28 * KIB],
            vec![KIB],
        ];
        let scale = Scale::new(&columns);
        assert!((height(&scale, 28 * KIB) - LABEL_HEIGHT).abs() < 1e-9);
        for size in [96 * KIB, 224 * KIB] {
            assert!(scale.cut(0, size).is_none(), "{size}");
        }
        assert!(height(&scale, KIB) < 2.0);
        let cut = scale.cut(0, 1728 * KIB).unwrap();
        assert_eq!(cut.start % KIB, 0);
        assert_eq!(cut.end % KIB, 0);
    }

    #[test]
    fn columns_that_fit_are_drawn_to_one_scale() {
        let scale = Scale::new(&[vec![16 * KIB, 48 * KIB], vec![64 * KIB]]);
        for size in [16 * KIB, 48 * KIB, 64 * KIB] {
            assert!(scale.cut(0, size).is_none());
        }
        assert!((height(&scale, 16 * KIB) - LABEL_HEIGHT).abs() < 1e-9);
    }

    #[test]
    fn the_tallest_pieces_are_cut_and_the_tallest_column_fits() {
        // Three pieces of 16 KiB to 64 KiB set the scale; 896 KiB and
        // 3 MiB cannot fit it.
        let column = vec![16 * KIB, 64 * KIB, 64 * KIB, 896 * KIB, 3 << 20];
        let scale = Scale::new(std::slice::from_ref(&column));
        let cut: Vec<bool> = column.iter().map(|&s| scale.cut(0, s).is_some()).collect();
        assert_eq!(cut, [false, false, false, true, true]);
        let total: f64 = column.iter().map(|&s| height(&scale, s)).sum();
        assert!(total <= MAX_COLUMN + 1e-9, "{total}");
    }

    #[test]
    fn a_larger_piece_is_never_drawn_shorter_than_a_smaller_one() {
        let columns = vec![
            vec![16 * KIB, 256 * KIB, 256 * KIB, 4 << 20],
            vec![480 * KIB, 100 * KIB + 36],
        ];
        let scale = Scale::new(&columns);
        let mut sizes: Vec<u64> = columns.concat();
        sizes.sort_unstable();
        for w in sizes.windows(2) {
            assert!(height(&scale, w[0]) <= height(&scale, w[1]) + 1e-9);
        }
    }

    #[test]
    fn a_shortened_piece_keeps_room_for_its_label_and_break() {
        // Nine 32-byte pieces set the scale (eight 1 MiB ones are fewer),
        // and the column would need the cut pieces far lower than
        // MIN_SHORTENED.
        let column: Vec<u64> = [32; 9].into_iter().chain([1 << 20; 8]).collect();
        let scale = Scale::new(std::slice::from_ref(&column));
        assert!(scale.cut(0, 1 << 20).is_some());
        assert!(scale.shortened_height() >= MIN_SHORTENED - 8.0);
        assert!(scale.kept_below as f64 * scale.pixels_per_byte >= LABEL_HEIGHT);
    }

    #[test]
    fn the_reference_bar_is_the_smallest_power_of_two_at_least_a_label_tall() {
        assert_eq!(Scale::new(&[vec![16 * KIB]]).reference_bytes(), 16 * KIB);
        assert_eq!(
            Scale::new(&[vec![48 * KIB, 48 * KIB]]).reference_bytes(),
            64 * KIB
        );
    }
}
