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
//! must be multiples of it. A kernel partition takes whole granules (the
//! planner rounds its slot up to one, see `reach` in the planner), so
//! whether a kernel size plans depends only on the granule its end falls in
//! and on its minimum, and whether a kernel origin plans only on the
//! granules its start and its end fall in and on lower bounds (the
//! partitions below it). Between those boundaries the values that plan are
//! those from some value up: the search tries the top of each such segment
//! and bisects the first that works, a few plans per granule instead of
//! one per byte, and as exact (`tests/layout_nearest.rs` checks it byte by
//! byte). Values that cannot work are skipped without planning: sizes below
//! the partition's [`minimum`](super::needs::minimum), sizes above what its
//! memory has left after the other fixed sizes, origins outside the memory.
//! The search gives up after [`MAX_TRIES`] segments or multiples in one
//! direction.
//!
//! When a failure is about what a stack or heap key leaves (a `rest`
//! partition too small for `user-stack` + `user-heap`, say), the key's
//! nearest values are found too: a larger stack or heap only raises the
//! partition's minimum, so the values that plan are one interval above the
//! key's own minimum, and bisection finds its ends.
//!
//! When no single value plans because another setting is broken too, each
//! setting that differs from the board's defaults is tried on its own (the
//! board's defaults for everything else): those that still fail are named
//! with their error, and the failing partition's nearest values on its own
//! are given, so the user sees every problem at once.

use std::fmt;

use super::needs;
use super::planner::{PlanError, plan_only};
use super::request::{Owner, Request, SPLIT_KEYS, Size};
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

impl Nearest {
    fn found(self) -> bool {
        self.below.value().is_some() || self.above.value().is_some()
    }
}

/// What would work for one partition's size or origin, or for one stack
/// or heap key inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alternative {
    pub partition: String,
    /// The `[layout]` key (one of [`SPLIT_KEYS`]) whose values `sizes`
    /// are; `None` when they are the partition's own size.
    pub key: Option<String>,
    /// The nearest sizes (or key values) that plan; `None` for a `rest`
    /// partition, whose size the planner chooses.
    pub sizes: Option<Nearest>,
    /// The nearest origins that plan, with the requested size; `None`
    /// when the planner chooses the origin.
    pub origins: Option<Nearest>,
}

impl Alternative {
    /// Whether anything was found on either side.
    pub fn found(&self) -> bool {
        self.sizes.is_some_and(Nearest::found) || self.origins.is_some_and(Nearest::found)
    }
}

/// A setting of the request that fails on its own, with the board's
/// defaults for everything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocker {
    /// The setting, as `[layout]` spells it.
    pub setting: String,
    /// The error it gives on its own.
    pub error: String,
}

/// What would work instead, for each partition or key an error is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Alternatives {
    /// The nearest values with which the whole request plans.
    pub values: Vec<Alternative>,
    /// When none of `values` found anything: the nearest values of the same
    /// settings on their own, with the board's defaults for the rest.
    pub alone: Vec<Alternative>,
    /// When none of `values` found anything: the other settings that fail
    /// on their own too, and why.
    pub blockers: Vec<Blocker>,
}

impl fmt::Display for Alternatives {
    /// The values found; when a setting has none on either side of
    /// anything searched, says so once; then what fails on its own.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for a in &self.values {
            write_alternative(f, a, "")?;
        }
        for a in &self.alone {
            write_alternative(
                f,
                a,
                "on its own (the board's defaults for everything else), ",
            )?;
        }
        if !self.blockers.is_empty() {
            let each: Vec<String> = self
                .blockers
                .iter()
                .map(|b| format!("{}: {}", b.setting, b.error))
                .collect();
            write!(
                f,
                "; no single change fixes this: also failing on its own (the board's defaults \
                 for everything else): {}",
                each.join("; ")
            )?;
        }
        Ok(())
    }
}

fn write_alternative(f: &mut fmt::Formatter<'_>, a: &Alternative, prefix: &str) -> fmt::Result {
    let bytes = |n: u64| format!("{n} bytes ({n:#x})");
    let address = |o: u64| format!("{o:#010x}");
    let (subject, size_word) = match &a.key {
        Some(key) => (format!("`{key}`"), "value"),
        None => (a.partition.clone(), "size"),
    };
    let found: Vec<String> = [
        a.sizes
            .and_then(|n| describe(&subject, size_word, n, bytes)),
        a.origins
            .and_then(|n| describe(&subject, "origin", n, address)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let what = match (a.sizes, a.origins) {
        (Some(_), Some(_)) => format!("{size_word} or origin"),
        (Some(_), None) => size_word.to_owned(),
        (None, Some(_)) => "origin".to_owned(),
        (None, None) => return Ok(()),
    };
    if found.is_empty() {
        write!(
            f,
            "; {prefix}no other {what} of {subject} plans while the other settings stay as requested"
        )?;
    }
    for text in found {
        write!(f, "; {prefix}{text}")?;
    }
    Ok(())
}

fn describe(
    subject: &str,
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
        "the nearest {what}s of {subject} that plan: {}, {}",
        side(nearest.below, "below"),
        side(nearest.above, "above")
    ))
}

/// A setting whose nearest working values are searched.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// A partition's size and, at a fixed origin, its origin.
    Partition(String),
    /// A stack or heap key, one of [`SPLIT_KEYS`].
    Key(&'static str),
}

/// The settings `error` is about. A `rest` partition has no size to
/// change: the fixed sizes beside it in its memory decide what it gets.
fn targets(request: &Request, error: &PlanError) -> Vec<Target> {
    let fixed_in = |memory: &str, except: &str| -> Vec<Target> {
        request
            .partitions
            .iter()
            .filter(|p| p.memory == memory && p.name != except && p.size != Size::Rest)
            .map(|p| Target::Partition(p.name.clone()))
            .collect()
    };
    let sized = |name: &str| -> Vec<Target> {
        match request.partitions.iter().find(|p| p.name == name) {
            Some(p) if p.size == Size::Rest => fixed_in(&p.memory, name),
            Some(_) => vec![Target::Partition(name.to_owned())],
            None => Vec::new(),
        }
    };
    let keys_in = |partition: &str| -> Vec<Target> {
        SPLIT_KEYS
            .iter()
            .filter(|(_, p)| *p == partition)
            .map(|(key, _)| Target::Key(key))
            .collect()
    };
    match error {
        PlanError::NotCoverable { partition, .. }
        | PlanError::FixedOriginNotCoverable { partition, .. }
        | PlanError::OriginOutsideMemory { partition, .. }
        | PlanError::OriginConflict { partition, .. }
        | PlanError::OffGranule { partition, .. } => sized(partition),
        PlanError::TooSmall { partition, key, .. } => {
            match SPLIT_KEYS.iter().find(|(k, _)| k == key) {
                // A stack or heap below its own minimum.
                Some((key, _)) => vec![Target::Key(key)],
                // A partition too small for its stack and heap: its size
                // (or its neighbours'), or a smaller stack or heap.
                None => {
                    let mut targets = sized(partition);
                    targets.extend(keys_in(partition));
                    targets
                }
            }
        }
        PlanError::DoesNotFit { memory, .. } => fixed_in(memory, ""),
        PlanError::BudgetExhausted { .. } => request
            .partitions
            .iter()
            .filter(|p| p.owner == Owner::User && p.size != Size::Rest)
            .map(|p| Target::Partition(p.name.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

/// `error` with its alternatives filled in.
pub(super) fn explain(board: &Board, request: &Request, mut error: PlanError) -> PlanError {
    let targets = targets(request, &error);
    if targets.is_empty() {
        return error;
    }
    let mut found = Alternatives {
        values: targets
            .iter()
            .filter_map(|t| search(board, request, t))
            .collect(),
        ..Alternatives::default()
    };
    let defaults = &board.partitions;
    if !found.values.iter().any(Alternative::found) && plan_only(board, defaults).is_ok() {
        found.alone = targets
            .iter()
            .filter_map(|t| alone(defaults, request, t).map(|r| (t, r)))
            .filter_map(|(t, r)| search(board, &r, t))
            .filter(Alternative::found)
            .collect();
        found.blockers = blockers(board, request, &targets);
    }
    if let Some(slot) = alternatives_mut(&mut error) {
        *slot = found;
    }
    error
}

/// The board's default request with `target` set as in `request`; `None`
/// when `request` leaves it at its default.
fn alone(defaults: &Request, request: &Request, target: &Target) -> Option<Request> {
    let mut alone = defaults.clone();
    match target {
        Target::Partition(name) => {
            let asked = request.partitions.iter().find(|p| &p.name == name)?;
            match alone.partitions.iter_mut().find(|p| &p.name == name) {
                Some(p) if p == asked => return None,
                Some(p) => *p = asked.clone(),
                None => alone.partitions.push(asked.clone()),
            }
        }
        Target::Key(key) => {
            let asked = *request.clone().key_mut(key)?;
            let value = alone.key_mut(key)?;
            if *value == asked {
                return None;
            }
            *value = asked;
        }
    }
    Some(alone)
}

/// The settings of `request` other than `targets` that differ from the
/// board's defaults and fail on their own.
fn blockers(board: &Board, request: &Request, targets: &[Target]) -> Vec<Blocker> {
    let settings = request
        .partitions
        .iter()
        .map(|p| Target::Partition(p.name.clone()))
        .chain(SPLIT_KEYS.iter().map(|(key, _)| Target::Key(key)));
    settings
        .filter(|t| !targets.contains(t))
        .filter_map(|t| {
            let alone = alone(&board.partitions, request, &t)?;
            let error = plan_only(board, &alone).err()?;
            let setting = match &t {
                Target::Partition(name) => {
                    let p = alone.partitions.iter().find(|p| &p.name == name)?;
                    let at = p
                        .origin
                        .map(|o| format!(" at {o:#010x}"))
                        .unwrap_or_default();
                    format!("{name} ({} in {}{at})", p.size, p.memory)
                }
                Target::Key(key) => format!("`{key}` = {} bytes", *alone.clone().key_mut(key)?),
            };
            Some(Blocker {
                setting,
                error: error.to_string(),
            })
        })
        .collect()
}

fn search(board: &Board, request: &Request, target: &Target) -> Option<Alternative> {
    match target {
        Target::Partition(name) => alternative(board, request, name),
        Target::Key(key) => key_alternative(board, request, key),
    }
}

/// The `alternatives` of the errors that carry them, borrowed as `error`
/// is (shared or mutable): one list of those variants for both.
macro_rules! alternatives_of {
    ($error:expr) => {
        match $error {
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
    };
}

impl PlanError {
    /// The sizes and origins that would plan, nearest first, when the
    /// failure is about a partition's size or origin or a stack or heap
    /// key; empty otherwise.
    pub fn alternatives(&self) -> &[Alternative] {
        self.all_alternatives().map_or(&[], |a| &a.values)
    }

    /// Everything the error suggests: the nearest values, and when none
    /// plans, the values on their own and the settings that fail on their
    /// own.
    pub fn all_alternatives(&self) -> Option<&Alternatives> {
        alternatives_of!(self)
    }
}

fn alternatives_mut(error: &mut PlanError) -> Option<&mut Alternatives> {
    alternatives_of!(error)
}

/// The nearest sizes and origins of partition `name` that plan.
pub fn alternative(board: &Board, request: &Request, name: &str) -> Option<Alternative> {
    let index = request.partitions.iter().position(|p| p.name == name)?;
    let p = &request.partitions[index];
    let memory = needs::usable(board.memory(&p.memory)?);
    let Size::Bytes(size) = p.size else {
        return Some(Alternative {
            partition: name.to_owned(),
            key: None,
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
    let (size_grid, origin_grid) = match p.owner {
        Owner::User => (Grid::Multiples(GRANULE), Grid::Multiples(GRANULE)),
        Owner::Kernel => (
            Grid::kernel_sizes(origin.unwrap_or(0)),
            Grid::kernel_origins(size),
        ),
    };

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
    let smallest = needs::minimum(p, request).bytes.max(1);
    let sizes = nearest(size, smallest..=largest, size_grid, |s| plans(s, origin));

    // Origins: the memory's, with the requested size.
    let origins = origin.map(|o| {
        let lowest = u64::from(memory.origin);
        let highest = memory.end().saturating_sub(size);
        nearest(o, lowest..=highest, origin_grid, |o| plans(size, Some(o)))
    });
    Some(Alternative {
        partition: name.to_owned(),
        key: None,
        sizes: Some(sizes),
        origins,
    })
}

/// The nearest values of stack or heap `key` that plan. A larger value
/// only raises the minimum of the partition it lives in, so the values
/// that plan are those from the key's own minimum up to some largest one:
/// the nearest above a request below the minimum is the minimum, the
/// nearest below a request that is too large is found by bisection.
fn key_alternative(board: &Board, request: &Request, key: &str) -> Option<Alternative> {
    let partition = SPLIT_KEYS.iter().find(|(k, _)| *k == key)?.1;
    let value = *request.clone().key_mut(key)?;
    let plans = |v: u64| {
        let mut retry = request.clone();
        if let Some(slot) = retry.key_mut(key) {
            *slot = v;
        }
        plan_only(board, &retry).is_ok()
    };
    let lowest = needs::key_minimum(key).bytes;
    let sizes = if value < lowest {
        Nearest {
            below: Side::None,
            above: if plans(lowest) {
                Side::Found(lowest)
            } else {
                Side::None
            },
        }
    } else {
        // `value` fails, and so does everything above it.
        let below = if value > lowest && plans(lowest) {
            let (mut works, mut fails) = (lowest, value);
            while fails - works > 1 {
                let middle = works + (fails - works) / 2;
                if plans(middle) {
                    works = middle;
                } else {
                    fails = middle;
                }
            }
            Side::Found(works)
        } else {
            Side::None
        };
        Nearest {
            below,
            above: Side::None,
        }
    };
    Some(Alternative {
        partition: partition.to_owned(),
        key: Some(key.to_owned()),
        sizes: Some(sizes),
        origins: None,
    })
}

/// The values a search tries.
#[derive(Clone, Copy, Debug)]
enum Grid {
    /// Only multiples of this step can work.
    Multiples(u64),
    /// Values plan alike within a segment, apart from lower bounds that
    /// cut it (a kernel partition's minimum size; for its origin, the end
    /// of the partitions below): a segment starts at every value congruent
    /// to one of these phases modulo the granule. Within a segment the
    /// values that plan are those from some value up, so its top tells
    /// whether any does, and bisection finds the lowest.
    Segments([u64; 2]),
}

impl Grid {
    /// For a kernel partition's size, when its end lies `base` bytes past
    /// a granule boundary: segments are the granules its end falls in (the
    /// planner rounds the slot up to the granule).
    fn kernel_sizes(base: u64) -> Grid {
        let phase = (GRANULE + 1 - base % GRANULE) % GRANULE;
        Grid::Segments([phase, phase])
    }

    /// For a kernel partition's origin, with `size` bytes: the granule its
    /// end falls in, and the granule the origin falls in (which bounds what
    /// is placed below it).
    fn kernel_origins(size: u64) -> Grid {
        Grid::Segments([0, (GRANULE + 1 - size % GRANULE) % GRANULE])
    }
}

/// The first value of the segment holding `value`.
fn segment_start(phases: [u64; 2], value: u64) -> u64 {
    phases
        .iter()
        .map(|&phase| {
            let offset = (value + GRANULE - phase) % GRANULE;
            value.saturating_sub(offset)
        })
        .max()
        .unwrap_or(value)
}

/// The last value of the segment holding `value`.
fn segment_end(phases: [u64; 2], value: u64) -> u64 {
    phases
        .iter()
        .map(|&phase| {
            let offset = (phase + GRANULE - value % GRANULE) % GRANULE;
            value + if offset == 0 { GRANULE } else { offset } - 1
        })
        .min()
        .unwrap_or(value)
}

/// The nearest values of `grid` in `bounds` on either side of `requested`
/// that `work`.
fn nearest(
    requested: u64,
    bounds: std::ops::RangeInclusive<u64>,
    grid: Grid,
    works: impl Fn(u64) -> bool,
) -> Nearest {
    let (low, high) = (*bounds.start(), *bounds.end());
    let first_below = requested.checked_sub(1).map(|b| b.min(high));
    let first_above = requested.saturating_add(1).max(low);
    let inside_below = |v: u64| v >= low;
    let inside_above = |v: u64| v <= high;
    match grid {
        Grid::Multiples(step) => Nearest {
            below: scan(
                first_below.map(|v| align_down(v, step)),
                inside_below,
                |v| v.checked_sub(step),
                |v| works(v).then_some(v),
            ),
            above: scan(
                Some(align_up(first_above, step)),
                inside_above,
                |v| Some(v + step),
                |v| works(v).then_some(v),
            ),
        },
        // Below: the top of each segment; above: the top of each segment,
        // then the lowest value of the first that works.
        Grid::Segments(phases) => Nearest {
            below: scan(
                first_below,
                inside_below,
                |v| segment_start(phases, v).checked_sub(1),
                |v| works(v).then_some(v),
            ),
            above: scan(
                Some(first_above),
                inside_above,
                |v| Some(segment_end(phases, v) + 1),
                |v| {
                    let top = segment_end(phases, v).min(high);
                    works(top).then(|| lowest_working(v, top, &works))
                },
            ),
        },
    }
}

/// The lowest value in `low..=high` that works, when `high` does and the
/// values that work are those from some value up.
fn lowest_working(low: u64, high: u64, works: impl Fn(u64) -> bool) -> u64 {
    if works(low) {
        return low;
    }
    let (mut fails, mut working) = (low, high);
    while working - fails > 1 {
        let middle = fails + (working - fails) / 2;
        if works(middle) {
            working = middle;
        } else {
            fails = middle;
        }
    }
    working
}

/// The first value from `start` on, stepping with `next` while `inside`,
/// for which `found` gives an answer.
fn scan(
    start: Option<u64>,
    inside: impl Fn(u64) -> bool,
    next: impl Fn(u64) -> Option<u64>,
    found: impl Fn(u64) -> Option<u64>,
) -> Side {
    let mut value = start;
    for _ in 0..MAX_TRIES {
        match value {
            Some(v) if inside(v) => {
                if let Some(answer) = found(v) {
                    return Side::Found(answer);
                }
                value = next(v);
            }
            _ => return Side::None,
        }
    }
    match value {
        Some(v) if inside(v) => Side::GaveUp,
        _ => Side::None,
    }
}
