//! Kernel-side C stubs, as NuttX's `mksyscall -s` writes them: a function
//! taking the call number and six-at-most `uintptr_t` registers, casting
//! each back to its type and calling the real function. With checked
//! pointers (our addition) the stub first validates them.

use std::fmt::Write;

use super::checks::{CHECKS_HEADER, check_statements};
use super::condition::{close_condition, open_condition};
use super::ident::stub_function;
use crate::syscall::checks::PointerCheck;
use crate::syscall::model::{ParamType, ReturnType, Syscall};

/// The text of `STUB_<name>.c` after its first (banner) line.
pub fn stub_body(syscall: &Syscall, checks: &[PointerCheck]) -> String {
    let mut out = String::from("\n#include <nuttx/config.h>\n#include <stdint.h>\n");
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
        let actual = param.kind.actual();
        if let ParamType::Union { union_type, .. } = &param.kind {
            // A union cannot be cast from an integer; it is rebuilt from the
            // member that travelled in the register.
            let _ = write!(out, "({union_type})(({actual})parm{})", i + 1);
        } else {
            let _ = write!(out, "({actual})parm{}", i + 1);
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
