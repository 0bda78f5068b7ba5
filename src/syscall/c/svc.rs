//! `syscall_svc.h`: the `sys_call0` .. `sys_call6` functions the proxies
//! call, for ARMv7-M and ARMv8-M.
//!
//! The convention is NuttX's: the call number in r0, the arguments in r1 to
//! r6, `svc 0`, the result back in r0. Arguments four to six travel in r4 to
//! r6, which the exception entry does not stack; the kernel reads them from
//! the registers it saves itself. r7 (the Thumb frame pointer) is not used.

use std::fmt::Write;

use crate::syscall::csv::MAX_PARAMS;

pub const SVC_HEADER: &str = "syscall_svc.h";

/// The text of `syscall_svc.h` after its banner line.
pub fn svc_header_body() -> String {
    let mut out = String::from(
        "
#ifndef __SYSCALL_SVC_H
#define __SYSCALL_SVC_H

#ifndef __arm__
#  error \"syscall_svc.h traps with svc: it is for ARMv7-M and ARMv8-M\"
#endif

#include <stdint.h>
",
    );
    for n in 0..=MAX_PARAMS {
        out.push_str(&sys_call(n));
    }
    out.push_str("\n#endif /* __SYSCALL_SVC_H */\n");
    out
}

/// `sys_call<n>`: number in r0, `n` arguments in r1.., `svc 0`, result in r0.
fn sys_call(n: usize) -> String {
    let params: String = (1..=n).map(|i| format!(", uintptr_t parm{i}")).collect();
    let mut out = format!(
        "
/* Trap with call number nbr and {n} argument(s) */

static inline uintptr_t sys_call{n}(unsigned int nbr{params})
{{
  register uintptr_t reg0 __asm__(\"r0\") = (uintptr_t)nbr;
"
    );
    for i in 1..=n {
        let _ = writeln!(
            out,
            "  register uintptr_t reg{i} __asm__(\"r{i}\") = parm{i};"
        );
    }
    let inputs: Vec<String> = (1..=n).map(|i| format!("\"r\"(reg{i})")).collect();
    let _ = write!(
        out,
        "
  __asm__ __volatile__
  (
    \"svc 0\"
    : \"+r\"(reg0)
    : {}
    : \"memory\"
  );

  return reg0;
}}
",
        inputs.join(", ")
    );
    out
}
