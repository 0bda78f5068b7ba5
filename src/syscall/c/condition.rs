//! The `#if <condition>` ... `#endif` around an entry whose CSV condition is
//! not empty, spaced as NuttX's generator spaces it.

use std::fmt::Write;

use crate::syscall::model::Syscall;

/// `#if <condition>` and a blank line, if the entry has a condition.
pub fn open_condition(out: &mut String, syscall: &Syscall) {
    if !syscall.condition.is_empty() {
        let _ = write!(out, "#if {}\n\n", syscall.condition);
    }
}

/// A blank line and `#endif /* <condition> */`, if the entry has a condition.
pub fn close_condition(out: &mut String, syscall: &Syscall) {
    if !syscall.condition.is_empty() {
        let _ = writeln!(out, "\n#endif /* {} */", syscall.condition);
    }
}
