//! A defconfig as lines to edit and write back as NuttX's `make
//! savedefconfig` writes it (`tools/Unix.mk`): the comment block at the top,
//! then one line per option sorted as `LC_ALL=C sort` sorts whole lines
//! (so `# CONFIG_X is not set` lines come before `CONFIG_` ones).
//!
//! Every option line the file had is kept as written (`0x00020000` stays
//! so), except the options an edit changes. A comment after the first
//! option stays with the option line that follows it; comments after the
//! last option stay at the end. Blank lines after the top block are
//! dropped, as savedefconfig writes none; an option line that a later line
//! for the same option replaces is dropped, as Kconfig reads only the last.

use std::collections::BTreeMap;
use std::path::Path;

use super::kconfig::{Kconfig, KconfigError, Value};

/// One option's line and the comment lines above it.
#[derive(Clone, Debug)]
struct OptionLine {
    text: String,
    comments: Vec<String>,
}

/// A defconfig being edited.
#[derive(Clone, Debug)]
pub struct Defconfig {
    /// The file as read, for its values and line numbers.
    pub config: Kconfig,
    header: Vec<String>,
    options: BTreeMap<String, OptionLine>,
    trailer: Vec<String>,
}

impl Defconfig {
    /// Parses `text`, the contents of `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Defconfig, KconfigError> {
        let config = Kconfig::parse(text, path)?;
        let by_line: BTreeMap<usize, &String> = config
            .entries
            .iter()
            .map(|(name, entry)| (entry.line, name))
            .collect();
        let mut header = Vec::new();
        let mut options = BTreeMap::new();
        let mut comments = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if let Some(name) = by_line.get(&(index + 1)) {
                options.insert(
                    (*name).clone(),
                    OptionLine {
                        text: line.to_owned(),
                        comments: std::mem::take(&mut comments),
                    },
                );
            } else if options.is_empty() && comments.is_empty() && !superseded(line, path) {
                header.push(raw.trim_end().to_owned());
            } else if line.starts_with('#') && !superseded(line, path) {
                comments.push(line.to_owned());
            }
        }
        while header.last().is_some_and(|l| l.trim().is_empty()) {
            header.pop();
        }
        Ok(Defconfig {
            config,
            header,
            options,
            trailer: comments,
        })
    }

    /// Reads and parses the file at `path`.
    pub fn read(path: &Path) -> Result<Defconfig, KconfigError> {
        crate::position::read_text(path, Defconfig::parse)
    }

    /// The value of option `name` now (after edits).
    pub fn get(&self, name: &str) -> Option<Value> {
        let line = &self.options.get(name)?.text;
        let parsed = Kconfig::parse(line, &self.config.path).ok()?;
        parsed.entries.get(name).map(|entry| entry.value.clone())
    }

    /// Int or hex option `name` now, if set to a number from 0 to
    /// `u64::MAX`.
    pub fn number(&self, name: &str) -> Option<u64> {
        match self.get(name)? {
            Value::Number { value, .. } => u64::try_from(value).ok(),
            _ => None,
        }
    }

    /// Whether bool option `name` is `y` now.
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name) == Some(Value::Bool(true))
    }

    /// The line of option `name` now, as it will be written.
    pub fn line(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(|o| o.text.as_str())
    }

    /// Sets option `name` to `value` (a bool that is off as `# CONFIG_X is
    /// not set`); keeps the comments above an existing line.
    pub fn set(&mut self, name: &str, value: &Value) {
        let text = line_of(name, value);
        self.options
            .entry(name.to_owned())
            .and_modify(|o| o.text.clone_from(&text))
            .or_insert(OptionLine {
                text,
                comments: Vec::new(),
            });
    }

    /// Removes option `name`; its line as it was, if it had one.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.options.remove(name).map(|o| o.text)
    }

    /// The file's text: the top comment block, the option lines sorted,
    /// trailing comments.
    pub fn render(&self) -> String {
        let mut options: Vec<&OptionLine> = self.options.values().collect();
        options.sort_by(|a, b| a.text.as_bytes().cmp(b.text.as_bytes()));
        let mut out = String::new();
        let lines = self.header.iter().chain(
            options
                .iter()
                .flat_map(|o| o.comments.iter().chain(std::iter::once(&o.text))),
        );
        for line in lines.chain(&self.trailer) {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// The line Kconfig writes for option `name` set to `value`.
pub fn line_of(name: &str, value: &Value) -> String {
    match value {
        Value::Bool(false) => format!("# {name} is not set"),
        other => format!("{name}={}", other.written()),
    }
}

/// Whether `line` sets an option (so, not being an entry's line, a later
/// line replaced it).
fn superseded(line: &str, path: &Path) -> bool {
    Kconfig::parse(line, path).is_ok_and(|c| !c.entries.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "#\n# header\n#\n\nCONFIG_B=0x0010\n# why C\nCONFIG_C=y\n\
                        # CONFIG_Z is not set\nCONFIG_A=1\nCONFIG_A=2\n# the end\n";

    #[test]
    fn writes_back_sorted_keeping_lines_as_written() {
        let d = Defconfig::parse(TEXT, Path::new("defconfig")).unwrap();
        assert_eq!(
            d.render(),
            "#\n# header\n#\n# CONFIG_Z is not set\nCONFIG_A=2\nCONFIG_B=0x0010\n# why C\n\
             CONFIG_C=y\n# the end\n"
        );
    }

    #[test]
    fn edits_options() {
        let mut d = Defconfig::parse(TEXT, Path::new("defconfig")).unwrap();
        d.set("CONFIG_C", &Value::Bool(false));
        d.set("CONFIG_ARCH", &Value::Text("arm".to_owned()));
        assert_eq!(d.remove("CONFIG_B").as_deref(), Some("CONFIG_B=0x0010"));
        assert_eq!(d.remove("CONFIG_B"), None);
        assert_eq!(d.get("CONFIG_C"), Some(Value::Bool(false)));
        assert_eq!(
            d.render(),
            "#\n# header\n#\n# why C\n# CONFIG_C is not set\n# CONFIG_Z is not set\n\
             CONFIG_A=2\nCONFIG_ARCH=\"arm\"\n# the end\n"
        );
    }
}
