//! What would work instead of a request that cannot be planned: for the
//! partition a failure is about, the nearest sizes below and above the
//! requested one, and for a fixed origin the nearest origins below and
//! above, with which the *whole* request plans, the other partitions as
//! asked.
//!
//! Whether a size works is not monotonic (one MPU region grants 64 KiB at
//! a 64 KiB boundary but not 64 KiB + 32 bytes; a larger kernel partition
//! can move a user partition onto a better boundary), so the values are
//! found by planning again with each candidate, nearest first: the answer
//! is what the planner itself accepts, with its cover function, its
//! candidate origins and the region budget shared by every memory.
//!
//! Candidates step by one [`GRANULE`] for a user partition, whose bounds
//! must be multiples of it, and by one byte for a kernel partition. Values
//! that cannot work are skipped without planning: sizes below the
//! partition's [`minimum`](super::needs::minimum), sizes above what its
//! memory has left after the other fixed sizes, origins outside the memory.
//! The search gives up after [`MAX_TRIES`] plans in one direction.

use std::fmt;

use super::needs;
use super::planner::{PlanError, plan_only};
use super::request::{Owner, Request, Size};
use crate::board::Board;
use crate::mpu::{GRANULE, align_down, align_up};

/// The most plans tried in one direction, so that a request on a large
/// memory with a sparse set of working values still fails promptly.
pub const MAX_TRIES: usize = 1 << 14;

/// The outcome of the search on one side of a requested value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Side {
    /// The nearest value that plans.
    Found(u64),
    /// No value on this side plans.
    #[default]
    None,
    /// None of the [`MAX_TRIES`] nearest values plans; farther ones were
    /// not tried.
    GaveUp,
}

impl Side {
    pub fn value(self) -> Option<u64> {
        match self {
            Side::Found(value) => Some(value),
            Side::None | Side::GaveUp => None,
        }
    }
}

/// The nearest values on either side of a requested one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nearest {
    pub below: Side,
    pub above: Side,
}

/// What would work for one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alternative {
    pub partition: String,
    /// The nearest sizes that plan; `None` for a `rest` partition, whose
    /// size the planner chooses.
    pub sizes: Option<Nearest>,
    /// The nearest origins that plan, with the requested size; `None`
    /// when the planner chooses the origin.
    pub origins: Option<Nearest>,
}

/// What would work instead, for each partition an error is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Alternatives(pub Vec<Alternative>);

impl fmt::Display for Alternatives {
    /// The values found; when a partition has none on either side of
    /// anything searched, says so once.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for a in &self.0 {
            let bytes = |n: u64| format!("{n} bytes ({n:#x})");
            let address = |o: u64| format!("{o:#010x}");
            let found: Vec<String> = [
                a.sizes
                    .and_then(|n| describe(&a.partition, "size", n, bytes)),
                a.origins
                    .and_then(|n| describe(&a.partition, "origin", n, address)),
            ]
            .into_iter()
            .flatten()
            .collect();
            let what = match (a.sizes, a.origins) {
                (Some(_), Some(_)) => "size or origin",
                (Some(_), None) => "size",
                (None, Some(_)) => "origin",
                (None, None) => continue,
            };
            if found.is_empty() {
                write!(
                    f,
                    "; no other {what} of {} plans while the other partitions stay as requested",
                    a.partition
                )?;
            }
            for text in found {
                write!(f, "; {text}")?;
            }
        }
        Ok(())
    }
}

fn describe(
    partition: &str,
    what: &str,
    nearest: Nearest,
    show: impl Fn(u64) -> String,
) -> Option<String> {
    if nearest == Nearest::default() {
        return None;
    }
    let side = |side: Side, name: &str| match side {
        Side::Found(v) => format!("{} {name}", show(v)),
        Side::None => format!("none {name}"),
        Side::GaveUp => format!("none within {MAX_TRIES} tries {name}"),
    };
    Some(format!(
        "the nearest {what}s of {partition} that plan: {}, {}",
        side(nearest.below, "below"),
        side(nearest.above, "above")
    ))
}

/// `error` with its alternatives filled in.
pub(super) fn explain(board: &Board, request: &Request, mut error: PlanError) -> PlanError {
    let names: Vec<String> = match &error {
        PlanError::NotCoverable { partition, .. }
        | PlanError::FixedOriginNotCoverable { partition, .. }
        | PlanError::OriginOutsideMemory { partition, .. }
        | PlanError::OriginConflict { partition, .. }
        | PlanError::OffGranule { partition, .. } => vec![partition.clone()],
        // Only a size below its minimum; a stack or heap key is not a
        // partition's size, and a `rest` partition has none to change.
        PlanError::TooSmall {
            partition,
            key,
            rest: false,
            ..
        } if needs::required_kind(key).is_some() || key == "size" => vec![partition.clone()],
        PlanError::DoesNotFit { memory, .. } => request
            .partitions
            .iter()
            .filter(|p| &p.memory == memory && p.size != Size::Rest)
            .map(|p| p.name.clone())
            .collect(),
        PlanError::BudgetExhausted { .. } => request
            .partitions
            .iter()
            .filter(|p| p.owner == Owner::User && p.size != Size::Rest)
            .map(|p| p.name.clone())
            .collect(),
        _ => return error,
    };
    let found = Alternatives(
        names
            .iter()
            .filter_map(|name| alternative(board, request, name))
            .collect(),
    );
    if let Some(slot) = alternatives_mut(&mut error) {
        *slot = found;
    }
    error
}

impl PlanError {
    /// The sizes and origins that would plan, nearest first, when the
    /// failure is about one partition; empty otherwise.
    pub fn alternatives(&self) -> &[Alternative] {
        match self {
            PlanError::OffGranule { alternatives, .. }
            | PlanError::TooSmall { alternatives, .. }
            | PlanError::DoesNotFit { alternatives, .. }
            | PlanError::OriginOutsideMemory { alternatives, .. }
            | PlanError::NotCoverable { alternatives, .. }
            | PlanError::FixedOriginNotCoverable { alternatives, .. }
            | PlanError::BudgetExhausted { alternatives, .. }
            | PlanError::OriginConflict { alternatives, .. } => &alternatives.0,
            _ => &[],
        }
    }
}

fn alternatives_mut(error: &mut PlanError) -> Option<&mut Alternatives> {
    match error {
        PlanError::OffGranule { alternatives, .. }
        | PlanError::TooSmall { alternatives, .. }
        | PlanError::DoesNotFit { alternatives, .. }
        | PlanError::OriginOutsideMemory { alternatives, .. }
        | PlanError::NotCoverable { alternatives, .. }
        | PlanError::FixedOriginNotCoverable { alternatives, .. }
        | PlanError::BudgetExhausted { alternatives, .. }
        | PlanError::OriginConflict { alternatives, .. } => Some(alternatives),
        _ => None,
    }
}

/// The nearest sizes and origins of partition `name` that plan.
pub fn alternative(board: &Board, request: &Request, name: &str) -> Option<Alternative> {
    let index = request.partitions.iter().position(|p| p.name == name)?;
    let p = &request.partitions[index];
    let memory = board.memory(&p.memory)?;
    let step = match p.owner {
        Owner::User => GRANULE,
        Owner::Kernel => 1,
    };
    let Size::Bytes(size) = p.size else {
        return Some(Alternative {
            partition: name.to_owned(),
            sizes: None,
            origins: None,
        });
    };
    let plans = |size: u64, origin: Option<u64>| {
        let Ok(origin) = origin.map(u32::try_from).transpose() else {
            return false;
        };
        let mut retry = request.clone();
        retry.partitions[index].size = Size::Bytes(size);
        retry.partitions[index].origin = origin;
        plan_only(board, &retry).is_ok()
    };
    let origin = p.origin.map(u64::from);

    // Sizes: at least the minimum, at most what the memory has left after
    // the other fixed sizes and, at a fixed origin, what lies above it.
    let others: u64 = request
        .partitions
        .iter()
        .enumerate()
        .filter(|(i, q)| *i != index && q.memory == p.memory)
        .map(|(_, q)| match q.size {
            Size::Bytes(n) => n,
            Size::Rest => 0,
        })
        .sum();
    let room = origin.map_or(memory.end(), |o| memory.end().saturating_sub(o));
    let largest = memory.length.saturating_sub(others).min(room);
    let smallest = needs::minimum(p, request).bytes.max(step);
    let sizes = Nearest {
        below: size.checked_sub(1).map_or(Side::None, |below| {
            search_down(below.min(largest), smallest, step, |s| plans(s, origin))
        }),
        above: search_up(size.saturating_add(1).max(smallest), largest, step, |s| {
            plans(s, origin)
        }),
    };

    // Origins: the memory's, with the requested size.
    let origins = origin.map(|o| {
        let lowest = align_up(u64::from(memory.origin), step);
        let highest = memory.end().saturating_sub(size);
        Nearest {
            below: o.checked_sub(1).map_or(Side::None, |below| {
                search_down(below.min(highest), lowest, step, |o| plans(size, Some(o)))
            }),
            above: search_up(o.saturating_add(1).max(lowest), highest, step, |o| {
                plans(size, Some(o))
            }),
        }
    });
    Some(Alternative {
        partition: name.to_owned(),
        sizes: Some(sizes),
        origins,
    })
}

/// The highest multiple of `step` in `low..=high` that `works`, trying
/// from the top.
fn search_down(high: u64, low: u64, step: u64, works: impl Fn(u64) -> bool) -> Side {
    let mut value = align_down(high, step);
    for _ in 0..MAX_TRIES {
        if value < low {
            return Side::None;
        }
        if works(value) {
            return Side::Found(value);
        }
        let Some(next) = value.checked_sub(step) else {
            return Side::None;
        };
        value = next;
    }
    if value < low {
        Side::None
    } else {
        Side::GaveUp
    }
}

/// The lowest multiple of `step` in `low..=high` that `works`, trying from
/// the bottom.
fn search_up(low: u64, high: u64, step: u64, works: impl Fn(u64) -> bool) -> Side {
    let mut value = align_up(low, step);
    for _ in 0..MAX_TRIES {
        if value > high {
            return Side::None;
        }
        if works(value) {
            return Side::Found(value);
        }
        value += step;
    }
    if value > high {
        Side::None
    } else {
        Side::GaveUp
    }
}
