//! NuttX's `include/sys/syscall_lookup.h`: the list that numbers the system
//! calls.
//!
//! `include/sys/syscall.h` builds its enum by including this file with
//! `SYSCALL_LOOKUP1(f, n)` defined as `SYS_f = CONFIG_SYS_RESERVED` and
//! `SYSCALL_LOOKUP(f, n)` as `, SYS_f`, so a call's number is
//! `CONFIG_SYS_RESERVED` plus the count of entries before it that the
//! configuration keeps; the `#if`s decide which are kept. The same file
//! fills `g_stublookup`, so the kernel's table has the same order.
//!
//! The file is read as the preprocessor would read it, for the subset it
//! uses: comments, blank lines, `SYSCALL_LOOKUP1(name, nparms)` and
//! `SYSCALL_LOOKUP(name, nparms)` lines, and `#if`, `#ifdef`, `#ifndef`,
//! `#elif`, `#else`, `#endif`. Anything else (a `#define`, a `#include`, a
//! line continuation) is refused with its place: what it would do is not
//! known without a compiler.

use std::path::{Path, PathBuf};

use crate::position::{InputError, Located, Source};

use super::preprocessor::{self, ConditionError, Expr, ExprKind, Macro, UnaryOp};

/// A parsed syscall_lookup.h.
#[derive(Clone, Debug)]
pub struct LookupFile {
    pub path: PathBuf,
    /// Every `SYSCALL_LOOKUP*` line, in file order, whatever its conditions.
    pub entries: Vec<LookupEntry>,
    /// Every condition of an `#if`, `#ifdef`, `#ifndef` or `#elif`.
    pub conditions: Vec<Condition>,
    /// The file's structure, for evaluating it as the preprocessor would.
    steps: Vec<Step>,
}

/// One `SYSCALL_LOOKUP(name, nparms)` or `SYSCALL_LOOKUP1(...)` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupEntry {
    pub name: String,
    /// The parameter count the line gives (NuttX does not use it for the
    /// numbering; `syscalls check` compares it with the CSV).
    pub nparms: u32,
    /// `SYSCALL_LOOKUP1`, which gives the first number.
    pub first: bool,
    pub line: usize,
    pub column: usize,
    /// The conditions the entry is under, innermost last: each must have the
    /// truth value given. An entry after `#elif`/`#else` is under the
    /// negations of the group's earlier conditions.
    pub guard: Vec<(usize, bool)>,
}

/// The condition of one `#if`, `#ifdef`, `#ifndef` or `#elif`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// `#ifdef X` is `defined(X)`, `#ifndef X` is `!defined(X)`; or why
    /// the text is not an expression mcu-build evaluates.
    pub expr: Result<Expr, ConditionError>,
    /// The directive: `if`, `ifdef`, `ifndef` or `elif`.
    pub directive: String,
    /// The text after the directive, as written.
    pub text: String,
    pub line: usize,
    /// Column where the text starts.
    pub column: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    If(usize),
    Elif(usize),
    Else,
    Endif,
    Entry(usize),
}

/// Reading the file failed, or it cannot be evaluated for a configuration.
pub type LookupError = InputError;

impl LookupFile {
    /// Reads and parses the file at `path`.
    pub fn read(path: &Path) -> Result<LookupFile, LookupError> {
        crate::position::read_text(path, LookupFile::parse)
    }

    /// Parses `text`, the contents of `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<LookupFile, LookupError> {
        let source = Source { text, path };
        let code = blank_comments(text).map_err(|at| {
            source.error::<LookupError>(at..at, "", "expected `*/` to close this comment")
        })?;
        let mut file = LookupFile {
            path: path.to_owned(),
            entries: Vec::new(),
            conditions: Vec::new(),
            steps: Vec::new(),
        };
        // For each open #if: the indices of its conditions so far, and
        // whether #else was seen, and where the #if is.
        let mut open: Vec<(Vec<usize>, bool, usize)> = Vec::new();
        let mut offset = 0;
        // Line numbers are counted here rather than searched for from the
        // start of the file at each entry, which made reading quadratic.
        for (line_index, raw) in code.split_inclusive('\n').enumerate() {
            let line_no = line_index + 1;
            let line = raw.trim_end_matches(['\n', '\r']);
            let indent = line.len() - line.trim_start().len();
            let content = line.trim();
            let line_start = offset;
            offset += raw.len();
            let at = line_start + indent;
            // Columns count the characters of the text as written
            // (comments are blanked byte for byte in `code`).
            let column_of = |byte: usize| text[line_start..line_start + byte].chars().count() + 1;
            let error = |column: usize, message: String| -> LookupError {
                source.error(line_start + column..line_start + column, "", message)
            };
            if content.is_empty() {
                continue;
            }
            if line.ends_with('\\') {
                return Err(error(
                    line.len() - 1,
                    "expected no line continuation; mcu-build reads one directive or entry a line"
                        .to_owned(),
                ));
            }
            let Some(directive) = content.strip_prefix('#') else {
                let entry = parse_entry(content)
                    .map_err(|(column, message)| error(indent + column, message))?;
                file.steps.push(Step::Entry(file.entries.len()));
                file.entries.push(LookupEntry {
                    name: entry.0,
                    nparms: entry.1,
                    first: entry.2,
                    line: line_no,
                    column: column_of(indent),
                    guard: guard(&open),
                });
                continue;
            };
            let after_hash = directive.len() - directive.trim_start().len();
            let directive = directive.trim_start();
            let word_len = directive
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .unwrap_or(directive.len());
            let (word, rest) = directive.split_at(word_len);
            let rest_at =
                indent + 1 + after_hash + word_len + (rest.len() - rest.trim_start().len());
            let rest = rest.trim();
            // A condition is parsed here but judged only if the
            // preprocessor would evaluate it (see `enabled`): in a skipped
            // group, not even its syntax matters.
            let mut condition = |expr: Result<Expr, ConditionError>| -> usize {
                file.conditions.push(Condition {
                    expr,
                    directive: word.to_owned(),
                    text: rest.to_owned(),
                    line: line_no,
                    column: column_of(rest_at),
                });
                file.conditions.len() - 1
            };
            match word {
                // The null directive, `#` alone, does nothing (C17 6.10.7).
                "" if rest.is_empty() => {}
                "if" => {
                    let index = condition(preprocessor::parse(rest));
                    file.steps.push(Step::If(index));
                    open.push((vec![index], false, at));
                }
                "ifdef" | "ifndef" => {
                    let index = condition(macro_test(rest, word == "ifndef"));
                    file.steps.push(Step::If(index));
                    open.push((vec![index], false, at));
                }
                "elif" => {
                    let index = condition(preprocessor::parse(rest));
                    match open.last_mut() {
                        Some((_, true, _)) => {
                            return Err(error(
                                indent,
                                "expected #endif after #else, found #elif".to_owned(),
                            ));
                        }
                        Some((conditions, false, _)) => conditions.push(index),
                        None => return Err(error(indent, "#elif without #if".to_owned())),
                    }
                    file.steps.push(Step::Elif(index));
                }
                "else" | "endif" => {
                    if !rest.is_empty() {
                        return Err(error(
                            rest_at,
                            format!("expected nothing after #{word}, found `{rest}`"),
                        ));
                    }
                    match (word, open.last_mut()) {
                        (_, None) => return Err(error(indent, format!("#{word} without #if"))),
                        ("else", Some((_, true, _))) => {
                            return Err(error(
                                indent,
                                "expected #endif after #else, found a second #else".to_owned(),
                            ));
                        }
                        ("else", Some(group)) => {
                            group.1 = true;
                            file.steps.push(Step::Else);
                        }
                        _ => {
                            open.pop();
                            file.steps.push(Step::Endif);
                        }
                    }
                }
                _ => {
                    return Err(error(
                        indent,
                        format!(
                            "expected #if, #ifdef, #ifndef, #elif, #else or #endif, found #{word}, which mcu-build does not evaluate"
                        ),
                    ));
                }
            }
        }
        if let Some((_, _, at)) = open.last() {
            return Err(source.error(*at..*at, "", "this #if has no #endif"));
        }
        Ok(file)
    }

    /// The entries the configuration keeps, in order: the conditions are
    /// evaluated as the preprocessor does (a group's conditions only while
    /// the enclosing group is kept, an `#elif` only if no earlier branch
    /// was taken), with `lookup` giving each identifier's meaning.
    pub fn enabled(&self, lookup: &dyn Fn(&str) -> Macro) -> Result<Vec<&LookupEntry>, Located> {
        // For each open group: whether its enclosing group is kept, whether
        // a branch was taken, whether the current branch is kept.
        let mut groups: Vec<(bool, bool, bool)> = Vec::new();
        let kept = |groups: &[(bool, bool, bool)]| groups.last().is_none_or(|g| g.2);
        let mut enabled = Vec::new();
        for step in &self.steps {
            match *step {
                Step::If(index) => {
                    let outer = kept(&groups);
                    let taken = outer && self.holds(index, lookup)?;
                    groups.push((outer, taken, taken));
                }
                Step::Elif(index) => {
                    if let Some(group) = groups.last_mut() {
                        let now = group.0 && !group.1 && self.holds(index, lookup)?;
                        group.1 |= now;
                        group.2 = now;
                    }
                }
                Step::Else => {
                    if let Some(group) = groups.last_mut() {
                        group.2 = group.0 && !group.1;
                    }
                }
                Step::Endif => {
                    groups.pop();
                }
                Step::Entry(index) => {
                    if kept(&groups) {
                        enabled.push(&self.entries[index]);
                    }
                }
            }
        }
        Ok(enabled)
    }

    fn holds(&self, index: usize, lookup: &dyn Fn(&str) -> Macro) -> Result<bool, Located> {
        let condition = &self.conditions[index];
        condition
            .expr
            .clone()
            .and_then(|expr| expr.evaluate(lookup))
            .map(|value| value != 0)
            .map_err(|e| Located {
                path: self.path.clone(),
                line: condition.line,
                column: condition.column
                    + condition.text[..e.offset.min(condition.text.len())]
                        .chars()
                        .count(),
                key: String::new(),
                message: format!(
                    "in `{}`: {}",
                    directive_text(&condition.directive, &condition.text),
                    e.message
                ),
            })
    }
}

/// The most characters of a condition an error message quotes; the line
/// and column say where the rest is.
const QUOTED_CHARS: usize = 80;

/// `#if <text>`, or `#if` alone when there is no text; a long text is cut
/// after [`QUOTED_CHARS`] characters, with `...`.
fn directive_text(word: &str, text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        _ if text.is_empty() => format!("#{word}"),
        Some((cut, _)) => format!("#{word} {}...", &text[..cut]),
        None => format!("#{word} {text}"),
    }
}

/// The guard of an entry in the open groups `open`.
fn guard(open: &[(Vec<usize>, bool, usize)]) -> Vec<(usize, bool)> {
    let mut guard = Vec::new();
    for (conditions, in_else, _) in open {
        let (current, earlier) = if *in_else {
            (None, &conditions[..])
        } else {
            let (last, earlier) = conditions.split_last().expect("a group has its #if");
            (Some(*last), earlier)
        };
        guard.extend(earlier.iter().map(|&c| (c, false)));
        guard.extend(current.map(|c| (c, true)));
    }
    guard
}

/// `#ifdef X` as `defined(X)`, `#ifndef X` as `!defined(X)`.
fn macro_test(text: &str, negated: bool) -> Result<Expr, ConditionError> {
    let is_name = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_name {
        return Err(ConditionError {
            offset: 0,
            message: format!("expected one macro name, found `{text}`"),
        });
    }
    let defined = Expr {
        kind: ExprKind::Defined(text.to_owned()),
        span: 0..text.len(),
    };
    Ok(if negated {
        Expr {
            kind: ExprKind::Unary(UnaryOp::Not, Box::new(defined)),
            span: 0..text.len(),
        }
    } else {
        defined
    })
}

/// `SYSCALL_LOOKUP1(name, nparms)` or `SYSCALL_LOOKUP(name, nparms)`, with
/// nothing after it: the name, the count, whether it is the `1` form; or
/// the column (0-based in `content`) and what was expected.
fn parse_entry(content: &str) -> Result<(String, u32, bool), (usize, String)> {
    let expected = "expected SYSCALL_LOOKUP(name, nparms), SYSCALL_LOOKUP1(name, nparms) or a preprocessor directive";
    let (first, args_at) = if content.starts_with("SYSCALL_LOOKUP1(") {
        (true, "SYSCALL_LOOKUP1(".len())
    } else if content.starts_with("SYSCALL_LOOKUP(") {
        (false, "SYSCALL_LOOKUP(".len())
    } else {
        return Err((0, expected.to_owned()));
    };
    let Some(close) = content.find(')') else {
        return Err((content.len(), "expected `)`".to_owned()));
    };
    let after = &content[close + 1..];
    if !after.trim().is_empty() {
        return Err((
            close + 1,
            format!("expected nothing after `)`, found `{}`", after.trim()),
        ));
    }
    let args = &content[args_at..close];
    let Some((name, count)) = args.split_once(',') else {
        return Err((close, "expected `, nparms` after the name".to_owned()));
    };
    let name_at = args_at + (name.len() - name.trim_start().len());
    let count_at = args_at + name.len() + 1 + (count.len() - count.trim_start().len());
    let name = name.trim();
    if super::model::SyscallName::new(name).is_err() {
        return Err((name_at, format!("expected a function name, found `{name}`")));
    }
    let count_text = count.trim();
    let nparms = count_text
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= 6)
        .ok_or_else(|| {
            (
                count_at,
                format!("expected a parameter count from 0 to 6, found `{count_text}`"),
            )
        })?;
    Ok((name.to_owned(), nparms, first))
}

/// `text` with every comment replaced by spaces (a `/* */` comment keeps
/// its line breaks), so that offsets stay those of the file; or the offset
/// of a comment that does not end.
fn blank_comments(text: &str) -> Result<String, usize> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("/*").into_iter().chain(rest.find("//")).min() {
        out.push_str(&rest[..start]);
        let comment_len = if rest[start..].starts_with("/*") {
            match rest[start + 2..].find("*/") {
                Some(end) => end + 4,
                None => return Err(offset + start),
            }
        } else {
            rest[start..].find('\n').unwrap_or(rest.len() - start)
        };
        let comment = &rest[start..start + comment_len];
        out.extend(comment.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
        // Keep byte offsets: a multi-byte character becomes as many spaces.
        let shrink = comment.len() - comment.chars().count();
        out.extend(std::iter::repeat_n(' ', shrink));
        offset += start + comment_len;
        rest = &rest[start + comment_len..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LookupFile, LookupError> {
        LookupFile::parse(text, Path::new("lookup.h"))
    }

    #[test]
    fn comments_keep_offsets() {
        let text = "a /* b\nc */ d // e\nf";
        let blanked = blank_comments(text).unwrap();
        assert_eq!(blanked.len(), text.len());
        assert_eq!(blanked, "a     \n     d     \nf");
        assert_eq!(blank_comments("x /* é"), Err(2));
    }

    #[test]
    fn a_long_condition_is_quoted_in_part() {
        assert_eq!(directive_text("if", ""), "#if");
        assert_eq!(directive_text("if", "A"), "#if A");
        let long = "A || ".repeat(40);
        assert_eq!(
            directive_text("if", &long),
            format!("#if {}...", &long[..QUOTED_CHARS])
        );
    }

    #[test]
    fn guards_follow_elif_and_else() {
        let file = parse(
            "SYSCALL_LOOKUP1(_exit, 1)\n#\n#if A\nSYSCALL_LOOKUP(a, 0)\n#elif B\n  SYSCALL_LOOKUP(b, 0)\n\
             #else\nSYSCALL_LOOKUP(c, 0)\n#ifdef D\nSYSCALL_LOOKUP(d, 0)\n#endif\n#endif\n",
        )
        .unwrap();
        let guards: Vec<_> = file
            .entries
            .iter()
            .map(|e| (&*e.name, e.guard.clone()))
            .collect();
        assert_eq!(
            guards,
            [
                ("_exit", vec![]),
                ("a", vec![(0, true)]),
                ("b", vec![(0, false), (1, true)]),
                ("c", vec![(0, false), (1, false)]),
                ("d", vec![(0, false), (1, false), (2, true)]),
            ]
        );
        assert_eq!((file.entries[2].line, file.entries[2].column), (6, 3));
        assert_eq!((file.conditions[1].line, file.conditions[1].column), (5, 7));
    }
}
