//! The privileged kernel of an mcu-build protected image.
//!
//! It checks the user blob, isolates it with the MPU, runs it unprivileged
//! and serves its system calls; when the blob faults the kernel reports the
//! fault and outlives it.
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
//! - `layout.rs`: Rust items included by [`layout`]: the user partitions,
//!   the MPU region table as register values, the user header of pass 1,
//!   the console UART and the core clock.
//!
//! The system call module is `syscall_stubs.rs` (hand-written until the
//! generated one replaces it). `templates/README.md` gives the exact format
//! of every file. The build target picks the MPU: `thumbv7em-none-eabi`
//! (and other ARMv7-M) for PMSAv7, `thumbv8m.main-none-eabi` for PMSAv8.
//!
//! # Boot
//!
//! Reset initialises the kernel's statics; then [`kernel_main`] starts the
//! console, enables the fault handlers and the SysTick, admits the user
//! blob (header, CRC, same blob as pass 1), programs the MPU, loads the
//! blob's `.data` and `.bss`, and runs it with the boot argument in r0.
//! The run ends through semihosting with the blob's exit status, or with
//! one of [`firmware_abi::exit_status`].

#![no_std]
#![no_main]

extern crate alloc;

mod admission;
mod boot_argument;
mod console;
mod cpu;
mod faults;
mod heap;
mod layout;
mod mpu;
mod process;
mod register;
mod semihosting;
mod services;
mod syscall_stubs;
mod systick;
mod thumb;
mod user_memory;
mod vectors;

use alloc::boxed::Box;
use core::panic::PanicInfo;

use firmware_abi::ABI_VERSION;
use firmware_abi::exit_status::{BLOB_REFUSED, KERNEL_PANIC, USER_FAULT};

use crate::layout::{MPU_REGIONS, USER_FLASH, USER_SRAM};
use crate::process::{Process, Stopped};

/// Entered from `Reset_Handler` once statics are initialised.
extern "C" fn kernel_main() -> ! {
    console::init();
    faults::enable();
    systick::start();
    let (heap_start, heap_end) = heap::bounds();
    kprintln!(
        "mcu-build kernel, user ABI {ABI_VERSION}; kernel heap [{heap_start:#010x}, {heap_end:#010x})"
    );
    kprintln!(
        "user flash [{:#010x}, {:#010x}), user SRAM [{:#010x}, {:#010x})",
        USER_FLASH.start,
        USER_FLASH.end,
        USER_SRAM.start,
        USER_SRAM.end
    );

    let header = match admission::admit() {
        Ok(header) => header,
        Err(refusal) => {
            kprintln!("refusing the user blob: {refusal}");
            semihosting::exit(BLOB_REFUSED);
        }
    };
    if let Err(error) = mpu::enable(MPU_REGIONS) {
        panic!(
            "the MPU table needs {} regions, the MPU has {}",
            error.needed, error.available
        );
    }
    kprintln!("MPU on: {} regions", MPU_REGIONS.len());

    let boot_argument = boot_argument::read();
    // The process record is the kernel heap's one tenant.
    let mut process = match Process::load(&header, boot_argument) {
        Ok(process) => Box::new(process),
        Err(_) => panic!("the admitted header put the blob's memory outside user SRAM"),
    };
    kprintln!(
        "starting the user blob at {:#010x}, unprivileged, boot argument {boot_argument} ({} heap bytes used)",
        header.entry,
        heap::used()
    );
    match process.run() {
        Stopped::Exited(status) => {
            kprintln!("user blob exited with status {status}");
            semihosting::exit(status);
        }
        Stopped::Faulted(fault) => {
            kprintln!("user fault: {}", fault.describe());
            stopped_the_blob();
        }
        Stopped::BadStack(psp) => {
            kprintln!("user blob trapped with its stack pointer at {psp:#010x}, outside user SRAM");
            stopped_the_blob();
        }
    }
}

/// The kernel outlives the blob: it still takes SysTick interrupts and
/// sleeps on them before it reports and ends the run.
fn stopped_the_blob() -> ! {
    let before = systick::uptime_ms();
    systick::sleep_ms(1);
    kprintln!(
        "user blob stopped; the kernel keeps running (uptime {} ms, then {} ms)",
        before,
        systick::uptime_ms()
    );
    semihosting::exit(USER_FAULT);
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    kprintln!("panic: {info}");
    semihosting::exit(KERNEL_PANIC);
}
