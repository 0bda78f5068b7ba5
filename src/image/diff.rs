//! Comparing two images: which address ranges differ, and which hold data
//! in only one of them.

use std::ops::Range;

use super::{Image, StartAddress};

/// How a range differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DifferenceKind {
    /// Both images hold data here, and it differs byte for byte.
    Differs,
    /// Only the first image holds data here.
    OnlyInA,
    /// Only the second image holds data here.
    OnlyInB,
}

/// A maximal address range with one kind of difference.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RangeDifference {
    pub start: u64,
    pub end: u64,
    pub kind: DifferenceKind,
}

/// Everything that differs between two images.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImageDiff {
    pub ranges: Vec<RangeDifference>,
    /// The two start addresses, when they differ.
    pub start_addresses: Option<(Option<StartAddress>, Option<StartAddress>)>,
}

impl ImageDiff {
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty() && self.start_addresses.is_none()
    }
}

/// Compares `a` with `b`.
pub fn diff(a: &Image, b: &Image) -> ImageDiff {
    let mut ranges: Vec<RangeDifference> = Vec::new();
    let mut push = |range: Range<u64>, kind| match ranges.last_mut() {
        Some(last) if last.end == range.start && last.kind == kind => last.end = range.end,
        _ => ranges.push(RangeDifference {
            start: range.start,
            end: range.end,
            kind,
        }),
    };

    // Every segment boundary of either image splits the address space into
    // pieces that are, in each image, wholly data or wholly gap.
    let mut bounds: Vec<u64> = a
        .ranges()
        .chain(b.ranges())
        .flat_map(|r| [r.start, r.end])
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    for piece in bounds.windows(2).map(|w| w[0]..w[1]) {
        let in_a = bytes_in(a, &piece);
        let in_b = bytes_in(b, &piece);
        match (in_a, in_b) {
            (Some(x), Some(y)) => {
                let mut i = 0;
                while i < x.len() {
                    if x[i] == y[i] {
                        i += 1;
                        continue;
                    }
                    let run = x[i..]
                        .iter()
                        .zip(&y[i..])
                        .take_while(|(p, q)| p != q)
                        .count();
                    let at = piece.start + i as u64;
                    push(at..at + run as u64, DifferenceKind::Differs);
                    i += run;
                }
            }
            (Some(_), None) => push(piece, DifferenceKind::OnlyInA),
            (None, Some(_)) => push(piece, DifferenceKind::OnlyInB),
            (None, None) => {}
        }
    }
    let (sa, sb) = (a.start_address(), b.start_address());
    ImageDiff {
        ranges,
        start_addresses: (sa.map(StartAddress::address) != sb.map(StartAddress::address))
            .then_some((sa, sb)),
    }
}

/// The bytes of `image` in `piece`, which lies wholly inside one segment or
/// wholly in a gap.
fn bytes_in<'a>(image: &'a Image, piece: &Range<u64>) -> Option<&'a [u8]> {
    let seg = image.segment_at(piece.start as u32)?;
    let from = (piece.start - u64::from(seg.address)) as usize;
    Some(&seg.data[from..from + (piece.end - piece.start) as usize])
}
