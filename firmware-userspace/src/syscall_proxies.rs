//! User side of the system call interface: one function per call.
//!
//! This file is a hand-written stand-in in the shape of the proxies
//! mcu-build generates from the system call table; replace it with the
//! generated one. The numbers are those of the kernel's
//! `firmware-kernel/src/syscall_stubs.rs` (the generator emits both from one
//! table). Convention: `svc 0`, call number in r0, arguments in r1..r6,
//! result in r0, a negative errno on failure.

use core::arch::asm;

const EXIT: u32 = 0;
const WRITE: u32 = 1;
const SLEEP_MS: u32 = 2;
const UPTIME_MS: u32 = 3;

/// Traps into the kernel with call `number` and up to three arguments.
fn syscall(number: u32, arg1: u32, arg2: u32, arg3: u32) -> i32 {
    let result: u32;
    // SAFETY: `svc` hands control to the kernel, which reads only the
    // registers and the memory the arguments name (after checking that it
    // is the blob's own) and writes only r0 and such memory.
    unsafe {
        asm!(
            "svc 0",
            inout("r0") number => result,
            in("r1") arg1,
            in("r2") arg2,
            in("r3") arg3,
        );
    }
    result as i32
}

/// Ends the blob with `status`; the kernel does not return.
pub fn exit(status: u32) -> ! {
    syscall(EXIT, status, 0, 0);
    unreachable!("the kernel resumed the blob after exit")
}

/// Writes `len` bytes at `buf` to `fd`: the count, or `-EFAULT` if the
/// bytes are not all the blob's own.
pub fn write(fd: u32, buf: usize, len: usize) -> i32 {
    syscall(WRITE, fd, buf as u32, len as u32)
}

/// Sleeps on the kernel's timer.
pub fn sleep_ms(milliseconds: u32) -> i32 {
    syscall(SLEEP_MS, milliseconds, 0, 0)
}

/// Has the kernel store its uptime in milliseconds at `out`: 0, or
/// `-EFAULT` if `out` is not user SRAM.
pub fn uptime_ms(out: usize) -> i32 {
    syscall(UPTIME_MS, out as u32, 0, 0)
}
