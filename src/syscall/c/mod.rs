//! C output: a drop-in for NuttX's `mksyscall`, plus the tables NuttX
//! writes by hand.
//!
//! Proxies and stubs have the text NuttX's generator gives them (same
//! signatures, casts, `#if` wrapping, `va_arg` reading of optional
//! arguments, `while(1);` after a noreturn trap, unions passed as a member
//! and rebuilt in a local, by `memcpy` under `CONFIG_ARCH_TOOLCHAIN_TASKING`
//! and by a cast otherwise), except for their first line, which names the
//! CSV and mcu-build, and for stubs with checked pointers, which include
//! `syscall_checks.h` and test the pointers before the call.
//!
//! Proxies side: `PROXY_<name>.c` (or `syscall_proxies.c`),
//! `syscall_numbers.h`, `syscall_svc.h`. Stubs side: `STUB_<name>.c` (or
//! `syscall_stubs.c`), `syscall_numbers.h`, `syscall_stublookup.c`,
//! `syscall_names.c`, `syscall_checks.h`. The proxies include `<syscall.h>`
//! for `SYS_<name>` and `sys_callN`; in a NuttX tree that header should take
//! the numbers from `syscall_numbers.h` and, on ARM, the traps from
//! `syscall_svc.h`.

mod checks;
mod condition;
pub(super) mod ident;
mod proxy;
mod stub;
mod svc;
mod tables;

use super::checks::PointerChecks;
use super::generate::{Banner, GenerateOptions, GeneratedFile};
use super::numbering::Numbering;

/// Every proxy in one file, for `--single-file`.
pub const SINGLE_PROXIES: &str = "syscall_proxies.c";
/// Every stub in one file, for `--single-file`.
pub const SINGLE_STUBS: &str = "syscall_stubs.c";

/// The C files `options` ask for.
pub(crate) fn files(
    numbering: &Numbering<'_>,
    checks: &PointerChecks,
    options: &GenerateOptions,
    banner: &Banner,
) -> Vec<GeneratedFile> {
    let file = |name: String, body: String| GeneratedFile {
        name,
        contents: banner.c() + &body,
    };
    let mut files = vec![file(
        tables::NUMBERS_HEADER.to_owned(),
        tables::numbers_header_body(numbering),
    )];
    if options.side.proxies() {
        files.push(file(svc::SVC_HEADER.to_owned(), svc::svc_header_body()));
        let proxies = numbering
            .iter()
            .map(|(_, s)| (&s.name, proxy::proxy_body(s)));
        if options.single_file {
            files.push(file(
                SINGLE_PROXIES.to_owned(),
                proxies.map(|(_, b)| b).collect(),
            ));
        } else {
            files.extend(proxies.map(|(name, body)| file(format!("PROXY_{name}.c"), body)));
        }
    }
    if options.side.stubs() {
        files.push(file(
            tables::STUB_LOOKUP.to_owned(),
            tables::stub_lookup_body(numbering),
        ));
        files.push(file(
            tables::NAMES.to_owned(),
            tables::names_body(numbering),
        ));
        files.push(file(
            checks::CHECKS_HEADER.to_owned(),
            checks::checks_header_body(),
        ));
        let stubs = numbering
            .iter()
            .map(|(_, s)| (&s.name, stub::stub_body(s, checks.for_syscall(&s.name))));
        if options.single_file {
            files.push(file(
                SINGLE_STUBS.to_owned(),
                stubs.map(|(_, b)| b).collect(),
            ));
        } else {
            files.extend(stubs.map(|(name, body)| file(format!("STUB_{name}.c"), body)));
        }
    }
    files
}
