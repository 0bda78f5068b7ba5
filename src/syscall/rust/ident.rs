//! C function names as Rust identifiers.

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
