//! mcu-build: build, verify, merge and run *protected* firmware for
//! microcontrollers with a Memory Protection Unit.
//!
//! The library holds every step of the pipeline as a function with typed
//! input and output; the `mcu-build` binary only parses arguments, calls
//! them and renders the results. Nothing in the library prints.

pub mod board;
pub mod build;
#[cfg(feature = "flash")]
pub mod flash;
pub mod image;
pub mod layout;
pub mod mpu;
pub mod number;
pub mod nuttx;
pub mod output;
pub mod pipelined;
pub mod position;
pub mod qemu;
pub mod size;
pub mod syscall;
pub mod toml_input;

pub mod cli;
