//! C function names as Rust identifiers, and the Rust identifiers a call
//! name becomes, for the generators and for the uniqueness check in
//! [`crate::syscall::names`].

use crate::syscall::names::Namespace;

/// The call numbers keep C's names (`SYS_<name>`), so that both languages
/// name a call's number alike.
pub use crate::syscall::c::ident::number_constant;

/// Rust keywords (strict and reserved, edition 2024) that a C function may
/// be called.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot even be raw identifiers, and `_`.
const UNUSABLE: &[&str] = &["self", "Self", "super", "crate", "_"];

/// The identifier for a C name: itself, `r#name` for a keyword, or `name_`
/// for the few names Rust cannot use at all.
pub fn rust_ident(c_name: &str) -> String {
    if UNUSABLE.contains(&c_name) {
        format!("{c_name}_")
    } else if KEYWORDS.contains(&c_name) {
        format!("r#{c_name}")
    } else {
        c_name.to_owned()
    }
}

/// The scopes of the Rust output: the constants of `mod numbers`, the
/// user side's functions (next to the `sys_callN` traps they call) and the
/// kernel's `Syscalls` methods (next to those of its supertrait
/// `UserMemory`, which `dispatch` calls on the same value).
pub const NAMESPACES: &[Namespace] = &[
    Namespace {
        language: "Rust",
        generated: &["SYS_reserved", "SYS_maxsyscall", "SYS_nsyscalls", "NAMES"],
        derive: |name| vec![number_constant(name)],
    },
    Namespace {
        language: "Rust",
        generated: &[
            "sys_call0",
            "sys_call1",
            "sys_call2",
            "sys_call3",
            "sys_call4",
            "sys_call5",
            "sys_call6",
        ],
        derive: |name| vec![rust_ident(name)],
    },
    Namespace {
        language: "Rust",
        generated: &["user_range_ok", "user_string_ok"],
        derive: |name| vec![rust_ident(name)],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_escaped() {
        assert_eq!(rust_ident("read"), "read");
        assert_eq!(rust_ident("yield"), "r#yield");
        assert_eq!(rust_ident("self"), "self_");
    }
}
