//! The vertical scale: one linear scale shared by every column, with
//! marked breaks where a bar would make its column too tall.
//!
//! The smallest piece of the map (often the kernel heap) gets
//! [`MIN_HEIGHT`], tall enough for a two-line label, and that fixes the
//! pixels per byte for the whole map, so 32 KiB of SRAM is drawn an eighth
//! as tall as 256 KiB of flash wherever both are to scale. A piece whose
//! bar would push its column past [`MAX_COLUMN`] is shortened instead
//! (never below [`MIN_SHORTENED`]) and the drawing marks it with a break,
//! the drafting sign for "not to scale"; its label still gives its size.

use super::scene::LINE;

/// The height of the smallest piece, in px: two label lines and a margin.
pub const MIN_HEIGHT: f64 = 2.0 * LINE + 4.0;
/// How tall a column may grow before its largest pieces are shortened, in px.
pub const MAX_COLUMN: f64 = 600.0;
/// The least height of a shortened piece, in px: room for the break sign
/// and the label apart from each other.
pub const MIN_SHORTENED: f64 = 3.0 * MIN_HEIGHT;

/// Pixels per byte for everything drawn to scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub pixels_per_byte: f64,
}

/// The drawn height of one piece, in px, and whether it is shortened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Height {
    pub pixels: f64,
    pub shortened: bool,
}

impl Scale {
    /// The scale at which the smallest piece, `smallest` bytes, is
    /// [`MIN_HEIGHT`] tall.
    pub fn for_smallest(smallest: u64) -> Scale {
        Scale {
            pixels_per_byte: MIN_HEIGHT / smallest.max(1) as f64,
        }
    }

    /// The drawn heights of one column's pieces, `sizes` in bytes: to scale
    /// while the column fits in [`MAX_COLUMN`]; otherwise every piece
    /// taller than a common cap is cut to the cap, the cap chosen so that
    /// the column is exactly [`MAX_COLUMN`] tall (water filling), but at
    /// least [`MIN_SHORTENED`].
    pub fn heights(&self, sizes: &[u64]) -> Vec<Height> {
        let natural: Vec<f64> = sizes
            .iter()
            .map(|&s| s as f64 * self.pixels_per_byte)
            .collect();
        let cap = cap(&natural).max(MIN_SHORTENED);
        natural
            .iter()
            .map(|&h| {
                if h > cap {
                    Height {
                        pixels: cap,
                        shortened: true,
                    }
                } else {
                    Height {
                        pixels: h,
                        shortened: false,
                    }
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

    #[test]
    fn a_column_that_fits_is_drawn_to_scale() {
        let scale = Scale::for_smallest(16 << 10);
        let heights = scale.heights(&[16 << 10, 48 << 10, 64 << 10]);
        let px: Vec<f64> = heights.iter().map(|h| h.pixels).collect();
        assert_eq!(px, [MIN_HEIGHT, 3.0 * MIN_HEIGHT, 4.0 * MIN_HEIGHT]);
        assert!(heights.iter().all(|h| !h.shortened));
    }

    #[test]
    fn only_the_tallest_pieces_are_shortened_and_the_column_is_full() {
        let scale = Scale::for_smallest(16 << 10);
        // 16 KiB, 128 KiB, 896 KiB, 3 MiB: the last two cannot fit.
        let heights = scale.heights(&[16 << 10, 128 << 10, 896 << 10, 3 << 20]);
        let shortened: Vec<bool> = heights.iter().map(|h| h.shortened).collect();
        assert_eq!(shortened, [false, false, true, true]);
        let total: f64 = heights.iter().map(|h| h.pixels).sum();
        assert!((total - MAX_COLUMN).abs() < 1e-9, "{total}");
        assert_eq!(heights[2].pixels, heights[3].pixels);
    }

    #[test]
    fn a_shortened_piece_keeps_room_for_its_break_and_label() {
        let scale = Scale::for_smallest(32);
        let heights = scale.heights(&[1 << 20; 10]);
        assert!(heights.iter().all(|h| h.shortened && h.pixels == MIN_SHORTENED));
    }

    #[test]
    fn the_reference_bar_is_the_smallest_power_of_two_at_least_min_height() {
        assert_eq!(Scale::for_smallest(16 << 10).reference_bytes(), 16 << 10);
        assert_eq!(Scale::for_smallest(48 << 10).reference_bytes(), 64 << 10);
    }
}
