//! `syscall_user.rs`: the `no_std` user-side proxies, one function per call
//! that traps with `svc 0`.
//!
//! The traps follow NuttX's convention: number in r0, arguments in r1..r6,
//! result in r0. Rust's `asm!` cannot name r6 (LLVM may keep its base
//! pointer there) nor r7 (the Thumb frame pointer), so the six-argument trap
//! saves r6, loads it from a scratch register, and restores it after the
//! `svc`; r7 is never used.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::ident::{number_constant, rust_ident};
use super::types::{from_register, return_class, rust_type, to_register};
use crate::syscall::model::{ReturnType, Syscall};
use crate::syscall::numbering::Numbering;
use crate::syscall::value_class::class_of;

pub const USER_FILE: &str = "syscall_user.rs";

/// The text of `syscall_user.rs` after its banner line.
pub fn user_body(numbering: &Numbering<'_>) -> String {
    let mut out = String::from(
        "//
// User-side proxies: each function traps into the kernel with `svc 0`, the
// call number in r0 and the arguments in r1..r6, and returns r0. Include
// this file and syscall_numbers.rs in one module:
//
//     pub mod syscalls {
//         include!(concat!(env!(\"OUT_DIR\"), \"/syscall_numbers.rs\"));
//         include!(concat!(env!(\"OUT_DIR\"), \"/syscall_user.rs\"));
//     }
//
// On ARM the traps are the `sys_callN` functions below. On another
// architecture (host tests) the including module provides `unsafe fn
// sys_callN(nr: u32, parm1: usize, ...) -> usize` itself, e.g. calling the
// kernel's `dispatch`. Variadic C functions take all their optional
// arguments here: Rust has no C variadics, and the trap passes them all.
",
    );
    let arities: BTreeSet<usize> = numbering.iter().map(|(_, s)| s.params.len()).collect();
    out.push_str(&svc_module(&arities));
    for (_, syscall) in numbering.iter() {
        out.push_str(&proxy(syscall));
    }
    out
}

/// `mod svc` with the `sys_callN` traps the proxies use (and no others,
/// which would be dead code).
fn svc_module(arities: &BTreeSet<usize>) -> String {
    if arities.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "
#[cfg(target_arch = \"arm\")]
use svc::*;

/// The `svc 0` traps, ARMv7-M and ARMv8-M.
#[cfg(target_arch = \"arm\")]
mod svc {
    use core::arch::asm;
",
    );
    for &n in arities {
        let params: String = (1..=n).map(|i| format!(", parm{i}: usize")).collect();
        let low_registers: String = (1..=n.min(5))
            .map(|i| format!("                in(\"r{i}\") parm{i},\n"))
            .collect();
        let _ = write!(
            out,
            "
    /// Traps with call number `nr` and {n} argument(s); returns r0.
    ///
    /// # Safety
    ///
    /// The kernel does what call `nr` does with the arguments: they must
    /// satisfy that call's contract.
    #[inline(always)]
    pub unsafe fn sys_call{n}(nr: u32{params}) -> usize {{
        let ret: usize;
        // SAFETY: `svc 0` enters the kernel, which returns with every
        // register but r0 as it was; the asm may read and write memory, as
        // the call may. The caller vouches for the arguments.
        unsafe {{
            asm!(
"
        );
        if n == 6 {
            out.push_str(
                "                \"push {{r6}}\",
                \"mov r6, {parm6}\",
                \"svc 0\",
                \"pop {{r6}}\",
                parm6 = in(reg) parm6,
",
            );
        } else {
            out.push_str("                \"svc 0\",\n");
        }
        let _ = write!(
            out,
            "                inlateout(\"r0\") nr as usize => ret,
{}            );
        }}
        ret
    }}
",
            low_registers
        );
    }
    out.push_str("}\n");
    out
}

/// One proxy function.
fn proxy(syscall: &Syscall) -> String {
    let params: Vec<String> = syscall
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| format!("parm{}: {}", i + 1, rust_type(class_of(p))))
        .collect();
    let registers: String = syscall
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| format!(", {}", to_register(&format!("parm{}", i + 1), class_of(p))))
        .collect();
    let trap = format!(
        "sys_call{}(numbers::{}{registers})",
        syscall.params.len(),
        number_constant(&syscall.name)
    );
    let (returns, body) = match (&syscall.returns, return_class(&syscall.returns)) {
        (ReturnType::NoReturn, _) => (
            " -> !".to_owned(),
            format!(
                "    unsafe {{ {trap} }};\n    // The kernel does not come back; should it, stay here.\n    loop {{\n        core::hint::spin_loop();\n    }}\n"
            ),
        ),
        (_, Some(class)) => (
            format!(" -> {}", rust_type(class)),
            format!("    unsafe {{ {} }}\n", from_register(&trap, class)),
        ),
        (_, None) => (String::new(), format!("    unsafe {{ {trap} }};\n")),
    };
    let condition = if syscall.condition.is_empty() {
        String::new()
    } else {
        format!(
            "\n///\n/// Exists in kernels built with `{}`; others answer -ENOSYS.",
            syscall.condition
        )
    };
    format!(
        "
/// `{}`{condition}
///
/// # Safety
///
/// The arguments go to the kernel as they are: pointers must be valid for
/// what the call does with them.
#[inline]
pub unsafe fn {}({}){returns} {{
    // SAFETY: the caller upholds the call's contract (see above).
{body}}}
",
        syscall.prototype(),
        rust_ident(&syscall.name),
        params.join(", ")
    )
}
