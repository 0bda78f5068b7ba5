//! The difference between a flat and a protected build, split into the
//! five causes of `mcu-build size` and the rest.
//!
//! Totals are *flash spans* (see [`super::blob`]): the flat build's span,
//! and the span from the lowest to the highest load address of the kernel
//! and the user blob together, so that the flash left between the kernel's
//! end and the user partition's start (alignment of the MPU partition) is
//! counted. Then, by construction,
//! `flat + syscall layer + kernel only + second allocator + shared code +
//! padding + rest == protected`, and the rest is shown, never hidden.
//!
//! The symbol causes are disjoint: each counts a symbol of one blob at most
//! once, in the first cause whose rule takes it, in the order 1, 3, 4 for
//! the user blob and 1, 2 for the kernel.

use std::collections::{BTreeSet, HashSet};

use super::blob::{Blob, BlobKind};
use super::names::{is_allocator, is_syscall_layer, normalize};

/// How many of a cause's symbols the report lists.
pub const LARGEST: usize = 5;

/// One symbol of a cause.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub name: String,
    /// `st_size`, bytes.
    pub size: u64,
    pub blob: BlobKind,
}

/// One cause of the difference.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cause {
    /// Stable key for `--json`: `syscall-layer`, `kernel-only`,
    /// `second-allocator`, `shared-code`, `padding`.
    pub key: &'static str,
    pub title: &'static str,
    /// Flash bytes; negative when the protected build has fewer.
    pub bytes: i64,
    /// The largest symbols counted, largest first (empty for padding).
    pub largest: Vec<Entry>,
    /// Why the bytes may not be what they seem, when the report can tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// The system-call layer when no symbol of it has a size, and the call
/// names were given.
pub const INLINED_LAYER: &str = "no symbol of the layer has a size: the proxies and the \
    dispatch were inlined into their callers (the bundled firmware's Rust proxies are \
    #[inline] and its dispatch generic, under LTO), so their bytes are counted with the \
    callers, under 2., 4. or the rest";

/// The system-call layer when no symbol of it has a size and no call
/// names were given.
pub const UNNAMED_LAYER: &str = "no symbol of the layer has a size. A C build (NuttX) \
    names its user-side proxies after their calls: give the table with --csv \
    syscall/syscall.csv to count them. Rust proxies (the bundled firmware's) are #[inline], \
    and under LTO their bytes are counted with their callers";

/// Flash and RAM of one build, bytes.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Totals {
    /// The flash span (load image with the gaps between its parts).
    pub flash: u64,
    /// Load image bytes, without gaps.
    pub loaded: u64,
    pub ram: u64,
}

/// The explained difference.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub flat: Totals,
    pub kernel: Totals,
    pub user: Totals,
    pub protected: Totals,
    /// `protected.flash - flat.flash`.
    pub difference: i64,
    /// `protected.ram - flat.ram`; RAM is not split into causes.
    pub ram_difference: i64,
    pub causes: Vec<Cause>,
    /// `difference` minus the causes: user code the flat build lacks,
    /// unnamed constants (`.Lanon.*`), code LTO inlined differently.
    pub rest: i64,
}

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn span_length(spans: &[Option<(u64, u64)>]) -> u64 {
    let mut all = spans.iter().flatten();
    let Some(&(mut start, mut end)) = all.next() else {
        return 0;
    };
    for &(s, e) in all {
        start = start.min(s);
        end = end.max(e);
    }
    end - start
}

fn totals(blobs: &[&Blob]) -> Totals {
    let spans: Vec<_> = blobs.iter().map(|b| b.flash_span).collect();
    Totals {
        flash: span_length(&spans),
        loaded: blobs.iter().map(|b| b.flash_bytes).sum(),
        ram: blobs.iter().map(|b| b.ram_bytes).sum(),
    }
}

/// Collects the symbols of `blob` that `take` accepts into `entries`, and
/// returns their bytes.
fn collect(blob: &Blob, entries: &mut Vec<Entry>, mut take: impl FnMut(&str) -> bool) -> u64 {
    let mut bytes = 0;
    for symbol in &blob.symbols {
        if take(&symbol.name) {
            bytes += symbol.size;
            entries.push(Entry {
                name: symbol.name.clone(),
                size: symbol.size,
                blob: blob.kind,
            });
        }
    }
    bytes
}

fn cause(key: &'static str, title: &'static str, bytes: i64, mut entries: Vec<Entry>) -> Cause {
    entries.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    entries.truncate(LARGEST);
    Cause {
        key,
        title,
        bytes,
        largest: entries,
        note: None,
    }
}

/// Whether a symbol has a name to compare across builds: assembler-local
/// labels (`.L*`, e.g. the anonymous constants `.Lanon.*` of rustc) are
/// numbered per build, so they count in the rest, not in a cause.
fn named(name: &str) -> bool {
    !name.starts_with(".L")
}

/// Explains `kernel` + `user` against `flat`; `syscalls` are the call
/// names of the system-call table (may be empty).
pub fn explain(flat: &Blob, kernel: &Blob, user: &Blob, syscalls: &BTreeSet<String>) -> Report {
    let names = |blob: &Blob| -> HashSet<String> {
        blob.symbols.iter().map(|s| normalize(&s.name)).collect()
    };
    let flat_names = names(flat);
    let kernel_names = names(kernel);
    let syscall =
        |name: &str, blob: &Blob| is_syscall_layer(name, blob.kind == BlobKind::User, syscalls);

    // 1. The system-call layer the flat build lacks: symbols under the
    // rules whose name the flat build does not have (a flat build may keep
    // the functions a syscall lands in, e.g. a `Syscalls` implementation),
    // and always the user blob's proxies named after a call (in the flat
    // build that name is the call's real function).
    let mut entries = Vec::new();
    let layer_bytes = collect(kernel, &mut entries, |n| {
        syscall(n, kernel) && !flat_names.contains(&normalize(n))
    }) + collect(user, &mut entries, |n| {
        syscall(n, user) && (syscalls.contains(n) || !flat_names.contains(&normalize(n)))
    });
    let mut layer = cause(
        "syscall-layer",
        "system-call layer (proxies, stubs, dispatch, table)",
        signed(layer_bytes),
        entries,
    );
    if layer_bytes == 0 {
        layer.note = Some(if syscalls.is_empty() {
            UNNAMED_LAYER
        } else {
            INLINED_LAYER
        });
    }

    // 2. Kernel code the flat build does not have.
    let mut entries = Vec::new();
    let kernel_only = collect(kernel, &mut entries, |n| {
        named(n) && !syscall(n, kernel) && !flat_names.contains(&normalize(n))
    });
    let kernel_only = cause(
        "kernel-only",
        "kernel code only protection draws in (absent from flat)",
        signed(kernel_only),
        entries,
    );

    // 3. The user blob's own allocator, when the kernel has one too.
    let kernel_has_allocator = kernel.symbols.iter().any(|s| is_allocator(&s.name));
    let mut entries = Vec::new();
    let allocator = collect(user, &mut entries, |n| {
        kernel_has_allocator && !syscall(n, user) && is_allocator(n)
    });
    let allocator = cause(
        "second-allocator",
        "second allocator (the user blob's heap code)",
        signed(allocator),
        entries,
    );

    // 4. User code also in the kernel, by name.
    let mut entries = Vec::new();
    let shared = collect(user, &mut entries, |n| {
        named(n)
            && !syscall(n, user)
            && !(kernel_has_allocator && is_allocator(n))
            && kernel_names.contains(&normalize(n))
    });
    let shared = cause(
        "shared-code",
        "code in both blobs (user copy of kernel symbols)",
        signed(shared),
        entries,
    );

    // 5. Padding: span minus load bytes, against the flat build's.
    let flat_totals = totals(&[flat]);
    let protected = totals(&[kernel, user]);
    let padding = cause(
        "padding",
        "alignment padding (kernel end to user partition, gaps)",
        (signed(protected.flash) - signed(protected.loaded))
            - (signed(flat_totals.flash) - signed(flat_totals.loaded)),
        Vec::new(),
    );

    let causes = vec![layer, kernel_only, allocator, shared, padding];
    let difference = signed(protected.flash) - signed(flat_totals.flash);
    let explained: i64 = causes.iter().map(|c| c.bytes).sum();
    Report {
        flat: flat_totals,
        kernel: totals(&[kernel]),
        user: totals(&[user]),
        protected,
        difference,
        ram_difference: signed(protected.ram) - signed(flat_totals.ram),
        causes,
        rest: difference - explained,
    }
}
