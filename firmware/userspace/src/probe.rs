//! Single memory accesses, each exactly one load or store instruction.
//!
//! The attack scenarios must make precisely the access they announce, at
//! the address they announce, with an instruction the kernel can classify
//! as a read or a write; inline assembly guarantees that where a Rust
//! pointer access would let the compiler merge, move or drop it (or treat
//! an access to address 0 as impossible).

use core::arch::{asm, global_asm};

/// Loads the word at `address`.
pub fn read_word(address: usize) -> u32 {
    let value;
    // SAFETY: the load changes no memory; if the MPU refuses it, the kernel
    // stops the blob, which is what the scenarios are for.
    unsafe { asm!("ldr {0}, [{1}]", out(reg) value, in(reg) address, options(nostack, readonly)) };
    value
}

/// Stores `value` at `address`.
pub fn write_word(address: usize, value: u32) {
    // SAFETY: the scenarios only store to memory no Rust value of the blob
    // lives in, or to memory the MPU must refuse.
    unsafe { asm!("str {0}, [{1}]", in(reg) value, in(reg) address, options(nostack)) };
}

/// Loads the byte at `address`.
pub fn read_byte(address: usize) -> u8 {
    let value: u32;
    // SAFETY: as in `read_word`.
    unsafe { asm!("ldrb {0}, [{1}]", out(reg) value, in(reg) address, options(nostack, readonly)) };
    value as u8
}

/// Stores `value` at `address`.
pub fn write_byte(address: usize, value: u8) {
    // SAFETY: as in `write_word`.
    unsafe { asm!("strb {0}, [{1}]", in(reg) u32::from(value), in(reg) address, options(nostack)) };
}

/// Calls the Thumb code at `address`.
pub fn call(address: usize) {
    // SAFETY: the scenario places a lone `bx lr` there; if the MPU refuses
    // the fetch the kernel stops the blob.
    unsafe { asm!("blx {0}", in(reg) address | 1, clobber_abi("C")) };
}

// Instructions the core itself refuses, each in a routine of its own so
// that a scenario knows, and can announce, the faulting PC before the
// fault: it is the routine's address.
global_asm!(
    ".section .text.probe_udf,\"ax\",%progbits",
    ".global probe_udf",
    ".type probe_udf,%function",
    ".thumb_func",
    "probe_udf:",
    "    udf #0",
    "    bx lr",
    ".section .text.probe_sdiv,\"ax\",%progbits",
    ".global probe_sdiv",
    ".type probe_sdiv,%function",
    ".thumb_func",
    "probe_sdiv:",
    "    sdiv r0, r0, r1",
    "    bx lr",
    ".section .text.probe_ldrd,\"ax\",%progbits",
    ".global probe_ldrd",
    ".type probe_ldrd,%function",
    ".thumb_func",
    "probe_ldrd:",
    "    ldrd r0, r1, [r0]",
    "    bx lr",
    ".section .text.probe_push,\"ax\",%progbits",
    ".global probe_push",
    ".type probe_push,%function",
    ".thumb_func",
    "probe_push:",
    "    push {{r0}}",
    "    b probe_push",
    ".section .text.probe_bkpt,\"ax\",%progbits",
    ".global probe_bkpt",
    ".type probe_bkpt,%function",
    ".thumb_func",
    "probe_bkpt:",
    "    bkpt #1",
    "    bx lr",
);

unsafe extern "C" {
    /// `udf #0`: always UNDEFINED.
    fn probe_udf();
    /// `sdiv r0, r0, r1`: `dividend / divisor`; a UsageFault when the
    /// divisor is 0 and CCR.DIV_0_TRP is set, else 0.
    fn probe_sdiv(dividend: i32, divisor: i32) -> i32;
    /// `ldrd r0, r1, [r0]`: two words from `address`, which the
    /// architecture requires to be word aligned whatever CCR.UNALIGN_TRP
    /// says.
    fn probe_ldrd(address: usize) -> u64;
    /// `push {r0}` over and over: grows the process stack until something
    /// stops it; never returns.
    fn probe_push() -> !;
    /// `bkpt #1`: a debug event, which no debugger takes.
    fn probe_bkpt();
}

/// The address of the `udf` that [`undefined_instruction`] executes.
pub fn undefined_instruction_pc() -> usize {
    probe_udf as *const () as usize & !1
}

/// Executes an undefined instruction.
pub fn undefined_instruction() {
    // SAFETY: `udf` changes no memory or register; the core raises a
    // UsageFault and the kernel stops the blob.
    unsafe { probe_udf() }
}

/// The address of the `sdiv` that [`divide`] executes.
pub fn divide_pc() -> usize {
    probe_sdiv as *const () as usize & !1
}

/// `dividend / divisor` with one `sdiv`, without Rust's check of the
/// divisor.
pub fn divide(dividend: i32, divisor: i32) -> i32 {
    // SAFETY: `sdiv` touches no memory; by zero it faults or gives 0.
    unsafe { probe_sdiv(dividend, divisor) }
}

/// The address of the `ldrd` that [`load_dual`] executes.
pub fn load_dual_pc() -> usize {
    probe_ldrd as *const () as usize & !1
}

/// Loads the two words at `address` with one `ldrd`.
pub fn load_dual(address: usize) -> u64 {
    // SAFETY: the load changes no memory; the scenarios pass an address
    // inside the blob's own SRAM, readable, so only its alignment can
    // make it fault.
    unsafe { probe_ldrd(address) }
}

/// The address of the `push` that [`exhaust_stack`] repeats.
pub fn push_pc() -> usize {
    probe_push as *const () as usize & !1
}

/// Pushes words onto the process stack, one `push` at a time, until the
/// core refuses one.
pub fn exhaust_stack() -> ! {
    // SAFETY: the pushes write only below the stack pointer, into stack
    // no live frame uses, until they reach the stack's bottom, where the
    // stack limit (ARMv8-M) or the MPU (below user SRAM) stops them.
    unsafe { probe_push() }
}

/// The address of the `bkpt` that [`breakpoint`] executes.
pub fn breakpoint_pc() -> usize {
    probe_bkpt as *const () as usize & !1
}

/// Executes a breakpoint instruction.
pub fn breakpoint() {
    // SAFETY: `bkpt` changes no memory or register; without a debugger
    // the core escalates the debug event to HardFault.
    unsafe { probe_bkpt() }
}
