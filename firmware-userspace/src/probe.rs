//! Single memory accesses, each exactly one load or store instruction.
//!
//! The attack scenarios must make precisely the access they announce, at
//! the address they announce, with an instruction the kernel can classify
//! as a read or a write; inline assembly guarantees that where a Rust
//! pointer access would let the compiler merge, move or drop it (or treat
//! an access to address 0 as impossible).

use core::arch::asm;

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
