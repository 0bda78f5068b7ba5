//! Line and column of a byte offset, and the located error every input
//! file's reader returns: `file:line:column: `key`: what was expected`.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// The 1-based line and column (in characters) of byte `offset` in `text`.
/// An offset past the end, or inside a character, counts to the nearest
/// character boundary before it.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// `bytes` as UTF-8 text, or the line and column of the first byte that
/// is not UTF-8.
pub fn utf8(bytes: &[u8]) -> Result<&str, (usize, usize)> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
        line_column(&valid, valid.len())
    })
}

/// A place in a file and what is wrong there, as an error names it:
/// `board.toml:38:10: `memory[1].origin`: expected ...`.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}:{column}: {}{message}", path.display(), key_prefix(key))]
pub struct Located {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The dotted key at fault, e.g. `memory[1].length`; empty for the
    /// whole file or text outside any key.
    pub key: String,
    pub message: String,
}

/// A file's text and its name, which turn byte spans of the text into
/// located errors. Each file format adds its own readers of typed values
/// (`src/board/file.rs`, `src/build/config.rs`, `src/nuttx/`) as methods.
pub struct Source<'a> {
    pub text: &'a str,
    pub path: &'a Path,
}

impl Source<'_> {
    /// The error at byte range `span` of the text, under `key`, as the
    /// caller's error type.
    pub fn error<E: From<Located>>(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> E {
        let (line, column) = line_column(self.text, span.start);
        Located {
            path: self.path.to_owned(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
        .into()
    }
}

/// `key` as an error message prefix: `` `memory[1].origin`: ``, or nothing
/// for an error of the whole document.
fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("`{key}`: ")
    }
}

/// A text input file that could not be read, or is not what its reader
/// expects at a place.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] Located),
}

/// Reads the file at `path`, which must be UTF-8 text (an error names the
/// line and column of the first byte that is not), and parses it with
/// `parse(text, path)`.
pub fn read_text<T, E: From<InputError>>(
    path: &Path,
    parse: impl FnOnce(&str, &Path) -> Result<T, E>,
) -> Result<T, E> {
    let bytes = std::fs::read(path).map_err(|error| InputError::Io {
        path: path.to_owned(),
        error,
    })?;
    let text = utf8(&bytes).map_err(|(line, column)| {
        InputError::from(Located {
            path: path.to_owned(),
            line,
            column,
            key: String::new(),
            message: "expected UTF-8 text".to_owned(),
        })
    })?;
    parse(text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_characters() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 1), (1, 1));
        assert_eq!(line_column("ab", 99), (1, 3));
        assert_eq!(line_column("", 0), (1, 1));
    }
}
