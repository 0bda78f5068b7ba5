//! The files a [`Plan`] changes, as text: the board's `memory.ld` `MEMORY`
//! block, the defconfig fragment, the `_ebss` alignment line for
//! `user-space.ld`, and the value the board's `*_userspace.c` checks
//! `CONFIG_NUTTX_USERSPACE` against (`#if CONFIG_NUTTX_USERSPACE !=
//! 0x00020000`, `#error "... must be 0x00020000 to match memory.ld"`), and
//! what in the tree differs from the plan (drift).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::memory_ld::{Region, Role, memory_block};
use super::plan::{Change, Plan};
use super::tree::Tree;
use crate::layout::svg::size_text;

/// A board file's `#if CONFIG_NUTTX_USERSPACE != 0x...` check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserspaceCheck {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    pub value: u64,
}

/// `ORIGIN`/`LENGTH` as NuttX boards write them: `0x00020000`, `128K`.
fn length_text(length: u64) -> String {
    if length.is_multiple_of(1024) {
        format!("{}K", length / 1024)
    } else {
        format!("{length:#x}")
    }
}

/// Why a region's boundaries are where they are, for the comment above it.
fn why(plan: &Plan, region: &Region) -> String {
    let size = size_text(region.length);
    let block = |granted: &[super::check::Span]| {
        granted
            .iter()
            .map(|g| format!("{:#010x}..{:#010x}", g.start, g.end))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = &plan.text;
    let data = &plan.data;
    let heaps = &plan.heaps;
    if region.origin == text.uflash.start && region.role() == Role::User && region.is_flash() {
        format!(
            "{size}: the user blob, struct userspace_s first (CONFIG_NUTTX_USERSPACE = \
             {:#010x}). Its text {:#010x}..{:#010x} ({} bytes) is granted by mpu_user_flash \
             as {}, inside this region{}.",
            text.userspace_address,
            text.text.start,
            text.text.end,
            text.text.end - text.text.start,
            block(&text.granted),
            if text.alignment > 0 {
                format!(
                    "; the origin is {} bytes later so that the region stays inside",
                    text.alignment
                )
            } else {
                String::new()
            }
        )
    } else if region.origin == data.usram.start && region.role() == Role::User {
        format!(
            "{size}: the user .data/.bss, {:#010x}..{:#010x} ({} bytes{}), granted by \
             mpu_user_intsram as {}: us_bssend ends on the region's {}-byte subregion{}. At \
             run time the kernel heap starts at us_bssend, whatever the length here says.",
            data.planned.start,
            data.planned.end,
            data.planned.end - data.planned.start,
            match data.bss_align {
                Some(align) => format!(
                    ", {} of them padding: _ebss aligned to {align}",
                    data.padding
                ),
                None => String::new(),
            },
            block(&data.granted),
            data.granule,
            if data.alignment > 0 {
                format!(
                    "; the origin is {} bytes later so that the region starts on one",
                    data.alignment
                )
            } else {
                String::new()
            }
        )
    } else if region.role() == Role::Kernel && region.is_flash() {
        format!("{size}: the kernel, up to uflash.")
    } else if region.role() == Role::Kernel {
        format!("{size}: the kernel's .data, .bss and idle stack, up to usram.")
    } else if !region.is_flash() {
        format!(
            "{size}: no section is linked here; at run time the kernel heap is {:#010x}..{:#010x} ({} \
             bytes, CONFIG_MM_KERNEL_HEAPSIZE={}) and the user heap {:#010x}..{:#010x} ({}), \
             up to {}.",
            heaps.kernel.start,
            heaps.kernel.end,
            heaps.kernel.end - heaps.kernel.start,
            heaps.configured,
            heaps.user.start,
            heaps.user.end,
            size_text(heaps.user.end - heaps.user.start),
            heaps.end_name
        )
    } else if region.length == 0 {
        "empty: kept as the board has it.".to_owned()
    } else {
        format!("{size}: kept as the board has it.")
    }
}

/// The words of `text` wrapped at 72 columns, as ` * ` comment lines
/// indented by `indent`.
fn comment(indent: &str, text: &str) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && indent.len() + 3 + line.len() + 1 + word.len() > 78 {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    if let [line] = lines.as_slice() {
        return format!("{indent}/* {line} */\n");
    }
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        let lead = if index == 0 { "/*" } else { " *" };
        let _ = writeln!(out, "{indent}{lead} {line}");
    }
    let _ = writeln!(out, "{indent} */");
    out
}

/// The planned `MEMORY` block, every region with a comment saying why its
/// boundaries are where they are.
pub fn memory_block_text(plan: &Plan) -> String {
    let mut out = String::from("MEMORY\n{\n");
    out.push_str(&comment(
        "    ",
        &format!(
            "Planned by `mcu-build nuttx layout` from the built sizes, so that the MPU \
             regions NuttX programs at run time grant exactly the user's own memory (kernel \
             heap {} bytes).",
            plan.heaps.configured
        ),
    ));
    for region in &plan.regions {
        out.push('\n');
        out.push_str(&comment("    ", &why(plan, region)));
        let head = format!("{} ({})", region.name, region.attributes);
        let _ = writeln!(
            out,
            "  {head:<16} : ORIGIN = {:#010x}, LENGTH = {}",
            region.origin,
            length_text(region.length)
        );
    }
    out.push_str("}\n");
    out
}

/// The tree's `memory.ld` with its `MEMORY` block replaced by the plan's,
/// everything else kept; `None` when the file has no `MEMORY` block.
pub fn memory_ld_text(original: &str, plan: &Plan) -> Option<String> {
    let block = memory_block(original)?;
    let planned = memory_block_text(plan);
    let mut text = String::with_capacity(original.len() + planned.len());
    text.push_str(&original[..block.start]);
    text.push_str(planned.trim_end_matches('\n'));
    text.push_str(&original[block.end..]);
    Some(text)
}

/// The defconfig fragment: the `.config` values the plan sets.
pub fn fragment(plan: &Plan, board: &str) -> String {
    let mut out = format!(
        "# {board}: planned by `mcu-build nuttx layout`; merge into the board's defconfig\n"
    );
    for (name, value) in plan.config_values() {
        let _ = writeln!(out, "{name}={value}");
    }
    out
}

/// The line to put before `_ebss = ABSOLUTE(.);` in the board's
/// `user-space.ld`, when the plan pads `.bss`.
pub fn bss_line(plan: &Plan) -> Option<String> {
    plan.data
        .bss_align
        .map(|align| format!(". = ALIGN({align});"))
}

/// The `#if CONFIG_NUTTX_USERSPACE != 0x...` checks of the board's
/// `*_userspace.c` files (in the board directory and its `kernel/` and
/// `src/`).
pub fn userspace_checks(board_dir: &Path) -> Vec<UserspaceCheck> {
    let mut checks = Vec::new();
    for dir in [
        board_dir.to_owned(),
        board_dir.join("kernel"),
        board_dir.join("src"),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with("_userspace.c"))
            .collect();
        paths.sort();
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for (index, line) in text.lines().enumerate() {
                let Some(rest) = line
                    .trim()
                    .strip_prefix("#if")
                    .map(str::trim)
                    .and_then(|r| r.strip_prefix("CONFIG_NUTTX_USERSPACE"))
                    .and_then(|r| r.trim().strip_prefix("!="))
                else {
                    continue;
                };
                let number = rest.trim();
                let value = number
                    .strip_prefix("0x")
                    .or_else(|| number.strip_prefix("0X"))
                    .and_then(|hex| u64::from_str_radix(hex, 16).ok())
                    .or_else(|| number.parse().ok());
                if let Some(value) = value {
                    checks.push(UserspaceCheck {
                        path: path.clone(),
                        line: index + 1,
                        value,
                    });
                }
            }
        }
    }
    checks
}

/// What in `tree` (as built) differs from `plan`: `memory.ld` regions,
/// `.config` values, the built user blob, the board's userspace check.
pub fn drift(tree: &Tree, plan: &Plan, built: &super::userspace::Userspace) -> Vec<Change> {
    let mut changes = Vec::new();
    for planned in &plan.regions {
        let current = tree.memory.region(&planned.name);
        if current.map(|r| (r.origin, r.length)) != Some((planned.origin, planned.length)) {
            changes.push(Change {
                what: format!("{} {}", tree.memory.path.display(), planned.name),
                before: current.map_or("absent".to_owned(), |r| {
                    format!(
                        "ORIGIN = {:#010x}, LENGTH = {}",
                        r.origin,
                        length_text(r.length)
                    )
                }),
                after: format!(
                    "ORIGIN = {:#010x}, LENGTH = {}",
                    planned.origin,
                    length_text(planned.length)
                ),
            });
        }
    }
    for (name, value) in plan.config_values() {
        let current = tree.config.number(name).ok().flatten();
        let planned = plan.tree.config.number(name).ok().flatten();
        if current != planned {
            changes.push(Change {
                what: format!("{} {name}", tree.config.path.display()),
                before: tree
                    .config
                    .get(name)
                    .map_or("not set".to_owned(), |v| v.written()),
                after: value,
            });
        }
    }
    if built.address != plan.header.address {
        changes.push(Change {
            what: format!("{} struct userspace_s", tree.user_elf().display()),
            before: format!("at {:#010x}", built.address),
            after: format!(
                "at {:#010x} (CONFIG_NUTTX_USERSPACE); rebuild",
                plan.header.address
            ),
        });
    }
    if built.bss().end != plan.header.bss().end {
        changes.push(Change {
            what: format!("{} us_bssend", tree.user_elf().display()),
            before: format!("{:#010x}", built.bss().end),
            after: format!(
                "{:#010x}{}; rebuild",
                plan.header.bss().end,
                bss_line(plan).map_or(String::new(), |l| format!(
                    " (add `{l}` before `_ebss` in user-space.ld)"
                ))
            ),
        });
    }
    for check in userspace_checks(&tree.board_dir) {
        if check.value != plan.text.userspace_address {
            changes.push(Change {
                what: format!("{}:{}", check.path.display(), check.line),
                before: format!("#if CONFIG_NUTTX_USERSPACE != {:#010x}", check.value),
                after: format!(
                    "#if CONFIG_NUTTX_USERSPACE != {:#010x}",
                    plan.text.userspace_address
                ),
            });
        }
    }
    changes
}
