//! The boot of the protected build: admit the user blob, isolate it with
//! the MPU and run it unprivileged; report its faults and outlive them.

use alloc::boxed::Box;

use firmware_abi::ABI_VERSION;
use firmware_abi::exit_status::{BLOB_REFUSED, USER_FAULT};

use crate::layout::{MPU_REGIONS, USER_FLASH, USER_SRAM};
use crate::process::{Process, Stopped};
use crate::{admission, boot_argument, console, faults, heap, kprintln, mpu, semihosting, systick};

/// Entered from `Reset_Handler` once statics are initialised.
pub extern "C" fn kernel_main() -> ! {
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
