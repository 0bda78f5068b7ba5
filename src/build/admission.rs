//! The checks an image passes before it is flashed (`mcu-build flash`) or
//! booted (`mcu-build run`), and that need neither a probe nor QEMU.
//!
//! A stale artifact must never pass for a fresh one. An image with a
//! `build.json` beside it (where `protect` writes both) is refused when:
//!
//! - the record shows a failed MPU verification;
//! - it is stale: an input of its build (the configuration, the ELF files,
//!   `layout.rs`) or the image file itself changed since `build.json` was
//!   written, so the image is not what was verified; or the configuration
//!   in use (`--config`, else mcu-build.toml) is another file, or names
//!   another board file or system call table, than the build read (see
//!   [`super::provenance`]);
//! - it was built for another board than the one it is about to meet;
//! - it was built for another plan than the one the configuration and
//!   board file give now (a changed `[layout]`, board file or `--config`):
//!   partitions moved, or the kernel heap, MPU regions or stack and heap
//!   splits changed;
//! - it does not load what the record says this file loads: other address
//!   ranges (a raw binary given another address, `combined.bin@0x08004000`
//!   for an image built at 0x08000000) or other bytes.
//!
//! The record is looked for beside the file the image path resolves to,
//! so a symbolic link to `combined.hex` is checked like `combined.hex`.
//! Without a record, one line says these checks were skipped.
//!
//! `--force` overrides these five: they compare the image with its build
//! record, and a developer may knowingly use a failed or edited build to
//! debug it. What the target can hold (`flash`: the chip's flash, see
//! `crate::flash::safety`; `run`: the board's memories, [`in_memories`],
//! and a vector table at its boot address, [`super::boot`]) is never
//! overridden.

use std::ops::Range;

use serde::Serialize;

use super::manifest::Loads;
use super::provenance::Provenance;
use super::record::{self, BuildRecord};
use crate::board::Board;
use crate::image::file::InputSpec;
use crate::image::{Image, format_range};
use crate::layout::Plan;

/// What is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// A build.json lies beside the image (when not, the checks against
    /// it are skipped, in one line).
    BuildRecord,
    /// build.json records a passed MPU verification.
    MpuVerified,
    /// Inputs and image file are those build.json records.
    UpToDate,
    /// The image was built for the board it is used on.
    SameBoard,
    /// The image was built for the plan the configuration gives now.
    SamePlan,
    /// The image loads the address ranges and bytes build.json records.
    AsRecorded,
    /// Every byte lies in the chip's non-volatile memory (`flash`).
    InFlash,
    /// The board file's memories agree with probe-rs's chip description
    /// (`flash`).
    BoardMatchesChip,
    /// Every byte lies in one of the board's memories (`run`).
    InMemories,
    /// A vector table at the board's boot address whose reset vector
    /// points into the image, in Thumb state (`run`).
    VectorTable,
}

impl CheckKind {
    /// Whether `--force` may override a failure.
    pub fn overridable(self) -> bool {
        matches!(
            self,
            CheckKind::MpuVerified
                | CheckKind::UpToDate
                | CheckKind::SameBoard
                | CheckKind::SamePlan
                | CheckKind::AsRecorded
        )
    }
}

impl std::fmt::Display for CheckKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CheckKind::BuildRecord => "build record",
            CheckKind::MpuVerified => "MPU verified",
            CheckKind::UpToDate => "up to date",
            CheckKind::SameBoard => "same board",
            CheckKind::SamePlan => "same plan",
            CheckKind::AsRecorded => "as recorded",
            CheckKind::InFlash => "inside flash",
            CheckKind::BoardMatchesChip => "board matches chip",
            CheckKind::InMemories => "inside memories",
            CheckKind::VectorTable => "vector table",
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
    /// The plan the project's configuration gives now, if one was read:
    /// the plan, or why the configuration gives none.
    pub plan: Option<Result<&'a Plan, &'a str>>,
    /// What the project's configuration makes a build from now (its
    /// file, board file, system call table and plan), if one was read.
    pub provenance: Option<&'a Provenance>,
}

/// The checks against the build record, in order; one skipped check
/// when there is no record.
pub fn record_checks(subject: &Subject) -> Vec<Check> {
    let Some(record) = subject.record else {
        return vec![skipped(
            CheckKind::BuildRecord,
            &format!(
                "no {} beside {}: nothing says how the image was built, so the MPU verdict, \
                 freshness, board, plan and load addresses are not checked",
                record::FILE_NAME,
                record::resolved(&subject.spec.path).display()
            ),
        )];
    };
    vec![
        mpu_verified(record),
        up_to_date(record, subject.spec, subject.provenance),
        same_board(record, subject.board),
        same_plan(record, subject.plan, subject.provenance),
        as_recorded(record, subject.spec, subject.image),
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

fn mpu_verified(record: &BuildRecord) -> Check {
    let kind = CheckKind::MpuVerified;
    let findings = record.mpu_findings();
    let accepted = record.accepted();
    if findings.is_empty() && !accepted.is_empty() {
        return passed(
            kind,
            format!(
                "{} records an over-grant the project accepts ([nuttx] over-grant = \"accept\"): {}",
                record.path.display(),
                accepted.join("; ")
            ),
        );
    }
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

fn up_to_date(record: &BuildRecord, spec: &InputSpec, now: Option<&Provenance>) -> Check {
    let kind = CheckKind::UpToDate;
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
        Some(output) => match record::holds_digest(image_file, &output.sha256) {
            Ok(true) => {}
            Ok(false) => problems.push(format!("{} changed since the build", output.path)),
            Err(error) => problems.push(format!("{} cannot be read: {error}", output.path)),
        },
        None => problems.push(format!(
            "{} is not one of the outputs {} records",
            image_file.display(),
            record.path.display()
        )),
    }
    // The configuration in use may be another file than the one the
    // build read (`--config other.toml`), naming other inputs.
    if let (Some(then), Some(now)) = (record.provenance(), now) {
        // The plan is the `same plan` check's; a file of the same path
        // that changed is among the stale inputs already.
        let differences: Vec<String> = then
            .differences(now)
            .iter()
            .filter(|d| d.what != "plan" && !problems.contains(&d.detail))
            .map(ToString::to_string)
            .collect();
        problems.extend(differences);
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
            "the image is stale: {}; run `mcu-build protect` again, or go on anyway with \
             --force",
            problems.join(", ")
        ),
    )
}

fn same_board(record: &BuildRecord, board: Option<&Board>) -> Check {
    let kind = CheckKind::SameBoard;
    let Some(board) = board else {
        return skipped(kind, "no board to compare");
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

/// Compares the partitions build.json records with those of `plan`, the
/// plan the configuration and board file give now: an image placed for
/// another plan puts the user blob where the kernel's MPU table does not
/// grant it.
fn same_plan(
    record: &BuildRecord,
    plan: Option<Result<&Plan, &str>>,
    provenance: Option<&Provenance>,
) -> Check {
    let kind = CheckKind::SamePlan;
    let plan = match plan {
        None => return skipped(kind, "no mcu-build.toml read, so no plan to compare"),
        Some(Err(why)) => {
            return failed(
                kind,
                format!(
                    "no plan to compare the image with: {why}; fix the configuration, or go on \
                     anyway with --force"
                ),
            );
        }
        Some(Ok(plan)) => plan,
    };
    if plan.board != record.board() {
        return skipped(
            kind,
            &format!(
                "the configuration plans {}, the image was built for {}",
                plan.board,
                record.board()
            ),
        );
    }
    let now: Vec<(&str, Range<u64>)> = plan
        .partitions
        .iter()
        .map(|p| (p.name.as_str(), p.start..p.end))
        .collect();
    let then: Vec<(&str, Range<u64>)> = record
        .partitions()
        .iter()
        .map(|p| (p.name.as_str(), p.range()))
        .collect();
    let mut differences = plan_differences(&then, &now);
    // The rest of the plan: the kernel heap, the MPU regions and the
    // stack and heap splits, which the partitions' places do not show.
    if differences.is_empty()
        && let (Some(then), Some(now)) = (record.provenance(), provenance)
        && then.plan_sha256 != now.plan_sha256
    {
        differences.push(
            "the partitions are in the same places, but the kernel heap, the MPU regions or \
             the stack and heap splits differ (`mcu-build layout` shows the plan now)"
                .to_owned(),
        );
    }
    if differences.is_empty() {
        return passed(kind, format!("{} partitions as planned now", now.len()));
    }
    failed(
        kind,
        format!(
            "the image was built for another plan: {}; run `mcu-build protect` again, or go on \
             anyway with --force",
            differences.join(", ")
        ),
    )
}

/// Each partition placed differently in `then` and `now`, as
/// `user-flash 0x08020000..0x08040000 then, 0x08040000..0x08060000 now`.
fn plan_differences(then: &[(&str, Range<u64>)], now: &[(&str, Range<u64>)]) -> Vec<String> {
    let show = |range: Option<&Range<u64>>| {
        range.map_or_else(
            || "absent".to_owned(),
            |r| format!("{:#010x}..{:#010x}", r.start, r.end),
        )
    };
    let find = |list: &[(&str, Range<u64>)], name: &str| {
        list.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| r.clone())
    };
    let names: Vec<&str> = then.iter().chain(now).map(|(n, _)| *n).collect();
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for name in names {
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let (before, after) = (find(then, name), find(now, name));
        if before != after {
            out.push(format!(
                "{name} {} then, {} now",
                show(before.as_ref()),
                show(after.as_ref())
            ));
        }
    }
    out
}

fn as_recorded(record: &BuildRecord, spec: &InputSpec, image: &Image) -> Check {
    let kind = CheckKind::AsRecorded;
    let Some(output) = record.output_at(&spec.path) else {
        return failed(
            kind,
            format!(
                "{} is not one of the outputs {} records, so what it should load is unknown; use an \
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
    let named = board.describe_memories();
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
    fn a_moved_partition_is_named_with_both_places() {
        let then = [
            ("kernel-flash", 0..0x2_0000),
            ("user-flash", 0x2_0000..0x4_0000),
        ];
        let now = [
            ("kernel-flash", 0..0x4_0000),
            ("user-flash", 0x4_0000..0x6_0000),
        ];
        assert_eq!(
            plan_differences(&then, &now),
            [
                "kernel-flash 0x00000000..0x00020000 then, 0x00000000..0x00040000 now",
                "user-flash 0x00020000..0x00040000 then, 0x00040000..0x00060000 now",
            ]
        );
        assert_eq!(plan_differences(&then, &then), Vec::<String>::new());
        assert_eq!(
            plan_differences(&then[..1], &then),
            ["user-flash absent then, 0x00020000..0x00040000 now"]
        );
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
