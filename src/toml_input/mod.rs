//! Reading the project's TOML inputs (board files, `mcu-build.toml`) so
//! that every error points at its cause: the line and column, and the key
//! with its array index (`memory[1].origin`), found from the spans the
//! `toml` crate records for every key and value, not by reading the text
//! again.
//!
//! A UTF-8 byte-order mark at the start is accepted and skipped, as the
//! TOML 1.1 grammar allows (the `toml` crate's lexer skips it too); it is
//! removed before positions are counted, so columns on line 1 are the ones
//! an editor shows.

mod expected;
mod number;

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::position;
pub use crate::position::{Located, Source};

pub use expected::{Keyword, Table, TableForm};
pub use number::Number;

/// The UTF-8 encoding of U+FEFF, the byte-order mark.
pub const UTF8_BOM: &str = "\u{feff}";

/// `text` without a leading byte-order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix(UTF8_BOM).unwrap_or(text)
}

/// `bytes` of the TOML file `path` as UTF-8 text without a leading
/// byte-order mark; TOML files are UTF-8, so anything else is an error at
/// the first byte that is not.
pub fn text<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, Located> {
    let bytes = bytes.strip_prefix(UTF8_BOM.as_bytes()).unwrap_or(bytes);
    position::utf8(bytes).map_err(|(line, column)| Located {
        path: path.to_owned(),
        line,
        column,
        key: String::new(),
        message: "expected UTF-8 text".to_owned(),
    })
}

/// A TOML document did not deserialize: where, under which key, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TomlError {
    /// Byte range of the cause in the text.
    pub span: Range<usize>,
    /// The dotted key at fault, e.g. `memory[1].origin`; empty for the
    /// top-level table (a missing top-level key) or text outside any key.
    pub key: String,
    pub message: String,
}

/// Parses `text` into `T`, locating any error by key and span.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, TomlError> {
    let (document, errors) = DeTable::parse_recoverable(text);
    let locate = |error: &toml::de::Error| {
        let span = error.span().unwrap_or(0..0);
        TomlError {
            key: key_path(&document, &span),
            span,
            message: expected::in_user_terms(error.message().trim()),
        }
    };
    if let Some(error) = errors.first() {
        return Err(locate(error));
    }
    T::deserialize(toml::de::Deserializer::from(document.clone())).map_err(|e| locate(&e))
}

/// The dotted key of the innermost key or value whose span holds `span`.
///
/// The whole tree is searched, because a table's span is its header only
/// (`[[memory]]`), so its keys lie outside it. An error spanning the whole
/// document (a missing top-level key) belongs to no key.
fn key_path(document: &Spanned<DeTable<'_>>, span: &Range<usize>) -> String {
    if *span == document.span() {
        return String::new();
    }
    let mut best = Innermost::default();
    walk_table(document.get_ref(), "", 1, span, &mut best);
    best.path
}

#[derive(Default)]
struct Innermost {
    depth: usize,
    path: String,
}

impl Innermost {
    fn offer(&mut self, depth: usize, path: &str) {
        if depth > self.depth {
            self.depth = depth;
            path.clone_into(&mut self.path);
        }
    }
}

/// Whether `outer` holds `inner`; an empty `inner` (a position) is held
/// when it lies inside `outer`.
fn holds(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    if inner.is_empty() {
        outer.contains(&inner.start)
    } else {
        outer.start <= inner.start && inner.end <= outer.end
    }
}

fn walk_table(
    table: &DeTable<'_>,
    path: &str,
    depth: usize,
    span: &Range<usize>,
    best: &mut Innermost,
) {
    for (key, value) in table {
        let path = if path.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{path}.{}", key.get_ref())
        };
        if holds(&key.span(), span) || holds(&value.span(), span) {
            best.offer(depth, &path);
        }
        walk_value(value.get_ref(), &path, depth + 1, span, best);
    }
}

fn walk_value(
    value: &DeValue<'_>,
    path: &str,
    depth: usize,
    span: &Range<usize>,
    best: &mut Innermost,
) {
    match value {
        DeValue::Table(table) => walk_table(table, path, depth, span, best),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("{path}[{i}]");
                if holds(&item.span(), span) {
                    best.offer(depth, &path);
                }
                walk_value(item.get_ref(), &path, depth + 1, span, best);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::position::line_column;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read only through Debug
    struct Doc {
        top: u8,
        memory: Vec<Memory>,
        #[serde(default)]
        inline: Option<Inline>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Memory {
        name: String,
        origin: Number,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inline {
        t: Memory,
    }

    fn error(text: &str) -> (usize, usize, String, String) {
        let e = from_str::<Doc>(text).unwrap_err();
        let (line, column) = line_column(text, e.span.start);
        (line, column, e.key, e.message)
    }

    const GOOD: &str = "top = 1\n[[memory]]\nname = \"a\"\norigin = 1\n[[memory]]\nname = \"b\"\norigin = \"64K\"\n";

    #[test]
    fn a_type_error_names_the_indexed_key_and_the_expected_form() {
        let text = GOOD.replace("\"64K\"", "true");
        assert_eq!(
            error(&text),
            (
                7,
                10,
                "memory[1].origin".into(),
                "expected a number such as 0x20000000 or \"64K\", found true".into()
            )
        );
    }

    #[test]
    fn a_missing_field_is_blamed_on_its_table_not_on_line_1() {
        let text = GOOD.replace("origin = 1\n", "");
        assert_eq!(
            error(&text),
            (2, 1, "memory[0]".into(), "missing field `origin`".into())
        );
        let top = GOOD.replace("top = 1\n", "");
        assert_eq!(
            error(&top),
            (1, 1, String::new(), "missing field `top`".into())
        );
    }

    #[test]
    fn unknown_keys_and_syntax_errors_inside_inline_tables_are_located() {
        let text = format!("{GOOD}[inline]\nt = {{ name = \"x\", origin = 12x }}\n");
        let (line, column, key, _) = error(&text);
        assert_eq!((line, column, key.as_str()), (9, 28, "inline.t.origin"));
        let unknown = GOOD.replace("name = \"b\"", "name = \"b\"\nbogus = 2");
        let (line, column, key, message) = error(&unknown);
        assert_eq!((line, column, key.as_str()), (7, 1, "memory[1].bogus"));
        assert!(message.starts_with("unknown field `bogus`"), "{message}");
    }

    #[test]
    fn a_byte_order_mark_is_skipped_before_counting_columns() {
        let text = format!("{UTF8_BOM}top = true\nmemory = []\n");
        let text = strip_bom(&text);
        assert_eq!(error(text).0..=error(text).1, 1..=7);
        assert!(from_str::<Doc>(strip_bom(&format!("{UTF8_BOM}{GOOD}"))).is_ok());
    }

    #[test]
    fn text_that_is_not_utf8_is_located_after_the_byte_order_mark() {
        let path = Path::new("t.toml");
        let located = text(b"\xEF\xBB\xBFa = 1\nb = \"\xff\"", path).unwrap_err();
        assert_eq!((located.line, located.column), (2, 6));
        assert_eq!(
            text(b"\xEF\xBB\xBFa = \"\xc3\xa9\"", path).unwrap(),
            "a = \"\u{e9}\""
        );
    }
}
