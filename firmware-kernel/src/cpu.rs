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
