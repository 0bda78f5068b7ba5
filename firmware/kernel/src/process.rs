//! The user blob as a process: loaded, started unprivileged on its own
//! stack, resumed after each system call, stopped at `exit` or at a fault.
//!
//! How the kernel and the blob take turns (the technique Tock uses on
//! Cortex-M): the kernel runs in Thread mode, privileged, on the main stack
//! (MSP). To run the blob it loads the blob's callee-saved registers r4-r11,
//! points PSP at the blob's exception frame and executes `svc`. The SVC
//! handler sees that it came from the main stack (EXC_RETURN bit 2 clear),
//! sets CONTROL.nPRIV and returns to Thread mode on the process stack: the
//! hardware unstacks the blob's r0-r3, r12, lr, pc and xPSR and the blob
//! runs unprivileged. When the blob executes `svc`, or faults, the handler
//! clears nPRIV and returns to Thread mode on the main stack: the hardware
//! unstacks the frame the kernel's own `svc` pushed, and the kernel carries
//! on right after it, saves the blob's r4-r11 and looks at why it trapped.
//! The kernel thus serves system calls in Thread mode with interrupts
//! live, which is what lets `sleep_ms` simply wait for SysTick.

use core::arch::{asm, global_asm};

use firmware_abi::UserspaceHeader;

use crate::faults::{self, Fault};
use crate::services::Services;
use crate::syscalls;
use crate::user_memory::{self, BadAddress};

/// Words in the frame the hardware stacks on exception entry: r0-r3, r12,
/// lr, pc, xPSR.
const FRAME_WORDS: usize = 8;
const FRAME_BYTES: u32 = FRAME_WORDS as u32 * 4;
/// xPSR with only the Thumb bit set, as the blob starts.
const XPSR_THUMB: u32 = 1 << 24;
/// The blob's entry must never return; if it does, it branches to this
/// address, which no MPU region grants: an instruction fetch fault.
const RETURN_FAULTS: u32 = 0xFFFF_FFFF;

/// A loaded user blob.
pub struct Process {
    /// Process stack pointer: the blob's exception frame while it waits.
    psp: u32,
    /// r4-r11, which the hardware does not stack.
    callee_saved: [u32; 8],
}

/// Why the blob stopped running (its `_exit` call ends the run in
/// [`Services`] instead).
pub enum Stopped {
    /// It made an access the hardware refused.
    Faulted(Fault),
    /// It trapped with its stack pointer outside user SRAM, so the kernel
    /// cannot read its system call.
    BadStack(u32),
}

impl Process {
    /// Copies `.data` from flash, zeroes `.bss` and builds the first
    /// exception frame at the top of the blob's stack, so that the first
    /// return to the blob enters `header.entry` with `boot_argument` in r0.
    /// The header must have passed [`UserspaceHeader::validate`].
    pub fn load(header: &UserspaceHeader, boot_argument: u32) -> Result<Self, BadAddress> {
        let data_len = header.data_end - header.data_start;
        user_memory::read(header.data_load, data_len, |image| {
            user_memory::write(header.data_start, image)
        })??;
        user_memory::zero(header.bss_start, header.bss_end - header.bss_start)?;

        let frame: [u32; FRAME_WORDS] = [
            boot_argument,
            0,
            0,
            0,
            0,
            RETURN_FAULTS,
            header.entry & !1,
            XPSR_THUMB,
        ];
        let psp = header
            .stack_end
            .checked_sub(FRAME_BYTES)
            .ok_or(BadAddress)?;
        let mut bytes = [0u8; FRAME_BYTES as usize];
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(frame) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        user_memory::write(psp, &bytes)?;
        #[cfg(armv8m)]
        crate::cpu::set_process_stack_limit(header.stack_start);
        Ok(Self {
            psp,
            callee_saved: [0; 8],
        })
    }

    /// Runs the blob, serving its system calls, until it stops.
    pub fn run(&mut self) -> Stopped {
        let mut services = Services;
        loop {
            // SAFETY: `psp` points at a complete exception frame in user
            // SRAM: built by `load`, or stacked by the hardware at the
            // blob's last trap and checked readable below.
            self.psp = unsafe { switch_to_user(self.psp, &mut self.callee_saved) };
            if let Some(fault) = faults::take_user_fault() {
                return Stopped::Faulted(fault);
            }
            let Ok(result) = self.system_call(&mut services) else {
                return Stopped::BadStack(self.psp);
            };
            // r0 of the frame is the system call's result.
            if user_memory::write(self.psp, &(result as u32).to_le_bytes()).is_err() {
                return Stopped::BadStack(self.psp);
            }
        }
    }

    /// Dispatches the system call in the blob's registers: number in r0,
    /// arguments in r1-r3 (stacked) and r4-r6 (saved by the switch).
    fn system_call(&self, services: &mut Services) -> Result<usize, BadAddress> {
        let [r0, r1, r2, r3] = user_memory::read(self.psp, FRAME_BYTES, |frame| {
            let word = |index: usize| {
                let bytes = &frame[index * 4..index * 4 + 4];
                u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
            };
            [word(0), word(1), word(2), word(3)]
        })?;
        let [r4, r5, r6, ..] = self.callee_saved;
        let args = [r1, r2, r3, r4, r5, r6].map(|register| register as usize);
        Ok(syscalls::dispatch(r0, args, services))
    }
}

/// Runs the blob from the frame at `psp` with `callee_saved` in r4-r11
/// until it traps; stores its r4-r11 back and returns its new PSP.
///
/// # Safety
/// `psp` must point at a complete exception frame inside user SRAM whose
/// PC is user code: the hardware unstacks it and runs it unprivileged.
unsafe fn switch_to_user(psp: u32, callee_saved: &mut [u32; 8]) -> u32 {
    let mut psp = psp;
    // SAFETY: the kernel's own r6, r7 (frame pointer) and r9 cannot be named
    // as operands, so they are parked in r2, r3 and r12: the hardware stacks
    // those with the kernel's frame at `svc` and restores them when the
    // kernel resumes. r1 survives the same way. Everything else the blob
    // may change is declared clobbered. The blob can only reach the
    // partitions the MPU grants it, so it cannot touch this stack.
    unsafe {
        asm!(
            "mov r2, r6",
            "mov r3, r7",
            "mov r12, r9",
            "msr psp, r0",
            "ldmia r1, {{r4-r11}}",
            "svc 0xff",
            "stmia r1, {{r4-r11}}",
            "mrs r0, psp",
            "mov r6, r2",
            "mov r7, r3",
            "mov r9, r12",
            inout("r0") psp,
            in("r1") callee_saved.as_mut_ptr(),
            out("r2") _,
            out("r3") _,
            out("r4") _,
            out("r5") _,
            out("r8") _,
            out("r10") _,
            out("r11") _,
            out("r12") _,
        );
    }
    psp
}

// The SVC handler only switches sides; the kernel serves the call in Thread
// mode after `switch_to_user` returns. EXC_RETURN bit 2 tells which stack
// the `svc` came from and, flipped, selects the one to return to.
global_asm!(
    ".section .text.svc_handler,\"ax\",%progbits",
    ".global svc_handler",
    ".type svc_handler,%function",
    ".thumb_func",
    "svc_handler:",
    "    tst lr, #4",
    "    bne 1f",
    // From the kernel: the blob runs unprivileged on the process stack.
    "    movs r0, #1",
    "    msr CONTROL, r0",
    "    isb",
    "    orr lr, lr, #4",
    "    bx lr",
    // From the blob: the kernel resumes privileged on the main stack.
    "1:  movs r0, #0",
    "    msr CONTROL, r0",
    "    isb",
    "    bic lr, lr, #4",
    "    bx lr",
);

unsafe extern "C" {
    /// The SVCall vector.
    pub fn svc_handler();
}
