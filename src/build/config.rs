//! `mcu-build.toml`: which board, which partition sizes, which system
//! calls, and how to build each blob.
//!
//! The file is read in two steps: serde into structures that mirror the
//! text (unknown keys refused, kebab-case), then validation into
//! [`Config`], where every pass is either a cargo package or a shell
//! command with its artifact, never a mixture. Every error names the file,
//! the line and column, the key, and what was expected. A leading UTF-8
//! byte-order mark is skipped.
//!
//! `protect` and the other build commands need the file; `layout` and
//! `mpu check` read it when there is one ([`find`]), for its board and
//! `[layout]`.
//!
//! ```toml
//! board = "qemu-mps2-an386"      # a bundled board, or:
//! # board-file = "boards/mine.toml"
//!
//! [layout]                       # optional: override the board's partition
//! user-heap = "32K"              # sizes and the stack/heap splits
//!
//! [syscalls]                     # optional: generate the Rust system call
//! csv = "firmware/abi/syscall.csv"   # layer into MCU_BUILD_GEN_DIR
//! checks = "firmware/abi/syscall-checks.toml"
//!
//! [pass1]                        # the user blob
//! cargo = "firmware/userspace"   # a package directory, built with cargo
//! bin = "user"
//!
//! [pass2]                        # the kernel
//! command = "make pass2"         # or a shell command ...
//! artifact = "build/kernel.elf"  # ... and the ELF it leaves
//!
//! [flat]                         # optional: user code linked into the
//! cargo = "firmware/kernel"      # kernel, no MPU (`mcu-build flat`)
//! bin = "kernel"
//! features = ["flat"]
//! ```
//!
//! `[pass1]` may say which header the user blob starts with: `header =
//! "mcu-build"` (firmware_abi::UserspaceHeader) or `"nuttx"` (NuttX's
//! `struct userspace_s`); without it the header is recognised by its
//! content (see [`crate::build::header`]).
//!
//! A NuttX project names a configured NuttX tree instead of passes and a
//! layout: the tree's `.config` and `memory.ld` give the partitions, and
//! its own `make` builds both blobs ([`NuttxConfig`]):
//!
//! ```toml
//! board = "qemu-lm3s6965evb"     # optional: the board to run or flash on
//!
//! [nuttx]
//! tree = "."                     # default: the directory of this file
//! make = "make"                  # default: builds nuttx_user.elf and nuttx
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::header::HeaderKind;
use super::process_config::{self, ProcessConfig};
use crate::board::{self, Board, BoardError, Name, NameKind};
use crate::layout::request::{KERNEL_FLASH, KERNEL_SRAM, Request, Size, USER_FLASH, USER_SRAM};
use crate::toml_input::{self, Number, Source, Table, TableForm};

/// The name of the file at the project root.
pub const FILE_NAME: &str = "mcu-build.toml";

/// How one blob is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pass {
    /// `cargo build --release --target <board's> --bin <bin>` in `package`,
    /// with `features` enabled. `bin` was checked as a [`Name`] when read,
    /// because it names the artifact `target/<triple>/release/<bin>`.
    Cargo {
        package: PathBuf,
        bin: String,
        features: Vec<String>,
    },
    /// `sh -c command` at the project root, leaving the ELF `artifact`.
    Shell { command: String, artifact: PathBuf },
}

/// Which board the project builds for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoardSource {
    /// A board compiled into mcu-build (`board = "..."`).
    Bundled(String),
    /// A board file (`board-file = "..."`), relative to the project root.
    File(PathBuf),
}

impl BoardSource {
    /// Reads the board; a board file's path is relative to `root` (an
    /// absolute one stays as it is).
    pub fn load(&self, root: &Path) -> Result<Board, BoardError> {
        match self {
            BoardSource::Bundled(name) => board::bundled(name),
            BoardSource::File(path) => board::load(&root.join(path)),
        }
    }
}

/// Partition sizes the project asks for instead of the board's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartitionOverrides {
    pub kernel_flash: Option<u64>,
    pub user_flash: Option<u64>,
    pub kernel_sram: Option<u64>,
    pub user_sram: Option<u64>,
    pub kernel_heap: Option<u64>,
}

impl PartitionOverrides {
    /// The partitions planned on `board`: the board's, with these sizes and
    /// the stack/heap `splits` of `[layout]` (the planner checks the SRAM
    /// partitions against the splits).
    pub fn request(&self, splits: Splits, board: &Board) -> Request {
        let mut request = self.apply(board.partitions.clone());
        request.splits = splits;
        request
    }

    /// The board's request with these sizes applied.
    pub fn apply(&self, mut request: Request) -> Request {
        let sizes = [
            (KERNEL_FLASH, self.kernel_flash),
            (USER_FLASH, self.user_flash),
            (KERNEL_SRAM, self.kernel_sram),
            (USER_SRAM, self.user_sram),
        ];
        for (name, size) in sizes {
            let partition = request.partitions.iter_mut().find(|p| p.name == name);
            if let (Some(partition), Some(bytes)) = (partition, size) {
                partition.size = Size::Bytes(bytes);
            }
        }
        request.kernel_heap = self.kernel_heap.unwrap_or(request.kernel_heap);
        request
    }
}

/// How the blobs split their SRAM partitions; the layout checks them
/// against the partition sizes, so it is defined with the request.
pub use crate::layout::request::Splits;

/// The system call table to generate the Rust layer from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syscalls {
    /// A NuttX-format `syscall.csv`, relative to the project root.
    pub csv: PathBuf,
    /// Its pointer checks (see [`crate::syscall::checks`]), if any.
    pub checks: Option<PathBuf>,
}

/// What `layout` and `mpu check` read of `mcu-build.toml`: the board and
/// the `[layout]` sizes, without the passes that only `protect` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutConfig {
    /// The file it was read from.
    pub path: PathBuf,
    /// The directory holding it, which a board file's path is relative to.
    pub root: PathBuf,
    pub board: BoardSource,
    pub partitions: PartitionOverrides,
    pub splits: Splits,
    /// `[[process]]` tables; empty for a `[pass1]` project.
    pub processes: Vec<ProcessConfig>,
}

/// A validated `mcu-build.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The directory holding it: relative paths and commands start here,
    /// and outputs go to `target/mcu-build/<board>/` below it.
    pub root: PathBuf,
    pub board: BoardSource,
    pub partitions: PartitionOverrides,
    pub splits: Splits,
    pub syscalls: Option<Syscalls>,
    /// Pass 1: the user blob.
    pub user: Pass,
    /// Pass 2: the kernel.
    pub kernel: Pass,
    /// The flat build (user code linked into the kernel, no MPU), if the
    /// project has one.
    pub flat: Option<Pass>,
    /// The header the user blob starts with (`[pass1] header`); `None`:
    /// recognised by its content.
    pub header: Option<HeaderKind>,
}

/// A validated `mcu-build.toml` of a NuttX project (`[nuttx]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NuttxConfig {
    /// The file it was read from.
    pub path: PathBuf,
    /// The directory holding it: the tree and a board file are relative
    /// to it, and outputs go to `target/mcu-build/<board>/` below it.
    pub root: PathBuf,
    /// The board to run or flash on, if any; protect needs none.
    pub board: Option<BoardSource>,
    /// The configured NuttX tree, relative to the root.
    pub tree: PathBuf,
    /// The shell command, run in the tree, that builds `nuttx_user.elf`
    /// and `nuttx` (one `make` links both).
    pub make: String,
    /// What `protect` does when NuttX's run-time MPU setup lets user code
    /// reach beyond its own memory (`nuttx check`).
    pub over_grant: OverGrantPolicy,
}

/// `[nuttx] over-grant`: whether an over-grant NuttX's own MPU code makes
/// stops `protect` (`refuse`, the default) or is recorded in build.json
/// and shown (`accept`), for trees whose layout the integrator cannot
/// change yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverGrantPolicy {
    #[default]
    Refuse,
    Accept,
}

/// The default of `[nuttx] make`.
pub const NUTTX_MAKE: &str = "make";

/// Either kind of project an `mcu-build.toml` describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectConfig {
    /// mcu-build plans the layout and runs two passes.
    Passes(Box<Config>),
    /// A NuttX tree gives the layout and builds itself.
    Nuttx(NuttxConfig),
    /// Several processes (`[[process]]`), each built at its own planned
    /// addresses, and the kernel with their table.
    Processes(Box<ProcessesConfig>),
}

/// A validated `mcu-build.toml` with `[[process]]` tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessesConfig {
    /// The board, `[layout]` and the processes.
    pub layout: LayoutConfig,
    /// `[pass2]`: the kernel, built with the process table.
    pub kernel: Pass,
    pub syscalls: Option<Syscalls>,
}

/// `mcu-build.toml` could not be read; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] toml_input::Located),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    board: Option<Spanned<String>>,
    board_file: Option<Spanned<PathBuf>>,
    layout: Option<Spanned<Table<RawLayout>>>,
    syscalls: Option<Spanned<Table<RawSyscalls>>>,
    // Optional here so that `layout` and `mpu check`, which need only the
    // board and `[layout]`, read a file without them; [`parse`] requires them.
    pass1: Option<Spanned<Table<RawPass>>>,
    pass2: Option<Spanned<Table<RawPass>>>,
    flat: Option<Spanned<Table<RawPass>>>,
    nuttx: Option<Spanned<Table<RawNuttx>>>,
    /// `[[process]]`: several processes instead of `[pass1]`
    /// ([`super::process_config`]).
    process: Option<process_config::RawProcesses>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawNuttx {
    tree: Option<PathBuf>,
    make: Option<Spanned<String>>,
    over_grant: Option<OverGrantPolicy>,
}

impl TableForm for RawNuttx {
    const EXPECTED: &'static str =
        "a table such as [nuttx] with tree = \"path/to/nuttx\" and make = \"make\"";
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLayout {
    kernel_flash: Option<Spanned<Number>>,
    user_flash: Option<Spanned<Number>>,
    kernel_sram: Option<Spanned<Number>>,
    user_sram: Option<Spanned<Number>>,
    kernel_heap: Option<Spanned<Number>>,
    kernel_stack: Option<Spanned<Number>>,
    user_stack: Option<Spanned<Number>>,
    user_heap: Option<Spanned<Number>>,
}

impl TableForm for RawLayout {
    const EXPECTED: &'static str =
        "a table such as [layout] with sizes such as kernel-flash = \"128K\"";
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSyscalls {
    csv: PathBuf,
    checks: Option<PathBuf>,
}

impl TableForm for RawSyscalls {
    const EXPECTED: &'static str = "a table such as [syscalls] with csv = \"syscall.csv\"";
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawPass {
    pub(super) cargo: Option<PathBuf>,
    pub(super) bin: Option<Spanned<String>>,
    pub(super) features: Option<Vec<String>>,
    pub(super) command: Option<String>,
    pub(super) artifact: Option<PathBuf>,
    pub(super) header: Option<Spanned<String>>,
}

impl TableForm for RawPass {
    const EXPECTED: &'static str = "a table such as [pass1] with cargo = ... or command = ...";
}

/// Reads and validates the configuration of a project with passes at
/// `path`; a NuttX project is refused, naming the command that builds it.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    read_with(path, parse)
}

/// Reads and validates the configuration at `path`, of either kind.
pub fn load_any(path: &Path) -> Result<ProjectConfig, ConfigError> {
    read_with(path, parse_any)
}

/// Reads and validates the board and `[layout]` of the configuration at
/// `path`; the passes may be missing. A NuttX project has no `[layout]`:
/// its tree's memory.ld gives the partitions.
pub fn load_layout(path: &Path) -> Result<LayoutConfig, ConfigError> {
    read_with(path, parse_layout)
}

/// Parses and validates the board, `[layout]` and `[[process]]` tables of
/// configuration `text`, as [`load_layout`] reads them.
pub fn parse_layout(text: &str, path: &Path) -> Result<LayoutConfig, ConfigError> {
    let text = toml_input::strip_bom(text);
    let source = Source { text, path };
    let raw = parse_toml(text, path)?;
    if let Some(nuttx) = &raw.nuttx {
        return Err(source.error(
            nuttx.span(),
            "[nuttx]",
            "a NuttX project's partitions are its tree's memory.ld, which `mcu-build nuttx \
             layout --tree DIR` plans (so that NuttX's own MPU code grants exactly) and \
             `mcu-build protect` reads and checks",
        ));
    }
    Ok(layout_config(raw, &source)?.0)
}

/// The text of `path`, handed to `parse`.
fn read_with<T>(
    path: &Path,
    parse: impl FnOnce(&str, &Path) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    let bytes = std::fs::read(path).map_err(|error| ConfigError::Io {
        path: path.to_owned(),
        error,
    })?;
    let text = crate::toml_input::text(&bytes, path)?;
    parse(text, path)
}

/// The configuration a command that can do without one reads: `explicit`
/// (its `--config`) if given, else [`FILE_NAME`] in the current directory
/// if anything is there by that name (so that an unreadable one is an
/// error, not silently skipped); `None` when neither.
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(path) => Some(path.to_owned()),
        None => {
            let here = Path::new(FILE_NAME);
            here.symlink_metadata().is_ok().then(|| here.to_owned())
        }
    }
}

impl Config {
    /// The partitions the project plans on `board`: see
    /// [`PartitionOverrides::request`].
    pub fn request(&self, board: &Board) -> Request {
        self.partitions.request(self.splits, board)
    }
}

impl LayoutConfig {
    /// The partitions the project plans on `board`, as [`Config::request`].
    pub fn request(&self, board: &Board) -> Request {
        self.partitions.request(self.splits, board)
    }
}

/// The configuration's readers of typed values.
impl Source<'_> {
    /// The size at `layout.<key>`, if given: at most 4 GiB, the 32-bit
    /// address space.
    fn layout_size(
        &self,
        value: &Option<Spanned<Number>>,
        key: &str,
    ) -> Result<Option<u64>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        let key = format!("layout.{key}");
        let n = value
            .get_ref()
            .to_u64()
            .map_err(|e| self.error::<ConfigError>(value.span(), &key, e.to_string()))?;
        if n > u64::from(u32::MAX) {
            return Err(self.error(
                value.span(),
                key,
                format!("{n:#x} bytes do not fit the 32-bit address space"),
            ));
        }
        Ok(Some(n))
    }

    /// `[pass1] header`: `"mcu-build"` or `"nuttx"`.
    fn header(&self, raw: &Spanned<Table<RawPass>>) -> Result<Option<HeaderKind>, ConfigError> {
        let Some(header) = &raw.get_ref().0.header else {
            return Ok(None);
        };
        HeaderKind::parse(header.get_ref())
            .map(Some)
            .ok_or_else(|| {
                self.error(
                header.span(),
                "pass1.header",
                format!(
                    "no header kind {:?}: expected \"mcu-build\" (firmware_abi::UserspaceHeader, \
                     magic \"MCUU\") or \"nuttx\" (NuttX's struct userspace_s)",
                    header.get_ref()
                ),
            )
            })
    }

    /// Pass table `[table]`: `cargo` + `bin` (+ `features`) or `command`
    /// + `artifact`; `header` only in `[pass1]`, which [`Source::header`]
    ///   reads.
    fn pass(&self, raw: Spanned<Table<RawPass>>, table: &str) -> Result<Pass, ConfigError> {
        let span = raw.span();
        self.pass_at(span, raw.into_inner().0, table)
    }

    /// [`Source::pass`] of a table read at `span` (also a `[[process]]`).
    pub(super) fn pass_at(
        &self,
        span: std::ops::Range<usize>,
        mut raw: RawPass,
        table: &str,
    ) -> Result<Pass, ConfigError> {
        if let Some(header) = raw.header.take()
            && table != "pass1"
        {
            return Err(self.error(
                header.span(),
                format!("{table}.header"),
                "`header` names the user blob's header, so it belongs in [pass1]",
            ));
        }
        match raw {
            RawPass {
                cargo: Some(package),
                bin: Some(bin),
                features,
                command: None,
                artifact: None,
                header: None,
            } => Ok(Pass::Cargo {
                package,
                bin: Name::new(bin.get_ref(), NameKind::CargoBin)
                    .map_err(|e| {
                        self.error::<ConfigError>(bin.span(), format!("{table}.bin"), e.to_string())
                    })?
                    .into(),
                features: features.unwrap_or_default(),
            }),
            RawPass {
                cargo: None,
                bin: None,
                features: None,
                command: Some(command),
                artifact: Some(artifact),
                header: None,
            } => Ok(Pass::Shell { command, artifact }),
            _ => Err(self.error(
                span,
                format!("[{table}]"),
                "expected either `cargo` (a package directory), `bin` and optionally \
                 `features`, or `command` (a shell command) and `artifact` (the ELF it writes)",
            )),
        }
    }
}

/// Parses and validates configuration `text` of a project with passes;
/// `path` names it in errors and its directory is the project root.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let text = toml_input::strip_bom(text);
    let source = Source { text, path };
    let raw = parse_toml(text, path)?;
    if let Some(nuttx) = &raw.nuttx {
        return Err(source.error(
            nuttx.span(),
            "[nuttx]",
            "a NuttX project is built by its tree's make as a whole: `mcu-build protect` \
             builds it; pass1, pass2 and flat build projects with [pass1] and [pass2]",
        ));
    }
    passes(raw, &source)
}

/// Parses and validates configuration `text` of either kind.
pub fn parse_any(text: &str, path: &Path) -> Result<ProjectConfig, ConfigError> {
    let text = toml_input::strip_bom(text);
    let source = Source { text, path };
    let raw = parse_toml(text, path)?;
    if raw.nuttx.is_some() {
        return nuttx(raw, &source).map(ProjectConfig::Nuttx);
    }
    if raw.process.is_some() {
        return processes(raw, &source).map(|config| ProjectConfig::Processes(Box::new(config)));
    }
    passes(raw, &source).map(|config| ProjectConfig::Passes(Box::new(config)))
}

/// The project of processes that `raw` (with `[[process]]`) describes.
fn processes(raw: RawConfig, source: &Source) -> Result<ProcessesConfig, ConfigError> {
    let flat = raw.flat.as_ref().map(Spanned::span);
    let (layout, raw) = layout_config(raw, source)?;
    if let Some(span) = flat {
        return Err(source.error(
            span,
            "flat",
            "a project with [[process]] tables has no flat build: [flat] links one user blob \
             into the kernel",
        ));
    }
    let kernel = match raw.pass2 {
        Some(raw) => source.pass(raw, "pass2")?,
        None => {
            return Err(source.error(
                0..0,
                "",
                "missing table [pass2], which `protect` needs to build the kernel with the \
                 process table: cargo = (a package directory) and bin = ..., or command = (a \
                 shell command) and artifact = (the ELF it writes)",
            ));
        }
    };
    Ok(ProcessesConfig {
        layout,
        kernel,
        syscalls: raw.syscalls.map(|s| {
            let s = s.into_inner().0;
            Syscalls {
                csv: s.csv,
                checks: s.checks,
            }
        }),
    })
}

/// The project with passes that `raw` describes.
fn passes(raw: RawConfig, source: &Source) -> Result<Config, ConfigError> {
    let first_process = raw
        .process
        .as_ref()
        .and_then(|tables| tables.get_ref().first().map(Spanned::span));
    let (layout, raw) = layout_config(raw, source)?;
    if let Some(span) = first_process.filter(|_| !layout.processes.is_empty()) {
        return Err(source.error(
            span,
            "process[0]",
            "`pass1`, `pass2` and `flat` build a [pass1] project; a project with [[process]] \
             tables is built by `mcu-build protect`, which builds every process and the \
             kernel",
        ));
    }
    let pass = |raw: Option<Spanned<Table<RawPass>>>, table: &str, builds: &str| match raw {
        Some(raw) => source.pass(raw, table),
        None => Err(source.error(
            0..0,
            "",
            format!(
                "missing table [{table}], which `protect` needs to build {builds}: cargo = \
                 (a package directory) and bin = ..., or command = (a shell command) and \
                 artifact = (the ELF it writes); or [nuttx] for a NuttX tree"
            ),
        )),
    };
    let header = raw.pass1.as_ref().map(|p| source.header(p)).transpose()?;
    Ok(Config {
        path: layout.path,
        root: layout.root,
        board: layout.board,
        partitions: layout.partitions,
        splits: layout.splits,
        syscalls: raw.syscalls.map(|s| {
            let s = s.into_inner().0;
            Syscalls {
                csv: s.csv,
                checks: s.checks,
            }
        }),
        user: pass(raw.pass1, "pass1", "the user blob")?,
        kernel: pass(raw.pass2, "pass2", "the kernel")?,
        flat: raw.flat.map(|flat| source.pass(flat, "flat")).transpose()?,
        header: header.flatten(),
    })
}

/// The NuttX project that `raw` (with `[nuttx]`) describes. The tables
/// of a project with passes are refused: the tree gives the partitions
/// and its make builds both blobs.
fn nuttx(mut raw: RawConfig, source: &Source) -> Result<NuttxConfig, ConfigError> {
    let spans = [
        (raw.layout.as_ref().map(Spanned::span), "[layout]"),
        (raw.pass1.as_ref().map(Spanned::span), "[pass1]"),
        (raw.pass2.as_ref().map(Spanned::span), "[pass2]"),
        (raw.flat.as_ref().map(Spanned::span), "[flat]"),
        (raw.syscalls.as_ref().map(Spanned::span), "[syscalls]"),
        (raw.process.as_ref().map(Spanned::span), "[[process]]"),
    ];
    if let Some((span, table)) = spans
        .into_iter()
        .filter_map(|(span, table)| Some((span?, table)))
        .min_by_key(|(span, _)| span.start)
    {
        return Err(source.error(
            span,
            table,
            "not in a NuttX project: the tree's .config and memory.ld give the partitions and \
             its make builds both blobs; remove the table, or remove [nuttx] to build with \
             passes",
        ));
    }
    let board = source.board(raw.board.take(), raw.board_file.take(), false)?;
    let table = raw
        .nuttx
        .expect("a NuttX project has [nuttx]")
        .into_inner()
        .0;
    let make = match table.make {
        Some(make) if make.get_ref().trim().is_empty() => {
            return Err(source.error(
                make.span(),
                "nuttx.make",
                "an empty command: expected the shell command that builds nuttx_user.elf and \
                 nuttx in the tree, such as \"make\"",
            ));
        }
        Some(make) => make.into_inner(),
        None => NUTTX_MAKE.to_owned(),
    };
    Ok(NuttxConfig {
        path: source.path.to_owned(),
        root: root_of(source.path),
        board,
        tree: table.tree.unwrap_or_else(|| PathBuf::from(".")),
        make,
        over_grant: table.over_grant.unwrap_or_default(),
    })
}

/// Reads `text` (BOM already stripped) into the structures that mirror it.
fn parse_toml(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
    let source = Source { text, path };
    toml_input::from_str(text).map_err(|e| source.error::<ConfigError>(e.span, e.key, e.message))
}

/// The directory of the configuration file at `path`.
fn root_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// The board and `[layout]` of `raw`, validated, and the rest as read.
fn layout_config(
    mut raw: RawConfig,
    source: &Source,
) -> Result<(LayoutConfig, RawConfig), ConfigError> {
    let empty = Table::<RawLayout>::default();
    let l = &raw.layout.as_ref().map_or(&empty, |l| l.get_ref()).0;
    let partitions = PartitionOverrides {
        kernel_flash: source.layout_size(&l.kernel_flash, "kernel-flash")?,
        user_flash: source.layout_size(&l.user_flash, "user-flash")?,
        kernel_sram: source.layout_size(&l.kernel_sram, "kernel-sram")?,
        user_sram: source.layout_size(&l.user_sram, "user-sram")?,
        kernel_heap: source.layout_size(&l.kernel_heap, "kernel-heap")?,
    };
    let defaults = Splits::default();
    let splits = Splits {
        kernel_stack: source
            .layout_size(&l.kernel_stack, "kernel-stack")?
            .unwrap_or(defaults.kernel_stack),
        user_stack: source
            .layout_size(&l.user_stack, "user-stack")?
            .unwrap_or(defaults.user_stack),
        user_heap: source
            .layout_size(&l.user_heap, "user-heap")?
            .unwrap_or(defaults.user_heap),
    };
    let processes = match raw.process.take() {
        None => Vec::new(),
        Some(tables) => {
            let pass1 = raw.pass1.as_ref().map(Spanned::span);
            let processes = process_config::validate(tables, pass1, source)?;
            let span = |v: &Option<Spanned<Number>>| v.as_ref().map(Spanned::span);
            process_config::refuse_user_keys(
                &[
                    (span(&l.user_flash), "user-flash"),
                    (span(&l.user_sram), "user-sram"),
                    (span(&l.user_stack), "user-stack"),
                    (span(&l.user_heap), "user-heap"),
                ],
                source,
            )?;
            processes
        }
    };
    let board = source
        .board(raw.board.take(), raw.board_file.take(), true)?
        .expect("a required board is there");
    let layout = LayoutConfig {
        path: source.path.to_owned(),
        root: root_of(source.path),
        board,
        partitions,
        splits,
        processes,
    };
    Ok((layout, raw))
}

impl Source<'_> {
    /// `board` or `board-file`: one of them, or (unless `required`) none.
    fn board(
        &self,
        name: Option<Spanned<String>>,
        file: Option<Spanned<PathBuf>>,
        required: bool,
    ) -> Result<Option<BoardSource>, ConfigError> {
        match (name, file) {
            (Some(name), None) => {
                if !board::bundled_names().any(|known| known == name.get_ref()) {
                    let known: Vec<&str> = board::bundled_names().collect();
                    return Err(self.error(
                        name.span(),
                        "board",
                        format!(
                            "no bundled board {:?}; the bundled boards are {}; \
                             or name a board file with `board-file`",
                            name.get_ref(),
                            known.join(", ")
                        ),
                    ));
                }
                Ok(Some(BoardSource::Bundled(name.into_inner())))
            }
            (None, Some(file)) => Ok(Some(BoardSource::File(file.into_inner()))),
            (None, None) if !required => Ok(None),
            (board, file) => {
                // Both: blame the second key; neither: the whole file.
                let (span, key) = match (board, file) {
                    (Some(board), Some(file)) if file.span().start > board.span().start => {
                        (file.span(), "board-file")
                    }
                    (Some(board), Some(_)) => (board.span(), "board"),
                    _ => (0..0, ""),
                };
                Err(self.error(
                    span,
                    key,
                    "expected either `board` (a bundled board) or `board-file` (a board file), \
                     not both or neither",
                ))
            }
        }
    }
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
        assert_eq!(config.board, BoardSource::Bundled("qemu-mps2-an386".into()));
        assert_eq!(config.splits.user_heap, 32 * 1024);
        assert_eq!(config.splits.user_stack, Splits::default().user_stack);
        assert_eq!(config.partitions.kernel_flash, Some(4096));
        assert_eq!(config.partitions.user_flash, None);
        assert_eq!(
            config.user,
            Pass::Cargo {
                package: "firmware-userspace".into(),
                bin: "user".into(),
                features: Vec::new(),
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
        assert_eq!(config.syscalls, None);
    }

    #[test]
    fn reads_a_board_file_syscalls_and_a_flat_pass_with_features() {
        let text = format!(
            "board-file = \"boards/mine.toml\"\n[syscalls]\ncsv = \"s.csv\"\n{CARGO_PASSES}\
             [flat]\ncargo = \"k\"\nbin = \"kernel\"\nfeatures = [\"flat\"]\n"
        );
        let config = parse_text(&text).unwrap();
        assert_eq!(config.board, BoardSource::File("boards/mine.toml".into()));
        assert_eq!(config.syscalls.unwrap().csv, Path::new("s.csv"));
        assert_eq!(
            config.flat,
            Some(Pass::Cargo {
                package: "k".into(),
                bin: "kernel".into(),
                features: vec!["flat".into()],
            })
        );
    }

    #[test]
    fn board_and_board_file_together_are_refused() {
        let text = format!("board = \"a\"\nboard-file = \"b.toml\"\n{CARGO_PASSES}");
        let error = parse_text(&text).unwrap_err().to_string();
        assert!(
            error.starts_with(
                "project/mcu-build.toml:2:14: `board-file`: expected either `board` (a bundled \
                 board) or `board-file` (a board file), not both or neither"
            ),
            "{error}"
        );
        let neither = parse_text(CARGO_PASSES).unwrap_err().to_string();
        assert!(
            neither.starts_with("project/mcu-build.toml:1:1: expected either `board`"),
            "{neither}"
        );
    }

    #[test]
    fn partition_overrides_replace_the_board_sizes() {
        let board = crate::board::bundled("qemu-mps2-an386").unwrap();
        let overrides = PartitionOverrides {
            user_flash: Some(128 * 1024),
            kernel_heap: Some(1024),
            ..PartitionOverrides::default()
        };
        let request = overrides.apply(board.partitions);
        let user_flash = request
            .partitions
            .iter()
            .find(|p| p.name == USER_FLASH)
            .unwrap();
        assert_eq!(user_flash.size, Size::Bytes(128 * 1024));
        assert_eq!(request.kernel_heap, 1024);
    }

    #[test]
    fn a_pass_with_both_forms_is_refused_at_its_table() {
        let text = "board = \"stm32h743\"\n[pass1]\ncargo = \"x\"\nbin = \"y\"\ncommand = \"make\"\n[pass2]\ncargo = \"k\"\nbin = \"kernel\"\n";
        let error = parse_text(text).unwrap_err().to_string();
        assert!(
            error.starts_with("project/mcu-build.toml:2:1: `[pass1]`: expected either"),
            "{error}"
        );
    }

    #[test]
    fn a_bad_size_names_its_key_and_place() {
        let text = format!("board = \"stm32h743\"\n[layout]\nuser-heap = \"lots\"\n{CARGO_PASSES}");
        let error = parse_text(&text).unwrap_err().to_string();
        assert!(
            error.starts_with("project/mcu-build.toml:3:13: `layout.user-heap`: "),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_bundled_board_is_refused_at_its_place() {
        let text = format!("board = \"stm32f9\"\n{CARGO_PASSES}");
        let error = parse_text(&text).unwrap_err().to_string();
        assert_eq!(
            error,
            "project/mcu-build.toml:1:9: `board`: no bundled board \"stm32f9\"; the bundled \
             boards are nrf52840, qemu-lm3s6965evb, qemu-mps2-an386, qemu-mps2-an500, \
             qemu-mps2-an505, stm32f4discovery, stm32h743; or name a board file with `board-file`"
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_their_place() {
        let text = format!("board = \"b\"\nbaord = \"c\"\n{CARGO_PASSES}");
        let error = parse_text(&text).unwrap_err().to_string();
        assert!(
            error.starts_with("project/mcu-build.toml:2:1: `baord`: unknown field `baord`"),
            "{error}"
        );
    }
}
