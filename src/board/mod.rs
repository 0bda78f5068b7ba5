//! Boards: a chip's memories and MPU, and the default partitions of a
//! protected build on it.
//!
//! A board is described in TOML (see the bundled files in `boards/`, which
//! are compiled into the binary). The file is read in two steps, as Hubris
//! reads its configuration: serde into plain structures that mirror the
//! text (unknown keys refused), then validation into [`Board`], whose
//! invariants hold by construction: memories inside the 32-bit address
//! space, non-empty and disjoint; the region count within what the MPU
//! supports; partitions in memories that exist; names plain identifiers
//! ([`Name`]). Every error names the file, the line and column, and the
//! key.

mod file;
mod name;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::layout::request::Request;
use crate::mpu::{Arch, MemoryKind};

pub use file::BoardError;
pub use name::{Name, NameError, NameKind};

/// A chip's memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Checked as a [`Name`] when read, like partition names: they are
    /// pasted into generated files.
    pub name: String,
    pub kind: MemoryKind,
    pub origin: u32,
    pub length: u64,
}

impl Memory {
    /// One past the last address.
    pub fn end(&self) -> u64 {
        u64::from(self.origin) + self.length
    }
}

/// The MPU of the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mpu {
    pub arch: Arch,
    /// Regions the hardware has (per security state on ARMv8-M with
    /// TrustZone).
    pub regions: u8,
    /// Regions the kernel keeps for itself; the user partitions get the rest.
    pub kernel_regions: u8,
}

/// A validated board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Board {
    /// A [`Name`], because outputs go to `target/mcu-build/<name>/`.
    pub name: Name,
    pub description: String,
    pub cpu: String,
    /// `None` for a core without an MPU, which cannot run a protected build.
    pub mpu: Option<Mpu>,
    pub memories: Vec<Memory>,
    /// The chip name probe-rs knows it by, for `mcu-build flash`.
    pub probe_rs_chip: Option<String>,
    /// The QEMU machine that emulates it, for `mcu-build run`.
    pub qemu_machine: Option<String>,
    /// The partitions `mcu-build layout` plans when asked for nothing else.
    pub partitions: Request,
    /// The Rust target triple code for this core is compiled for; cargo
    /// passes of `protect` build with `--target` it.
    pub rust_target: Option<String>,
    /// The processor clock in Hz that firmware runs at out of reset, which
    /// a kernel derives its SysTick reload from.
    pub core_clock_hz: Option<u32>,
    /// The UART the console is wired to.
    pub console: Option<Console>,
}

/// A console UART: its kind says which driver speaks to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Console {
    pub kind: ConsoleKind,
    /// Base address of its registers, as privileged code reaches them.
    pub base: u32,
}

/// The UARTs a console can be; the bundled kernel has a driver for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsoleKind {
    /// The ARM CMSDK APB UART of the MPS2 FPGA images (DATA, STATE, CTRL,
    /// BAUDDIV registers).
    CmsdkApbUart,
    /// The ARM PrimeCell UART PL011 (UARTDR, UARTFR, UARTIBRD/FBRD,
    /// UARTLCR_H, UARTCR), as in the TI Stellaris LM3S parts. One kind for
    /// ARM's and TI's: they differ only in their identification registers
    /// (QEMU models TI's as `pl011_luminary`), which a driver need not read.
    Pl011,
}

impl ConsoleKind {
    /// Every kind, for code that must say something about each.
    pub const ALL: [ConsoleKind; 2] = [ConsoleKind::CmsdkApbUart, ConsoleKind::Pl011];
}

impl Board {
    pub fn memory(&self, name: &str) -> Option<&Memory> {
        self.memories.iter().find(|m| m.name == name)
    }

    /// Every memory by name and range, for messages: `flash
    /// 0x00000000..0x00040000 (262144 bytes), sram ...`.
    pub fn describe_memories(&self) -> String {
        self.memories
            .iter()
            .map(|m| {
                format!(
                    "{} {}",
                    m.name,
                    crate::image::format_range(&(u64::from(m.origin)..m.end()))
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The board used when none is named.
pub const DEFAULT_BOARD: &str = "qemu-mps2-an386";

/// The boards compiled into the binary: name and TOML text.
const BUNDLED: [(&str, &str); 7] = [
    ("nrf52840", include_str!("boards/nrf52840.toml")),
    (
        "qemu-lm3s6965evb",
        include_str!("boards/qemu-lm3s6965evb.toml"),
    ),
    (
        "qemu-mps2-an386",
        include_str!("boards/qemu-mps2-an386.toml"),
    ),
    (
        "qemu-mps2-an500",
        include_str!("boards/qemu-mps2-an500.toml"),
    ),
    (
        "qemu-mps2-an505",
        include_str!("boards/qemu-mps2-an505.toml"),
    ),
    (
        "stm32f4discovery",
        include_str!("boards/stm32f4discovery.toml"),
    ),
    ("stm32h743", include_str!("boards/stm32h743.toml")),
];

/// The names of the bundled boards, in alphabetical order.
pub fn bundled_names() -> impl Iterator<Item = &'static str> {
    BUNDLED.iter().map(|(name, _)| *name)
}

/// A bundled board by name.
pub fn bundled(name: &str) -> Result<Board, BoardError> {
    let (_, text) =
        BUNDLED
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| BoardError::Unknown {
                name: name.to_owned(),
                known: bundled_names().map(str::to_owned).collect(),
            })?;
    parse(text, &bundled_path(name))
}

/// The path bundled boards are reported under in errors.
fn bundled_path(name: &str) -> PathBuf {
    PathBuf::from(format!("<bundled>/{name}.toml"))
}

/// Reads a board file.
pub fn load(path: &Path) -> Result<Board, BoardError> {
    let bytes = std::fs::read(path).map_err(|error| BoardError::Io {
        path: path.to_owned(),
        error,
    })?;
    let text = crate::toml_input::text(&bytes, path)?;
    parse(text, path)
}

/// Parses and validates board TOML; `path` names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Board, BoardError> {
    file::parse(text, path)
}
