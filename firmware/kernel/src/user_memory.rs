//! Checked access to a process's memory from the kernel.
//!
//! A pointer in a system call argument is an untrusted number. The kernel
//! reads `[address, address + len)` only if it lies entirely inside one
//! partition the calling process may read (its flash, or its RAM below the
//! grant region), and writes only if it lies entirely inside that RAM; an
//! overflowing `address + len` lies nowhere. Otherwise the call fails with
//! `EFAULT` before a single byte moves, so a process can neither read
//! kernel memory, another process's memory or its own grants through the
//! kernel nor make the kernel write them. The generated `dispatch` asks
//! the same question through the `UserMemory` implementation here before
//! every call with a checked pointer.

use firmware_abi::Partition;

use crate::layout::ProcessEntry;
use crate::services::Services;
use crate::syscalls::UserMemory;

/// A span that does not lie inside the process's partitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadAddress;

/// What one process may reach: exactly what its MPU regions grant it.
#[derive(Clone, Copy, Debug)]
pub struct ProcessMemory {
    /// Its flash partition, readable and executable.
    pub flash: Partition,
    /// Its RAM below the grant region, readable and writable.
    pub ram: Partition,
}

impl ProcessMemory {
    /// No memory at all: for describing the kernel's own faults, which
    /// have no process frame to read.
    pub const NOTHING: Self = Self {
        flash: Partition { start: 0, end: 0 },
        ram: Partition { start: 0, end: 0 },
    };

    pub const fn of(entry: &ProcessEntry) -> Self {
        Self {
            flash: entry.flash,
            ram: entry.process_ram(),
        }
    }

    /// Whether the process may read `[address, address + len)`: all of it
    /// inside one of its partitions.
    pub fn readable(&self, address: u32, len: u32) -> bool {
        self.flash.contains(address, len) || self.ram.contains(address, len)
    }

    /// Calls `use_bytes` with the process's bytes `[address, address + len)`.
    pub fn read<R>(
        &self,
        address: u32,
        len: u32,
        use_bytes: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, BadAddress> {
        if !self.readable(address, len) {
            return Err(BadAddress);
        }
        // SAFETY: the span lies inside a process partition, plain memory
        // that privileged code may read. Processes are suspended while the
        // kernel runs (one core, the kernel runs between traps), so nothing
        // changes the bytes while the slice lives, and the slice does not
        // outlive this call.
        let bytes =
            unsafe { core::slice::from_raw_parts(address as usize as *const u8, len as usize) };
        Ok(use_bytes(bytes))
    }

    /// Copies `bytes` into the process's RAM at `address`.
    pub fn write(&self, address: u32, bytes: &[u8]) -> Result<(), BadAddress> {
        let len = u32::try_from(bytes.len()).map_err(|_| BadAddress)?;
        if !self.ram.contains(address, len) {
            return Err(BadAddress);
        }
        // SAFETY: the span lies inside the process's RAM, which no Rust
        // reference of the kernel points into (the kernel only touches it
        // through this type), and the process is suspended while the
        // kernel runs.
        unsafe {
            core::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                address as usize as *mut u8,
                bytes.len(),
            );
        }
        Ok(())
    }

    /// Zeroes `len` bytes of the process's RAM at `address`.
    pub fn zero(&self, address: u32, len: u32) -> Result<(), BadAddress> {
        if !self.ram.contains(address, len) {
            return Err(BadAddress);
        }
        // SAFETY: as in `write`.
        unsafe { core::ptr::write_bytes(address as usize as *mut u8, 0, len as usize) };
        Ok(())
    }
}

// SAFETY: only the calling process's partitions pass, and both are plain
// memory that is always mapped: flash readable, RAM readable and writable.
unsafe impl UserMemory for Services<'_> {
    fn user_range_ok(&self, addr: usize, len: usize, write: bool) -> bool {
        let (Ok(address), Ok(len)) = (u32::try_from(addr), u32::try_from(len)) else {
            return false;
        };
        let memory = self.caller.memory;
        if write {
            memory.ram.contains(address, len)
        } else {
            memory.readable(address, len)
        }
    }
}
