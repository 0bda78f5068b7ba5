//! What the kernel does for the application's system calls.
//!
//! The generated `dispatch` has already checked every pointer argument the
//! checks file declares (`write`'s buffer, `uptime_ms`'s output) through
//! `UserMemory`, and answered `-EFAULT` without calling these methods when
//! a check failed; so the methods may touch the memory they are given.
//! Which memory passes the check is the build's business: the calling
//! process's partitions in the protected build (`user_memory.rs`),
//! everything in the flat one (`flat.rs`).
//!
//! In the protected build a call that has to wait (`sleep_ms`,
//! `alarm_wait`) does not wait here: it records in its [`Caller`] until
//! when the process is blocked and with what result, and the scheduler
//! runs the other processes meanwhile. `_exit` never reaches these
//! methods there: it ends one process, which only the scheduler can do
//! (see `process.rs`).

use firmware_abi::errno::EBADF;

use crate::syscalls::{Errno, SyscallResult, Syscalls};
use crate::{console, systick};

const STDOUT: i32 = 1;
const STDERR: i32 = 2;

/// The process a call is served for.
#[cfg(not(feature = "flat"))]
pub struct Caller<'a> {
    /// What it may reach, for the pointer checks.
    pub memory: crate::user_memory::ProcessMemory,
    /// Its grant region, where its alarms live.
    pub grants: &'a mut crate::grant::GrantRegion,
    /// Where it announced its next fault (`expect_fault`).
    pub expected_fault: &'a mut Option<u32>,
    /// Set by a call that blocks it.
    pub blocked: Option<Blocked>,
}

/// A call that blocks the caller until `until_ms` of uptime, then answers
/// `result`.
#[cfg(not(feature = "flat"))]
#[derive(Clone, Copy)]
pub struct Blocked {
    pub until_ms: u32,
    pub result: usize,
}

/// The kernel's side of the application's system calls.
pub struct Services<'a> {
    #[cfg(not(feature = "flat"))]
    pub caller: Caller<'a>,
    #[cfg(feature = "flat")]
    pub caller: core::marker::PhantomData<&'a ()>,
}

impl Syscalls for Services<'_> {
    #[cfg(not(feature = "flat"))]
    fn _exit(&mut self, _status: i32) -> ! {
        unreachable!("process.rs takes `_exit` before dispatch: it ends one process, not the kernel")
    }

    #[cfg(feature = "flat")]
    fn _exit(&mut self, status: i32) -> ! {
        crate::kprintln!("user blob exited with status {status}");
        crate::semihosting::exit(status as u32);
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

    #[cfg(feature = "flat")]
    fn sleep_ms(&mut self, milliseconds: u32) -> SyscallResult {
        systick::sleep_ms(milliseconds);
        Ok(0)
    }

    #[cfg(not(feature = "flat"))]
    fn sleep_ms(&mut self, milliseconds: u32) -> SyscallResult {
        self.caller.blocked = Some(Blocked {
            until_ms: systick::uptime_ms().wrapping_add(milliseconds),
            result: 0,
        });
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

    /// The process's next access will fault at `address`: the scheduler
    /// checks the fault's MMFAR (or BFAR) against it, so that a run whose
    /// every fault was announced where it came proves the isolation it
    /// tests instead of failing (the demo's attacker, process C).
    #[cfg(not(feature = "flat"))]
    fn expect_fault(&mut self, address: u32) -> SyscallResult {
        *self.caller.expected_fault = Some(address);
        Ok(0)
    }

    #[cfg(not(feature = "flat"))]
    fn alarm_start(&mut self, period_ms: u32) -> SyscallResult {
        crate::alarms::start(self.caller.grants, systick::uptime_ms(), period_ms)
            .map(|number| number as usize)
    }

    #[cfg(not(feature = "flat"))]
    fn alarm_wait(&mut self, number: i32) -> SyscallResult {
        let now = systick::uptime_ms();
        match crate::alarms::wait(self.caller.grants, now, number as u32)? {
            crate::alarms::Wait::Now(due) => Ok(due as usize),
            crate::alarms::Wait::Until(due) => {
                self.caller.blocked = Some(Blocked {
                    until_ms: due,
                    result: due as usize,
                });
                Ok(due as usize)
            }
        }
    }
}
