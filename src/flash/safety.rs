//! The checks that run before any byte is written, without a probe.
//!
//! Programming a board is the one step of the pipeline that destroys
//! something if it goes wrong: a kernel overwritten by a user blob, a chip
//! left with half an image, a build whose MPU table over-grants. So
//! `flash` refuses, before it opens a probe, an image that:
//!
//! - comes with a `build.json` recording a failed MPU verification;
//! - is stale: an input of its build (the configuration, the ELF files,
//!   `layout.rs`) or the image file itself changed since `build.json` was
//!   written, so the image is not what was verified;
//! - was built for another board than the one being flashed;
//! - holds data outside the non-volatile memory of the chip as probe-rs
//!   describes it (every such address range is listed);
//! - is flashed with a board file whose flash (or RAM) disagrees with
//!   probe-rs's description of the chip: the partitions were planned on
//!   memory the chip may not have.
//!
//! `--force` overrides the first three (they describe the build, and a
//! developer may knowingly flash a failed build to debug it); the last two
//! describe what the chip can hold and are never overridden. The same
//! checks run alone as `mcu-build flash --check`, so CI can gate on them.

use std::ops::Range;
use std::path::Path;

use serde::Serialize;

use super::chip::{self, Chip};
use super::record::{BuildRecord, sha256_hex};
use crate::board::Board;
use crate::image::{Image, format_range};
use crate::mpu::MemoryKind;

/// What is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// build.json records a passed MPU verification.
    MpuVerified,
    /// Inputs and image are those build.json records.
    UpToDate,
    /// The image was built for the board being flashed.
    SameBoard,
    /// Every byte lies in the chip's non-volatile memory.
    InFlash,
    /// The board file's memories agree with probe-rs's chip description.
    BoardMatchesChip,
}

impl CheckKind {
    /// Whether `--force` may override a failure.
    pub fn overridable(self) -> bool {
        matches!(
            self,
            CheckKind::MpuVerified | CheckKind::UpToDate | CheckKind::SameBoard
        )
    }
}

impl std::fmt::Display for CheckKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CheckKind::MpuVerified => "MPU verified",
            CheckKind::UpToDate => "up to date",
            CheckKind::SameBoard => "same board",
            CheckKind::InFlash => "inside flash",
            CheckKind::BoardMatchesChip => "board matches chip",
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
    /// The checks that stop the flash.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Failed)
    }

    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }
}

/// The checks failed: nothing was written.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to flash:\n  {}",
    report.failures().map(|c| format!("{}: {}", c.check, c.detail)).collect::<Vec<_>>().join("\n  ")
)]
pub struct Refused {
    pub report: Report,
}

/// What the checks look at.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub image: &'a Image,
    /// The image file, whose bytes are compared with those build.json
    /// recorded for it.
    pub image_file: &'a Path,
    /// The build.json beside the image, if any.
    pub record: Option<&'a BuildRecord>,
    /// The board file, if the chip was not named on its own.
    pub board: Option<&'a Board>,
    pub chip: &'a Chip,
}

/// Runs every check; with `force`, failures of the build-record checks
/// become [`Outcome::Forced`].
pub fn check(subject: &Subject, force: bool) -> Report {
    let mut checks = vec![
        mpu_verified(subject.record),
        up_to_date(subject.record, subject.image_file),
        same_board(subject.record, subject.board),
        in_flash(subject.image, subject.chip),
        board_matches_chip(subject.board, subject.chip),
    ];
    if force {
        for check in &mut checks {
            if check.outcome == Outcome::Failed && check.check.overridable() {
                check.outcome = Outcome::Forced;
            }
        }
    }
    Report { checks }
}

/// Runs every check and turns failures into an error.
pub fn require(subject: &Subject, force: bool) -> Result<Report, Refused> {
    let report = check(subject, force);
    if report.passed() {
        Ok(report)
    } else {
        Err(Refused { report })
    }
}

fn passed(check: CheckKind, detail: String) -> Check {
    Check {
        check,
        outcome: Outcome::Passed,
        detail,
    }
}

fn failed(check: CheckKind, detail: String) -> Check {
    Check {
        check,
        outcome: Outcome::Failed,
        detail,
    }
}

fn skipped(check: CheckKind, detail: &str) -> Check {
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
             again, or flash anyway with --force",
            record.path.display(),
            findings.join("; ")
        ),
    )
}

fn up_to_date(record: Option<&BuildRecord>, image_file: &Path) -> Check {
    let kind = CheckKind::UpToDate;
    let Some(record) = record else {
        return skipped(kind, NO_RECORD);
    };
    let Some(stale) = record.stale_inputs() else {
        return failed(
            kind,
            format!(
                "{} is not in <root>/target/mcu-build/{}/, so the inputs it records cannot be \
                 found; flash the image where `mcu-build protect` wrote it, or use --force",
                record.path.display(),
                record.board()
            ),
        );
    };
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
            "the image is stale: {} since {} was written; run `mcu-build protect` again, or \
             flash anyway with --force",
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
            "the image was built for {}, not {}; flash it with --board {} or build for {} with \
             `mcu-build protect --board {}`",
            record.board(),
            board.name,
            record.board(),
            board.name,
            board.name
        ),
    )
}

fn list(ranges: &[Range<u64>]) -> String {
    if ranges.is_empty() {
        return "none".to_owned();
    }
    ranges
        .iter()
        .map(format_range)
        .collect::<Vec<_>>()
        .join(", ")
}

fn in_flash(image: &Image, chip: &Chip) -> Check {
    let kind = CheckKind::InFlash;
    if image.is_empty() {
        return failed(kind, "the image holds no data".to_owned());
    }
    let outside: Vec<Range<u64>> = image
        .ranges()
        .flat_map(|range| chip::uncovered(range, &chip.flash))
        .collect();
    if outside.is_empty() {
        return passed(
            kind,
            format!(
                "{} bytes in {} segment(s), all in the flash of {}",
                image.total_size(),
                image.segments().len(),
                chip.name
            ),
        );
    }
    let bytes: u64 = outside.iter().map(|r| r.end - r.start).sum();
    failed(
        kind,
        format!(
            "{bytes} bytes lie outside the non-volatile memory of {} ({}): {}; an ELF's run \
             addresses instead of its load addresses, or an image for another chip? \
             `mcu-build hex info` shows the image's ranges",
            chip.name,
            list(&chip.flash),
            list(&outside)
        ),
    )
}

/// A board memory that probe-rs's description of the chip does not have.
fn disagreement(memory: &crate::board::Memory, chip: &Chip) -> Option<String> {
    let range = u64::from(memory.origin)..memory.end();
    let (spans, what, exact) = match memory.kind {
        // The partitions fill the flash up to its end, so its size matters
        // exactly; RAM may be described in pieces the chip joins.
        MemoryKind::Flash => (&chip.flash, "non-volatile memory", true),
        MemoryKind::Ram => (&chip.ram, "RAM", false),
    };
    let fits = spans.iter().any(|span| {
        if exact {
            *span == range
        } else {
            span.start <= range.start && range.end <= span.end
        }
    });
    (!fits).then(|| {
        format!(
            "{} {} is not {} of {} ({})",
            memory.name,
            format_range(&range),
            if exact {
                format!("exactly a {what} region")
            } else {
                format!("inside the {what}")
            },
            chip.name,
            list(spans)
        )
    })
}

/// Whether the memories of `board` are those probe-rs describes for `chip`:
/// each flash memory exactly one of its NVM regions, each RAM inside its RAM.
pub fn board_matches_chip(board: Option<&Board>, chip: &Chip) -> Check {
    let kind = CheckKind::BoardMatchesChip;
    let Some(board) = board else {
        return skipped(kind, "no board file: --chip alone names the chip");
    };
    let problems: Vec<String> = board
        .memories
        .iter()
        .filter_map(|memory| disagreement(memory, chip))
        .collect();
    if problems.is_empty() {
        return passed(
            kind,
            format!(
                "the memories of {} agree with probe-rs's {}",
                board.name, chip.name
            ),
        );
    }
    failed(
        kind,
        format!(
            "the board file disagrees with probe-rs's description of {}: {}; correct the \
             memories of the board file (from the chip's reference manual) or the chip name",
            chip.name,
            problems.join("; ")
        ),
    )
}
