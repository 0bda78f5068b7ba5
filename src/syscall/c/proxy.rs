//! User-side C proxies, as NuttX's `mksyscall -p` writes them: a function
//! with the real prototype that packs its arguments into `uintptr_t` and
//! traps with `sys_callN(SYS_<name>, ...)`.

use std::fmt::Write;

use super::ident::number_constant;

use super::condition::{close_condition, open_condition};
use crate::syscall::model::{ParamType, ReturnType, Syscall};

/// The text of `PROXY_<name>.c` after its first (banner) line.
pub fn proxy_body(syscall: &Syscall) -> String {
    let mut out = String::from("\n#include <nuttx/config.h>\n");
    if syscall.is_variadic() {
        out.push_str("#include <stdarg.h>\n");
    }
    if !syscall.header.is_empty() {
        let _ = writeln!(out, "#include <{}>", syscall.header);
    }
    out.push_str("#include <syscall.h>\n\n");
    open_condition(&mut out, syscall);

    // The prototype: a noreturn function is declared void and never returns.
    let returns = match &syscall.returns {
        ReturnType::NoReturn => "void",
        other => other.as_csv(),
    };
    let _ = write!(out, "{returns} {}(", syscall.name);
    if syscall.params.is_empty() {
        out.push_str("void");
    }
    for (i, param) in syscall.params[..syscall.fixed_params].iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&formal_declaration(param.kind.formal(), i + 1));
    }

    if syscall.is_variadic() {
        // The optional arguments are always read, whatever the caller passed:
        // the trap carries a fixed number of registers.
        out.push_str(", ...)\n{\n  va_list ap;\n");
        let optional = syscall.params.iter().enumerate().skip(syscall.fixed_params);
        for (i, param) in optional.clone() {
            let _ = writeln!(out, "  {} parm{};", param.kind.formal(), i + 1);
        }
        let _ = writeln!(out, "\n  va_start(ap, parm{});", syscall.fixed_params);
        for (i, param) in optional {
            let (formal, actual) = (param.kind.formal(), param.kind.actual());
            if matches!(param.kind, ParamType::Union { .. }) {
                let _ = writeln!(out, "  parm{} = ({formal})va_arg(ap, {actual});", i + 1);
            } else {
                let _ = writeln!(out, "  parm{} = va_arg(ap, {actual});", i + 1);
            }
        }
        out.push_str("  va_end(ap);\n\n");
    } else {
        out.push_str(")\n{\n");
    }

    let n = syscall.params.len();
    match &syscall.returns {
        ReturnType::Void | ReturnType::NoReturn => {
            let _ = write!(out, "  sys_call{n}(");
        }
        ReturnType::Value(c_type) => {
            let _ = write!(out, "  return ({c_type})sys_call{n}(");
        }
    }
    let _ = write!(out, "(unsigned int){}", number_constant(&syscall.name));
    for (i, param) in syscall.params.iter().enumerate() {
        match &param.kind {
            ParamType::Union { member, .. } => {
                let _ = write!(out, ", (uintptr_t)parm{}.{member}", i + 1);
            }
            _ => {
                let _ = write!(out, ", (uintptr_t)parm{}", i + 1);
            }
        }
    }
    out.push_str(");\n");
    if syscall.returns == ReturnType::NoReturn {
        out.push_str("  while(1);\n");
    }
    out.push_str("}\n");
    close_condition(&mut out, syscall);
    out
}

/// `type parmN`, with the name inside a function-pointer declarator
/// (`int (*parm1)(int)`) or before an array's brackets (`int parm1[2]`).
fn formal_declaration(formal: &str, number: usize) -> String {
    let name_at = formal
        .find("(*)")
        .map(|i| i + 2)
        .or_else(|| formal.find('['));
    match name_at {
        Some(at) => format!("{}parm{number}{}", &formal[..at], &formal[at..]),
        None => format!("{formal} parm{number}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formal_declarations_put_the_name_where_c_wants_it() {
        assert_eq!(formal_declaration("int", 1), "int parm1");
        assert_eq!(formal_declaration("int [2]", 2), "int parm2[2]");
        assert_eq!(formal_declaration("int (*)(int)", 3), "int (*parm3)(int)");
        assert_eq!(
            formal_declaration("FAR char * const []", 4),
            "FAR char * const parm4[]"
        );
    }
}
