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
/// and `_`, not starting with a digit) that is not a keyword of C or GNU C
/// nor a name the generated C's headers define, because it
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
    /// A keyword of ISO C ([`C_KEYWORDS`]).
    Keyword,
    /// A keyword of GNU C ([`GNU_C_KEYWORDS`]).
    GnuKeyword,
    /// A macro or type the generated C's headers define ([`HEADER_NAMES`]).
    HeaderName,
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

/// The words GCC takes as keywords (or as built-in names that cannot be
/// redeclared as functions) in its default GNU C mode (`-std=gnu17`, what
/// NuttX builds with), beyond [`C_KEYWORDS`]: the C entries of
/// `c_common_reswords` in GCC's `gcc/c-family/c-common.cc`, the predefined
/// identifiers (`__func__`, `__FUNCTION__`, `__PRETTY_FUNCTION__`), the
/// standard predefined macros, and the built-in types. Each one in the
/// GCC 12 list was checked: `int NAME(int parm1);` fails to compile under
/// arm-none-eabi-gcc 12.2 -std=gnu17. Those from GCC 14 and 15
/// (`__typeof_unqual__`, `__builtin_stdc_*`, `__builtin_counted_by_ref`,
/// `__builtin_c23_va_start`) are keywords there. Double-underscore names are
/// reserved to the implementation (C17 7.1.3), so refusing a few more than
/// one GCC version needs costs no real call.
pub const GNU_C_KEYWORDS: &[&str] = &[
    "asm",
    "typeof",
    "__alignof",
    "__alignof__",
    "__asm",
    "__asm__",
    "__attribute",
    "__attribute__",
    "__auto_type",
    "__builtin_assoc_barrier",
    "__builtin_c23_va_start",
    "__builtin_call_with_static_chain",
    "__builtin_choose_expr",
    "__builtin_complex",
    "__builtin_convertvector",
    "__builtin_counted_by_ref",
    "__builtin_has_attribute",
    "__builtin_offsetof",
    "__builtin_shuffle",
    "__builtin_shufflevector",
    "__builtin_stdc_bit_ceil",
    "__builtin_stdc_bit_floor",
    "__builtin_stdc_bit_width",
    "__builtin_stdc_count_ones",
    "__builtin_stdc_count_zeros",
    "__builtin_stdc_first_leading_one",
    "__builtin_stdc_first_leading_zero",
    "__builtin_stdc_first_trailing_one",
    "__builtin_stdc_first_trailing_zero",
    "__builtin_stdc_has_single_bit",
    "__builtin_stdc_leading_ones",
    "__builtin_stdc_leading_zeros",
    "__builtin_stdc_rotate_left",
    "__builtin_stdc_rotate_right",
    "__builtin_stdc_trailing_ones",
    "__builtin_stdc_trailing_zeros",
    "__builtin_tgmath",
    "__builtin_types_compatible_p",
    "__builtin_va_arg",
    "__builtin_va_list",
    "__complex",
    "__complex__",
    "__const",
    "__const__",
    "__extension__",
    "__func__",
    "__FUNCTION__",
    "__PRETTY_FUNCTION__",
    "__imag",
    "__imag__",
    "__inline",
    "__inline__",
    "__int128",
    "__label__",
    "__null",
    "__real",
    "__real__",
    "__restrict",
    "__restrict__",
    "__signed",
    "__signed__",
    "__thread",
    "__transaction_atomic",
    "__transaction_cancel",
    "__transaction_relaxed",
    "__typeof",
    "__typeof__",
    "__typeof_unqual",
    "__typeof_unqual__",
    "__volatile",
    "__volatile__",
    "__GIMPLE",
    "__PHI",
    "__RTL",
    "__bf16",
    "_Float16",
    "_Float32",
    "_Float64",
    "_Float128",
    "_Float32x",
    "_Float64x",
    "_Float128x",
    "_Fract",
    "_Accum",
    "_Sat",
    "__DATE__",
    "__FILE__",
    "__LINE__",
    "__TIME__",
    "__STDC__",
    "__STDC_HOSTED__",
    "__STDC_VERSION__",
];

/// Names that the headers every generated C file includes define as
/// macros or types, so that a function of that name cannot be declared
/// there. Only those: a CSV's own header (`unistd.h`...) is NuttX's
/// business.
///
/// - NuttX's `<nuttx/compiler.h>` (through `<nuttx/config.h>`, which every
///   proxy and stub includes) defines the pointer qualifiers `FAR`, `NEAR`,
///   `DSEG` and `CODE` as empty macros: `int FAR(int parm1)` becomes
///   `int (int parm1)`. `<sys/types.h>` defines `OK` as 0 and `ERROR` as
///   -1: `int OK(...)` becomes `int 0(...)`.
/// - The standard headers the generated code includes and uses: `NULL`
///   and `size_t` (`<stddef.h>`), `uintptr_t` (`<stdint.h>`), `errno`,
///   `EFAULT` and `ENOSYS` (`<errno.h>`, macros in NuttX and newlib), and
///   `va_list`, `va_start`, `va_arg`, `va_end` (`<stdarg.h>`, in variadic
///   proxies).
pub const HEADER_NAMES: &[&str] = &[
    "FAR",
    "NEAR",
    "DSEG",
    "CODE",
    "OK",
    "ERROR",
    "NULL",
    "size_t",
    "uintptr_t",
    "errno",
    "EFAULT",
    "ENOSYS",
    "va_list",
    "va_start",
    "va_arg",
    "va_end",
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
        if GNU_C_KEYWORDS.contains(&text) {
            return Err(SyscallNameFault::GnuKeyword);
        }
        if HEADER_NAMES.contains(&text) {
            return Err(SyscallNameFault::HeaderName);
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
