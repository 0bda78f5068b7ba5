//! Call numbers, derived from the CSV itself so that they cannot drift.
//!
//! NuttX keeps its numbers in a hand-written `syscall_lookup.h` that lists
//! the calls again, in another order and under `#ifdef`s of its own, so the
//! number of a call depends on the configuration and on a file that has
//! drifted from the CSV. Here:
//!
//! - the numbers start at `reserved` (`CONFIG_SYS_RESERVED`, 8 on ARM
//!   protected builds, where 0..7 are the architecture's context-switch and
//!   signal-return calls);
//! - `_exit`, when the file has it, comes first, as in NuttX
//!   (`SYSCALL_LOOKUP1(_exit, 1)`), so that the one call every program makes
//!   last keeps its number across CSV revisions;
//! - every other entry follows in the order of the file;
//! - every entry has a number whatever its `#if` condition, so a user blob
//!   and a kernel built with different options still agree; a call that is
//!   configured out answers `-ENOSYS`.

use super::model::{Syscall, SyscallTable};

/// The call that always takes the first number after the reserved ones.
const ANCHOR: &str = "_exit";

/// ARM protected builds reserve numbers 0..7 (`CONFIG_SYS_RESERVED=8`).
pub const DEFAULT_RESERVED: u32 = 8;

/// The table's entries in call-number order, with their numbers.
#[derive(Clone, Debug)]
pub struct Numbering<'a> {
    reserved: u32,
    ordered: Vec<&'a Syscall>,
}

/// The numbers would not fit in 32 bits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{count} system calls from {reserved} do not fit in 32-bit call numbers")]
pub struct NumberingError {
    pub reserved: u32,
    pub count: usize,
}

impl<'a> Numbering<'a> {
    /// Numbers the entries of `table` from `reserved`.
    pub fn new(table: &'a SyscallTable, reserved: u32) -> Result<Self, NumberingError> {
        let too_many = NumberingError {
            reserved,
            count: table.entries.len(),
        };
        let count = u32::try_from(table.entries.len()).map_err(|_| too_many.clone())?;
        reserved.checked_add(count).ok_or(too_many)?;
        let anchor = table.entries.iter().filter(|s| s.name == ANCHOR);
        let others = table.entries.iter().filter(|s| s.name != ANCHOR);
        Ok(Numbering {
            reserved,
            ordered: anchor.chain(others).collect(),
        })
    }

    /// The first call number (`CONFIG_SYS_RESERVED`).
    pub fn reserved(&self) -> u32 {
        self.reserved
    }

    /// How many calls there are (`SYS_nsyscalls`).
    pub fn count(&self) -> u32 {
        // `new` checked that the count fits, with room for `reserved`.
        self.ordered.len() as u32
    }

    /// One past the last call number (`SYS_maxsyscall`).
    pub fn max(&self) -> u32 {
        self.reserved + self.count()
    }

    /// The entries in number order, with their numbers.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &'a Syscall)> + '_ {
        (self.reserved..).zip(self.ordered.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::csv;
    use std::path::Path;

    #[test]
    fn exit_first_then_file_order() {
        let text = "\"a\",\"\",\"\",\"int\"\n\"_exit\",\"\",\"\",\"noreturn\",\"int\"\n\"b\",\"\",\"X\",\"int\"\n";
        let table = csv::parse(text.as_bytes(), Path::new("t.csv")).unwrap();
        let numbering = Numbering::new(&table, 8).unwrap();
        let names: Vec<(u32, &str)> = numbering.iter().map(|(n, s)| (n, &*s.name)).collect();
        assert_eq!(names, [(8, "_exit"), (9, "a"), (10, "b")]);
        assert_eq!((numbering.count(), numbering.max()), (3, 11));
    }

    #[test]
    fn numbers_past_u32_are_refused() {
        let table = csv::parse(b"\"a\",\"\",\"\",\"int\"", Path::new("t.csv")).unwrap();
        assert!(Numbering::new(&table, u32::MAX).is_err());
        assert_eq!(
            Numbering::new(&table, u32::MAX - 1).unwrap().max(),
            u32::MAX
        );
    }
}
