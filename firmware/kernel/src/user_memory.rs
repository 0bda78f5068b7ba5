//! Checked access to the user blob's memory from the kernel.
//!
//! A pointer in a system call argument is an untrusted number. The kernel
//! reads `[address, address + len)` only if it lies entirely inside one user
//! partition (flash or SRAM), and writes only if it lies entirely inside user
//! SRAM; an overflowing `address + len` lies nowhere. Otherwise the call
//! fails with `EFAULT` before a single byte moves, so a user blob can neither
//! read kernel memory through the kernel nor make the kernel write it. The
//! generated `dispatch` asks the same question through the `UserMemory`
//! implementation here before every call with a checked pointer.

use crate::layout::{USER_FLASH, USER_SRAM};
use crate::services::Services;
use crate::syscalls::UserMemory;

/// A span that does not lie inside the user partitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadAddress;

/// Whether the user blob may read `[address, address + len)`: all of it
/// inside one user partition.
fn readable(address: u32, len: u32) -> bool {
    USER_FLASH.contains(address, len) || USER_SRAM.contains(address, len)
}

// SAFETY: only the user partitions pass, and both are plain memory that is
// always mapped: user flash readable, user SRAM readable and writable.
unsafe impl UserMemory for Services {
    fn user_range_ok(&self, addr: usize, len: usize, write: bool) -> bool {
        let (Ok(address), Ok(len)) = (u32::try_from(addr), u32::try_from(len)) else {
            return false;
        };
        if write {
            USER_SRAM.contains(address, len)
        } else {
            readable(address, len)
        }
    }
}

/// Calls `use_bytes` with the user bytes `[address, address + len)`.
pub fn read<R>(
    address: u32,
    len: u32,
    use_bytes: impl FnOnce(&[u8]) -> R,
) -> Result<R, BadAddress> {
    if !readable(address, len) {
        return Err(BadAddress);
    }
    // SAFETY: the span lies inside a user partition, plain memory that
    // privileged code may read. The user blob is suspended while the kernel
    // runs (one core, the kernel runs between traps), so nothing changes the
    // bytes while the slice lives, and the slice does not outlive this call.
    let bytes = unsafe { core::slice::from_raw_parts(address as usize as *const u8, len as usize) };
    Ok(use_bytes(bytes))
}

/// Copies `bytes` into user SRAM at `address`.
pub fn write(address: u32, bytes: &[u8]) -> Result<(), BadAddress> {
    let len = u32::try_from(bytes.len()).map_err(|_| BadAddress)?;
    if !USER_SRAM.contains(address, len) {
        return Err(BadAddress);
    }
    // SAFETY: the span lies inside user SRAM, which no Rust reference of the
    // kernel points into (the kernel only touches it through this module),
    // and the user blob is suspended while the kernel runs.
    unsafe {
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), address as usize as *mut u8, bytes.len());
    }
    Ok(())
}

/// Zeroes `len` bytes of user SRAM at `address`.
pub fn zero(address: u32, len: u32) -> Result<(), BadAddress> {
    if !USER_SRAM.contains(address, len) {
        return Err(BadAddress);
    }
    // SAFETY: as in `write`.
    unsafe { core::ptr::write_bytes(address as usize as *mut u8, 0, len as usize) };
    Ok(())
}
