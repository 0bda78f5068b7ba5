//! The few core instructions the kernel needs outside of exception entry.

use core::arch::asm;

/// Sleeps until an interrupt (here: the SysTick) is pending.
pub fn wait_for_interrupt() {
    // SAFETY: `wfi` only suspends execution until an interrupt.
    unsafe { asm!("wfi", options(nomem, nostack, preserves_flags)) };
}

/// Makes Thread mode privileged again (CONTROL.nPRIV = 0) after the user
/// blob trapped. Only meaningful in Handler mode, where the next exception
/// return to Thread mode resumes the kernel. The flat build never drops
/// privilege.
#[cfg(not(feature = "flat"))]
pub fn thread_mode_privileged() {
    // SAFETY: clearing nPRIV only grants privilege to the code the next
    // exception return resumes, which the caller makes the kernel; the ISB
    // makes the change visible before that return.
    unsafe {
        asm!("msr CONTROL, {}", "isb", in(reg) 0u32, options(nomem, nostack, preserves_flags))
    };
}

/// Sets the process stack limit (PSPLIM, ARMv8-M only): a push that would
/// take the blob's stack pointer below `limit` is a UsageFault (STKOF)
/// before anything is written, where ARMv7-M has only the MPU at the edge
/// of user SRAM to stop it.
#[cfg(all(armv8m, not(feature = "flat")))]
pub fn set_process_stack_limit(limit: u32) {
    // SAFETY: PSPLIM only bounds the process stack, which the kernel never
    // uses; the blob's stack starts above `limit`.
    unsafe { asm!("msr PSPLIM, {}", in(reg) limit, options(nomem, nostack, preserves_flags)) };
}
