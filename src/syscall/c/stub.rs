//! Kernel-side C stubs, as NuttX's `mksyscall -s` writes them: a function
//! taking the call number and six-at-most `uintptr_t` registers, casting
//! each back to its type and calling the real function. With checked
//! pointers (our addition) the stub first validates them.
//!
//! The text follows `generate_stub()` of NuttX's `tools/mksyscall.c`
//! (apache/nuttx 4ebc8a7291df), including its `CONFIG_ARCH_TOOLCHAIN_TASKING`
//! parts: the Tasking compiler refuses a cast from an integer to a union, so
//! there the union is rebuilt by copying the register's bytes with
//! `memcpy`, which needs `<string.h>`.

use std::fmt::Write;

use super::checks::{CHECKS_HEADER, check_statements};
use super::condition::{close_condition, open_condition};
use super::ident::stub_function;
use crate::syscall::checks::PointerCheck;
use crate::syscall::model::{ParamType, ReturnType, Syscall};

/// The text of `STUB_<name>.c` after its first (banner) line.
pub fn stub_body(syscall: &Syscall, checks: &[PointerCheck]) -> String {
    let mut out = String::from(
        "\n#include <nuttx/config.h>\n#include <stdint.h>\n\
         #ifdef CONFIG_ARCH_TOOLCHAIN_TASKING\n#include <string.h>\n#endif\n",
    );
    if !syscall.header.is_empty() {
        let _ = writeln!(out, "#include <{}>", syscall.header);
    }
    if !checks.is_empty() {
        let _ = writeln!(out, "#include \"{CHECKS_HEADER}\"");
    }
    out.push('\n');
    open_condition(&mut out, syscall);

    out.push_str(&stub_signature(syscall));
    out.push_str("\n{\n");
    out.push_str(&union_locals(syscall));
    out.push_str(&check_statements(checks));

    match syscall.returns {
        ReturnType::Void | ReturnType::NoReturn => {
            let _ = write!(out, "  {}(", syscall.name);
        }
        ReturnType::Value(_) => {
            let _ = write!(out, "  return (uintptr_t){}(", syscall.name);
        }
    }
    for (i, param) in syscall.params.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if let ParamType::Union { .. } = &param.kind {
            let _ = write!(out, "_parm{}", i + 1);
        } else {
            let _ = write!(out, "({})parm{}", param.kind.actual(), i + 1);
        }
    }
    // A void call returns 0 (OK) to the trap; a noreturn one never gets here.
    if syscall.returns == ReturnType::Void {
        out.push_str(");\n  return 0;\n}\n");
    } else {
        out.push_str(");\n}\n");
    }
    close_condition(&mut out, syscall);
    out
}

/// The local `_parmN` of each union parameter, rebuilt from the member that
/// travelled in register `parmN`: by a cast through the member's type, or,
/// for the Tasking toolchain, by copying the register's bytes.
fn union_locals(syscall: &Syscall) -> String {
    let mut out = String::new();
    for (i, param) in syscall.params.iter().enumerate() {
        if let ParamType::Union {
            union_type,
            member_type,
            ..
        } = &param.kind
        {
            let n = i + 1;
            let _ = write!(
                out,
                "  {union_type} _parm{n};\n\
                 #ifdef CONFIG_ARCH_TOOLCHAIN_TASKING\n\
                 \x20 memcpy((FAR void *)&_parm{n}, (FAR void *)&parm{n},\n\
                 \x20        sizeof(uintptr_t));\n\
                 #else\n\
                 \x20 _parm{n} = ({union_type})(({member_type})parm{n});\n\
                 #endif\n"
            );
        }
    }
    out
}

/// `uintptr_t STUB_<name>(int nbr, uintptr_t parm1, ...)`, for the
/// definition and for the prototypes of the lookup table.
pub fn stub_signature(syscall: &Syscall) -> String {
    let mut out = format!("uintptr_t {}(int nbr", stub_function(&syscall.name));
    for i in 1..=syscall.params.len() {
        let _ = write!(out, ", uintptr_t parm{i}");
    }
    out.push(')');
    out
}
