//! The C files that number the calls and map numbers to stubs and names,
//! generated from the same numbering as the proxies and stubs so that none
//! of them can drift (NuttX writes these by hand).

use std::fmt::Write;

use super::ident::{number_constant, stub_function};
use super::stub::stub_signature;
use crate::syscall::generate::wrap_comment;
use crate::syscall::numbering::Numbering;

pub const NUMBERS_HEADER: &str = "syscall_numbers.h";
pub const STUB_LOOKUP: &str = "syscall_stublookup.c";
pub const NAMES: &str = "syscall_names.c";

/// What the lookup table holds for a call configured out of the build.
pub const ENOSYS_STUB: &str = "syscall_stub_enosys";

/// `syscall_numbers.h`: the `SYS_<name>` enum, `SYS_maxsyscall`,
/// `SYS_nsyscalls` and the tables' declarations.
pub fn numbers_header_body(numbering: &Numbering<'_>) -> String {
    let reserved = numbering.reserved();
    let order = wrap_comment(&numbering.order_description(), " * ", 78);
    let mut out = format!(
        "
#ifndef __SYSCALL_NUMBERS_H
#define __SYSCALL_NUMBERS_H

/* System call numbers from {reserved} (CONFIG_SYS_RESERVED):
{order}
 * The stub lookup table answers -ENOSYS for a call whose CSV condition
 * is false in the build.
 */

#if defined(CONFIG_SYS_RESERVED) && CONFIG_SYS_RESERVED != {reserved}
#  error \"syscall_numbers.h was generated for CONFIG_SYS_RESERVED={reserved}\"
#endif

#define SYS_nsyscalls (SYS_maxsyscall - {reserved})

#ifndef __ASSEMBLY__

#include <stdint.h>

enum
{{
"
    );
    for (number, syscall) in numbering.iter() {
        let _ = writeln!(out, "  {} = {number},", number_constant(&syscall.name));
    }
    let _ = write!(
        out,
        "  SYS_maxsyscall = {}
}};

/* Indexed by call number - {reserved}: the address of each call's stub (in
 * the kernel) and the call's name.
 */

extern const uintptr_t g_stublookup[SYS_nsyscalls];
extern const char *g_funcnames[SYS_nsyscalls];

#endif /* __ASSEMBLY__ */
#endif /* __SYSCALL_NUMBERS_H */
",
        numbering.max()
    );
    out
}

/// `syscall_stublookup.c`: `g_stublookup`, the kernel's table from call
/// number to stub.
pub fn stub_lookup_body(numbering: &Numbering<'_>) -> String {
    let mut out = format!(
        "
#include <nuttx/config.h>
#include <stdint.h>
#include <errno.h>
#include \"{NUMBERS_HEADER}\"

/* The stubs of the calls this configuration has */

"
    );
    for (_, syscall) in numbering.iter() {
        let prototype = stub_signature(syscall);
        if syscall.condition.is_empty() {
            let _ = writeln!(out, "{prototype};");
        } else {
            let _ = writeln!(out, "#if {}\n{prototype};\n#endif", syscall.condition);
        }
    }
    let any_conditional = numbering.iter().any(|(_, s)| !s.condition.is_empty());
    if any_conditional {
        let _ = write!(
            out,
            "
/* What a call configured out of this build answers */

uintptr_t {ENOSYS_STUB}(int nbr);

uintptr_t {ENOSYS_STUB}(int nbr)
{{
  return (uintptr_t)-ENOSYS;
}}
"
        );
    }
    let _ = write!(
        out,
        "
/* Indexed by call number - {} */

const uintptr_t g_stublookup[SYS_nsyscalls] =
{{
",
        numbering.reserved()
    );
    for (_, syscall) in numbering.iter() {
        if syscall.condition.is_empty() {
            let _ = writeln!(out, "  (uintptr_t){},", stub_function(&syscall.name));
        } else {
            let _ = writeln!(
                out,
                "#if {}\n  (uintptr_t){},\n#else\n  (uintptr_t){ENOSYS_STUB},\n#endif",
                syscall.condition,
                stub_function(&syscall.name)
            );
        }
    }
    out.push_str("};\n");
    out
}

/// `syscall_names.c`: `g_funcnames`, every call's name by number.
pub fn names_body(numbering: &Numbering<'_>) -> String {
    let mut out = format!(
        "
#include \"{NUMBERS_HEADER}\"

/* Indexed by call number - {} */

const char *g_funcnames[SYS_nsyscalls] =
{{
",
        numbering.reserved()
    );
    for (_, syscall) in numbering.iter() {
        let _ = writeln!(out, "  \"{}\",", syscall.name);
    }
    out.push_str("};\n");
    out
}
