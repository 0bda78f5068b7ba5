//! The privileged kernel of an mcu-build protected image.
//!
//! It checks the user blobs of its process table, isolates each with the
//! MPU, runs them unprivileged (round robin on the SysTick when there are
//! several) and serves their system calls, keeping per-process state in
//! each process's grant region; when a process faults the kernel reports
//! the fault, stops or restarts the process as its policy says, and
//! outlives it.
//!
//! # Contract with the host tool
//!
//! The build reads one directory, named by the environment variable
//! `MCU_BUILD_GEN_DIR`, that mcu-build generates:
//!
//! - `memory.ld`: the `MEMORY` regions `KERNEL_FLASH`, `USER_FLASH`,
//!   `KERNEL_SRAM`, `USER_SRAM` and the symbols `KERNEL_STACK_SIZE`,
//!   `KERNEL_HEAP_SIZE`, `USER_STACK_SIZE`, `USER_HEAP_SIZE`, rendered from
//!   `templates/linker/memory.ld.in`; `templates/linker/kernel.ld`
//!   INCLUDEs it.
//! - `board.rs`: the console UART and the core clock, included by
//!   [`board`];
//! - `layout.rs` (pass 2): the process table: per process its partitions,
//!   grant region, MPU regions as register values, sealed user header of
//!   pass 1, fault policy and time slice, included by `layout`;
//! - `syscall_numbers.rs`, `syscall_kernel.rs`: the system call layer
//!   generated from `firmware/abi/syscall.csv`, included by [`syscalls`].
//!
//! `templates/README.md` gives the exact format of every file. The build
//! target picks the MPU: `thumbv7em-none-eabi` (and other ARMv7-M) for
//! PMSAv7, `thumbv8m.main-none-eabi` for PMSAv8.
//!
//! # The flat build
//!
//! With the cargo feature `flat` the same kernel links the application
//! (`firmware-userspace`'s library) into its own image and runs it
//! privileged, with no MPU, no user header and no traps: the generated
//! proxies call `dispatch` directly (see `flat.rs`). It exists to measure
//! what protection costs (`mcu-build flat`, `benches/protect.sh`).
//!
//! # Boot
//!
//! Reset initialises the kernel's statics; then [`kernel_main`] starts the
//! console, enables the fault handlers and the SysTick, admits every
//! process's blob (header, CRC, same blob as pass 1), loads its `.data`
//! and `.bss`, and hands them to the scheduler, which programs each
//! process's MPU regions as it switches to it and enters it with the boot
//! argument in r0. The run ends through semihosting once every process has
//! ended, with the blob's exit status, or with one of
//! [`firmware_abi::exit_status`].

#![no_std]
#![no_main]

extern crate alloc;

#[cfg(not(feature = "flat"))]
mod admission;
#[cfg(not(feature = "flat"))]
mod alarms;
mod board;
mod boot_argument;
mod console;
mod cpu;
#[cfg(not(feature = "flat"))]
mod fault_status;
#[cfg(not(feature = "flat"))]
mod faults;
#[cfg(feature = "flat")]
mod flat;
#[cfg(not(feature = "flat"))]
mod grant;
mod heap;
#[cfg(not(feature = "flat"))]
mod layout;
#[cfg(not(feature = "flat"))]
mod mpu;
#[cfg(not(feature = "flat"))]
mod process;
#[cfg(not(feature = "flat"))]
mod protected;
mod register;
#[cfg(not(feature = "flat"))]
mod scheduler;
mod semihosting;
mod services;
#[allow(dead_code)] // the generated layer is complete; the kernel uses part of it
mod syscalls;
mod systick;
#[cfg(not(feature = "flat"))]
mod thumb;
#[cfg(not(feature = "flat"))]
mod user_memory;
mod vectors;

use core::panic::PanicInfo;

use firmware_abi::exit_status::KERNEL_PANIC;

#[cfg(feature = "flat")]
use flat::kernel_main;
#[cfg(not(feature = "flat"))]
use protected::kernel_main;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    kprintln!("panic: {info}");
    semihosting::exit(KERNEL_PANIC);
}
