//! Checked pointers in C: the helper header the stubs include and the `if`
//! each checked parameter adds before the real call.
//!
//! The kernel supplies `bool user_range_ok(uintptr_t addr, size_t len, bool
//! write)`, which knows the user partitions (the MPU regions of the current
//! task). The helpers reject what it should never have to think about: an
//! end past the top of the address space, which a naive `addr + len <= end`
//! comparison would let through after wrapping.

use std::fmt::Write;

use crate::syscall::checks::{Access, Extent, PointerCheck};

/// File name of the helper header, included by stubs that check pointers.
pub const CHECKS_HEADER: &str = "syscall_checks.h";

/// The text of `syscall_checks.h` after its banner line.
pub fn checks_header_body() -> String {
    r#"
#ifndef __SYSCALL_CHECKS_H
#define __SYSCALL_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>

/* Supplied by the kernel: whether user code may access every byte of
 * [addr, addr + len), and write them if write is true. It is called only
 * with len > 0 and with ranges whose end does not wrap.
 */

bool user_range_ok(uintptr_t addr, size_t len, bool write);

/* A buffer of len bytes at addr. Zero bytes touch no memory and pass; a
 * range whose end would wrap past the top of the address space fails.
 */

static inline bool syscall_buffer_ok(uintptr_t addr, size_t len, bool write)
{
  if (len == 0)
    {
      return true;
    }

  if (len > UINTPTR_MAX - addr)
    {
      return false;
    }

  return user_range_ok(addr, len, write);
}

/* A NUL-terminated string of at most max bytes, the NUL included: every
 * byte is checked before it is read, so the scan cannot leave user memory.
 */

static inline bool syscall_string_ok(uintptr_t addr, size_t max)
{
  size_t i;

  for (i = 0; i < max; i++)
    {
      if (i > UINTPTR_MAX - addr || !user_range_ok(addr + i, 1, false))
        {
          return false;
        }

      if (*(const volatile char *)(addr + i) == '\0')
        {
          return true;
        }
    }

  return false;
}

#endif /* __SYSCALL_CHECKS_H */
"#
    .to_owned()
}

/// The statements that return `-EFAULT` from a stub when a check fails.
pub fn check_statements(checks: &[PointerCheck]) -> String {
    let mut out = String::new();
    for check in checks {
        let pointer = format!("parm{}", check.param + 1);
        let write = match check.access {
            Access::Read => "false",
            Access::Write => "true",
        };
        let test = match check.extent {
            Extent::LengthParam(length) => {
                format!(
                    "syscall_buffer_ok({pointer}, (size_t)parm{}, {write})",
                    length + 1
                )
            }
            Extent::Bytes(bytes) => format!("syscall_buffer_ok({pointer}, {bytes}, {write})"),
            Extent::String { max } => format!("syscall_string_ok({pointer}, {max})"),
        };
        let null_passes = if check.nullable {
            format!("{pointer} != 0 && ")
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "  if ({null_passes}!{test})\n    {{\n      return (uintptr_t)-EFAULT;\n    }}\n\n"
        );
    }
    out
}
