//! `mcu-build.toml`: which board, which partition sizes, and how to build
//! each blob.
//!
//! The file is read in two steps: serde into structures that mirror the
//! text (unknown keys refused, kebab-case), then validation into
//! [`Config`], where every pass is either a cargo package or a shell
//! command with its artifact, never a mixture. Every error names the file,
//! the line and column, and what was expected.
//!
//! ```toml
//! board = "qemu-mps2-an386"
//!
//! [layout]                       # optional: override the board's sizes
//! user-heap = "32K"
//!
//! [pass1]                        # the user blob
//! cargo = "firmware-userspace"   # a package directory, built with cargo
//! bin = "user"
//!
//! [pass2]                        # the kernel
//! command = "make pass2"         # or a shell command ...
//! artifact = "build/kernel.elf"  # ... and the ELF it leaves
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::board::Sizes;
use crate::number;

/// The name of the file at the project root.
pub const FILE_NAME: &str = "mcu-build.toml";

/// How one blob is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pass {
    /// `cargo build --release --target <board's>` in `package`, producing
    /// the binary `bin`.
    Cargo { package: PathBuf, bin: String },
    /// `sh -c command` at the project root, leaving the ELF `artifact`.
    Shell { command: String, artifact: PathBuf },
}

/// Sizes the project asks for; `None` keeps the board's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SizeOverrides {
    pub kernel_flash: Option<u32>,
    pub user_flash: Option<u32>,
    pub kernel_sram: Option<u32>,
    pub user_sram: Option<u32>,
    pub kernel_stack: Option<u32>,
    pub kernel_heap: Option<u32>,
    pub user_stack: Option<u32>,
    pub user_heap: Option<u32>,
}

impl SizeOverrides {
    /// The board's `defaults` with these overrides applied.
    pub fn apply(&self, defaults: Sizes) -> Sizes {
        Sizes {
            kernel_flash: self.kernel_flash.unwrap_or(defaults.kernel_flash),
            user_flash: self.user_flash.unwrap_or(defaults.user_flash),
            kernel_sram: self.kernel_sram.unwrap_or(defaults.kernel_sram),
            user_sram: self.user_sram.unwrap_or(defaults.user_sram),
            kernel_stack: self.kernel_stack.unwrap_or(defaults.kernel_stack),
            kernel_heap: self.kernel_heap.unwrap_or(defaults.kernel_heap),
            user_stack: self.user_stack.unwrap_or(defaults.user_stack),
            user_heap: self.user_heap.unwrap_or(defaults.user_heap),
        }
    }
}

/// A validated `mcu-build.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The directory holding it: relative paths and commands start here,
    /// and outputs go to `target/mcu-build/<board>/` below it.
    pub root: PathBuf,
    pub board: String,
    pub sizes: SizeOverrides,
    /// Pass 1: the user blob.
    pub user: Pass,
    /// Pass 2: the kernel.
    pub kernel: Pass,
    /// The flat build (user code linked into the kernel, no MPU), if the
    /// project has one.
    pub flat: Option<Pass>,
}

/// `mcu-build.toml` could not be read; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    board: String,
    #[serde(default)]
    layout: RawLayout,
    pass1: Spanned<RawPass>,
    pass2: Spanned<RawPass>,
    flat: Option<Spanned<RawPass>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLayout {
    kernel_flash: Option<Spanned<RawSize>>,
    user_flash: Option<Spanned<RawSize>>,
    kernel_sram: Option<Spanned<RawSize>>,
    user_sram: Option<Spanned<RawSize>>,
    kernel_stack: Option<Spanned<RawSize>>,
    kernel_heap: Option<Spanned<RawSize>>,
    user_stack: Option<Spanned<RawSize>>,
    user_heap: Option<Spanned<RawSize>>,
}

/// A size as written: a TOML integer or a string such as `"16K"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawSize {
    Integer(u64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPass {
    cargo: Option<PathBuf>,
    bin: Option<String>,
    command: Option<String>,
    artifact: Option<PathBuf>,
}

/// Reads and validates the configuration at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Io {
        path: path.to_owned(),
        error,
    })?;
    parse(&text, path)
}

/// Parses and validates configuration `text`; `path` names it in errors
/// and its directory is the project root.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let invalid = |span: Option<Range<usize>>, message: String| {
        let (line, column) = line_column(text, span.map_or(0, |s| s.start));
        ConfigError::Invalid {
            path: path.to_owned(),
            line,
            column,
            message,
        }
    };
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| invalid(e.span(), e.message().to_owned()))?;
    let size = |value: &Option<Spanned<RawSize>>, key: &str| -> Result<Option<u32>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        let n = match value.get_ref() {
            RawSize::Integer(n) => *n,
            RawSize::Text(text) => number::parse_u64(text)
                .map_err(|e| invalid(Some(value.span()), format!("`layout.{key}`: {e}")))?,
        };
        u32::try_from(n).map(Some).map_err(|_| {
            invalid(
                Some(value.span()),
                format!("`layout.{key}`: {n:#x} bytes do not fit the 32-bit address space"),
            )
        })
    };
    let l = &raw.layout;
    let sizes = SizeOverrides {
        kernel_flash: size(&l.kernel_flash, "kernel-flash")?,
        user_flash: size(&l.user_flash, "user-flash")?,
        kernel_sram: size(&l.kernel_sram, "kernel-sram")?,
        user_sram: size(&l.user_sram, "user-sram")?,
        kernel_stack: size(&l.kernel_stack, "kernel-stack")?,
        kernel_heap: size(&l.kernel_heap, "kernel-heap")?,
        user_stack: size(&l.user_stack, "user-stack")?,
        user_heap: size(&l.user_heap, "user-heap")?,
    };
    let pass = |raw: Spanned<RawPass>, table: &str| {
        let span = raw.span();
        validate_pass(raw.into_inner())
            .map_err(|expected| invalid(Some(span), format!("`[{table}]`: {expected}")))
    };
    let root = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok(Config {
        path: path.to_owned(),
        root,
        board: raw.board,
        sizes,
        user: pass(raw.pass1, "pass1")?,
        kernel: pass(raw.pass2, "pass2")?,
        flat: raw.flat.map(|flat| pass(flat, "flat")).transpose()?,
    })
}

/// A pass is `cargo` + `bin` or `command` + `artifact`.
fn validate_pass(raw: RawPass) -> Result<Pass, &'static str> {
    match raw {
        RawPass {
            cargo: Some(package),
            bin: Some(bin),
            command: None,
            artifact: None,
        } => Ok(Pass::Cargo { package, bin }),
        RawPass {
            cargo: None,
            bin: None,
            command: Some(command),
            artifact: Some(artifact),
        } => Ok(Pass::Shell { command, artifact }),
        _ => Err("expected either `cargo` (a package directory) and `bin`, \
             or `command` (a shell command) and `artifact` (the ELF it writes)"),
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARGO_PASSES: &str = "\
[pass1]
cargo = \"firmware-userspace\"
bin = \"user\"

[pass2]
command = \"make pass2\"
artifact = \"nuttx\"
";

    fn parse_text(text: &str) -> Result<Config, ConfigError> {
        parse(text, Path::new("project/mcu-build.toml"))
    }

    #[test]
    fn reads_cargo_and_shell_passes_and_sizes() {
        let text = format!(
            "board = \"qemu-mps2-an386\"\n[layout]\nuser-heap = \"32K\"\nkernel-flash = 4096\n{CARGO_PASSES}"
        );
        let config = parse_text(&text).unwrap();
        assert_eq!(config.root, Path::new("project"));
        assert_eq!(config.sizes.user_heap, Some(32 * 1024));
        assert_eq!(config.sizes.kernel_flash, Some(4096));
        assert_eq!(config.sizes.user_flash, None);
        assert_eq!(
            config.user,
            Pass::Cargo {
                package: "firmware-userspace".into(),
                bin: "user".into()
            }
        );
        assert_eq!(
            config.kernel,
            Pass::Shell {
                command: "make pass2".into(),
                artifact: "nuttx".into()
            }
        );
        assert_eq!(config.flat, None);
    }

    #[test]
    fn a_pass_with_both_forms_is_refused_at_its_table() {
        let text = "board = \"b\"\n[pass1]\ncargo = \"x\"\nbin = \"y\"\ncommand = \"make\"\n[pass2]\ncargo = \"k\"\nbin = \"kernel\"\n";
        let error = parse_text(text).unwrap_err().to_string();
        assert!(
            error.starts_with("project/mcu-build.toml:2:1: `[pass1]`: expected either"),
            "{error}"
        );
    }

    #[test]
    fn a_bad_size_names_its_key_and_place() {
        let text = format!("board = \"b\"\n[layout]\nuser-heap = \"lots\"\n{CARGO_PASSES}");
        let error = parse_text(&text).unwrap_err().to_string();
        assert!(
            error.starts_with("project/mcu-build.toml:3:13: `layout.user-heap`: "),
            "{error}"
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_their_place() {
        let text = format!("board = \"b\"\nbaord = \"c\"\n{CARGO_PASSES}");
        let error = parse_text(&text).unwrap_err().to_string();
        assert!(
            error.starts_with("project/mcu-build.toml:2:1: unknown field `baord`"),
            "{error}"
        );
    }
}
