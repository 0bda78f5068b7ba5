//! `nuttx layout`: the placement of a built protected tree's partitions for
//! which the regions NuttX's own run-time code programs grant exactly the
//! user's own memory, with the kernel heap exactly the size configured.
//!
//! The sizes come from the built tree (the user blob's text, `.data` and
//! `.bss` from `struct userspace_s`); the regions from NuttX's arithmetic
//! as [`super::heap`] and [`super::arm_mpu`] model it, decoded as the
//! hardware does. Three choices are made, each by trying the candidates
//! and keeping the one with the least over-grant, then the least loss:
//!
//! 1. **User text.** `mpu_user_flash(us_textstart, us_textend -
//!    us_textstart)` grants a naturally aligned block whose partial
//!    subregions are granted whole; the user's own flash is `uflash`, so the
//!    block must not leave it. Candidates: the `uflash` origin rounded up to
//!    each power of two (`CONFIG_NUTTX_USERSPACE` moves with it).
//! 2. **User `.data`/`.bss`.** `mpu_user_intsram([usram origin,
//!    us_bssend))` grants whole subregions; the bytes past `us_bssend` are
//!    the kernel heap. Candidates: the `usram` origin rounded up to each
//!    power of two, and `us_bssend` rounded up to each power of two (the
//!    `. = ALIGN(n)` before `_ebss` in `user-space.ld`), inside `usram`.
//! 3. **Heaps.** NuttX puts the user heap at `[END - 2^k, END)` with `2^k`
//!    the power of two at most `END - (us_bssend +
//!    CONFIG_MM_KERNEL_HEAPSIZE)`, and the kernel heap in `[us_bssend, END -
//!    2^k)`. For a requested kernel heap `K` the plan takes the largest
//!    `2^k <= END - us_bssend - K` that divides `END` (so the user heap's
//!    region is exactly the heap) and sets `CONFIG_MM_KERNEL_HEAPSIZE =
//!    END - us_bssend - 2^k`: NuttX's arithmetic then gives a kernel heap of
//!    exactly the configured size, `K` or more.
//!
//! The plan is then proved by [`check::check_userspace`] on the planned
//! `.config`, `memory.ld` and header: a plan is exact when that check finds
//! nothing.

use std::ops::Range;

use serde::Serialize;

use super::arm_mpu::{self, Macro};
use super::check::{self, CheckError, CheckReport, Span};
use super::config_checks::{InitStack, init_stack};
use super::heap::{Family, HeapError};
use super::kconfig::{Entry, Value};
use super::memory_ld::{Region, Role};
use super::tree::{Tree, TreeError};
use super::userspace::Userspace;
use crate::mpu::RegionNumber;

/// Why no plan could be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    Heap(#[from] HeapError),
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// `asked_by` names what asked for it (`--kernel-heap 43250`, or the
    /// `.config` and its option).
    #[error("{asked_by}: {what}")]
    NoRoom { asked_by: String, what: String },
}

/// Where the user text goes.
#[derive(Clone, Debug, Serialize)]
pub struct TextPlan {
    /// `uflash` as it is and as planned; `CONFIG_NUTTX_USERSPACE` is the
    /// planned origin plus the header's offset in it (0 on every board).
    pub uflash_before: Span,
    pub uflash: Span,
    pub userspace_address: u64,
    /// `[us_textstart, us_textend)` after the move.
    pub text: Span,
    /// What the `mpu_user_flash` region grants, decoded.
    pub granted: Vec<Span>,
    /// Bytes granted outside `uflash`.
    pub over_grant: u64,
    /// Bytes `uflash` starts later than before (given to `kflash` when it
    /// ends there).
    pub alignment: u64,
}

/// Where the user `.data`/`.bss` goes.
#[derive(Clone, Debug, Serialize)]
pub struct DataPlan {
    pub usram_before: Span,
    pub usram: Span,
    /// `[min(us_datastart, us_bssstart), us_bssend)` as built and as
    /// planned.
    pub built: Span,
    pub planned: Span,
    /// What the `mpu_user_intsram` region grants, decoded.
    pub granted: Vec<Span>,
    /// The region's subregion size (its size below 256 bytes), bytes:
    /// `us_bssend` must stay on it.
    pub granule: u64,
    pub over_grant: u64,
    /// Bytes `usram` starts later than before (given to `ksram` when it
    /// ends there).
    pub alignment: u64,
    /// Bytes of `.bss` padding: `us_bssend` rounded up to `bss_align`.
    pub padding: u64,
    /// The alignment of `_ebss` in `user-space.ld` the plan needs, bytes;
    /// `None` when the built `.bss` already ends where it must.
    pub bss_align: Option<u64>,
}

/// The heaps NuttX sets up for the planned `us_bssend`.
#[derive(Clone, Debug, Serialize)]
pub struct HeapPlan {
    /// Where the heaps end (`CONFIG_RAM_END`, `SRAM1_END`, ...).
    pub end_name: &'static str,
    pub end: u64,
    /// The kernel heap asked for, bytes.
    pub requested: u64,
    /// `CONFIG_MM_KERNEL_HEAPSIZE` as built and as planned.
    pub configured_before: u64,
    pub configured: u64,
    /// The heaps as NuttX's arithmetic ([`super::heap`]) sets them up for
    /// the plan.
    pub kernel: Span,
    pub user: Span,
    /// The kernel heap is exactly `requested` (otherwise larger: the user
    /// heap is a power of two).
    pub exact: bool,
    /// NuttX's arithmetic gives a kernel heap of exactly `configured`
    /// bytes, as the plan means it to.
    pub as_configured: bool,
    /// The piece of the user heap the init task's stack takes.
    pub init_stack: InitStack,
    /// That piece fits in the user heap (`nx_bringup` asserts otherwise).
    pub init_stack_fits: bool,
}

/// One change the plan makes to the tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `memory.ld usram`, `CONFIG_MM_KERNEL_HEAPSIZE`, ...
    pub what: String,
    pub before: String,
    pub after: String,
}

/// The plan for a built tree.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub family: Family,
    pub text: TextPlan,
    pub data: DataPlan,
    pub heaps: HeapPlan,
    /// The tree's `memory.ld` regions as planned, in order.
    pub regions: Vec<Region>,
    /// The header NuttX will read after the planned build.
    #[serde(skip)]
    pub header: Userspace,
    /// The tree as planned (`.config` and `memory.ld` in memory).
    #[serde(skip)]
    pub tree: Tree,
    /// `nuttx check` on the planned values.
    pub check: CheckReport,
}

impl Plan {
    /// The check of the planned values finds nothing (NuttX grants exactly
    /// the user's own memory) and the kernel heap is as configured.
    pub fn exact(&self) -> bool {
        self.check.passes(false) && self.heaps.as_configured
    }

    /// The plan is exact and NuttX can start the init task in its user
    /// heap: the plan `--write` may write.
    pub fn approved(&self) -> bool {
        self.exact() && self.heaps.init_stack_fits
    }

    /// Bytes the user loses to alignment and padding, in total.
    pub fn loss(&self) -> u64 {
        self.text.alignment + self.data.alignment + self.data.padding
    }

    /// The `.config` values the plan sets: `(name, value as written)`.
    pub fn config_values(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "CONFIG_NUTTX_USERSPACE",
                format!("{:#010x}", self.text.userspace_address),
            ),
            (
                "CONFIG_MM_KERNEL_HEAPSIZE",
                self.heaps.configured.to_string(),
            ),
        ]
    }
}

/// What a region grants as the hardware decodes the registers NuttX
/// writes: the ranges, and the subregion size (the whole block below 256
/// bytes), the granule its grant ends on.
struct Grant {
    ranges: Vec<Range<u64>>,
    granule: u64,
}

/// The region `mpu_configure_region(base, size)` with `mpu_macro` grants;
/// `None` when the registers decode to no region (NuttX's arithmetic left
/// its assumptions).
fn granted(base: u64, size: u64, mpu_macro: Macro) -> Option<Grant> {
    let registers =
        arm_mpu::modify_region(0, base, size, mpu_macro.flags(), "a planned region").ok()?;
    let region = registers.decode(RegionNumber::new(0)?).ok().flatten()?;
    Some(Grant {
        ranges: region.granted(),
        granule: region.block().subregion_size(),
    })
}

/// Bytes of `granted` outside `own`.
fn outside(granted: &[Range<u64>], own: &Range<u64>) -> u64 {
    granted
        .iter()
        .map(|g| {
            let inside = g.end.min(own.end).saturating_sub(g.start.max(own.start));
            (g.end - g.start) - inside
        })
        .sum()
}

fn round_up(value: u64, align: u64) -> u64 {
    value.div_ceil(align) * align
}

/// `value` rounded up to each power of two from 1 to 2^31, each once.
fn rounded_ups(value: u64) -> Vec<u64> {
    let mut values: Vec<u64> = (0..32).map(|k| round_up(value, 1 << k)).collect();
    values.dedup();
    values
}

fn spans(ranges: &[Range<u64>]) -> Vec<Span> {
    ranges
        .iter()
        .map(|r| Span {
            start: r.start,
            end: r.end,
        })
        .collect()
}

fn span(range: &Range<u64>) -> Span {
    Span {
        start: range.start,
        end: range.end,
    }
}

/// The planned `uflash` origin: the one whose text region stays inside
/// `uflash` (the end of `uflash` stays where it is), or grants least
/// outside it, nearest the current origin.
fn plan_text(uflash: &Region, header: &Userspace) -> TextPlan {
    let end = uflash.end();
    let text = header.text();
    // The blob ends after the text, or after .data's load image when that
    // lies in uflash too (as it does when user-space.ld puts it there).
    let load = header.data_load();
    let blob_end = if (uflash.origin..=end).contains(&load.end) {
        text.end.max(load.end)
    } else {
        text.end
    };
    let mut best: Option<(u64, u64, Vec<Range<u64>>)> = None;
    for origin in rounded_ups(uflash.origin) {
        let shift = origin - uflash.origin;
        if blob_end + shift > end {
            break;
        }
        let Some(Grant { ranges: grant, .. }) = granted(
            text.start + shift,
            text.end - text.start,
            Macro::MpuUserFlash,
        ) else {
            continue;
        };
        let over = outside(&grant, &(origin..end));
        if best
            .as_ref()
            .is_none_or(|(o, s, _)| (over, shift) < (*o, *s))
        {
            best = Some((over, shift, grant));
        }
    }
    // The current origin always fits: the built blob lies in uflash.
    let (over_grant, shift, grant) = best.unwrap_or_else(|| {
        let grant = granted(text.start, text.end - text.start, Macro::MpuUserFlash)
            .map_or_else(Vec::new, |g| g.ranges);
        (outside(&grant, &(uflash.origin..end)), 0, grant)
    });
    TextPlan {
        uflash_before: span(&(uflash.origin..end)),
        uflash: span(&(uflash.origin + shift..end)),
        userspace_address: header.address + shift,
        text: span(&(text.start + shift..text.end + shift)),
        granted: spans(&grant),
        over_grant,
        alignment: shift,
    }
}

/// The planned `usram` origin and end of `.bss`: the pair whose
/// `.data`/`.bss` region grants exactly `[origin, us_bssend)`, or least
/// beyond it, with the least padding and moving. `limit` is where the
/// heaps end: the kernel heap needs room after `.bss`.
fn plan_data(usram: &Region, header: &Userspace, limit: u64) -> DataPlan {
    let (data, bss) = (header.data(), header.bss());
    let built = data.start.min(bss.start)..data.end.max(bss.end);
    let offset = built.start.saturating_sub(usram.origin);
    let size = built.end - built.start;
    let end = usram.end().min(limit);
    // (over-grant, loss, shift, alignment, start, bss end, grant)
    type Candidate = (u64, u64, u64, u64, u64, u64, Grant);
    let mut best: Option<Candidate> = None;
    for origin in rounded_ups(usram.origin) {
        let start = origin + offset;
        let unpadded = start + size;
        if unpadded > end {
            break;
        }
        for k in 0..32 {
            let align = 1u64 << k;
            let bss_end = round_up(unpadded, align);
            if bss_end > end {
                break;
            }
            let Some(grant) = granted(start, bss_end - start, Macro::MpuUserIntsram) else {
                continue;
            };
            let over = outside(&grant.ranges, &(start..bss_end));
            let shift = origin - usram.origin;
            let loss = shift + bss_end - unpadded;
            let candidate = (over, loss, shift, align, start, bss_end, grant);
            // Among equal choices the largest alignment: `. = ALIGN(n)`
            // keeps .bss on the subregion granule when it grows a little.
            if best.as_ref().is_none_or(|b| {
                (over, loss, shift, std::cmp::Reverse(align))
                    < (b.0, b.1, b.2, std::cmp::Reverse(b.3))
            }) {
                best = Some(candidate);
            }
        }
    }
    let (over_grant, _, shift, align, start, bss_end, grant) = best.unwrap_or_else(|| {
        let grant = granted(built.start, size, Macro::MpuUserIntsram).unwrap_or(Grant {
            ranges: Vec::new(),
            granule: 0,
        });
        let over = outside(&grant.ranges, &built);
        (over, 0, 0, 1, built.start, built.end, grant)
    });
    let padding = bss_end - (start + size);
    DataPlan {
        usram_before: span(&(usram.origin..usram.end())),
        usram: span(&(usram.origin + shift..usram.end())),
        built: span(&built),
        planned: span(&(start..bss_end)),
        granted: spans(&grant.ranges),
        granule: grant.granule,
        over_grant,
        alignment: shift,
        padding,
        bss_align: (padding > 0).then_some(align),
    }
}

/// `header` with its flash addresses moved by `text_shift` and its RAM
/// addresses by `data_shift`, and `us_bssend` at `bss_end`.
fn moved_header(
    header: &Userspace,
    uflash: &Range<u64>,
    usram: &Range<u64>,
    text_shift: u64,
    data_shift: u64,
    bss_end: u64,
) -> Userspace {
    let fields = header
        .fields
        .iter()
        .map(|&(name, value)| {
            let address = u64::from(value);
            let moved = if name == "us_bssend" {
                bss_end
            } else if (uflash.start..=uflash.end).contains(&address) {
                address + text_shift
            } else if (usram.start..=usram.end).contains(&address) {
                address + data_shift
            } else {
                address
            };
            (name, u32::try_from(moved).unwrap_or(value))
        })
        .collect();
    Userspace {
        address: header.address + text_shift,
        fields,
    }
}

/// The user heap `2^k` for a kernel heap of at least `requested` bytes
/// after `bss_end`: from the power of two NuttX itself would round the room
/// down to (`mpu_log2regionfloor`), the largest that divides `end`, so that
/// the user heap's region is exactly the heap; at least 32 bytes, the
/// smallest region.
fn user_heap(bss_end: u64, end: u64, requested: u64) -> Option<u64> {
    let room = end.checked_sub(bss_end)?.checked_sub(requested)?;
    let top = arm_mpu::log2_region_floor(room);
    (5..=top)
        .rev()
        .map(|k| 1u64 << k)
        .find(|&size| end.is_multiple_of(size))
}

fn set_number(tree: &mut Tree, name: &str, value: u64, text: String) {
    let line = tree.config.entries.get(name).map_or(0, |e| e.line);
    tree.config.entries.insert(
        name.to_owned(),
        Entry {
            value: Value::Number {
                value: i128::from(value),
                text,
            },
            line,
        },
    );
}

/// Moves region `name`'s origin to `origin`, keeping its end, and grows a
/// region that ended at the old origin (`kflash` before `uflash`, `ksram`
/// before `usram`) to the new one.
fn move_origin(regions: &mut [Region], name: &str, origin: u64) {
    let Some(old) = regions.iter().find(|r| r.name == name).map(|r| r.origin) else {
        return;
    };
    for region in regions.iter_mut() {
        if region.name == name {
            region.length = region.end() - origin;
            region.origin = origin;
        } else if region.end() == old && region.length > 0 && region.role() == Role::Kernel {
            region.length = origin - region.origin;
        }
    }
}

/// Plans the built tree `tree` for a kernel heap of `kernel_heap` bytes
/// (the tree's `CONFIG_MM_KERNEL_HEAPSIZE` when `None`).
pub fn plan(tree: &Tree, kernel_heap: Option<u64>) -> Result<Plan, PlanError> {
    check::require_mpu(tree)?;
    let header = check::read_userspace(tree)?;
    let config = &tree.config;
    let family = Family::of(config)?;
    let built_heaps = family.heaps(config, &header)?;
    let (end_name, end) = (built_heaps.end_name, built_heaps.end);
    let requested = kernel_heap.unwrap_or(built_heaps.kernel_configured);

    let uflash = tree.region(Role::User, true)?.clone();
    let usram = tree.region(Role::User, false)?.clone();
    let text = plan_text(&uflash, &header);
    let data = plan_data(&usram, &header, end);
    let bss_end = data.planned.end;
    let user_size = user_heap(bss_end, end, requested).ok_or_else(|| PlanError::NoRoom {
        // Blame what asked for the kernel heap: the command line or .config.
        asked_by: match kernel_heap {
            Some(_) => format!("--kernel-heap {requested}"),
            None => format!(
                "{}: CONFIG_MM_KERNEL_HEAPSIZE={requested}",
                config.path.display()
            ),
        },
        what: format!(
            "a kernel heap of {requested} bytes after us_bssend {bss_end:#010x} leaves no user \
             heap of 32 bytes or more (a power of two dividing {end_name} {end:#010x}) below \
             {end_name}"
        ),
    })?;
    let configured = end - bss_end - user_size;

    let mut planned = tree.clone();
    set_number(
        &mut planned,
        "CONFIG_NUTTX_USERSPACE",
        text.userspace_address,
        format!("{:#010x}", text.userspace_address),
    );
    set_number(
        &mut planned,
        "CONFIG_MM_KERNEL_HEAPSIZE",
        configured,
        configured.to_string(),
    );
    move_origin(&mut planned.memory.regions, &uflash.name, text.uflash.start);
    move_origin(&mut planned.memory.regions, &usram.name, data.usram.start);
    let planned_header = moved_header(
        &header,
        &(uflash.origin..uflash.end()),
        &(usram.origin..usram.end()),
        text.alignment,
        data.alignment,
        bss_end,
    );
    let heaps = family.heaps(&planned.config, &planned_header)?;
    let init_stack = init_stack(
        |name| planned.config.number(name).ok().flatten(),
        planned.config.is_set("CONFIG_TLS_ALIGNED"),
    );
    let report = check::check_userspace(&planned, &planned_header)?;
    Ok(Plan {
        family,
        heaps: HeapPlan {
            end_name,
            end,
            requested,
            configured_before: built_heaps.kernel_configured,
            configured,
            kernel: span(&heaps.kernel()),
            user: span(&heaps.user()),
            exact: heaps.kernel_end - heaps.kernel_start == requested,
            as_configured: heaps.kernel_end - heaps.kernel_start == configured,
            init_stack_fits: init_stack.needed <= heaps.user().end - heaps.user().start,
            init_stack,
        },
        text,
        data,
        regions: planned.memory.regions.clone(),
        header: planned_header,
        tree: planned,
        check: report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_heap_is_the_largest_power_of_two_dividing_the_end() {
        // lm3s6965-ek: us_bssend 0x20005700, 8 KiB asked: 32 KiB user heap.
        assert_eq!(user_heap(0x2000_5700, 0x2001_0000, 8192), Some(0x8000));
        // An end at 0x2001c000 is not 64 KiB aligned: 16 KiB, not 64 KiB.
        assert_eq!(user_heap(0x2000_0100, 0x2001_c000, 0), Some(0x4000));
        assert_eq!(user_heap(0x2000_fff0, 0x2001_0000, 0), None);
    }

    #[test]
    fn regions_are_decoded_as_the_hardware_grants_them() {
        // The stock kostest .data/.bss region: 7 subregions of 256 bytes.
        let grant = granted(0x2000_5000, 0x6c4, Macro::MpuUserIntsram).unwrap();
        assert_eq!(grant.ranges, vec![0x2000_5000..0x2000_5700]);
        assert_eq!(grant.granule, 256);
        assert_eq!(outside(&grant.ranges, &(0x2000_5000..0x2000_56c4)), 60);
    }
}
