//! What a line of syscall.csv means, once parsed: one [`Syscall`] per entry.
//!
//! The types keep the text of the file exactly (including spaces inside the
//! quotes), because NuttX's generator pastes that text into C unchanged and
//! our C output must match it byte for byte.

use std::fmt;
use std::ops::Deref;

/// The entries of a syscall.csv file, in the order of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallTable {
    pub entries: Vec<Syscall>,
}

impl SyscallTable {
    /// The entry with this function name, if any.
    pub fn get(&self, name: &str) -> Option<&Syscall> {
        self.entries.iter().find(|s| s.name == name)
    }
}

/// One system call: a line of the CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syscall {
    /// Function name; gives `SYS_<name>`, `PROXY_<name>.c`, `STUB_<name>.c`.
    pub name: SyscallName,
    /// Header to `#include <...>`, or empty.
    pub header: String,
    /// C preprocessor condition for `#if`, or empty when the call always exists.
    pub condition: String,
    pub returns: ReturnType,
    /// All parameters, the optional (variadic) ones last.
    pub params: Vec<Param>,
    /// How many of `params` are fixed; the rest follow `...` in the C prototype.
    pub fixed_params: usize,
    /// Line of the entry in the file (1-based), for diagnostics.
    pub line: usize,
}

impl Syscall {
    /// Whether the C prototype ends in `...`.
    pub fn is_variadic(&self) -> bool {
        self.fixed_params < self.params.len()
    }

    /// The C prototype without parameter names, for documentation:
    /// `int open(FAR const char *, int, ...)`.
    pub fn prototype(&self) -> String {
        let mut params: Vec<&str> = self.params[..self.fixed_params]
            .iter()
            .map(|p| p.kind.formal())
            .collect();
        if self.is_variadic() {
            params.push("...");
        }
        if params.is_empty() {
            params.push("void");
        }
        format!(
            "{} {}({})",
            self.returns.as_csv(),
            self.name,
            params.join(", ")
        )
    }

    /// The parameters that come after `...`, read with `va_arg` by the proxy.
    pub fn optional_params(&self) -> &[Param] {
        &self.params[self.fixed_params..]
    }
}

/// A system call's function name: a C identifier (ASCII letters, digits
/// and `_`, not starting with a digit) that is not a C keyword, because it
/// names a C function, the enumerator `SYS_<name>` and the files
/// `PROXY_<name>.c` and `STUB_<name>.c`. Checked when the CSV is read, so
/// that no name can be a path or break the generated C.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SyscallName(String);

/// Why a text is not a [`SyscallName`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallNameFault {
    Empty,
    NotIdentifier,
    Keyword,
}

/// The keywords of C23 (ISO/IEC 9899:2024, 6.4.1), which include those of
/// C11 and C17; none can name a function.
pub const C_KEYWORDS: [&str; 59] = [
    "alignas",
    "alignof",
    "auto",
    "bool",
    "break",
    "case",
    "char",
    "const",
    "constexpr",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "false",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "nullptr",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "struct",
    "switch",
    "thread_local",
    "true",
    "typedef",
    "typeof",
    "typeof_unqual",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_BitInt",
    "_Bool",
    "_Complex",
    "_Decimal128",
    "_Decimal32",
    "_Decimal64",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
];

impl SyscallName {
    pub fn new(text: &str) -> Result<SyscallName, SyscallNameFault> {
        let mut chars = text.chars();
        let Some(first) = chars.next() else {
            return Err(SyscallNameFault::Empty);
        };
        if !(first.is_ascii_alphabetic() || first == '_')
            || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(SyscallNameFault::NotIdentifier);
        }
        if C_KEYWORDS.contains(&text) {
            return Err(SyscallNameFault::Keyword);
        }
        Ok(SyscallName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for SyscallName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SyscallName {
    /// Pads as a `str` does, so that names line up in tables (`{:<18}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl PartialEq<str> for SyscallName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for SyscallName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// The fourth column: what the function gives back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReturnType {
    /// `void`: the stub returns 0 to the trap.
    Void,
    /// `noreturn`: the proxy is declared `void` and spins after the trap in
    /// case the kernel ever comes back; the stub has nothing to return.
    NoReturn,
    /// Any other C type, as written.
    Value(String),
}

impl ReturnType {
    /// The type as the CSV spells it.
    pub fn as_csv(&self) -> &str {
        match self {
            ReturnType::Void => "void",
            ReturnType::NoReturn => "noreturn",
            ReturnType::Value(text) => text,
        }
    }
}

/// One parameter: its type field, as written, and what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// The field exactly as in the file, e.g. `int [2]|FAR int *`.
    pub csv: String,
    pub kind: ParamType,
}

/// The forms a parameter type field can take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamType {
    /// A C type that can be cast to and from `uintptr_t` directly.
    Plain(String),
    /// `formal|actual`: the prototype uses `formal` (an array such as
    /// `int [2]`), casts use `actual` (`FAR int *`), since C cannot cast to
    /// an array type.
    Array { formal: String, actual: String },
    /// `union T|member-type|member`: the proxy passes `member`, whose type
    /// fits a register; the stub rebuilds the union from it.
    Union {
        union_type: String,
        member_type: String,
        member: String,
    },
    /// A function-pointer type, recognised by `(*)`; the parameter name goes
    /// between the `*` and the `)`.
    FunctionPointer(String),
}

impl ParamType {
    /// The type used in the C prototype.
    pub fn formal(&self) -> &str {
        match self {
            ParamType::Plain(t) | ParamType::FunctionPointer(t) => t,
            ParamType::Array { formal, .. } => formal,
            ParamType::Union { union_type, .. } => union_type,
        }
    }

    /// The type a register value is cast to (and the type `va_arg` reads):
    /// for a union, the member's type.
    pub fn actual(&self) -> &str {
        match self {
            ParamType::Plain(t) | ParamType::FunctionPointer(t) => t,
            ParamType::Array { actual, .. } => actual,
            ParamType::Union { member_type, .. } => member_type,
        }
    }
}
