//! NuttX configuration files: a built tree's `.config` and a board's
//! `defconfig`, both in Kconfig's output format (kconfig-frontends'
//! `conf_write`):
//!
//! - `CONFIG_NAME=y` (or `m`) for a set bool or tristate;
//! - `# CONFIG_NAME is not set` for a bool explicitly off;
//! - `CONFIG_NAME="text"` for a string, with `\"` and `\\` escaped;
//! - `CONFIG_NAME=123`, `=-1` or `=0x20000` for an int or hex option;
//! - other lines starting with `#`, and blank lines, are comments.
//!
//! A `defconfig` lists only the options that differ from their defaults
//! (`make savedefconfig`), so an option it does not name is at its default
//! and [`Kconfig::is_set`] answers `false`. A later line for the same
//! option replaces an earlier one, as Kconfig's reader does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::position::{InputError, Located, Source};

/// The value of one option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `y` (true), `# ... is not set` (false).
    Bool(bool),
    /// `m`: built as a loadable module.
    Module,
    /// An int or hex option; `text` is as written (`0x00020000`), `value`
    /// its number, so that `0x10` and `16` are equal.
    Number { value: i128, text: String },
    /// A string, unescaped.
    Text(String),
}

impl Value {
    /// The value as Kconfig writes it after `CONFIG_NAME=` (a bool that is
    /// off as `n`).
    pub fn written(&self) -> String {
        match self {
            Value::Bool(true) => "y".to_owned(),
            Value::Bool(false) => "n".to_owned(),
            Value::Module => "m".to_owned(),
            Value::Number { text, .. } => text.clone(),
            Value::Text(text) => {
                format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
            }
        }
    }

    /// Same meaning: numbers compare by value, everything else as is.
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Number { value: a, .. }, Value::Number { value: b, .. }) => a == b,
            _ => self == other,
        }
    }
}

/// One option and the line that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub value: Value,
    /// 1-based line number in the file.
    pub line: usize,
}

/// A configuration file: every option it sets or unsets, by name
/// (`CONFIG_RAM_START`, with the prefix).
#[derive(Clone, Debug)]
pub struct Kconfig {
    pub path: PathBuf,
    pub entries: BTreeMap<String, Entry>,
}

/// A configuration file could not be read, or lacks what is asked of it.
#[derive(Debug, thiserror::Error)]
pub enum KconfigError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{}: {name} is not set{why}", path.display())]
    Missing {
        path: PathBuf,
        name: String,
        /// What needs it, starting with `: `, or empty.
        why: String,
    },
}

impl From<Located> for KconfigError {
    fn from(located: Located) -> KconfigError {
        KconfigError::Input(located.into())
    }
}

impl Kconfig {
    /// Reads and parses the file at `path`.
    pub fn read(path: &Path) -> Result<Kconfig, KconfigError> {
        crate::position::read_text(path, Kconfig::parse)
    }

    /// Parses `text`, the contents of `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Kconfig, KconfigError> {
        let source = Source { text, path };
        let mut entries = BTreeMap::new();
        let mut offset = 0;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let line = raw.trim_end_matches(['\n', '\r']);
            if let Some((name, value)) = parse_line(line, offset, &source)? {
                entries.insert(
                    name,
                    Entry {
                        value,
                        line: index + 1,
                    },
                );
            }
            offset += raw.len();
        }
        Ok(Kconfig {
            path: path.to_owned(),
            entries,
        })
    }

    /// The value of option `name`, if the file names it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries.get(name).map(|entry| &entry.value)
    }

    /// The option that shows this is a built `.config`, not a defconfig:
    /// NuttX's `.config` always sets `APPS_DIR` and `BASE_DEFCONFIG`,
    /// which `make savedefconfig` leaves out (`tools/Unix.mk`). `None`
    /// for a defconfig, whose options at their defaults are missing.
    pub fn built_marker(&self) -> Option<&'static str> {
        ["CONFIG_APPS_DIR", "CONFIG_BASE_DEFCONFIG"]
            .into_iter()
            .find(|option| self.get(option).is_some())
    }

    /// Whether bool option `name` is `y`.
    pub fn is_set(&self, name: &str) -> bool {
        matches!(self.get(name), Some(Value::Bool(true)))
    }

    /// String option `name`, if set.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Value::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// Int or hex option `name` as an unsigned number, if set; a negative
    /// number, or one that is not a number, is an error at its line.
    pub fn number(&self, name: &str) -> Result<Option<u64>, KconfigError> {
        let Some(entry) = self.entries.get(name) else {
            return Ok(None);
        };
        match &entry.value {
            Value::Number { value, .. } if (0..=i128::from(u64::MAX)).contains(value) => {
                Ok(Some(*value as u64))
            }
            other => Err(self
                .at(
                    entry.line,
                    name,
                    format!(
                        "expected a number of bytes or an address, found {}",
                        other.written()
                    ),
                )
                .into()),
        }
    }

    /// Int or hex option `name`, which `why` needs (`: the user flash
    /// origin`).
    pub fn required_number(&self, name: &str, why: &str) -> Result<u64, KconfigError> {
        self.number(name)?.ok_or_else(|| self.missing(name, why))
    }

    /// String option `name`, which `why` needs.
    pub fn required_text(&self, name: &str, why: &str) -> Result<&str, KconfigError> {
        self.text(name).ok_or_else(|| self.missing(name, why))
    }

    /// String option `name`, which `why` needs as one directory name of
    /// the tree (`CONFIG_ARCH_CHIP="tiva"` in `boards/arm/tiva/...`): not
    /// empty, no `/`, not `.` or `..`, so that it cannot lead out of the
    /// directory it is joined to.
    pub fn required_dir_name(&self, name: &str, why: &str) -> Result<&str, KconfigError> {
        let text = self.required_text(name, why)?;
        if text.is_empty() || text.contains(['/', '\\']) || text == "." || text == ".." {
            let line = self.entries.get(name).map_or(1, |entry| entry.line);
            return Err(self
                .at(
                    line,
                    name,
                    format!(
                        "expected one directory name (not empty, no `/`, not `.` or `..`), found \
                         \"{text}\""
                    ),
                )
                .into());
        }
        Ok(text)
    }

    /// The error for option `name`, missing although `why` needs it.
    pub fn missing(&self, name: &str, why: &str) -> KconfigError {
        KconfigError::Missing {
            path: self.path.clone(),
            name: name.to_owned(),
            why: if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            },
        }
    }

    /// A located error at the line of option `name`.
    pub fn at(&self, line: usize, name: &str, message: String) -> Located {
        Located {
            path: self.path.clone(),
            line,
            column: 1,
            key: name.to_owned(),
            message,
        }
    }
}

/// The option a line sets (`None` for a comment or a blank line).
fn parse_line(
    line: &str,
    offset: usize,
    source: &Source<'_>,
) -> Result<Option<(String, Value)>, Located> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if let Some(comment) = trimmed.strip_prefix('#') {
        // As Kconfig's reader (conf_read_simple) does: the name starts two
        // characters after `#` and ends at a space, and what follows must
        // begin with `is not set`; anything after that is ignored.
        let unset = comment
            .get(1..)
            .and_then(|rest| rest.split_once(' '))
            .filter(|(name, rest)| is_option_name(name) && rest.starts_with("is not set"));
        return Ok(unset.map(|(name, _)| (name.to_owned(), Value::Bool(false))));
    }
    let indent = line.len() - line.trim_start().len();
    let error = |at: usize, message: String| -> Located {
        source.error(offset + at..offset + at, "", message)
    };
    let Some((name, value)) = trimmed.split_once('=') else {
        return Err(error(
            indent,
            "expected CONFIG_NAME=value, `# CONFIG_NAME is not set` or a comment".to_owned(),
        ));
    };
    if !is_option_name(name) {
        return Err(error(
            indent,
            format!("expected an option name such as CONFIG_RAM_SIZE, found {name:?}"),
        ));
    }
    let value_at = indent + name.len() + 1;
    let value = parse_value(value).map_err(|message| {
        let mut located = error(value_at, message);
        located.key = name.to_owned();
        located
    })?;
    Ok(Some((name.to_owned(), value)))
}

/// `CONFIG_` and then letters, digits and `_`.
fn is_option_name(name: &str) -> bool {
    name.strip_prefix("CONFIG_").is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

fn parse_value(text: &str) -> Result<Value, String> {
    match text {
        "y" => return Ok(Value::Bool(true)),
        "n" => return Ok(Value::Bool(false)),
        "m" => return Ok(Value::Module),
        _ => {}
    }
    if let Some(quoted) = text.strip_prefix('"') {
        return unquote(quoted).map(Value::Text);
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    let magnitude = if digits.starts_with("0x") || digits.starts_with("0X") {
        u64::from_str_radix(&digits[2..], 16).ok()
    } else if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() {
        digits.parse::<u64>().ok()
    } else {
        None
    };
    let magnitude = magnitude.ok_or_else(|| {
        format!("expected y, n, m, a number (123, -1, 0x20000) or a quoted string, found {text:?}")
    })?;
    let value = i128::from(magnitude);
    Ok(Value::Number {
        value: if negative { -value } else { value },
        text: text.to_owned(),
    })
}

/// The string after an opening `"`, up to the closing one, with `\x`
/// escapes resolved; nothing may follow the closing quote.
fn unquote(quoted: &str) -> Result<String, String> {
    let mut text = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => text.push(escaped),
                None => break,
            },
            '"' => {
                let rest = chars.as_str();
                return if rest.trim().is_empty() {
                    Ok(text)
                } else {
                    Err(format!(
                        "expected nothing after the closing quote, found {rest:?}"
                    ))
                };
            }
            c => text.push(c),
        }
    }
    Err("expected a closing `\"` at the end of the string".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Kconfig, KconfigError> {
        Kconfig::parse(text, Path::new(".config"))
    }

    #[test]
    fn reads_every_form_kconfig_writes() {
        let config = parse(
            "#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_ARCH=\"arm\"\n\
             CONFIG_BUILD_PROTECTED=y\n# CONFIG_LIBC_USRWORK is not set\nCONFIG_FS=m\n\
             CONFIG_NUTTX_USERSPACE=0x00020000\r\nCONFIG_RAM_SIZE=65536\nCONFIG_MM_BACKTRACE=-1\n\
             CONFIG_PATH=\"a \\\"b\\\" \\\\c\"\n\n",
        )
        .unwrap();
        assert_eq!(config.text("CONFIG_ARCH"), Some("arm"));
        assert!(config.is_set("CONFIG_BUILD_PROTECTED"));
        assert_eq!(config.get("CONFIG_LIBC_USRWORK"), Some(&Value::Bool(false)));
        assert!(!config.is_set("CONFIG_LIBC_USRWORK"));
        assert!(!config.is_set("CONFIG_NOT_NAMED"));
        assert_eq!(config.get("CONFIG_FS"), Some(&Value::Module));
        // Kconfig's reader: two characters before the name, and only the
        // start of `is not set` counts.
        let comments = parse("#CONFIG_A is not set\n# CONFIG_B is not set, on purpose\n").unwrap();
        assert_eq!(comments.get("CONFIG_A"), None);
        assert_eq!(comments.get("CONFIG_B"), Some(&Value::Bool(false)));
        assert_eq!(
            config.number("CONFIG_NUTTX_USERSPACE").unwrap(),
            Some(0x20000)
        );
        assert_eq!(config.number("CONFIG_RAM_SIZE").unwrap(), Some(65536));
        assert_eq!(config.text("CONFIG_PATH"), Some("a \"b\" \\c"));
        assert_eq!(config.entries["CONFIG_RAM_SIZE"].line, 9);
        assert_eq!(
            config.get("CONFIG_PATH").unwrap().written(),
            "\"a \\\"b\\\" \\\\c\""
        );
        let error = config
            .number("CONFIG_MM_BACKTRACE")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            ".config:10:1: `CONFIG_MM_BACKTRACE`: expected a number of bytes or an address, found -1"
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        let a = parse("CONFIG_X=0x10\n").unwrap();
        let b = parse("CONFIG_X=16\n").unwrap();
        assert!(
            a.get("CONFIG_X")
                .unwrap()
                .same_as(b.get("CONFIG_X").unwrap())
        );
        assert_ne!(a.get("CONFIG_X"), b.get("CONFIG_X"));
    }

    #[test]
    fn a_later_line_replaces_an_earlier_one() {
        let config = parse("CONFIG_X=1\nCONFIG_X=2\n").unwrap();
        assert_eq!(config.number("CONFIG_X").unwrap(), Some(2));
        assert_eq!(config.entries["CONFIG_X"].line, 2);
    }

    #[test]
    fn errors_name_the_line_column_and_what_was_expected() {
        let cases = [
            (
                "CONFIG_A=y\nnonsense\n",
                ".config:2:1: expected CONFIG_NAME=value, `# CONFIG_NAME is not set` or a comment",
            ),
            (
                "  X=1\n",
                ".config:1:3: expected an option name such as CONFIG_RAM_SIZE, found \"X\"",
            ),
            (
                "CONFIG_S=\"open\n",
                ".config:1:10: `CONFIG_S`: expected a closing `\"` at the end of the string",
            ),
            (
                "CONFIG_S=\"a\" b\n",
                ".config:1:10: `CONFIG_S`: expected nothing after the closing quote, found \" b\"",
            ),
            (
                "CONFIG_N=12K\n",
                ".config:1:10: `CONFIG_N`: expected y, n, m, a number (123, -1, 0x20000) or a quoted string, found \"12K\"",
            ),
            (
                "CONFIG_N=0x\n",
                ".config:1:10: `CONFIG_N`: expected y, n, m, a number (123, -1, 0x20000) or a quoted string, found \"0x\"",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).unwrap_err().to_string(), expected, "{text:?}");
        }
    }

    #[test]
    fn a_missing_option_says_what_needs_it() {
        let config = parse("").unwrap();
        let error = config
            .required_number("CONFIG_NUTTX_USERSPACE", "the user flash origin")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            ".config: CONFIG_NUTTX_USERSPACE is not set: the user flash origin"
        );
    }
}
