//! `mcu-build flash`: program a protected image into a chip with probe-rs,
//! after checks that need no probe.
//!
//! One idea per file, as probe-rs's own `flashing` module:
//!
//! - [`record`] (in [`crate::build`], which `run` shares): what
//!   `build.json` says about the image: partitions, MPU verdict, digests
//!   of inputs and outputs, what each image loads where;
//! - [`chip`]: a chip's flash and RAM from probe-rs's target database;
//! - [`safety`]: the checks before any byte is written (`flash --check`),
//!   the chip's added to those of [`crate::build::admission`];
//! - [`prepare`]: image, record, board and chip loaded, checks run;
//! - [`staging`]: the image, or one partition of it, handed to probe-rs's
//!   flash loader;
//! - [`probes`]: the connected probes, and choosing one;
//! - [`session`]: attaching with the connection options;
//! - [`program`]: erase, program, verify, reset;
//! - [`progress`]: probe-rs's progress events as well-formed bars;
//! - [`explain`]: what to try when probe-rs fails.
//!
//! The module exists with the `flash` cargo feature (on by default), which
//! brings in probe-rs; a build without it merges and checks images but
//! cannot program them.

pub mod chip;
pub mod explain;
pub mod prepare;
pub mod probes;
pub mod program;
pub mod progress;
pub use crate::build::record;
pub mod safety;
pub mod session;
pub mod staging;
