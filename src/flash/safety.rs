//! The checks that run before any byte is written, without a probe.
//!
//! Programming a board is the one step of the pipeline that destroys
//! something if it goes wrong: a kernel overwritten by a user blob, a chip
//! left with half an image, a build whose MPU table over-grants. So
//! `flash` refuses, before it opens a probe, an image that fails the
//! checks against its `build.json` ([`crate::build::admission`]: MPU
//! verdict, freshness, board, plan, what it loads where), or that:
//!
//! - holds data outside the non-volatile memory of the chip as probe-rs
//!   describes it (every such address range is listed);
//! - is flashed with a board file whose flash (or RAM) disagrees with
//!   probe-rs's description of the chip: the partitions were planned on
//!   memory the chip may not have.
//!
//! `--force` overrides the build-record checks; these two describe what
//! the chip can hold and are never overridden. The same checks run alone
//! as `mcu-build flash --check`, so CI can gate on them.

use std::ops::Range;

use super::chip::Chip;
use crate::board::Board;
use crate::build::admission;
pub use crate::build::admission::{
    Check, CheckKind, Outcome, Refused, Report, Subject, failed, list, passed, skipped,
};
use crate::image::{Image, format_range};
use crate::mpu::MemoryKind;

/// Runs every check; with `force`, failures of the build-record checks
/// become [`Outcome::Forced`].
pub fn check(subject: &Subject, chip: &Chip, force: bool) -> Report {
    let mut checks = admission::record_checks(subject);
    checks.push(in_flash(subject.image, chip));
    checks.push(board_matches_chip(subject.board, chip));
    Report::new(checks, force)
}

/// Runs every check and turns failures into an error.
pub fn require(subject: &Subject, chip: &Chip, force: bool) -> Result<Report, Refused> {
    let report = check(subject, chip, force);
    if report.passed() {
        Ok(report)
    } else {
        Err(Refused {
            action: "flash",
            report,
        })
    }
}

fn in_flash(image: &Image, chip: &Chip) -> Check {
    let kind = CheckKind::InFlash;
    if image.is_empty() {
        return failed(kind, "the image holds no data".to_owned());
    }
    let outside: Vec<Range<u64>> = image
        .ranges()
        .flat_map(|range| admission::uncovered(range, &chip.flash))
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
