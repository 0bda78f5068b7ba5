//! The checks an image passes before it is flashed (`mcu-build flash`) or
//! booted (`mcu-build run`), and that need neither a probe nor QEMU.
//!
//! A stale artifact must never pass for a fresh one. An image with a
//! `build.json` beside it (where `protect` writes both) is refused when:
//!
//! - the record shows a failed MPU verification;
//! - it is stale: an input of its build (the configuration, the ELF files,
//!   `layout.rs`) or the image file itself changed since `build.json` was
//!   written, so the image is not what was verified;
//! - it was built for another board than the one it is about to meet;
//! - it does not load what the record says this file loads: other address
//!   ranges (a raw binary given another address, `combined.bin@0x08004000`
//!   for an image built at 0x08000000) or other bytes.
//!
//! `--force` overrides these four: they compare the image with its build
//! record, and a developer may knowingly use a failed or edited build to
//! debug it. What the target can hold (`flash`: the chip's flash, see
//! `crate::flash::safety`; `run`: the board's memories, [`in_memories`])
//! is never overridden.

use std::ops::Range;

use serde::Serialize;

use super::manifest::Loads;
use super::record::{BuildRecord, sha256_hex};
use crate::board::Board;
use crate::image::file::InputSpec;
use crate::image::{Image, format_range};

/// What is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// build.json records a passed MPU verification.
    MpuVerified,
    /// Inputs and image file are those build.json records.
    UpToDate,
    /// The image was built for the board it is used on.
    SameBoard,
    /// The image loads the address ranges and bytes build.json records.
    AsRecorded,
    /// Every byte lies in the chip's non-volatile memory (`flash`).
    InFlash,
    /// The board file's memories agree with probe-rs's chip description
    /// (`flash`).
    BoardMatchesChip,
    /// Every byte lies in one of the board's memories (`run`).
    InMemories,
}

impl CheckKind {
    /// Whether `--force` may override a failure.
    pub fn overridable(self) -> bool {
        matches!(
            self,
            CheckKind::MpuVerified
                | CheckKind::UpToDate
                | CheckKind::SameBoard
                | CheckKind::AsRecorded
        )
    }
}

impl std::fmt::Display for CheckKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CheckKind::MpuVerified => "MPU verified",
            CheckKind::UpToDate => "up to date",
            CheckKind::SameBoard => "same board",
            CheckKind::AsRecorded => "as recorded",
            CheckKind::InFlash => "inside flash",
            CheckKind::BoardMatchesChip => "board matches chip",
            CheckKind::InMemories => "inside memories",
        })
    }
}

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    Failed,
    /// Failed, but `--force` was given.
    Forced,
    /// Nothing to check against (no build.json, no board file).
    Skipped,
}

/// One check and what it found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: CheckKind,
    pub outcome: Outcome,
    /// What was found; for a failure, what is wrong and what to do.
    pub detail: String,
}

/// All checks, in the order they ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// With `force`, failures of overridable checks become
    /// [`Outcome::Forced`].
    pub fn new(mut checks: Vec<Check>, force: bool) -> Report {
        if force {
            for check in &mut checks {
                if check.outcome == Outcome::Failed && check.check.overridable() {
                    check.outcome = Outcome::Forced;
                }
            }
        }
        Report { checks }
    }

    /// The checks that stop the flash or run.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Failed)
    }

    /// The checks that failed but were overridden.
    pub fn forced(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Forced)
    }

    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }
}

/// The checks failed: nothing was written or started.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to {action}:\n  {}",
    report.failures().map(|c| format!("{}: {}", c.check, c.detail)).collect::<Vec<_>>().join("\n  ")
)]
pub struct Refused {
    /// `flash` or `run`.
    pub action: &'static str,
    pub report: Report,
}

/// The image under check.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    /// The file as given (with its address, for a raw binary).
    pub spec: &'a InputSpec,
    /// What it loads.
    pub image: &'a Image,
    /// The build.json beside it, if any.
    pub record: Option<&'a BuildRecord>,
    /// The board it is about to be used on, if known.
    pub board: Option<&'a Board>,
}

/// The checks against the build record, in order.
pub fn record_checks(subject: &Subject) -> Vec<Check> {
    vec![
        mpu_verified(subject.record),
        up_to_date(subject.record, subject.spec),
        same_board(subject.record, subject.board),
        as_recorded(subject.record, subject.spec, subject.image),
    ]
}

pub fn passed(check: CheckKind, detail: String) -> Check {
    Check {
        check,
        outcome: Outcome::Passed,
        detail,
    }
}

pub fn failed(check: CheckKind, detail: String) -> Check {
    Check {
        check,
        outcome: Outcome::Failed,
        detail,
    }
}

pub fn skipped(check: CheckKind, detail: &str) -> Check {
    Check {
        check,
        outcome: Outcome::Skipped,
        detail: detail.to_owned(),
    }
}

const NO_RECORD: &str = "no build.json beside the image";

fn mpu_verified(record: Option<&BuildRecord>) -> Check {
    let kind = CheckKind::MpuVerified;
    let Some(record) = record else {
        return skipped(kind, NO_RECORD);
    };
    let findings = record.mpu_findings();
    if findings.is_empty() {
        return passed(
            kind,
            format!("{} records 0 findings", record.path.display()),
        );
    }
    failed(
        kind,
        format!(
            "{} records a failed MPU verification ({}); fix the layout and run `mcu-build protect` \
             again, or go on anyway with --force",
            record.path.display(),
            findings.join("; ")
        ),
    )
}

fn up_to_date(record: Option<&BuildRecord>, spec: &InputSpec) -> Check {
    let kind = CheckKind::UpToDate;
    let Some(record) = record else {
        return skipped(kind, NO_RECORD);
    };
    let Some(stale) = record.stale_inputs() else {
        return failed(
            kind,
            format!(
                "{} is not in <root>/target/mcu-build/{}/, so the inputs it records cannot be \
                 found; use the image where `mcu-build protect` wrote it, or --force",
                record.path.display(),
                record.board()
            ),
        );
    };
    let image_file = &spec.path;
    let mut problems: Vec<String> = stale.iter().map(ToString::to_string).collect();
    match record.output_at(image_file) {
        Some(output) => match std::fs::read(image_file) {
            Ok(bytes) if sha256_hex(&bytes) == output.sha256 => {}
            Ok(_) => problems.push(format!("{} changed", output.path)),
            Err(error) => problems.push(format!("{} cannot be read: {error}", output.path)),
        },
        None => problems.push(format!(
            "{} is not an output {} records",
            image_file.display(),
            record.path.display()
        )),
    }
    if problems.is_empty() {
        return passed(
            kind,
            "inputs and image are those build.json records".to_owned(),
        );
    }
    failed(
        kind,
        format!(
            "the image is stale: {} since {} was written; run `mcu-build protect` again, or go \
             on anyway with --force",
            problems.join(", "),
            record.path.display()
        ),
    )
}

fn same_board(record: Option<&BuildRecord>, board: Option<&Board>) -> Check {
    let kind = CheckKind::SameBoard;
    let (Some(record), Some(board)) = (record, board) else {
        return skipped(kind, "no build.json or no board to compare");
    };
    if record.board() == board.name {
        return passed(kind, format!("built for {}", board.name));
    }
    failed(
        kind,
        format!(
            "the image was built for {}, not {}; use it with --board {} or build for {} with \
             `mcu-build protect --board {}`",
            record.board(),
            board.name,
            record.board(),
            board.name,
            board.name
        ),
    )
}

/// The ranges of `loads`, as people read them.
fn list_loads(loads: &Loads) -> String {
    list(
        &loads
            .ranges
            .iter()
            .map(|r| r.start..r.end)
            .collect::<Vec<_>>(),
    )
}

fn as_recorded(record: Option<&BuildRecord>, spec: &InputSpec, image: &Image) -> Check {
    let kind = CheckKind::AsRecorded;
    let Some(record) = record else {
        return skipped(kind, NO_RECORD);
    };
    let Some(output) = record.output_at(&spec.path) else {
        return failed(
            kind,
            format!(
                "{} is not an output {} records, so what it should load is unknown; use an \
                 image `mcu-build protect` wrote, or --force",
                spec.path.display(),
                record.path.display()
            ),
        );
    };
    let Some(recorded) = &output.loads else {
        return failed(
            kind,
            format!(
                "{} records no load addresses for {} (an older mcu-build wrote it); run \
                 `mcu-build protect` again, or go on anyway with --force",
                record.path.display(),
                output.path
            ),
        );
    };
    let loaded = Loads::of(image);
    if loaded.ranges != recorded.ranges {
        return failed(
            kind,
            format!(
                "{spec} loads {}, but {} records {} for {}; {}",
                list_loads(&loaded),
                record.path.display(),
                list_loads(recorded),
                output.path,
                match spec.base {
                    Some(_) => format!(
                        "give the raw binary the address of its first byte, {}@{:#010x}",
                        spec.path.display(),
                        recorded.ranges.first().map_or(0, |r| r.start)
                    ),
                    None => "run `mcu-build protect` again".to_owned(),
                }
            ),
        );
    }
    if loaded.sha256 != recorded.sha256 {
        return failed(
            kind,
            format!(
                "{spec} loads other bytes than {} records for {} (SHA-256 {} instead of {}); \
                 run `mcu-build protect` again, or go on anyway with --force",
                record.path.display(),
                output.path,
                &loaded.sha256[..16],
                &recorded.sha256[..16.min(recorded.sha256.len())]
            ),
        );
    }
    passed(
        kind,
        format!(
            "loads {} as {} records",
            list_loads(&loaded),
            record.path.display()
        ),
    )
}

/// Address ranges as people read them, or `none`.
pub fn list(ranges: &[Range<u64>]) -> String {
    if ranges.is_empty() {
        return "none".to_owned();
    }
    ranges
        .iter()
        .map(format_range)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The parts of `range` that none of `covered` (sorted, disjoint) holds.
pub fn uncovered(range: Range<u64>, covered: &[Range<u64>]) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut next = range.start;
    for c in covered {
        if c.end <= next {
            continue;
        }
        if c.start >= range.end {
            break;
        }
        if c.start > next {
            out.push(next..c.start);
        }
        next = next.max(c.end);
        if next >= range.end {
            break;
        }
    }
    if next < range.end {
        out.push(next..range.end);
    }
    out
}

/// Whether every byte of `image` lies in one of `board`'s memories, as
/// the QEMU machine of the board has them: data elsewhere is not loaded,
/// and the core locks up at reset instead of running it.
pub fn in_memories(spec: &InputSpec, image: &Image, board: &Board) -> Check {
    let kind = CheckKind::InMemories;
    if image.is_empty() {
        return failed(kind, format!("{spec} holds no data"));
    }
    let mut memories: Vec<Range<u64>> = board
        .memories
        .iter()
        .map(|m| u64::from(m.origin)..m.end())
        .collect();
    memories.sort_by_key(|r| r.start);
    let outside: Vec<Range<u64>> = image
        .ranges()
        .flat_map(|range| uncovered(range, &memories))
        .collect();
    if outside.is_empty() {
        return passed(
            kind,
            format!(
                "{} bytes in {} segment(s), all in the memories of {}",
                image.total_size(),
                image.segments().len(),
                board.name
            ),
        );
    }
    let named = board
        .memories
        .iter()
        .map(|m| {
            format!(
                "{} {}",
                m.name,
                format_range(&(u64::from(m.origin)..m.end()))
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    failed(
        kind,
        format!(
            "{spec}: {} lie outside the memories of {} ({named}); a raw binary at the wrong \
             address, or an image for another board? `mcu-build hex info` shows the image's \
             ranges",
            list(&outside),
            board.name,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // The expected values are lists of one range, not ranges to collect.
    #[allow(clippy::single_range_in_vec_init)]
    fn uncovered_parts_of_a_range() {
        let covered = [0..10, 20..30];
        assert_eq!(uncovered(5..25, &covered), [10..20]);
        assert_eq!(uncovered(0..10, &covered), Vec::<Range<u64>>::new());
        assert_eq!(uncovered(25..40, &covered), [30..40]);
        assert_eq!(uncovered(40..50, &covered), [40..50]);
        assert_eq!(uncovered(0..40, &[]), [0..40]);
    }

    #[test]
    fn data_outside_the_boards_memories_is_named_with_its_range() {
        let board = crate::board::bundled("qemu-mps2-an386").unwrap();
        let spec: InputSpec = "x.bin@0x30000000".parse().unwrap();
        let mut image = Image::new();
        image
            .insert(0x3000_0000, &[1; 16], Default::default())
            .unwrap();
        let check = in_memories(&spec, &image, &board);
        assert_eq!(check.outcome, Outcome::Failed);
        assert!(
            check
                .detail
                .starts_with("x.bin@0x30000000: 0x30000000..0x30000010 (16 bytes) lie outside"),
            "{}",
            check.detail
        );
        let mut inside = Image::new();
        inside.insert(0, &[1; 16], Default::default()).unwrap();
        assert_eq!(in_memories(&spec, &inside, &board).outcome, Outcome::Passed);
    }

    #[test]
    fn force_overrides_only_the_record_checks() {
        let checks = vec![
            failed(CheckKind::UpToDate, String::new()),
            failed(CheckKind::AsRecorded, String::new()),
            failed(CheckKind::InMemories, String::new()),
        ];
        let report = Report::new(checks, true);
        let outcomes: Vec<Outcome> = report.checks.iter().map(|c| c.outcome).collect();
        assert_eq!(
            outcomes,
            [Outcome::Forced, Outcome::Forced, Outcome::Failed]
        );
        assert!(!report.passed());
    }
}
