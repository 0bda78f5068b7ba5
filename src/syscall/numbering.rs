//! Call numbers, in one of two orders.
//!
//! NuttX keeps its numbers in a hand-written `syscall_lookup.h` that lists
//! the calls again, in another order and under `#ifdef`s of its own, so the
//! number of a call depends on the configuration and on a file that has
//! drifted from the CSV. [`Numbering::from_lookup`] numbers exactly as
//! NuttX does for one configuration (see [`super::lookup`]), for code that
//! is mixed with NuttX's. Without that file, [`Numbering::new`] derives the
//! numbers from the CSV alone, so that they cannot drift:
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

use std::collections::HashMap;
use std::path::PathBuf;

use super::config_macros::config_macro;
use super::lookup::LookupFile;
use super::model::{Syscall, SyscallTable};
use crate::nuttx::kconfig::Kconfig;
use crate::position::Located;

/// The call that always takes the first number after the reserved ones.
const ANCHOR: &str = "_exit";

/// ARM protected builds reserve numbers 0..7 (`CONFIG_SYS_RESERVED=8`).
pub const DEFAULT_RESERVED: u32 = 8;

/// The table's entries in call-number order, with their numbers.
#[derive(Clone, Debug)]
pub struct Numbering<'a> {
    reserved: u32,
    ordered: Vec<&'a Syscall>,
    order: Order,
}

/// Where the order of the numbers came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Order {
    /// `_exit`, then the CSV's order; every entry numbered.
    Csv,
    /// NuttX's `syscall_lookup.h` under one configuration: only the calls
    /// that configuration keeps.
    Lookup { lookup: PathBuf, config: PathBuf },
}

/// Numbering by `syscall_lookup.h` failed.
#[derive(Debug, thiserror::Error)]
pub enum LookupNumberingError {
    /// A condition could not be evaluated, or the kept entries do not
    /// make an enum NuttX would compile.
    #[error(transparent)]
    Invalid(#[from] Located),
    #[error(transparent)]
    Range(#[from] NumberingError),
}

/// The numbers would not fit in 32 bits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{count} system calls from {reserved} do not fit in 32-bit call numbers")]
pub struct NumberingError {
    pub reserved: u32,
    pub count: usize,
}

/// Whether `count` numbers from `reserved` fit in 32 bits.
fn fits(reserved: u32, count: usize) -> Result<(), NumberingError> {
    u32::try_from(count)
        .ok()
        .and_then(|n| reserved.checked_add(n))
        .map(|_| ())
        .ok_or(NumberingError { reserved, count })
}

impl<'a> Numbering<'a> {
    /// Numbers the entries of `table` from `reserved`.
    pub fn new(table: &'a SyscallTable, reserved: u32) -> Result<Self, NumberingError> {
        fits(reserved, table.entries.len())?;
        let anchor = table.entries.iter().filter(|s| s.name == ANCHOR);
        let others = table.entries.iter().filter(|s| s.name != ANCHOR);
        Ok(Numbering {
            reserved,
            ordered: anchor.chain(others).collect(),
            order: Order::Csv,
        })
    }

    /// Numbers as NuttX's `include/sys/syscall.h` does: the entries of
    /// `lookup` that `config` keeps, in the file's order, from `reserved`.
    /// Every kept entry must be in `table` (NuttX would reference a
    /// `STUB_<name>` that `mksyscall` never wrote); the first kept entry
    /// must be the only `SYSCALL_LOOKUP1` and no name may repeat (NuttX's
    /// enum would not compile otherwise). CSV entries the lookup file does
    /// not keep get no number.
    pub fn from_lookup(
        table: &'a SyscallTable,
        lookup: &LookupFile,
        config: &Kconfig,
        reserved: u32,
    ) -> Result<Self, LookupNumberingError> {
        let kept = lookup.enabled(&|name| config_macro(config, name))?;
        let at = |entry: &super::lookup::LookupEntry, message: String| Located {
            path: lookup.path.clone(),
            line: entry.line,
            column: entry.column,
            key: entry.name.clone(),
            message,
        };
        // Indexes by name, so that numbering stays linear in the files.
        let by_name: HashMap<&str, &Syscall> =
            table.entries.iter().map(|s| (&*s.name, s)).rev().collect();
        let mut first_kept: HashMap<&str, &super::lookup::LookupEntry> = HashMap::new();
        let mut ordered: Vec<&Syscall> = Vec::with_capacity(kept.len());
        for (i, entry) in kept.iter().enumerate() {
            if entry.first != (i == 0) {
                let message = if i == 0 {
                    format!(
                        "the first call {} keeps must be SYSCALL_LOOKUP1, which gives it CONFIG_SYS_RESERVED",
                        config.path.display()
                    )
                } else {
                    format!(
                        "SYSCALL_LOOKUP1 must be the first call {} keeps, not call {}",
                        config.path.display(),
                        i + 1
                    )
                };
                return Err(at(entry, message).into());
            }
            if let Some(earlier) = first_kept.insert(&entry.name, entry) {
                return Err(at(
                    entry,
                    format!(
                        "{} is kept a second time (first at line {})",
                        entry.name, earlier.line
                    ),
                )
                .into());
            }
            let syscall = by_name.get(entry.name.as_str()).copied().ok_or_else(|| {
                at(
                    entry,
                    format!(
                        "{} keeps {}, which the CSV does not have",
                        config.path.display(),
                        entry.name
                    ),
                )
            })?;
            ordered.push(syscall);
        }
        fits(reserved, ordered.len())?;
        Ok(Numbering {
            reserved,
            ordered,
            order: Order::Lookup {
                lookup: lookup.path.clone(),
                config: config.path.clone(),
            },
        })
    }

    /// How the calls are ordered, for a comment in the generated files:
    /// sentences of plain text, with file names made safe for a one-line
    /// comment.
    pub fn order_description(&self) -> String {
        match &self.order {
            Order::Csv => "_exit first, then the order of the CSV. Every call has its \
                           number whatever its condition, so that user code and kernel \
                           built with different options agree."
                .to_owned(),
            Order::Lookup { lookup, config } => format!(
                "the calls of {} that {} keeps, in that file's order, as NuttX's \
                 include/sys/syscall.h numbers them. Valid for that configuration only.",
                super::generate::comment_safe(&lookup.display().to_string()),
                super::generate::comment_safe(&config.display().to_string()),
            ),
        }
    }

    /// Where the order came from.
    pub fn order(&self) -> &Order {
        &self.order
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
