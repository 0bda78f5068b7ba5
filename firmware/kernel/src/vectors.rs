//! The vector table and the reset handler.
//!
//! On reset a Cortex-M loads MSP from word 0 of the table at VTOR and
//! branches to word 1. `kernel.ld` writes word 0 (the end of the kernel
//! stack) and places section `.vectors`, this table, right after it. Only
//! the 15 system exceptions are listed: the kernel enables no external
//! interrupt.

use core::arch::global_asm;

#[cfg(not(feature = "flat"))]
use crate::faults::fault_trampoline;
#[cfg(not(feature = "flat"))]
use crate::process::{svc_handler, tick_handler};
#[cfg(feature = "flat")]
use crate::systick::on_tick as tick_handler;

// The flat build has no user blob to stop and makes no `svc`: a fault or a
// trap there is the kernel's own failure.
#[cfg(feature = "flat")]
use self::{unexpected_exception as fault_trampoline, unexpected_exception as svc_handler};

/// One vector table entry.
#[derive(Clone, Copy)]
#[repr(C)]
pub union Vector {
    handler: unsafe extern "C" fn(),
    reserved: usize,
}

const RESERVED: Vector = Vector { reserved: 0 };

const fn handler(handler: unsafe extern "C" fn()) -> Vector {
    Vector { handler }
}

unsafe extern "C" {
    fn Reset_Handler();
}

#[used]
#[unsafe(link_section = ".vectors")]
static VECTORS: [Vector; 15] = [
    handler(Reset_Handler),
    handler(unexpected_exception), // NMI
    handler(fault_trampoline),     // HardFault
    handler(fault_trampoline),     // MemManage
    handler(fault_trampoline),     // BusFault
    handler(fault_trampoline),     // UsageFault
    handler(unexpected_exception), // SecureFault (ARMv8-M), else reserved
    RESERVED,
    RESERVED,
    RESERVED,
    handler(svc_handler),
    handler(unexpected_exception), // DebugMonitor
    RESERVED,
    handler(unexpected_exception), // PendSV
    handler(tick_handler),
];

/// Exceptions the kernel never enables or expects.
extern "C" fn unexpected_exception() {
    let exception: u32;
    // SAFETY: reading IPSR has no side effects.
    unsafe {
        core::arch::asm!("mrs {}, IPSR", out(reg) exception, options(nomem, nostack, preserves_flags));
    }
    panic!("unexpected exception {}", exception & 0x1FF);
}

// Reset: copy .data from flash, zero .bss, then enter Rust. This runs before
// any Rust code, because Rust code may assume statics are initialised.
global_asm!(
    ".section .text.reset,\"ax\",%progbits",
    ".global Reset_Handler",
    ".type Reset_Handler,%function",
    ".thumb_func",
    "Reset_Handler:",
    "    ldr r0, =__kernel_data_start",
    "    ldr r1, =__kernel_data_end",
    "    ldr r2, =__kernel_data_load",
    "1:  cmp r0, r1",
    "    bhs 2f",
    "    ldr r3, [r2], #4",
    "    str r3, [r0], #4",
    "    b 1b",
    "2:  ldr r0, =__kernel_bss_start",
    "    ldr r1, =__kernel_bss_end",
    "    movs r2, #0",
    "3:  cmp r0, r1",
    "    bhs 4f",
    "    str r2, [r0], #4",
    "    b 3b",
    "4:  bl {main}",
    "    udf #0",
    main = sym crate::kernel_main,
);
