//! Memory-mapped registers.
//!
//! A [`Register`] can only be made by an `unsafe` constructor whose caller
//! promises that the address is a device register for which any volatile
//! 32-bit read or write is harmless to memory safety. After that, reads and
//! writes are safe: they may change what the device does, never what Rust
//! memory holds.

use core::ptr;

/// One 32-bit memory-mapped register.
#[derive(Clone, Copy)]
pub struct Register(usize);

impl Register {
    /// # Safety
    /// `address` must be a 4-byte aligned device register (not RAM that Rust
    /// code owns) that may be read and written at any time.
    pub const unsafe fn at(address: usize) -> Self {
        Self(address)
    }

    pub fn read(self) -> u32 {
        // SAFETY: the constructor's contract: a valid, aligned device register.
        unsafe { ptr::read_volatile(self.0 as *const u32) }
    }

    pub fn write(self, value: u32) {
        // SAFETY: the constructor's contract: a valid, aligned device register.
        unsafe { ptr::write_volatile(self.0 as *mut u32, value) }
    }

    /// Read, change, write back; only the protected build's fault setup
    /// needs it.
    #[cfg(not(feature = "flat"))]
    pub fn modify(self, change: impl FnOnce(u32) -> u32) {
        self.write(change(self.read()));
    }
}
