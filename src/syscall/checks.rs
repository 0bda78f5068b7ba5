//! Checked pointer arguments: which user pointers a stub must validate
//! before the kernel touches them, declared in a sidecar TOML file.
//!
//! NuttX's stubs hand user pointers to the kernel unchecked: a user task can
//! pass a kernel address to `read` and have the kernel write there. The
//! sidecar says, per system call and parameter, what the pointer is:
//!
//! ```toml
//! # syscall-checks.toml, next to syscall.csv
//! [read]
//! parm2 = { out = "parm3" }          # the kernel writes parm3 bytes at parm2
//! [write]
//! parm2 = { in = "parm3" }           # the kernel reads parm3 bytes at parm2
//! [open]
//! parm1 = { string = 256 }           # NUL-terminated, at most 256 bytes with the NUL
//! [clock_gettime]
//! parm2 = { out = 8 }                # a fixed-size object: 8 bytes (struct timespec)
//! [nanosleep]
//! parm2 = { out = 8, nullable = true }   # NULL is allowed and passed on
//! ```
//!
//! Why a sidecar and not an extra CSV column: NuttX's own `mksyscall` reads
//! every field after the return type as a parameter, so any annotation in
//! the CSV would break the tree's own build; with a sidecar the CSV stays
//! byte-identical to NuttX's and both tools read it. Parameters are named
//! `parm1`..`parm6`, the names the generated code gives them. A length is in
//! bytes; an `in`/`out` buffer whose length is zero is accepted without a
//! check, since nothing is accessed.
//!
//! The generated stubs call the kernel's `user_range_ok(addr, len, write)`
//! (C) or `UserMemory::user_range_ok` (Rust) for each checked pointer, after
//! rejecting ranges whose end wraps past the top of the address space, and
//! return `-EFAULT` without making the call when a check fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Visitor};
use toml::Spanned;

use super::model::SyscallTable;
use super::value_class::{ValueClass, class_of};
use crate::position::line_column;

/// The checks of every system call, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PointerChecks {
    by_syscall: BTreeMap<String, Vec<PointerCheck>>,
}

impl PointerChecks {
    /// No checks at all: the plain NuttX behaviour.
    pub fn none() -> Self {
        Self::default()
    }

    /// The checks of one system call, by parameter order.
    pub fn for_syscall(&self, name: &str) -> &[PointerCheck] {
        self.by_syscall.get(name).map_or(&[], Vec::as_slice)
    }
}

/// One checked pointer parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointerCheck {
    /// Index of the pointer parameter (0 for `parm1`).
    pub param: usize,
    pub access: Access,
    pub extent: Extent,
    /// Whether a null pointer is passed on unchecked.
    pub nullable: bool,
}

/// What the kernel does with the memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The kernel reads it (`in`, `string`).
    Read,
    /// The kernel writes it (`out`); writable user memory is also readable.
    Write,
}

/// How many bytes the pointer covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extent {
    /// As many bytes as the value of another parameter (its index).
    LengthParam(usize),
    /// A fixed-size object.
    Bytes(u32),
    /// A NUL-terminated string of at most this many bytes, the NUL included.
    String { max: u32 },
}

/// Reading a checks file failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadChecksError {
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Checks(#[from] ChecksError),
}

/// A place in the checks file and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {kind}", file.display())]
pub struct ChecksError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub kind: ChecksErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChecksErrorKind {
    /// The file is not TOML of the expected shape; the text says what was expected.
    #[error("{0}")]
    Syntax(String),
    #[error("expected the name of a system call in the CSV, found {name:?}")]
    UnknownSyscall { name: String },
    #[error("expected a parameter of {syscall} (parm1..parm{count}), found {key:?}")]
    UnknownParam {
        syscall: String,
        key: String,
        count: usize,
    },
    #[error("expected a pointer parameter, but {param} of {syscall} has type {c_type:?}")]
    NotAPointer {
        syscall: String,
        param: String,
        c_type: String,
    },
    #[error("expected an integer length parameter, but {param} of {syscall} has type {c_type:?}")]
    LengthNotInteger {
        syscall: String,
        param: String,
        c_type: String,
    },
    #[error("expected exactly one of `in`, `out` or `string`")]
    NotExactlyOneKind,
    #[error("expected a size of at least 1 byte")]
    ZeroSize,
}

/// Reads a checks file and validates it against the CSV's table.
pub fn read(path: &Path, table: &SyscallTable) -> Result<PointerChecks, ReadChecksError> {
    let text = std::fs::read_to_string(path).map_err(|error| ReadChecksError::Io {
        path: path.to_owned(),
        error,
    })?;
    Ok(parse(&text, path, table)?)
}

/// The file as TOML gives it: syscall name -> parameter name -> check.
type RawFile = BTreeMap<String, Spanned<BTreeMap<String, Spanned<RawCheck>>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    #[serde(rename = "in")]
    input: Option<RawExtent>,
    out: Option<RawExtent>,
    string: Option<u32>,
    #[serde(default)]
    nullable: bool,
}

/// `"parm3"` or `16`.
enum RawExtent {
    Param(String),
    Bytes(u32),
}

impl<'de> Deserialize<'de> for RawExtent {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExtentVisitor;
        impl Visitor<'_> for ExtentVisitor {
            type Value = RawExtent;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a length parameter such as \"parm3\" or a size in bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawExtent, E> {
                Ok(RawExtent::Param(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawExtent, E> {
                u32::try_from(v)
                    .map(RawExtent::Bytes)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
        }
        deserializer.deserialize_any(ExtentVisitor)
    }
}

/// Parses the text of a checks file; `file` names it in errors.
pub fn parse(text: &str, file: &Path, table: &SyscallTable) -> Result<PointerChecks, ChecksError> {
    let error_at = |offset: usize, kind| {
        let (line, column) = line_column(text, offset);
        ChecksError {
            file: file.to_owned(),
            line,
            column,
            kind,
        }
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        error_at(offset, ChecksErrorKind::Syntax(e.message().to_owned()))
    })?;

    let mut by_syscall = BTreeMap::new();
    for (name, params) in raw {
        let Some(syscall) = table.get(&name) else {
            return Err(error_at(
                params.span().start,
                ChecksErrorKind::UnknownSyscall { name },
            ));
        };
        let param_index = |key: &str| {
            key.strip_prefix("parm")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=syscall.params.len()).contains(n))
                .map(|n| n - 1)
        };
        let unknown_param = |key: &str| ChecksErrorKind::UnknownParam {
            syscall: name.clone(),
            key: key.to_owned(),
            count: syscall.params.len(),
        };
        let mut checks = Vec::new();
        for (key, check) in params.into_inner() {
            let at = check.span().start;
            let param = param_index(&key).ok_or_else(|| error_at(at, unknown_param(&key)))?;
            let c_type = &syscall.params[param];
            if class_of(c_type) != ValueClass::Pointer {
                return Err(error_at(
                    at,
                    ChecksErrorKind::NotAPointer {
                        syscall: name.clone(),
                        param: key,
                        c_type: c_type.csv.clone(),
                    },
                ));
            }
            let check = check.into_inner();
            let buffer_extent = |raw: RawExtent| match raw {
                RawExtent::Bytes(0) => Err(error_at(at, ChecksErrorKind::ZeroSize)),
                RawExtent::Bytes(bytes) => Ok(Extent::Bytes(bytes)),
                RawExtent::Param(length_key) => {
                    let length = param_index(&length_key)
                        .filter(|&l| l != param)
                        .ok_or_else(|| error_at(at, unknown_param(&length_key)))?;
                    let length_param = &syscall.params[length];
                    if !class_of(length_param).is_integer() {
                        return Err(error_at(
                            at,
                            ChecksErrorKind::LengthNotInteger {
                                syscall: name.clone(),
                                param: length_key,
                                c_type: length_param.csv.clone(),
                            },
                        ));
                    }
                    Ok(Extent::LengthParam(length))
                }
            };
            let (access, extent) = match (check.input, check.out, check.string) {
                (Some(raw), None, None) => (Access::Read, buffer_extent(raw)?),
                (None, Some(raw), None) => (Access::Write, buffer_extent(raw)?),
                (None, None, Some(0)) => return Err(error_at(at, ChecksErrorKind::ZeroSize)),
                (None, None, Some(max)) => (Access::Read, Extent::String { max }),
                _ => return Err(error_at(at, ChecksErrorKind::NotExactlyOneKind)),
            };
            checks.push(PointerCheck {
                param,
                access,
                extent,
                nullable: check.nullable,
            });
        }
        checks.sort_by_key(|c| c.param);
        by_syscall.insert(name, checks);
    }
    Ok(PointerChecks { by_syscall })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::csv;

    const CSV: &str = "\"read\",\"unistd.h\",\"\",\"ssize_t\",\"int\",\"FAR void *\",\"size_t\"\n\
                       \"open\",\"fcntl.h\",\"\",\"int\",\"FAR const char *\",\"int\",\"...\",\"mode_t\"\n\
                       \"sigqueue\",\"signal.h\",\"\",\"int\",\"int\",\"int\",\"union sigval|FAR void *|sival_ptr\"\n";

    fn check(text: &str) -> Result<PointerChecks, ChecksError> {
        let table = csv::parse(CSV.as_bytes(), Path::new("s.csv")).unwrap();
        parse(text, Path::new("c.toml"), &table)
    }

    #[test]
    fn reads_the_three_kinds() {
        let checks = check(
            "[read]\nparm2 = { out = \"parm3\" }\n[open]\nparm1 = { string = 64, nullable = true }\n",
        )
        .unwrap();
        assert_eq!(
            checks.for_syscall("read"),
            [PointerCheck {
                param: 1,
                access: Access::Write,
                extent: Extent::LengthParam(2),
                nullable: false
            }]
        );
        assert_eq!(
            checks.for_syscall("open")[0].extent,
            Extent::String { max: 64 }
        );
        assert!(checks.for_syscall("open")[0].nullable);
        assert!(checks.for_syscall("sigqueue").is_empty());
    }

    #[test]
    fn errors_point_at_the_entry() {
        let kind = |text| check(text).unwrap_err().kind;
        assert!(matches!(
            kind("[reed]\nparm2 = { out = 4 }"),
            ChecksErrorKind::UnknownSyscall { .. }
        ));
        assert!(matches!(
            kind("[read]\nparm4 = { out = 4 }"),
            ChecksErrorKind::UnknownParam { count: 3, .. }
        ));
        assert!(matches!(
            kind("[read]\nparm1 = { out = 4 }"),
            ChecksErrorKind::NotAPointer { .. }
        ));
        assert!(matches!(
            kind("[sigqueue]\nparm3 = { in = 4 }"),
            ChecksErrorKind::NotAPointer { .. }
        ));
        assert!(matches!(
            kind("[read]\nparm2 = { out = \"parm2\" }"),
            ChecksErrorKind::UnknownParam { .. }
        ));
        assert!(matches!(
            kind("[open]\nparm1 = { in = 4, string = 5 }"),
            ChecksErrorKind::NotExactlyOneKind
        ));
        assert!(matches!(
            kind("[open]\nparm1 = { string = 0 }"),
            ChecksErrorKind::ZeroSize
        ));
        let err = check("[read]\nparm2 = { out = 4, size = 3 }").unwrap_err();
        assert_eq!((err.line, err.column), (2, 20));
        assert!(err.to_string().starts_with("c.toml:2:"), "{err}");
        let err = check("[read]\nparm2 = { out = -1 }").unwrap_err();
        assert!(err.to_string().contains("a size in bytes"), "{err}");
    }
}
