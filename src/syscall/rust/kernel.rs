//! `syscall_kernel.rs`: the kernel side in Rust, a trait with one method per
//! call and `dispatch`, which checks the declared pointers, decodes the
//! registers and calls the method. It is `no_std` and runs on the host too.

use std::fmt::Write;

use super::ident::{number_constant, rust_ident};
use super::types::{from_register, rust_type};
use crate::syscall::checks::{Access, Extent, PointerCheck, PointerChecks};
use crate::syscall::model::{ReturnType, Syscall};
use crate::syscall::numbering::Numbering;
use crate::syscall::value_class::class_of;

pub const KERNEL_FILE: &str = "syscall_kernel.rs";

/// The fixed part: errors, results and what the kernel knows of user memory.
const PRELUDE: &str = r#"//
// Kernel side: `dispatch` turns a trap (the call number from r0 and the
// argument registers r1..r6) into a call of the `Syscalls` method for that
// number, and gives the value for r0. Include this file and
// syscall_numbers.rs in one module:
//
//     pub mod syscalls {
//         include!(concat!(env!("OUT_DIR"), "/syscall_numbers.rs"));
//         include!(concat!(env!("OUT_DIR"), "/syscall_kernel.rs"));
//     }

/// An errno value; a failed call gives its negation in r0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub u16);

impl Errno {
    /// Bad address: a checked pointer argument failed its check.
    pub const EFAULT: Errno = Errno(14);
    /// No such call: an unknown number, or a call the kernel does not
    /// implement.
    pub const ENOSYS: Errno = Errno(38);
}

/// What a call gives back: the value for r0, or an errno.
pub type SyscallResult = Result<usize, Errno>;

/// What the kernel knows about user memory; `dispatch` asks it about every
/// checked pointer before the call.
///
/// # Safety
///
/// `user_range_ok` must accept only memory the current user task may access
/// in that way, and that memory must be mapped: the default
/// `user_string_ok` reads the bytes it has accepted.
pub unsafe trait UserMemory {
    /// Whether the user may read, and with `write` also write, every byte
    /// of `addr..addr + len`. Called only with `len > 0` and ranges whose
    /// end does not wrap.
    fn user_range_ok(&self, addr: usize, len: usize, write: bool) -> bool;

    /// Whether `addr` holds a NUL-terminated string of at most `max` bytes,
    /// the NUL included, readable by the user. The default checks each byte
    /// with `user_range_ok` before reading it.
    fn user_string_ok(&self, addr: usize, max: usize) -> bool {
        for offset in 0..max {
            let Some(byte_addr) = addr.checked_add(offset) else {
                return false;
            };
            if !self.user_range_ok(byte_addr, 1, false) {
                return false;
            }
            // SAFETY: `user_range_ok` has just accepted this byte as user
            // memory we may read, which the trait's contract says is mapped.
            if unsafe { core::ptr::read_volatile(byte_addr as *const u8) } == 0 {
                return true;
            }
        }
        false
    }
}

/// The value for r0: the result, or the negated errno.
fn encode(result: SyscallResult) -> usize {
    match result {
        Ok(value) => value,
        Err(Errno(errno)) => usize::from(errno).wrapping_neg(),
    }
}
"#;

/// Only emitted when some call has a checked buffer, so that the module has
/// no dead code.
const BUFFER_OK: &str = r#"
/// A buffer of `len` bytes at `addr`: zero bytes touch nothing and pass; a
/// range whose end would wrap past the top of the address space fails.
fn buffer_ok<S: UserMemory + ?Sized>(sys: &S, addr: usize, len: usize, write: bool) -> bool {
    len == 0 || (addr.checked_add(len).is_some() && sys.user_range_ok(addr, len, write))
}
"#;

/// The text of `syscall_kernel.rs` after its banner line.
pub fn kernel_body(numbering: &Numbering<'_>, checks: &PointerChecks) -> String {
    let mut out = String::from(PRELUDE);
    let any_buffer = numbering.iter().any(|(_, s)| {
        checks
            .for_syscall(&s.name)
            .iter()
            .any(|c| !matches!(c.extent, Extent::String { .. }))
    });
    if any_buffer {
        out.push_str(BUFFER_OK);
    }

    out.push_str(
        "
/// The kernel's system calls, one method per entry of the CSV. A call the
/// kernel does not implement keeps the default, which answers `ENOSYS`;
/// calls that do not return must be implemented.
pub trait Syscalls: UserMemory {
",
    );
    let methods: Vec<String> = numbering
        .iter()
        .map(|(_, s)| method(s, checks.for_syscall(&s.name)))
        .collect();
    out.push_str(&methods.join("\n"));
    out.push_str(
        "}

/// Calls the method for call number `nr` with the argument registers `args`
/// (r1..r6) and returns the value for r0. An unknown number gives
/// `-ENOSYS`; a checked pointer that fails its check gives `-EFAULT`, and
/// the method is not called.
pub fn dispatch<S: Syscalls + ?Sized>(nr: u32, args: [usize; 6], sys: &mut S) -> usize {
    match nr {
",
    );
    for (_, syscall) in numbering.iter() {
        out.push_str(&dispatch_arm(syscall, checks.for_syscall(&syscall.name)));
    }
    out.push_str("        _ => encode(Err(Errno::ENOSYS)),\n    }\n}\n");
    out
}

/// The trait method of one call, with its documentation.
fn method(syscall: &Syscall, checks: &[PointerCheck]) -> String {
    let mut doc = format!("    /// `{}`", syscall.prototype());
    if !syscall.header.is_empty() {
        let _ = write!(doc, " from `{}`", syscall.header);
    }
    doc.push('.');
    if !syscall.condition.is_empty() {
        let _ = write!(
            doc,
            "\n    ///\n    /// C condition: `{}`.",
            syscall.condition
        );
    }
    if !checks.is_empty() {
        doc.push_str("\n    ///\n    /// Checked before the call:");
        for check in checks {
            let _ = write!(doc, "\n    /// - {}", describe(check));
        }
    }
    let params: String = syscall
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| format!(", parm{}: {}", i + 1, rust_type(class_of(p))))
        .collect();
    let name = rust_ident(&syscall.name);
    if syscall.returns == ReturnType::NoReturn {
        format!("{doc}\n    fn {name}(&mut self{params}) -> !;\n")
    } else {
        format!(
            "{doc}\n    #[allow(unused_variables)]\n    fn {name}(&mut self{params}) -> SyscallResult {{\n        Err(Errno::ENOSYS)\n    }}\n"
        )
    }
}

/// How a check reads in the method's documentation.
fn describe(check: &PointerCheck) -> String {
    let pointer = format!("`parm{}`", check.param + 1);
    let verb = match check.access {
        Access::Read => "read",
        Access::Write => "written",
    };
    let what = match check.extent {
        Extent::LengthParam(length) => format!(
            "{pointer}: {verb} by the kernel, `parm{}` bytes",
            length + 1
        ),
        Extent::Bytes(bytes) => format!("{pointer}: {verb} by the kernel, {bytes} bytes"),
        Extent::String { max } => {
            format!("{pointer}: a NUL-terminated string of at most {max} bytes")
        }
    };
    if check.nullable {
        format!("{what}, or null")
    } else {
        what
    }
}

/// The `match` arm of one call in `dispatch`.
fn dispatch_arm(syscall: &Syscall, checks: &[PointerCheck]) -> String {
    let args: Vec<String> = syscall
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| from_register(&format!("args[{i}]"), class_of(p)))
        .collect();
    let call = format!("sys.{}({})", rust_ident(&syscall.name), args.join(", "));
    let call = if syscall.returns == ReturnType::NoReturn {
        call
    } else {
        format!("encode({call})")
    };
    let pattern = format!("        numbers::{} =>", number_constant(&syscall.name));
    if checks.is_empty() {
        return format!("{pattern} {call},\n");
    }
    let mut out = format!("{pattern} {{\n");
    for check in checks {
        let pointer = format!("args[{}]", check.param);
        let test = match check.extent {
            Extent::String { max } => format!("sys.user_string_ok({pointer}, {max})"),
            Extent::LengthParam(length) => {
                format!(
                    "buffer_ok(sys, {pointer}, args[{length}], {})",
                    is_write(check)
                )
            }
            Extent::Bytes(bytes) => {
                format!("buffer_ok(sys, {pointer}, {bytes}, {})", is_write(check))
            }
        };
        let passes = if check.nullable {
            format!("({pointer} == 0 || {test})")
        } else {
            test
        };
        let _ = writeln!(
            out,
            "            if !{passes} {{\n                return encode(Err(Errno::EFAULT));\n            }}"
        );
    }
    let _ = write!(out, "            {call}\n        }}\n");
    out
}

fn is_write(check: &PointerCheck) -> bool {
    check.access == Access::Write
}
