//! Which symbols belong to which cause, by name.
//!
//! The rules follow the two naming schemes `mcu-build size` meets:
//! - NuttX (C): the generated proxies are named after the system call
//!   (`write`, from `syscall/syscall.csv`) in the user blob, or `PROXY_*`
//!   in a build that keeps the file names; the stubs `STUB_*`; the table
//!   `g_stublookup`, `g_funcnargs`, `g_funcnames` (NuttX's
//!   `syscall/syscall_stublookup.c`, `syscall_funcnames.c`,
//!   `syscall_nparms.c`). The allocator: `mm_*`, `umm_*`, `kmm_*` and the
//!   C entry points (`malloc`, `free`, ...), NuttX's `mm/`.
//! - Rust (the bundled firmware, legacy `_ZN` or v0 `_R` mangling): a path
//!   segment `syscalls` (`8syscalls`, or `..syscalls..` inside a legacy
//!   `<T as path>` segment) (the kernel's dispatch and `Syscalls` trait, the
//!   user's proxies), `sys_call*` (the `svc` wrappers) and `svc_handler`;
//!   the allocator: a `heap` path segment, `GlobalAlloc` implementations and
//!   the `__rust_alloc`/`__rdl_`/`__rg_` shims rustc generates.
//!
//! Rust names carry a hash (`17h<16 hex>E`, legacy) or crate
//! disambiguators (`Cs<base62>_`, v0) that differ between the flat and the
//! protected build of the same code; [`normalize`] removes them, and the
//! `.llvm.<n>` suffix of LTO, so that the same function compares equal.

use std::collections::BTreeSet;

/// The name without its build-specific parts (see the module doc).
pub fn normalize(name: &str) -> String {
    let name = match name.find(".llvm.") {
        Some(at) => &name[..at],
        None => name,
    };
    let mut out = name.to_owned();
    // Legacy mangling: `..17h0123456789abcdefE`.
    if name.starts_with("_ZN") && name.len() > 20 {
        let tail = &name[name.len() - 20..];
        if tail.starts_with("17h")
            && tail.ends_with('E')
            && tail[3..19].bytes().all(|b| b.is_ascii_hexdigit())
        {
            out = format!("{}E", &name[..name.len() - 20]);
        }
    }
    // v0 mangling: crate roots `C s <base62> _ <len><name>`.
    if name.starts_with("_R") {
        let bytes = out.as_bytes();
        let mut cleaned = String::with_capacity(out.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'C' && bytes.get(i + 1) == Some(&b's') {
                let mut j = i + 2;
                while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
                    j += 1;
                }
                if bytes.get(j) == Some(&b'_') {
                    cleaned.push('C');
                    i = j + 1;
                    continue;
                }
            }
            cleaned.push(bytes[i] as char);
            i += 1;
        }
        out = cleaned;
    }
    out
}

/// Whether a mangled Rust name has the path segment `segment` (encoded as
/// its decimal length followed by the identifier).
fn has_segment(name: &str, segment: &str) -> bool {
    let encoded = format!("{}{segment}", segment.len());
    name.match_indices(&encoded)
        .any(|(at, _)| !name[..at].ends_with(|c: char| c.is_ascii_digit()))
}

/// A symbol of the system-call layer. `syscalls` are the call names of the
/// CSV; they name proxies only in the user blob (`in_user`): in a kernel
/// `write` is the real function.
pub fn is_syscall_layer(name: &str, in_user: bool, syscalls: &BTreeSet<String>) -> bool {
    name.starts_with("PROXY_")
        || name.starts_with("STUB_")
        || matches!(
            name,
            "g_stublookup" | "g_funcnargs" | "g_funcnames" | "svc_handler"
        )
        || (in_user && syscalls.contains(name))
        || ((name.starts_with("_ZN") || name.starts_with("_R"))
            && (has_segment(name, "syscalls")
                || name.contains("..syscalls..")
                || name.contains("sys_call")))
}

/// A symbol of a heap allocator.
pub fn is_allocator(name: &str) -> bool {
    const C_ENTRIES: [&str; 9] = [
        "malloc",
        "free",
        "realloc",
        "calloc",
        "zalloc",
        "memalign",
        "posix_memalign",
        "malloc_size",
        "malloc_usable_size",
    ];
    name.starts_with("mm_")
        || name.starts_with("umm_")
        || name.starts_with("kmm_")
        || C_ENTRIES.contains(&name)
        || name.starts_with("__rust_alloc")
        || name.starts_with("__rust_dealloc")
        || name.starts_with("__rust_realloc")
        || name.starts_with("__rdl_")
        || name.starts_with("__rg_")
        || ((name.starts_with("_ZN") || name.starts_with("_R"))
            && (has_segment(name, "heap")
                || name.contains("..heap..")
                || name.contains("GlobalAlloc")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_hashes_and_v0_disambiguators_are_removed() {
        assert_eq!(
            normalize("_ZN6kernel7systick8sleep_ms17h66178fe38111660bE"),
            normalize("_ZN6kernel7systick8sleep_ms17h0000000000000000E.llvm.42")
        );
        assert_eq!(
            normalize("_RNvNtCsaFjvQsOnSLx_4core3fmt5write"),
            normalize("_RNvNtCs1TB6rWNpcUQ_4core3fmt5write")
        );
        assert_eq!(normalize("mm_malloc"), "mm_malloc");
    }

    #[test]
    fn the_rules_tell_syscalls_and_allocators() {
        let csv: BTreeSet<String> = ["write".to_owned()].into();
        assert!(is_syscall_layer("STUB_write", false, &csv));
        assert!(is_syscall_layer("write", true, &csv));
        assert!(!is_syscall_layer("write", false, &csv));
        assert!(is_syscall_layer(
            "_ZN73_$LT$kernel..services..Services$u20$as$u20$kernel..syscalls..Syscalls$GT$5_exit17h61e48a30ffbe501bE",
            false,
            &csv
        ));
        assert!(!is_syscall_layer(
            "_ZN4user9scenarios22syscall_kernel_pointer17h53e1f91f97f638e0E",
            true,
            &csv
        ));
        assert!(is_allocator(
            "_ZN18firmware_userspace4heap8FreeList9push_free17he22529e15ac61c9bE"
        ));
        assert!(is_allocator("kmm_malloc"));
        assert!(!is_allocator("freeaddrinfo"));
        assert!(!is_allocator("_ZN4user5heaps3run17he22529e15ac61c9bE"));
    }
}
