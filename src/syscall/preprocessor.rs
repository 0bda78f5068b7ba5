//! The C preprocessor's `#if` expressions (C17 6.10.1), as far as NuttX's
//! `include/sys/syscall_lookup.h` and the condition column of `syscall.csv`
//! use them: `defined X`, `defined(X)`, identifiers, integer constants, and
//! the operators `!` `~` unary `-` `+`, `*` `/` `%`, `+` `-`, `<<` `>>`,
//! `<` `<=` `>` `>=`, `==` `!=`, `&`, `^`, `|`, `&&`, `||` with C's
//! precedence and short-circuit evaluation, and parentheses.
//!
//! Arithmetic is in `intmax_t` (64-bit signed, as on every NuttX host and
//! target compiler); an overflow, a division by zero, an unsigned constant
//! (`1u`, whose conversions would change comparisons), a character or
//! string constant, a function-like macro call or `?:` is refused with the
//! offset of the offending token, never guessed at. What an identifier
//! means is the caller's business ([`Macro`]): a preprocessor replaces an
//! identifier that is not a macro by 0, and so does [`Expr::evaluate`] for
//! [`Macro::Undefined`].

use std::fmt;
use std::ops::Range;

/// A parsed `#if` expression; `span` is its byte range in the text parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Number(i64),
    /// An identifier, standing for the macro's value.
    Ident(String),
    /// `defined X` or `defined(X)`.
    Defined(String),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Complement,
    Negate,
    Plus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    BitAnd,
    BitXor,
    BitOr,
    And,
    Or,
}

impl BinaryOp {
    fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Mul => "*",
            Div => "/",
            Rem => "%",
            Add => "+",
            Sub => "-",
            Shl => "<<",
            Shr => ">>",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Eq => "==",
            Ne => "!=",
            BitAnd => "&",
            BitXor => "^",
            BitOr => "|",
            And => "&&",
            Or => "||",
        }
    }

    /// C's precedence, higher binds tighter (C17 6.5.5 to 6.5.14).
    fn precedence(self) -> u8 {
        use BinaryOp::*;
        match self {
            Mul | Div | Rem => 10,
            Add | Sub => 9,
            Shl | Shr => 8,
            Lt | Le | Gt | Ge => 7,
            Eq | Ne => 6,
            BitAnd => 5,
            BitXor => 4,
            BitOr => 3,
            And => 2,
            Or => 1,
        }
    }
}

/// What an identifier stands for when the expression is evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Macro {
    /// Not a macro: `defined` gives 0, and so does the identifier itself.
    Undefined,
    /// A macro whose value is this integer.
    Number(i64),
    /// A macro whose value is a string; `defined` gives 1, but its value
    /// cannot take part in arithmetic.
    Text(String),
    /// A name whose meaning the caller does not know; the reason says why.
    Unknown(String),
}

/// A condition that could not be parsed or evaluated: `offset` is the byte
/// offset in the text parsed where the fault lies.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConditionError {
    pub offset: usize,
    pub message: String,
}

fn error<T>(offset: usize, message: impl Into<String>) -> Result<T, ConditionError> {
    Err(ConditionError {
        offset,
        message: message.into(),
    })
}

/// The longest condition taken, in tokens; NuttX's longest has a dozen.
pub const MAX_TOKENS: usize = 256;

/// Parses the whole of `text` as one `#if` expression.
pub fn parse(text: &str) -> Result<Expr, ConditionError> {
    let tokens = tokenize(text)?;
    if let Some(token) = tokens.get(MAX_TOKENS) {
        // Evaluating, printing and comparing recurse once per nesting
        // level, and a tree cannot be deeper than its token count.
        return error(
            token.span.start,
            format!("expected a condition of at most {MAX_TOKENS} tokens"),
        );
    }
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        end: text.len(),
    };
    let expr = parser.expression(1)?;
    if let Some(token) = parser.peek() {
        return error(
            token.span.start,
            format!(
                "expected an operator or the end of the condition, found `{}`",
                &text[token.span.clone()]
            ),
        );
    }
    Ok(expr)
}

impl Expr {
    /// Whether an identifier or `defined` appears in it: otherwise its
    /// value is the same in every configuration.
    pub fn names_a_macro(&self) -> bool {
        match &self.kind {
            ExprKind::Number(_) => false,
            ExprKind::Ident(_) | ExprKind::Defined(_) => true,
            ExprKind::Unary(_, operand) => operand.names_a_macro(),
            ExprKind::Binary(_, l, r) => l.names_a_macro() || r.names_a_macro(),
        }
    }

    /// The value of the expression (non-zero: the group is kept), with
    /// `lookup` giving the meaning of each identifier.
    pub fn evaluate(&self, lookup: &dyn Fn(&str) -> Macro) -> Result<i64, ConditionError> {
        let at = self.span.start;
        match &self.kind {
            ExprKind::Number(n) => Ok(*n),
            ExprKind::Defined(name) => match lookup(name) {
                Macro::Undefined => Ok(0),
                Macro::Number(_) | Macro::Text(_) => Ok(1),
                Macro::Unknown(why) => {
                    error(at, format!("cannot tell whether {name} is defined: {why}"))
                }
            },
            ExprKind::Ident(name) => match lookup(name) {
                Macro::Undefined => Ok(0),
                Macro::Number(n) => Ok(n),
                Macro::Text(text) => error(
                    at,
                    format!("{name} is the string {text:?}, which has no value in an #if"),
                ),
                Macro::Unknown(why) => error(at, format!("cannot tell the value of {name}: {why}")),
            },
            ExprKind::Unary(op, operand) => {
                let value = operand.evaluate(lookup)?;
                match op {
                    UnaryOp::Not => Ok(i64::from(value == 0)),
                    UnaryOp::Complement => Ok(!value),
                    UnaryOp::Plus => Ok(value),
                    UnaryOp::Negate => value
                        .checked_neg()
                        .map_or_else(|| error(at, "the negation overflows intmax_t"), Ok),
                }
            }
            ExprKind::Binary(op, left, right) => {
                let l = left.evaluate(lookup)?;
                // `&&` and `||` do not evaluate their right operand when the
                // left one decides (C17 6.5.13, 6.5.14).
                match op {
                    BinaryOp::And if l == 0 => return Ok(0),
                    BinaryOp::Or if l != 0 => return Ok(1),
                    _ => {}
                }
                let r = right.evaluate(lookup)?;
                binary(*op, l, r).ok_or_else(|| ConditionError {
                    offset: at,
                    message: format!(
                        "`{self}` has no value in intmax_t ({l} {} {r})",
                        op.symbol()
                    ),
                })
            }
        }
    }
}

fn binary(op: BinaryOp, l: i64, r: i64) -> Option<i64> {
    use BinaryOp::*;
    let truth = |b: bool| Some(i64::from(b));
    match op {
        Mul => l.checked_mul(r),
        Div => l.checked_div(r),
        Rem => l.checked_rem(r),
        Add => l.checked_add(r),
        Sub => l.checked_sub(r),
        // A shift by a negative count or by the width or more is undefined
        // (C17 6.5.7), and so is a left shift of a negative value.
        Shl if (0..64).contains(&r) && l >= 0 => l.checked_mul(1i64.checked_shl(r as u32)?),
        Shr if (0..64).contains(&r) => Some(l >> r),
        Shl | Shr => None,
        Lt => truth(l < r),
        Le => truth(l <= r),
        Gt => truth(l > r),
        Ge => truth(l >= r),
        Eq => truth(l == r),
        Ne => truth(l != r),
        BitAnd => Some(l & r),
        BitXor => Some(l ^ r),
        BitOr => Some(l | r),
        And => truth(l != 0 && r != 0),
        Or => truth(l != 0 || r != 0),
    }
}

impl fmt::Display for Expr {
    /// The expression with single spaces around binary operators and
    /// parentheses only where C's precedence needs them, so that two
    /// spellings of one expression print the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(n) => write!(f, "{n}"),
            ExprKind::Ident(name) => f.write_str(name),
            ExprKind::Defined(name) => write!(f, "defined({name})"),
            ExprKind::Unary(op, operand) => {
                let symbol = match op {
                    UnaryOp::Not => "!",
                    UnaryOp::Complement => "~",
                    UnaryOp::Negate => "-",
                    UnaryOp::Plus => "+",
                };
                if matches!(operand.kind, ExprKind::Binary(..)) {
                    write!(f, "{symbol}({operand})")
                } else {
                    write!(f, "{symbol}{operand}")
                }
            }
            ExprKind::Binary(op, left, right) => {
                let side = |f: &mut fmt::Formatter<'_>, e: &Expr, tighter: bool| match &e.kind {
                    ExprKind::Binary(inner, ..)
                        if inner.precedence() < op.precedence()
                            || (tighter && inner.precedence() == op.precedence()) =>
                    {
                        write!(f, "({e})")
                    }
                    _ => write!(f, "{e}"),
                };
                side(f, left, false)?;
                write!(f, " {} ", op.symbol())?;
                side(f, right, true)
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum TokenKind {
    Ident(String),
    Number(i64),
    Punct(&'static str),
}

#[derive(Clone, Debug)]
struct Token {
    kind: TokenKind,
    span: Range<usize>,
}

/// Punctuators, longest first so that `<=` is not read as `<`.
const PUNCTUATORS: [&str; 22] = [
    "&&", "||", "<<", ">>", "<=", ">=", "==", "!=", "(", ")", "!", "~", "-", "+", "*", "/", "%",
    "<", ">", "&", "^", "|",
];

fn tokenize(text: &str) -> Result<Vec<Token>, ConditionError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push(Token {
                kind: TokenKind::Ident(text[start..i].to_owned()),
                span: start..i,
            });
        } else if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push(Token {
                kind: TokenKind::Number(integer(&text[start..i], start)?),
                span: start..i,
            });
        } else if let Some(p) = PUNCTUATORS.iter().find(|p| text[i..].starts_with(**p)) {
            tokens.push(Token {
                kind: TokenKind::Punct(p),
                span: i..i + p.len(),
            });
            i += p.len();
        } else {
            let found = text[i..].chars().next().unwrap_or(' ');
            let what = match found {
                '\'' => "a character constant".to_owned(),
                '"' => "a string".to_owned(),
                '?' | ':' => "the conditional operator `?:`".to_owned(),
                other => format!("`{other}`"),
            };
            return error(
                i,
                format!(
                    "expected an identifier, a number, an operator or a parenthesis, found {what}, which mcu-build does not evaluate"
                ),
            );
        }
    }
    Ok(tokens)
}

/// A decimal, octal (`0...`) or hexadecimal (`0x...`) constant, with an
/// optional `l`/`ll` suffix; `u` suffixes are refused (see the module docs).
fn integer(text: &str, at: usize) -> Result<i64, ConditionError> {
    let digits = text.trim_end_matches(['l', 'L']);
    let suffix = &text[digits.len()..];
    if digits.ends_with(['u', 'U']) || !matches!(suffix, "" | "l" | "L" | "ll" | "LL") {
        return error(
            at,
            format!("expected a signed integer constant such as 8, 0x20 or 010, found `{text}`"),
        );
    }
    let (radix, body) = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, hex)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    i64::from_str_radix(body, radix).or_else(|_| {
        error(
            at,
            format!("expected an integer constant that fits intmax_t, found `{text}`"),
        )
    })
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    /// The length of the text, where "the end" is reported.
    end: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next_offset(&self) -> usize {
        self.peek().map_or(self.end, |t| t.span.start)
    }

    fn punct(&self) -> Option<&'static str> {
        match self.peek()?.kind {
            TokenKind::Punct(p) => Some(p),
            _ => None,
        }
    }

    /// Binary operators of at least `min` precedence, left-associative.
    fn expression(&mut self, min: u8) -> Result<Expr, ConditionError> {
        let mut left = self.unary()?;
        while let Some(op) = self.punct().and_then(binary_op) {
            if op.precedence() < min {
                break;
            }
            self.at += 1;
            let right = self.expression(op.precedence() + 1)?;
            let span = left.span.start..right.span.end;
            left = Expr {
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                span,
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ConditionError> {
        let start = self.next_offset();
        let op = match self.punct() {
            Some("!") => Some(UnaryOp::Not),
            Some("~") => Some(UnaryOp::Complement),
            Some("-") => Some(UnaryOp::Negate),
            Some("+") => Some(UnaryOp::Plus),
            _ => None,
        };
        if let Some(op) = op {
            self.at += 1;
            let operand = self.unary()?;
            let span = start..operand.span.end;
            return Ok(Expr {
                kind: ExprKind::Unary(op, Box::new(operand)),
                span,
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ConditionError> {
        let Some(token) = self.peek().cloned() else {
            return error(
                self.end,
                "expected an operand, found the end of the condition",
            );
        };
        self.at += 1;
        let kind = match token.kind {
            TokenKind::Number(n) => ExprKind::Number(n),
            TokenKind::Ident(name) if name == "defined" => return self.defined(token.span.start),
            TokenKind::Ident(name) => {
                if self.punct() == Some("(") {
                    return error(
                        token.span.start,
                        format!(
                            "{name}(...) is a function-like macro call, which mcu-build does not evaluate"
                        ),
                    );
                }
                ExprKind::Ident(name)
            }
            TokenKind::Punct("(") => {
                let inner = self.expression(1)?;
                self.expect_close()?;
                return Ok(inner);
            }
            TokenKind::Punct(p) => {
                return error(
                    token.span.start,
                    format!("expected an operand, found `{p}`"),
                );
            }
        };
        Ok(Expr {
            kind,
            span: token.span,
        })
    }

    /// After `defined`: `X` or `(X)`.
    fn defined(&mut self, start: usize) -> Result<Expr, ConditionError> {
        let parenthesized = self.punct() == Some("(");
        if parenthesized {
            self.at += 1;
        }
        let Some(Token {
            kind: TokenKind::Ident(name),
            span,
        }) = self.peek().cloned()
        else {
            return error(self.next_offset(), "expected a macro name after `defined`");
        };
        self.at += 1;
        let mut end = span.end;
        if parenthesized {
            end = self.expect_close()?;
        }
        Ok(Expr {
            kind: ExprKind::Defined(name),
            span: start..end,
        })
    }

    /// Consumes a `)`; returns the offset after it.
    fn expect_close(&mut self) -> Result<usize, ConditionError> {
        match self.peek() {
            Some(Token {
                kind: TokenKind::Punct(")"),
                span,
            }) => {
                let end = span.end;
                self.at += 1;
                Ok(end)
            }
            _ => error(self.next_offset(), "expected `)`"),
        }
    }
}

fn binary_op(p: &str) -> Option<BinaryOp> {
    use BinaryOp::*;
    Some(match p {
        "*" => Mul,
        "/" => Div,
        "%" => Rem,
        "+" => Add,
        "-" => Sub,
        "<<" => Shl,
        ">>" => Shr,
        "<" => Lt,
        "<=" => Le,
        ">" => Gt,
        ">=" => Ge,
        "==" => Eq,
        "!=" => Ne,
        "&" => BitAnd,
        "^" => BitXor,
        "|" => BitOr,
        "&&" => And,
        "||" => Or,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CONFIG_A=y, CONFIG_N=3, CONFIG_S="text", CONFIG_Q unknown, others undefined.
    fn lookup(name: &str) -> Macro {
        match name {
            "CONFIG_A" => Macro::Number(1),
            "CONFIG_N" => Macro::Number(3),
            "CONFIG_S" => Macro::Text("text".into()),
            "CONFIG_Q" => Macro::Unknown("defined by a header".into()),
            _ => Macro::Undefined,
        }
    }

    fn eval(text: &str) -> Result<i64, ConditionError> {
        parse(text)?.evaluate(&lookup)
    }

    #[test]
    fn every_form_evaluates_as_c_does() {
        let cases = [
            ("defined(CONFIG_A)", 1),
            ("defined CONFIG_A", 1),
            ("defined(CONFIG_B)", 0),
            ("!defined(CONFIG_B)", 1),
            ("defined(CONFIG_S)", 1),
            ("CONFIG_A", 1),
            ("CONFIG_B", 0),
            ("CONFIG_N > 0", 1),
            ("CONFIG_B > 0", 0),
            ("(CONFIG_N >= 3) && (CONFIG_N <= 3)", 1),
            ("defined(CONFIG_B) || CONFIG_N == 3", 1),
            (
                "defined(CONFIG_A) && !defined(CONFIG_B) && CONFIG_N != 2",
                1,
            ),
            ("1 || 0 && 0", 1),
            ("(1 || 0) && 0", 0),
            ("2 + 3 * 4", 14),
            ("-CONFIG_N + +1", -2),
            ("~0", -1),
            ("0x10 | 010 ^ 1 & 3", 16 | (8 ^ 1)),
            ("1 << 4 >> 2", 4),
            ("7 / 2 % 2", 1),
            ("5 - 2 - 1", 2),
            ("8L < 9ll", 1),
        ];
        for (text, expected) in cases {
            assert_eq!(eval(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn the_skipped_side_of_and_or_is_not_evaluated() {
        assert_eq!(eval("0 && 1 / 0"), Ok(0));
        assert_eq!(eval("1 || CONFIG_Q"), Ok(1));
        assert_eq!(eval("defined(CONFIG_B) && CONFIG_S > 0"), Ok(0));
    }

    #[test]
    fn refusals_name_the_offset_and_what_was_expected() {
        let deep = "!".repeat(300);
        let cases = [
            ("CONFIG_N > 0u", 11, "expected a signed integer constant"),
            ("CONFIG_A ? 1 : 0", 9, "the conditional operator `?:`"),
            ("CONFIG_S == 1", 0, "CONFIG_S is the string \"text\""),
            (
                "CONFIG_Q",
                0,
                "cannot tell the value of CONFIG_Q: defined by a header",
            ),
            (
                "defined(CONFIG_Q)",
                0,
                "cannot tell whether CONFIG_Q is defined",
            ),
            ("IS_ENABLED(CONFIG_A)", 0, "function-like macro call"),
            ("defined(CONFIG_A", 16, "expected `)`"),
            ("defined 1", 8, "expected a macro name after `defined`"),
            ("CONFIG_A &&", 11, "found the end of the condition"),
            ("CONFIG_A CONFIG_N", 9, "expected an operator or the end"),
            ("1 / 0", 0, "has no value in intmax_t"),
            ("9223372036854775807 + 1", 0, "has no value in intmax_t"),
            ("1 << 64", 0, "has no value in intmax_t"),
            ("'a'", 0, "a character constant"),
            ("\"s\"", 0, "a string"),
            (deep.as_str(), 256, "at most 256 tokens"),
            ("99999999999999999999", 0, "fits intmax_t"),
            ("", 0, "expected an operand"),
            (") ", 0, "expected an operand, found `)`"),
        ];
        for (text, offset, message) in cases {
            let error = eval(text).unwrap_err();
            assert_eq!(error.offset, offset, "{text}: {error}");
            assert!(error.message.contains(message), "{text}: {error}");
        }
    }

    #[test]
    fn printing_normalizes_spacing_and_redundant_parentheses() {
        let print = |text: &str| parse(text).unwrap().to_string();
        assert_eq!(
            print("defined(CONFIG_X)&&(CONFIG_N>0)"),
            "defined(CONFIG_X) && CONFIG_N > 0"
        );
        assert_eq!(print("defined CONFIG_X"), "defined(CONFIG_X)");
        assert_eq!(print("(a || b) && c"), "(a || b) && c");
        assert_eq!(print("a - (b - c)"), "a - (b - c)");
        assert_eq!(print("!(a && b)"), "!(a && b)");
        assert_eq!(print("a || b && c"), "a || b && c");
    }
}
