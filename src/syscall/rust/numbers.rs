//! `syscall_numbers.rs`: the call numbers and names, for both sides.

use std::fmt::Write;

use super::ident::number_constant;
use crate::syscall::generate::wrap_comment;
use crate::syscall::numbering::Numbering;

pub const NUMBERS_FILE: &str = "syscall_numbers.rs";

/// The text of `syscall_numbers.rs` after its banner line.
pub fn numbers_body(numbering: &Numbering<'_>) -> String {
    let reserved = numbering.reserved();
    let count = numbering.count();
    let order = wrap_comment(&numbering.order_description(), "/// ", 78);
    let mut out = format!(
        "
/// System call numbers from {reserved} (`CONFIG_SYS_RESERVED`; lower numbers
/// belong to the architecture):
{order}
#[allow(non_upper_case_globals)]
pub mod numbers {{
"
    );
    for (number, syscall) in numbering.iter() {
        let _ = writeln!(
            out,
            "    /// `{}`\n    pub const {}: u32 = {number};",
            syscall.prototype(),
            number_constant(&syscall.name)
        );
    }
    let _ = write!(
        out,
        "
    /// The first call number.
    pub const SYS_reserved: u32 = {reserved};
    /// One past the last call number.
    pub const SYS_maxsyscall: u32 = {};
    /// How many calls there are.
    pub const SYS_nsyscalls: u32 = {count};

    /// Each call's name, indexed by call number minus `SYS_reserved`.
    pub const NAMES: [&str; {count}] = [
",
        numbering.max()
    );
    for (_, syscall) in numbering.iter() {
        let _ = writeln!(out, "        \"{}\",", syscall.name);
    }
    out.push_str("    ];\n}\n");
    out
}
