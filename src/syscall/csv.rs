//! The NuttX syscall.csv format, read as NuttX's own `tools/csvparser.c`
//! reads it.
//!
//! One entry a line; blank lines and lines whose first non-blank character
//! is `#` are skipped. Every field is in double quotes and ends at the next
//! `"` (there is no escape). Blanks may stand around the commas and at the
//! ends of the line (so CRLF line ends work); blanks inside the quotes belong
//! to the field. The columns are: name, header, `#if` condition, return type,
//! then one parameter type per field (see [`ParamType`] for the forms).
//!
//! A `...` field makes the function variadic: the fields after it are the
//! types of the optional arguments. When `...` is the last field NuttX
//! assumes `uintptr_t` for the remaining slots up to six parameters, and so
//! do we.
//!
//! A UTF-8 byte-order mark at the start of the file is skipped (columns on
//! line 1 are counted without it, as an editor shows them); NuttX's parser
//! stops at it with "Bad line" (`tools/csvparser.c`). The function name must
//! be a C identifier that is not a keyword of C or GNU C nor a name the
//! generated C's headers define ([`SyscallName`]), since it
//! names C functions and the files `PROXY_<name>.c` and `STUB_<name>.c`.
//! The identifiers the generators derive from the names must be unique in
//! each scope of the output ([`names`]); a clash is refused here, at the
//! later of the two names.
//!
//! Where NuttX's parser silently produces broken C (an empty type, a union
//! without a member, a seventh parameter) or exits with a line number only,
//! this one returns a [`CsvError`] naming file, line and column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::model::{
    Param, ParamType, ReturnType, Syscall, SyscallName, SyscallNameFault, SyscallTable,
};
use super::names::{self, NameClash};

/// A system call passes at most six arguments (r1..r6 on ARM).
pub const MAX_PARAMS: usize = 6;

/// The UTF-8 byte-order mark some editors put at the start of a file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The type NuttX assumes for optional arguments when `...` ends the line.
const DEFAULT_VARIADIC_TYPE: &str = "uintptr_t";

/// Reading a CSV file failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Csv(#[from] CsvError),
}

/// A place in the CSV and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {kind}", file.display())]
pub struct CsvError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub kind: CsvErrorKind,
}

/// What was wrong at the place a [`CsvError`] names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvErrorKind {
    #[error("expected UTF-8 text")]
    NotUtf8,
    #[error("expected a field in double quotes, found {found}")]
    ExpectedQuote { found: String },
    #[error("expected a closing '\"' before the end of the line")]
    UnterminatedField,
    #[error("expected ',' or the end of the line after a field, found {found}")]
    ExpectedComma { found: String },
    #[error("expected at least 4 fields (name, header, condition, return type), found {found}")]
    TooFewFields { found: usize },
    #[error("expected a function name, found an empty field")]
    EmptyName,
    #[error("expected a C identifier as the function name, found {name:?}")]
    InvalidName { name: String },
    #[error("expected a function name, found the C keyword {name:?}")]
    KeywordName { name: String },
    /// GCC compiles NuttX as GNU C (`-std=gnu17`), whose keywords no
    /// function can be named.
    #[error("expected a function name, found the GNU C keyword {name:?}")]
    GnuKeywordName { name: String },
    #[error(
        "expected a function name, found {name:?}, a macro or type defined by the NuttX and C \
         library headers that mcu-build's generated C includes"
    )]
    HeaderName { name: String },
    #[error("expected a new function name, but {name:?} is already defined on line {first_line}")]
    DuplicateName { name: String, first_line: usize },
    /// Boxed: it is rare and large, and every error carries the variant.
    #[error(transparent)]
    GeneratedName(Box<GeneratedNameClash>),
    #[error("expected a return type (void, noreturn or a C type), found an empty field")]
    EmptyReturnType,
    #[error("expected a parameter type, found an empty field")]
    EmptyParamType,
    #[error(
        "expected at most {MAX_PARAMS} parameters (registers r1..r6), found {count} for {name}"
    )]
    TooManyParams { name: String, count: usize },
    #[error("expected `union T|member-type|member`, found {text:?}")]
    MalformedUnion { text: String },
    #[error("expected `formal|actual` (an array type and the type to cast to), found {text:?}")]
    MalformedArray { text: String },
    #[error("expected at least one fixed parameter before `...`")]
    VariadicWithoutFixed,
    #[error("expected at most one `...` in an entry")]
    SecondVariadic,
}

/// Reads and parses a syscall.csv file.
pub fn read(path: &Path) -> Result<SyscallTable, ReadError> {
    let bytes = std::fs::read(path).map_err(|error| ReadError::Io {
        path: path.to_owned(),
        error,
    })?;
    Ok(parse(&bytes, path)?)
}

/// A name that would generate an identifier another name or mcu-build
/// itself generates (see [`names`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GeneratedNameClash {
    #[error(
        "`{name}` would define {identifier}, which mcu-build's generated {language} defines \
         itself"
    )]
    Generated {
        name: String,
        identifier: String,
        language: &'static str,
    },
    #[error(
        "`{name}` and `{other}` (line {other_line}) both become the {language} name `{identifier}`"
    )]
    Same {
        name: String,
        other: String,
        other_line: usize,
        identifier: String,
        language: &'static str,
    },
}

/// Parses the bytes of a syscall.csv file; `file` names it in errors.
pub fn parse(bytes: &[u8], file: &Path) -> Result<SyscallTable, CsvError> {
    let error = |line, column, kind| CsvError {
        file: file.to_owned(),
        line,
        column,
        kind,
    };
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = crate::position::utf8(bytes)
        .map_err(|(line, column)| error(line, column, CsvErrorKind::NotUtf8))?;

    let mut entries: Vec<Syscall> = Vec::new();
    // Where each entry's name starts, for the identifier check at the end.
    let mut places: Vec<(usize, usize)> = Vec::new();
    let mut first_line_of: HashMap<SyscallName, usize> = HashMap::new();
    for (index, raw_line) in text.split('\n').enumerate() {
        let line_no = index + 1;
        let line = LineCursor::new(raw_line);
        if line.is_blank_or_comment() {
            continue;
        }
        let fields = line
            .fields()
            .map_err(|(column, kind)| error(line_no, column, kind))?;
        let end_column = raw_line.trim_end().chars().count() + 1;
        let syscall = interpret(&fields, line_no, end_column)
            .map_err(|(column, kind)| error(line_no, column, kind))?;
        if let Some(&first_line) = first_line_of.get(&syscall.name) {
            return Err(error(
                line_no,
                fields[0].column,
                CsvErrorKind::DuplicateName {
                    name: syscall.name.to_string(),
                    first_line,
                },
            ));
        }
        first_line_of.insert(syscall.name.clone(), line_no);
        places.push((line_no, fields[0].column));
        entries.push(syscall);
    }
    names::check(entries.iter().map(|s| s.name.as_str())).map_err(|clash| {
        let (line, column) = places[clash.at()];
        let name = entries[clash.at()].name.to_string();
        let clash = match clash {
            NameClash::Generated {
                identifier,
                language,
                ..
            } => GeneratedNameClash::Generated {
                name,
                identifier,
                language,
            },
            NameClash::Same {
                earlier,
                identifier,
                language,
                ..
            } => GeneratedNameClash::Same {
                name,
                other: entries[earlier].name.to_string(),
                other_line: places[earlier].0,
                identifier,
                language,
            },
        };
        error(line, column, CsvErrorKind::GeneratedName(Box::new(clash)))
    })?;
    Ok(SyscallTable { entries })
}

/// A field's text and the column of its first character (1-based).
struct Field<'a> {
    text: &'a str,
    column: usize,
}

/// A problem at a column of the current line.
type LineError = (usize, CsvErrorKind);

/// Walks one line, character by character, tracking the column.
struct LineCursor<'a> {
    line: &'a str,
    /// Byte offset of the next character.
    pos: usize,
}

impl<'a> LineCursor<'a> {
    fn new(line: &'a str) -> Self {
        let mut cursor = LineCursor { line, pos: 0 };
        cursor.skip_blanks();
        cursor
    }

    fn is_blank_or_comment(&self) -> bool {
        matches!(self.peek(), None | Some('#'))
    }

    fn peek(&self) -> Option<char> {
        self.line[self.pos..].chars().next()
    }

    /// The column (1-based, in characters) of the next character.
    fn column(&self) -> usize {
        self.line[..self.pos].chars().count() + 1
    }

    /// Skips blanks as C's `isspace` does, which also swallows the `\r` of CRLF.
    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_ascii_whitespace()) {
            self.pos += c.len_utf8();
        }
    }

    fn describe_next(&self) -> String {
        match self.peek() {
            Some(c) => format!("{c:?}"),
            None => "the end of the line".to_owned(),
        }
    }

    /// Splits the line into its quoted fields.
    fn fields(mut self) -> Result<Vec<Field<'a>>, LineError> {
        let mut fields = Vec::new();
        loop {
            if self.peek() != Some('"') {
                let found = self.describe_next();
                return Err((self.column(), CsvErrorKind::ExpectedQuote { found }));
            }
            let quote_column = self.column();
            let start = self.pos + 1;
            let Some(len) = self.line[start..].find('"') else {
                return Err((quote_column, CsvErrorKind::UnterminatedField));
            };
            fields.push(Field {
                text: &self.line[start..start + len],
                column: quote_column + 1,
            });
            self.pos = start + len + 1;
            self.skip_blanks();
            match self.peek() {
                None => return Ok(fields),
                Some(',') => {
                    self.pos += 1;
                    self.skip_blanks();
                }
                Some(_) => {
                    let found = self.describe_next();
                    return Err((self.column(), CsvErrorKind::ExpectedComma { found }));
                }
            }
        }
    }
}

/// Gives the fields of one line their meaning; `end_column` is where a
/// missing field would have started.
fn interpret(fields: &[Field<'_>], line: usize, end_column: usize) -> Result<Syscall, LineError> {
    let [name, header, condition, returns, param_fields @ ..] = fields else {
        return Err((
            end_column,
            CsvErrorKind::TooFewFields {
                found: fields.len(),
            },
        ));
    };
    let name_text = name.text.to_owned();
    let name = SyscallName::new(name.text).map_err(|fault| {
        let kind = match fault {
            SyscallNameFault::Empty => CsvErrorKind::EmptyName,
            SyscallNameFault::NotIdentifier => CsvErrorKind::InvalidName { name: name_text },
            SyscallNameFault::Keyword => CsvErrorKind::KeywordName { name: name_text },
            SyscallNameFault::GnuKeyword => CsvErrorKind::GnuKeywordName { name: name_text },
            SyscallNameFault::HeaderName => CsvErrorKind::HeaderName { name: name_text },
        };
        (name.column, kind)
    })?;
    let returns = match returns.text {
        "" => return Err((returns.column, CsvErrorKind::EmptyReturnType)),
        "void" => ReturnType::Void,
        "noreturn" => ReturnType::NoReturn,
        other => ReturnType::Value(other.to_owned()),
    };

    let mut params = Vec::new();
    let mut fixed_params = None;
    for (i, field) in param_fields.iter().enumerate() {
        if field.text == "..." {
            if fixed_params.is_some() {
                return Err((field.column, CsvErrorKind::SecondVariadic));
            }
            if params.is_empty() {
                return Err((field.column, CsvErrorKind::VariadicWithoutFixed));
            }
            fixed_params = Some(params.len());
            if i + 1 == param_fields.len() {
                while params.len() < MAX_PARAMS {
                    params.push(Param {
                        csv: DEFAULT_VARIADIC_TYPE.to_owned(),
                        kind: ParamType::Plain(DEFAULT_VARIADIC_TYPE.to_owned()),
                    });
                }
            }
            continue;
        }
        if params.len() == MAX_PARAMS {
            let count = param_fields.iter().filter(|f| f.text != "...").count();
            return Err((
                field.column,
                CsvErrorKind::TooManyParams {
                    name: name.to_string(),
                    count,
                },
            ));
        }
        let kind = param_type(field.text).map_err(|kind| (field.column, kind))?;
        params.push(Param {
            csv: field.text.to_owned(),
            kind,
        });
    }

    Ok(Syscall {
        name,
        header: header.text.to_owned(),
        condition: condition.text.to_owned(),
        returns,
        fixed_params: fixed_params.unwrap_or(params.len()),
        params,
        line,
    })
}

/// Classifies one parameter type field.
fn param_type(text: &str) -> Result<ParamType, CsvErrorKind> {
    if text.trim().is_empty() {
        return Err(CsvErrorKind::EmptyParamType);
    }
    let is_union = text.trim_start().starts_with("union ");
    let parts: Vec<&str> = text.split('|').collect();
    let any_empty = parts.iter().any(|p| p.trim().is_empty());
    match (is_union, parts.as_slice()) {
        (true, [union_type, member_type, member]) if !any_empty => Ok(ParamType::Union {
            union_type: (*union_type).to_owned(),
            member_type: (*member_type).to_owned(),
            member: (*member).to_owned(),
        }),
        (true, _) => Err(CsvErrorKind::MalformedUnion {
            text: text.to_owned(),
        }),
        (false, [formal, actual]) if !any_empty => Ok(ParamType::Array {
            formal: (*formal).to_owned(),
            actual: (*actual).to_owned(),
        }),
        (false, [_, _, ..]) => Err(CsvErrorKind::MalformedArray {
            text: text.to_owned(),
        }),
        (false, _) if text.contains("(*)") => Ok(ParamType::FunctionPointer(text.to_owned())),
        (false, _) => Ok(ParamType::Plain(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<SyscallTable, CsvError> {
        parse(text.as_bytes(), Path::new("t.csv"))
    }

    fn kind_at(text: &str) -> (usize, usize, CsvErrorKind) {
        let err = parse_str(text).unwrap_err();
        (err.line, err.column, err.kind)
    }

    #[test]
    fn fields_keep_inner_blanks_and_tolerate_outer_ones() {
        let table = parse_str(
            "# comment\n\n  \"waitid\" , \"sys/wait.h\",\"\",\"int\",\"idtype_t\",\" FAR siginfo_t *\"\r\n",
        )
        .unwrap();
        let entry = &table.entries[0];
        assert_eq!(entry.name, "waitid");
        assert_eq!(entry.line, 3);
        assert_eq!(entry.params[1].csv, " FAR siginfo_t *");
        assert_eq!(entry.returns, ReturnType::Value("int".into()));
    }

    #[test]
    fn variadic_forms() {
        let table = parse_str(
            "\"open\",\"fcntl.h\",\"\",\"int\",\"FAR const char *\",\"int\",\"...\",\"mode_t\"\n\
             \"v\",\"\",\"\",\"int\",\"int\",\"...\"\n",
        )
        .unwrap();
        let open = &table.entries[0];
        assert_eq!((open.fixed_params, open.params.len()), (2, 3));
        let v = &table.entries[1];
        assert_eq!((v.fixed_params, v.params.len()), (1, 6));
        assert!(v.optional_params().iter().all(|p| p.csv == "uintptr_t"));
    }

    #[test]
    fn parameter_forms() {
        let table = parse_str(
            "\"f\",\"\",\"\",\"noreturn\",\"int [2]|FAR int *\",\"union sigval|FAR void *|sival_ptr\",\"void (*)(int)\"\n",
        )
        .unwrap();
        let f = &table.entries[0];
        assert_eq!(f.returns, ReturnType::NoReturn);
        assert_eq!(f.params[0].kind.formal(), "int [2]");
        assert_eq!(f.params[0].kind.actual(), "FAR int *");
        assert_eq!(f.params[1].kind.formal(), "union sigval");
        assert_eq!(f.params[1].kind.actual(), "FAR void *");
        assert!(matches!(f.params[2].kind, ParamType::FunctionPointer(_)));
    }

    #[test]
    fn errors_name_line_and_column() {
        assert!(matches!(
            kind_at("\"a\",\"\",\"\",\"int\"\nx"),
            (2, 1, CsvErrorKind::ExpectedQuote { .. })
        ));
        assert!(matches!(
            kind_at("\"a\",\"\",\"\",\"int"),
            (1, 11, CsvErrorKind::UnterminatedField)
        ));
        assert!(matches!(
            kind_at("\"a\" \"b\""),
            (1, 5, CsvErrorKind::ExpectedComma { .. })
        ));
        assert!(matches!(
            kind_at("\"a\",\"b\",\"\""),
            (1, 11, CsvErrorKind::TooFewFields { found: 3 })
        ));
        assert!(matches!(
            kind_at("\"\",\"\",\"\",\"int\""),
            (1, 2, CsvErrorKind::EmptyName)
        ));
        assert!(matches!(
            kind_at("\"a b\",\"\",\"\",\"int\""),
            (1, 2, CsvErrorKind::InvalidName { .. })
        ));
        assert!(matches!(
            kind_at("\"a\",\"\",\"\",\"\""),
            (1, 12, CsvErrorKind::EmptyReturnType)
        ));
        assert!(matches!(
            kind_at("\"a\",\"\",\"\",\"int\",\" \""),
            (1, 18, CsvErrorKind::EmptyParamType)
        ));
        assert!(matches!(
            kind_at("\"a\",\"\",\"\",\"int\",\"...\""),
            (1, 18, CsvErrorKind::VariadicWithoutFixed)
        ));
        assert!(matches!(
            kind_at("\"a\",\"\",\"\",\"int\",\"int\",\"...\",\"int\",\"...\""),
            (1, 36, CsvErrorKind::SecondVariadic)
        ));
        assert!(matches!(
            kind_at("\"a\",\"\",\"\",\"int\",\"union u|int\""),
            (1, 18, CsvErrorKind::MalformedUnion { .. })
        ));
        assert!(matches!(
            kind_at("\"a\",\"\",\"\",\"int\",\"a|b|c\""),
            (1, 18, CsvErrorKind::MalformedArray { .. })
        ));
        assert!(matches!(
            kind_at("\"a\",\"\",\"\",\"int\"\n\"a\",\"\",\"\",\"int\""),
            (2, 2, CsvErrorKind::DuplicateName { first_line: 1, .. })
        ));
    }

    #[test]
    fn seven_parameters_are_refused_at_the_seventh() {
        let line =
            "\"a\",\"\",\"\",\"int\",\"int\",\"int\",\"int\",\"int\",\"int\",\"int\",\"int\"";
        let (line_no, column, kind) = kind_at(line);
        assert_eq!((line_no, column), (1, 54));
        assert!(matches!(kind, CsvErrorKind::TooManyParams { count: 7, .. }));
        let variadic = "\"a\",\"\",\"\",\"int\",\"int\",\"...\",\"int\",\"int\",\"int\",\"int\",\"int\",\"int\"";
        assert!(matches!(
            kind_at(variadic).2,
            CsvErrorKind::TooManyParams { count: 7, .. }
        ));
    }

    #[test]
    fn invalid_utf8_is_located() {
        let err = parse(b"\"a\",\"\",\"\",\"int\"\n\"\xff\"", Path::new("t.csv")).unwrap_err();
        assert_eq!(
            (err.line, err.column, err.kind),
            (2, 2, CsvErrorKind::NotUtf8)
        );
    }
}
