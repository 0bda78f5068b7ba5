//! Demo process C: the attacker. Each start makes one forbidden access,
//! chosen by how many times the kernel restarted it (r1 at entry), after
//! announcing it; the kernel reports the fault with the address (MMFAR)
//! and restarts C with fresh memory and an empty grant region, until its
//! restart limit stops it.
//!
//! Every start first takes an alarm (kernel state in its grant region), so
//! that each restart has grant memory to free. Each access is announced
//! with `expect_fault` first: the kernel checks that the fault comes at
//! that address, and the run succeeds only if every fault did. Process B's
//! RAM is found by the symbol the build defines for every process
//! (`__process_b_ram_start`, templates/README.md).

#![no_std]
#![no_main]

#[path = "../header.rs"]
mod header;
#[path = "../probe.rs"]
#[allow(dead_code)] // C needs only the byte probes
mod probe;
#[path = "../process_runtime.rs"]
#[allow(dead_code)] // C does not time itself
#[macro_use]
mod runtime;

use firmware_userspace::syscalls::{alarm_start, expect_fault};

use crate::probe::{read_byte, write_byte};

pub use runtime::_start;

/// Its name on the console, as in the process table.
const NAME: &str = "c";

unsafe extern "C" {
    static __kernel_sram_start: u8;
    static __process_b_ram_start: u8;
}

fn main(_boot_argument: u32, restarts: u32) {
    runtime::touch_own_partitions(NAME);
    // SAFETY: `alarm_start` takes no pointer.
    let alarm = unsafe { alarm_start(1_000_000) };
    println!("c: start {restarts}: alarm {alarm} in the grant region");
    let (flash_start, flash_end) = runtime::flash();
    let (ram_start, ram_end) = runtime::ram();
    let kernel_sram = (&raw const __kernel_sram_start) as usize;
    let b_ram = (&raw const __process_b_ram_start) as usize;
    let (what, address, write) = match restarts {
        0 => ("read its own grant region", ram_end, false),
        1 => ("write its own flash", flash_start, true),
        2 => ("read kernel RAM", kernel_sram, false),
        3 => ("read process b's RAM", b_ram, false),
        4 => ("read past the end of its flash", flash_end, false),
        5 => ("read before the start of its RAM", ram_start - 1, false),
        _ => {
            println!("c: no attack left");
            return;
        }
    };
    println!(
        "c: {what}: {} at {address:#010x}",
        if write { "write" } else { "read" }
    );
    // SAFETY: `expect_fault` takes no pointer.
    unsafe { expect_fault(address as u32) };
    if write {
        write_byte(address, 0);
    } else {
        read_byte(address);
    }
    println!("c: {what} at {address:#010x} was allowed: isolation is broken");
    runtime::exit(firmware_userspace::FAILURE);
}
