//! `protect`: from `mcu-build.toml` to a verified, merged protected image.
//!
//! ```text
//! config + board -> layout::plan -> generate memory.ld, board.rs, syscalls
//!        -> pass 1 (user blob) -> inspect, seal
//!        -> generate layout.rs -> pass 2 (kernel) -> inspect
//!        -> verify the MPU table -> merge -> combined.hex/.bin/.elf, build.json
//! ```
//!
//! [`protect::flat`] builds the same application without protection, for
//! measuring what protection costs.
//!
//! A NuttX project ([`nuttx`]) has no plan and no passes of mcu-build's:
//!
//! ```text
//! config -> open the tree (.config, memory.ld) [-> inside the board's memories]
//!        -> make (nuttx_user.elf and nuttx)
//!        -> inspect nuttx_user.elf in the u* regions, read and check
//!           struct userspace_s at CONFIG_NUTTX_USERSPACE
//!        -> inspect nuttx in the k* and x* regions
//!        -> merge (the kernel's start address) -> combined.hex/.bin/.elf, build.json
//! ```
//!
//! One file per step; [`protect`] strings them together. The library never
//! prints: progress goes to a [`Reporter`] the caller provides.

pub mod admission;
pub mod boot;
pub mod config;
pub mod generate;
pub mod header;
pub mod inspect;
pub mod manifest;
pub mod nuttx;
pub mod opened;
pub mod pass;
pub mod planned;
pub mod process_config;
pub mod process_table;
pub mod processes;
pub mod processes_project;
pub mod protect;
pub mod provenance;
pub mod record;
pub mod reproducible;
pub mod seal;
pub mod syscalls;
pub mod toolchain;

use std::fmt;

use serde::Serialize;

/// The steps a reporter hears about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Place the partitions and plan the MPU regions (a NuttX project:
    /// read them from the tree).
    Plan,
    /// A NuttX project: the tree's make builds both blobs.
    Make,
    /// Build, inspect and seal the user blob.
    Pass1,
    /// Build and inspect the kernel.
    Pass2,
    /// Check the MPU table against the partitions and the blobs.
    Verify,
    /// Merge the blobs and write the combined image and build.json.
    Merge,
    /// Build the flat (unprotected) variant.
    Flat,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Plan => "plan",
            Step::Make => "make (nuttx_user.elf and nuttx)",
            Step::Pass1 => "pass 1 (user blob)",
            Step::Pass2 => "pass 2 (kernel)",
            Step::Verify => "verify",
            Step::Merge => "merge",
            Step::Flat => "flat build",
        })
    }
}

/// Receives progress. The CLI renders it as bars, lines or JSON.
pub trait Reporter {
    /// `step` begins.
    fn started(&mut self, step: Step);
    /// A line the build tool of `step` printed.
    fn output(&mut self, step: Step, line: &str);
    /// `step` succeeded; `summary` says what it produced.
    fn finished(&mut self, step: Step, summary: &str);
}
