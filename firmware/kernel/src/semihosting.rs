//! ARM semihosting: the debugger (here QEMU with
//! `-semihosting-config enable=on,target=native`) services requests the
//! target makes with `bkpt 0xab`, operation in r0 and argument in r1.
//!
//! The kernel uses two: it reads the command line to learn the boot
//! argument, and it ends the run with an exit status. Without a debugger
//! attached `bkpt` is a HardFault, so on real hardware this module needs a
//! probe that services semihosting.

use core::arch::asm;

const SYS_GET_CMDLINE: u32 = 0x15;
const SYS_EXIT_EXTENDED: u32 = 0x20;
/// `ADP_Stopped_ApplicationExit`: the program ended by itself.
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x2_0026;

/// # Safety
/// `argument` must be what `operation` expects: a pointer to a parameter
/// block that stays valid and, where the host writes, writable.
unsafe fn call(operation: u32, argument: usize) -> u32 {
    let result;
    // SAFETY: `bkpt 0xab` hands the request to the host, which reads and
    // writes only the parameter block the caller vouches for.
    unsafe {
        asm!("bkpt 0xab", inout("r0") operation => result, in("r1") argument, options(nostack));
    }
    result
}

/// Ends the run; the host (QEMU) exits with `status`.
pub fn exit(status: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, status];
    // SAFETY: SYS_EXIT_EXTENDED reads the two words of `block`.
    unsafe { call(SYS_EXIT_EXTENDED, block.as_ptr() as usize) };
    // Only reached when no host serviced the request.
    loop {
        crate::cpu::wait_for_interrupt();
    }
}

/// The host's command line, copied into `buffer`; `None` if the host has
/// none or it does not fit.
pub fn command_line(buffer: &mut [u8]) -> Option<&str> {
    let mut block = [buffer.as_mut_ptr() as usize, buffer.len()];
    // SAFETY: SYS_GET_CMDLINE reads the block, writes at most `buffer.len()`
    // bytes into `buffer` and the length back into `block[1]`.
    let failed = unsafe { call(SYS_GET_CMDLINE, block.as_mut_ptr() as usize) } != 0;
    if failed {
        return None;
    }
    let len = block[1].min(buffer.len());
    core::str::from_utf8(&buffer[..len]).ok()
}
