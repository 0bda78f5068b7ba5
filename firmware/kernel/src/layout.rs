//! The facts mcu-build generated for pass 2, included from
//! `$MCU_BUILD_GEN_DIR/layout.rs`.
//!
//! The generated file defines, using the types in scope here:
//! - `PROCESSES`: the process table, `&[ProcessEntry]`, in the order the
//!   kernel starts and schedules them: per process its name, the sealed
//!   [`UserspaceHeader`] of pass 1 (the kernel runs no other blob), its
//!   flash and RAM [`Partition`]s, its grant region at the top of its RAM,
//!   its MPU regions as register values with their region numbers (see
//!   [`crate::mpu`]), its [`FaultPolicy`] and its time slice;
//! - on ARMv8-M, `MPU_MAIR0`: the memory attributes every region indexes.
//!
//! A single-blob build is a table of one process whose grant region is
//! empty.

#[allow(unused_imports)] // a table with no sealed header names no UserspaceHeader
use firmware_abi::{FaultPolicy, Partition, UserspaceHeader};

use crate::mpu::MpuRegion;

/// A process of the table, with this target's MPU region type.
pub type ProcessEntry = firmware_abi::ProcessEntry<MpuRegion>;

include!(concat!(env!("MCU_BUILD_GEN_DIR"), "/layout.rs"));
