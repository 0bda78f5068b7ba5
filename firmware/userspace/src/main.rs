//! The unprivileged user blob of an mcu-build protected image.
//!
//! It starts with the [`firmware_abi::UserspaceHeader`] (see [`header`]) at
//! the user flash origin, runs only what the MPU grants it (user flash
//! read/execute, user SRAM read/write) and reaches the kernel only through
//! the generated system call proxies of the library
//! ([`firmware_userspace::syscalls`]). The kernel enters [`_start`] with the
//! boot argument in r0: 0 runs the demo, `n` runs attack scenario `n` (see
//! [`scenarios`]).
//!
//! Build: `MCU_BUILD_GEN_DIR=<dir with memory.ld> cargo build --release
//! --target thumbv7em-none-eabi` (or `thumbv8m.main-none-eabi`); the
//! kernel does not need to exist yet (this is pass 1).

#![no_std]
#![no_main]

mod header;
mod memory_map;
mod probe;
mod scenarios;

use core::panic::PanicInfo;

use firmware_userspace::heap::UserHeap;
use firmware_userspace::syscalls::_exit;
use firmware_userspace::{FAILURE, demo, println};

use crate::scenarios::SCENARIOS;

/// The user heap, where `user.ld` put it (the header announces the same
/// bounds).
#[global_allocator]
static HEAP: UserHeap = UserHeap::new(header::heap);

/// Ends the blob with `status`.
fn exit(status: i32) -> ! {
    // SAFETY: `_exit` takes no pointer.
    unsafe { _exit(status) }
}

/// The entry point the header names.
#[unsafe(no_mangle)]
pub extern "C" fn _start(boot_argument: u32) -> ! {
    let Some(index) = boot_argument.checked_sub(1) else {
        demo::run()
    };
    match SCENARIOS.get(index as usize) {
        Some(scenario) => {
            println!("scenario {boot_argument}: {}", scenario.name);
            scenario.run()
        }
        None => {
            println!("no scenario {boot_argument}; there are {}", SCENARIOS.len());
            exit(FAILURE)
        }
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    println!("panic: {info}");
    exit(FAILURE)
}
