//! The facts mcu-build generated for pass 2, included from
//! `$MCU_BUILD_GEN_DIR/layout.rs`.
//!
//! The generated file defines, using the types in scope here:
//! - `USER_FLASH`, `USER_SRAM`: the user partitions, as [`Partition`]s;
//! - `MPU_REGIONS`: the MPU table as register values, `&[MpuRegion]`
//!   (see [`crate::mpu`]; on ARMv8-M also `MPU_MAIR0`);
//! - `USER_HEADER`: the [`UserspaceHeader`] of the user blob built in
//!   pass 1, CRC included; the kernel runs no other blob.

use crate::mpu::MpuRegion;
use firmware_abi::{Partition, UserspaceHeader};

include!(concat!(env!("MCU_BUILD_GEN_DIR"), "/layout.rs"));
