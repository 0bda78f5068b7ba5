//! Names from input files that mcu-build turns into file names
//! (`target/mcu-build/<board>/`) or pastes into generated source (the
//! comments of `layout.rs` and `board.rs`): board, memory and partition
//! names, and the `bin` of a cargo pass.
//!
//! Such a name is checked once, when the file is read, into a [`Name`],
//! so that past parsing it can hold no `/`, `..`, blank, quote or line
//! break: a board named `../../tmp/victim` would otherwise make `protect`
//! write outside `target/mcu-build/`, and an empty one would write into
//! `target/mcu-build/` itself.

use std::fmt;
use std::ops::Deref;
use std::path::Path;

use serde::Serialize;

/// The longest name, in bytes: `NAME_MAX`, the longest file name Linux
/// and macOS accept (Windows allows 255 characters).
pub const MAX_LEN: usize = 255;

/// A plain identifier: ASCII letters, digits, `-` and `_`, not empty, not
/// starting with `-` (which a command line would read as an option), at
/// most [`MAX_LEN`] bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Name(String);

/// What a [`Name`] names, for its error message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Board,
    Memory,
    Partition,
    /// The `bin` of a cargo pass, which names `target/<triple>/release/<bin>`.
    CargoBin,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Board => "board name",
            NameKind::Memory => "memory name",
            NameKind::Partition => "partition name",
            NameKind::CargoBin => "cargo binary name",
        })
    }
}

/// A text that is not a [`Name`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a {kind}: {reason}")]
pub struct NameError {
    pub text: String,
    pub kind: NameKind,
    reason: &'static str,
}

impl Name {
    /// Checks `text` as a name of `kind`.
    pub fn new(text: &str, kind: NameKind) -> Result<Name, NameError> {
        let refuse = |reason| {
            Err(NameError {
                text: text.to_owned(),
                kind,
                reason,
            })
        };
        if text.is_empty() {
            return refuse("it is empty; use letters, digits, '-' and '_'");
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return refuse("use letters, digits, '-' and '_'");
        }
        if text.starts_with('-') {
            return refuse("it starts with '-', which reads as a command-line option");
        }
        if text.len() > MAX_LEN {
            return refuse("it is longer than 255 bytes, the longest file name");
        }
        Ok(Name(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<Path> for Name {
    fn as_ref(&self) -> &Path {
        Path::new(&self.0)
    }
}

impl AsRef<std::ffi::OsStr> for Name {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_ref()
    }
}

impl fmt::Display for Name {
    /// Pads as a `str` does, so that names line up in tables (`{:<18}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        name.0
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        *self == other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_pad_in_tables() {
        let name = Name::new("an386", NameKind::Board).unwrap();
        assert_eq!(format!("{name:<8}|{name:>6}"), "an386   | an386");
    }

    #[test]
    fn plain_identifiers_pass() {
        for text in [
            "qemu-mps2-an386",
            "stm32f4discovery",
            "sram_1",
            "_x",
            "52840dk",
        ] {
            assert_eq!(Name::new(text, NameKind::Board).unwrap(), text);
        }
        assert!(Name::new(&"a".repeat(MAX_LEN), NameKind::Board).is_ok());
    }

    #[test]
    fn paths_blanks_options_and_empty_names_are_refused_with_the_reason() {
        let refused = |text: &str| Name::new(text, NameKind::Board).unwrap_err().to_string();
        assert_eq!(
            refused("../../tmp/victim"),
            "\"../../tmp/victim\" is not a board name: use letters, digits, '-' and '_'"
        );
        assert_eq!(
            refused(""),
            "\"\" is not a board name: it is empty; use letters, digits, '-' and '_'"
        );
        assert_eq!(
            refused("-rf"),
            "\"-rf\" is not a board name: it starts with '-', which reads as a command-line option"
        );
        for text in [".", "..", "a/b", "a\\b", "a b", "a\nb", "é", "a.b", "a\0"] {
            assert!(Name::new(text, NameKind::Memory).is_err(), "{text:?}");
        }
        assert!(
            refused(&"a".repeat(MAX_LEN + 1))
                .ends_with("longer than 255 bytes, the longest file name")
        );
        assert!(
            Name::new("x y", NameKind::Partition)
                .unwrap_err()
                .to_string()
                .contains("is not a partition name")
        );
    }
}
