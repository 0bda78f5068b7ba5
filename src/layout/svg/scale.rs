//! The vertical scale: one linear scale shared by every column, with
//! marked breaks where a bar would make its column too tall.
//!
//! The smallest piece of the map (often the kernel heap) gets
//! [`MIN_HEIGHT`], tall enough for a two-line label, and that fixes the
//! pixels per byte for the whole map, so 32 KiB of SRAM is drawn an eighth
//! as tall as 256 KiB of flash wherever both are to scale. Pieces that
//! would push a column past [`MAX_COLUMN`] are shortened instead, all to
//! one height (never below [`MIN_SHORTENED`]), and the drawing marks each
//! with a break, the drafting sign for "not to scale"; its label still
//! gives its size.

use super::scene::LINE;

/// The height of the smallest piece, in px: two label lines and a margin.
pub const MIN_HEIGHT: f64 = 2.0 * LINE + 4.0;
/// How tall a column may grow before its largest pieces are shortened, in px.
pub const MAX_COLUMN: f64 = 600.0;
/// The least height of a shortened piece, in px: room for the break sign
/// and the label apart from each other.
pub const MIN_SHORTENED: f64 = 3.0 * MIN_HEIGHT;

/// Pixels per byte for everything drawn to scale, and the height every
/// shortened piece is cut to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub pixels_per_byte: f64,
    /// In px; infinite when nothing needs shortening.
    cap: f64,
}

/// The drawn height of one piece, in px, and whether it is shortened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Height {
    pub pixels: f64,
    pub shortened: bool,
}

impl Scale {
    /// The scale for `columns`, each the sizes of its pieces in bytes: the
    /// smallest piece is [`MIN_HEIGHT`] tall, and the cap is the lowest any
    /// column needs to stay within [`MAX_COLUMN`] (water filling: every
    /// piece taller than the cap is cut to it), but at least
    /// [`MIN_SHORTENED`]. One cap for the whole map keeps heights in the
    /// order of sizes: a larger piece is never drawn shorter than a
    /// smaller one, in any two columns.
    pub fn new(columns: &[Vec<u64>]) -> Scale {
        let smallest = columns.iter().flatten().copied().min().unwrap_or(1).max(1);
        let pixels_per_byte = MIN_HEIGHT / smallest as f64;
        let cap = columns
            .iter()
            .map(|sizes| {
                let natural: Vec<f64> = sizes.iter().map(|&s| s as f64 * pixels_per_byte).collect();
                cap(&natural)
            })
            .fold(f64::INFINITY, f64::min)
            .max(MIN_SHORTENED);
        Scale {
            pixels_per_byte,
            cap,
        }
    }

    /// The drawn heights of pieces of `sizes` bytes.
    pub fn heights(&self, sizes: &[u64]) -> Vec<Height> {
        sizes
            .iter()
            .map(|&s| {
                let natural = s as f64 * self.pixels_per_byte;
                Height {
                    pixels: natural.min(self.cap),
                    shortened: natural > self.cap,
                }
            })
            .collect()
    }

    /// A power-of-two number of bytes whose bar is at least [`MIN_HEIGHT`]
    /// tall, the smallest such, for the scale bar of the legend.
    pub fn reference_bytes(&self) -> u64 {
        let mut bytes: u64 = 1;
        while (bytes as f64) * self.pixels_per_byte < MIN_HEIGHT && bytes < 1 << 32 {
            bytes <<= 1;
        }
        bytes
    }
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

    fn pixels(heights: &[Height]) -> Vec<f64> {
        heights.iter().map(|h| h.pixels).collect()
    }

    #[test]
    fn columns_that_fit_are_drawn_to_one_scale() {
        let scale = Scale::new(&[vec![16 * KIB, 48 * KIB], vec![64 * KIB]]);
        let heights = scale.heights(&[16 * KIB, 48 * KIB, 64 * KIB]);
        assert_eq!(
            pixels(&heights),
            [MIN_HEIGHT, 3.0 * MIN_HEIGHT, 4.0 * MIN_HEIGHT]
        );
        assert!(heights.iter().all(|h| !h.shortened));
    }

    #[test]
    fn only_the_tallest_pieces_are_shortened_and_the_tallest_column_is_full() {
        // 16 KiB, 64 KiB, 896 KiB, 3 MiB: the last two cannot fit.
        let column = vec![16 * KIB, 64 * KIB, 896 * KIB, 3 << 20];
        let scale = Scale::new(std::slice::from_ref(&column));
        let heights = scale.heights(&column);
        let shortened: Vec<bool> = heights.iter().map(|h| h.shortened).collect();
        assert_eq!(shortened, [false, false, true, true]);
        let total: f64 = pixels(&heights).iter().sum();
        assert!((total - MAX_COLUMN).abs() < 1e-9, "{total}");
        assert_eq!(heights[2].pixels, heights[3].pixels);
    }

    #[test]
    fn one_cap_for_all_columns_keeps_heights_in_the_order_of_sizes() {
        // The second column alone would fit 480 KiB to scale; the first
        // needs a lower cap, and the 480 KiB piece must not outgrow it.
        let columns = vec![
            vec![16 * KIB, 256 * KIB, 256 * KIB, 4 << 20],
            vec![480 * KIB],
        ];
        let scale = Scale::new(&columns);
        let first = scale.heights(&columns[0]);
        let second = scale.heights(&columns[1]);
        assert!(second[0].shortened);
        assert!(second[0].pixels <= first[3].pixels);
    }

    #[test]
    fn a_shortened_piece_keeps_room_for_its_break_and_label() {
        let column = vec![
            32,
            1 << 20,
            1 << 20,
            1 << 20,
            1 << 20,
            1 << 20,
            1 << 20,
            1 << 20,
        ];
        let scale = Scale::new(std::slice::from_ref(&column));
        let heights = scale.heights(&column);
        assert!(
            heights[1..]
                .iter()
                .all(|h| h.shortened && h.pixels == MIN_SHORTENED)
        );
    }

    #[test]
    fn the_reference_bar_is_the_smallest_power_of_two_at_least_min_height() {
        assert_eq!(Scale::new(&[vec![16 * KIB]]).reference_bytes(), 16 * KIB);
        assert_eq!(Scale::new(&[vec![48 * KIB]]).reference_bytes(), 64 * KIB);
    }
}
