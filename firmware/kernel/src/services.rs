//! What the kernel does for the application's system calls.
//!
//! The generated `dispatch` has already checked every pointer argument the
//! checks file declares (`write`'s buffer, `uptime_ms`'s output) through
//! `UserMemory`, and answered `-EFAULT` without calling these methods when
//! a check failed; so the methods may touch the memory they are given.
//! Which memory passes the check is the build's business: the user
//! partitions in the protected build (`user_memory.rs`), everything in the
//! flat one (`flat.rs`).

use firmware_abi::errno::EBADF;

use crate::syscalls::{Errno, SyscallResult, Syscalls};
use crate::{console, kprintln, semihosting, systick};

const STDOUT: i32 = 1;
const STDERR: i32 = 2;

/// The kernel's side of the application's system calls.
pub struct Services;

impl Syscalls for Services {
    fn _exit(&mut self, status: i32) -> ! {
        kprintln!("user blob exited with status {status}");
        semihosting::exit(status as u32);
    }

    fn write(&mut self, fd: i32, buf: usize, len: usize) -> SyscallResult {
        if fd != STDOUT && fd != STDERR {
            return Err(Errno(EBADF as u16));
        }
        // The result must fit the positive half of r0.
        let len = len.min(i32::MAX as usize);
        // SAFETY: `dispatch` checked `[buf, buf + len)` with
        // `user_range_ok` for reading; while the kernel runs, the
        // application does not, so the bytes stay as they are.
        let bytes = unsafe { core::slice::from_raw_parts(buf as *const u8, len) };
        console::write_bytes(bytes);
        Ok(len)
    }

    fn sleep_ms(&mut self, milliseconds: u32) -> SyscallResult {
        systick::sleep_ms(milliseconds);
        Ok(0)
    }

    fn uptime_ms(&mut self, out: usize) -> SyscallResult {
        let bytes = systick::uptime_ms().to_le_bytes();
        // SAFETY: `dispatch` checked the 4 bytes at `out` with
        // `user_range_ok` for writing; no reference of the kernel points
        // there. The address need not be aligned, so bytes are copied.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), out as *mut u8, bytes.len()) };
        Ok(0)
    }
}
