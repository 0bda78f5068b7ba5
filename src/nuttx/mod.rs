//! NuttX protected builds as mcu-build reads them: a tree's configuration
//! (`.config`), its board's `memory.ld`, the user blob's
//! `struct userspace_s`, and what NuttX's own code will do with them at
//! run time. The facts come from NuttX's sources (master, 2026-08); each
//! module names the files it follows. `docs/nuttx.md` is the overview.

pub mod arm_mpu;
pub mod check;
pub mod config_checks;
pub mod config_convert;
pub mod config_diff;
pub mod defconfig;
pub mod heap;
pub mod kconfig;
pub mod memory_ld;
pub mod plan;
pub mod plan_files;
pub mod project;
pub mod tree;
pub mod userspace;
