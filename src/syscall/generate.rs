//! What to generate, and the generated files as text in memory.

use super::checks::PointerChecks;
use super::model::SyscallTable;
use super::numbering::{Numbering, NumberingError};
use super::{c, rust};

/// The language of the generated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// NuttX-compatible `PROXY_*.c` / `STUB_*.c` and C tables.
    C,
    /// A `no_std` user module and a kernel module with a trait and `dispatch`.
    Rust,
}

/// Which side of the trap to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Side {
    /// User side: the functions that trap.
    Proxies,
    /// Kernel side: what turns a trap back into the call.
    Stubs,
    Both,
}

impl Side {
    pub fn proxies(self) -> bool {
        matches!(self, Side::Proxies | Side::Both)
    }

    pub fn stubs(self) -> bool {
        matches!(self, Side::Stubs | Side::Both)
    }
}

/// Everything that decides the generated text besides the table itself.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub language: Language,
    pub side: Side,
    /// C only: all proxies in one file and all stubs in one file.
    pub single_file: bool,
    /// The first call number (`CONFIG_SYS_RESERVED`).
    pub reserved: u32,
    /// How the first line of every file names the CSV it came from.
    pub source_name: String,
}

impl GenerateOptions {
    /// Whether a file of this name in the output directory is one this
    /// generation would write for some CSV (a proxy or stub, one per call or
    /// all in one), so that it is stale if this CSV does not produce it.
    pub fn may_produce(&self, name: &str) -> bool {
        let c_file = |prefix: &str, single: &str| {
            name == single || (name.starts_with(prefix) && name.ends_with(".c"))
        };
        self.language == Language::C
            && ((self.side.proxies() && c_file("PROXY_", c::SINGLE_PROXIES))
                || (self.side.stubs() && c_file("STUB_", c::SINGLE_STUBS)))
    }
}

/// One generated file: a name inside the output directory and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    pub name: String,
    pub contents: String,
}

/// Generates the files `options` ask for, in a fixed order.
/// The calls are numbered by [`Numbering::new`] from `options.reserved`.
pub fn generate(
    table: &SyscallTable,
    checks: &PointerChecks,
    options: &GenerateOptions,
) -> Result<Vec<GeneratedFile>, NumberingError> {
    let numbering = Numbering::new(table, options.reserved)?;
    Ok(generate_numbered(&numbering, checks, options))
}

/// Generates the files `options` ask for, for the calls `numbering` numbers
/// (all of the CSV, or those NuttX's `syscall_lookup.h` keeps); its first
/// number replaces `options.reserved`.
pub fn generate_numbered(
    numbering: &Numbering<'_>,
    checks: &PointerChecks,
    options: &GenerateOptions,
) -> Vec<GeneratedFile> {
    let banner = Banner::new(&options.source_name);
    match options.language {
        Language::C => c::files(numbering, checks, options, &banner),
        Language::Rust => rust::files(numbering, checks, options, &banner),
    }
}

/// `text` (a file name) made fit for a one-line comment in C or Rust: on
/// one line and unable to close a C comment early.
pub(crate) fn comment_safe(text: &str) -> String {
    text.replace("*/", "*\\/")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `text` as comment lines of at most `width` characters (longer words
/// stay whole), each starting with `prefix`, broken where it has spaces;
/// no newline after the last line.
pub(crate) fn wrap_comment(text: &str, prefix: &str, width: usize) -> String {
    let mut out = String::from(prefix);
    let mut line_len = prefix.len();
    let mut first = true;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !first && line_len + 1 + word.len() > width {
            out.push('\n');
            out.push_str(prefix);
            line_len = prefix.len();
        } else if !first {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.len();
        first = false;
    }
    out
}

/// The first line of every generated file, saying where it came from and
/// that editing it is pointless.
pub(crate) struct Banner {
    text: String,
}

impl Banner {
    fn new(source_name: &str) -> Self {
        let source = comment_safe(source_name);
        Banner {
            text: format!("Generated from {source} by mcu-build; do not edit."),
        }
    }

    /// `/* ... */` and a newline.
    pub fn c(&self) -> String {
        format!("/* {} */\n", self.text)
    }

    /// `// ...` and a newline.
    pub fn rust(&self) -> String {
        format!("// {}\n", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_wrap_at_spaces() {
        assert_eq!(
            wrap_comment("aa bb  cc dddddddd e", " * ", 8),
            " * aa bb\n * cc\n * dddddddd\n * e"
        );
    }

    #[test]
    fn banner_cannot_break_out_of_its_comment() {
        let banner = Banner::new("a*/b\nc.csv");
        assert_eq!(
            banner.c(),
            "/* Generated from a*\\/b?c.csv by mcu-build; do not edit. */\n"
        );
        assert_eq!(
            banner.rust(),
            "// Generated from a*\\/b?c.csv by mcu-build; do not edit.\n"
        );
    }
}
