//! Labels placed beside what they name, in one stack that never overlaps:
//! the addresses on a column's axis, and right of a column the region labels
//! and the labels of pieces too thin to hold their own. Each label wants to
//! be centred on its anchor; where neighbours would overlap, they move apart
//! as a group centred on their anchors (least squares), and a leader line
//! joins each label to its anchor.

use super::scene::{FONT, LINE, Scene};

/// Space between two labels of a stack, in px.
const SPACING: f64 = 6.0;

/// The tops of labels of `heights` px wanting to be centred on `anchors`
/// (the same order; anchors ascending, top of the page first), apart by
/// `spacing` px: clusters of labels that would overlap are merged and each
/// cluster is centred on the mean of its members' wishes.
pub fn spread(anchors: &[f64], heights: &[f64], spacing: f64) -> Vec<f64> {
    // (first label, top of the cluster, wished tops minus offsets summed, count)
    struct Cluster {
        first: usize,
        top: f64,
        sum: f64,
        count: f64,
    }
    let mut offsets = Vec::with_capacity(heights.len());
    let mut at = 0.0;
    for h in heights {
        offsets.push(at);
        at += h + spacing;
    }
    let bottom =
        |c: &Cluster, last: usize| c.top + offsets[last] - offsets[c.first] + heights[last];
    let mut clusters: Vec<Cluster> = Vec::new();
    for (i, (&anchor, &height)) in anchors.iter().zip(heights).enumerate() {
        let wish = anchor - height / 2.0;
        clusters.push(Cluster {
            first: i,
            top: wish,
            sum: wish - offsets[i],
            count: 1.0,
        });
        while clusters.len() > 1 {
            let last = clusters.len() - 1;
            let lower = &clusters[last];
            let upper = &clusters[last - 1];
            if bottom(upper, lower.first - 1) + spacing <= lower.top {
                break;
            }
            let lower = clusters.pop().unwrap();
            let upper = clusters.last_mut().unwrap();
            upper.sum += lower.sum;
            upper.count += lower.count;
            upper.top = upper.sum / upper.count + offsets[upper.first];
        }
    }
    let mut tops = vec![0.0; heights.len()];
    for (n, c) in clusters.iter().enumerate() {
        let end = clusters.get(n + 1).map_or(heights.len(), |next| next.first);
        for (i, top) in tops.iter_mut().enumerate().take(end).skip(c.first) {
            *top = c.top + offsets[i] - offsets[c.first];
        }
    }
    tops
}

/// A label of one or more lines naming what lies at `anchor`.
pub struct Callout {
    pub anchor: (f64, f64),
    pub lines: Vec<String>,
    /// Whether the first line is a heading (bold).
    pub heading: bool,
}

/// Draws `callouts` in a stack whose left edge is at `x`, each joined by a
/// leader to its anchor; returns the x of the stack's right edge.
pub fn draw_stack(scene: &mut Scene, x: f64, mut callouts: Vec<Callout>) -> f64 {
    callouts.sort_by(|a, b| a.anchor.1.total_cmp(&b.anchor.1));
    let anchors: Vec<f64> = callouts.iter().map(|c| c.anchor.1).collect();
    let heights: Vec<f64> = callouts
        .iter()
        .map(|c| c.lines.len() as f64 * LINE)
        .collect();
    let tops = spread(&anchors, &heights, SPACING);
    let mut right = x;
    for ((callout, top), height) in callouts.iter().zip(tops).zip(heights) {
        scene.line(callout.anchor, (x - 3.0, top + height / 2.0), "leader");
        for (n, line) in callout.lines.iter().enumerate() {
            let baseline = top + (n + 1) as f64 * LINE - 3.5;
            if n == 0 && callout.heading {
                scene.bold_text(x, baseline, FONT, line.clone());
            } else {
                scene.text(x, baseline, FONT, line.clone());
            }
            right = right.max(x + super::scene::text_width(line, FONT));
        }
    }
    right
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_apart_stay_on_their_anchors() {
        assert_eq!(spread(&[0.0, 100.0], &[10.0, 10.0], 2.0), [-5.0, 95.0]);
    }

    #[test]
    fn crowded_labels_move_apart_around_their_mean() {
        let tops = spread(&[0.0, 1.0, 2.0], &[10.0, 10.0, 10.0], 2.0);
        assert_eq!(tops[1] - tops[0], 12.0);
        assert_eq!(tops[2] - tops[1], 12.0);
        // The middle label stays centred on the middle anchor.
        assert!((tops[1] + 5.0 - 1.0).abs() < 1e-9, "{tops:?}");
    }

    #[test]
    fn a_merged_cluster_that_reaches_an_earlier_one_merges_again() {
        let tops = spread(&[0.0, 14.0, 15.0, 16.0], &[10.0; 4], 2.0);
        for w in tops.windows(2) {
            assert!(w[1] - w[0] >= 12.0 - 1e-9, "{tops:?}");
        }
    }
}
