//! Kernel side of the system call interface: number constants, one trait
//! method per call, and `dispatch`.
//!
//! This file is a hand-written stand-in in the shape of the module mcu-build
//! generates from the system call table; replace it with the generated one.
//! Convention (shared with `firmware-userspace/src/syscall_proxies.rs`):
//! `svc 0`, call number in r0, arguments in r1..r6, result in r0, a
//! negative errno on failure.

use firmware_abi::errno::ENOSYS;

pub const EXIT: u32 = 0;
pub const WRITE: u32 = 1;
pub const SLEEP_MS: u32 = 2;
pub const UPTIME_MS: u32 = 3;

/// What the kernel does for each call.
pub trait Syscalls {
    /// Ends the user blob with `status`.
    fn exit(&mut self, status: u32) -> i32;
    /// Writes `len` bytes at `buf` to file descriptor `fd`.
    fn write(&mut self, fd: u32, buf: u32, len: u32) -> i32;
    /// Suspends the user blob for `milliseconds`.
    fn sleep_ms(&mut self, milliseconds: u32) -> i32;
    /// Stores the milliseconds since boot as a `u32` at `out`.
    fn uptime_ms(&mut self, out: u32) -> i32;
}

/// Calls the method for `number` with the arguments from r1..r6.
pub fn dispatch(number: u32, args: [u32; 6], handler: &mut impl Syscalls) -> i32 {
    match number {
        EXIT => handler.exit(args[0]),
        WRITE => handler.write(args[0], args[1], args[2]),
        SLEEP_MS => handler.sleep_ms(args[0]),
        UPTIME_MS => handler.uptime_ms(args[0]),
        _ => -ENOSYS,
    }
}
