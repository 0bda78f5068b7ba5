//! A process: a blob loaded, started unprivileged on its own stack,
//! resumed after each system call and each time slice, restarted or
//! stopped when it faults.
//!
//! How the kernel and a process take turns (the technique Tock uses on
//! Cortex-M): the kernel runs in Thread mode, privileged, on the main stack
//! (MSP). To run a process it loads the process's callee-saved registers
//! r4-r11, points PSP at the process's exception frame and executes `svc`.
//! The SVC handler sees that it came from the main stack (EXC_RETURN bit 2
//! clear), sets CONTROL.nPRIV and returns to Thread mode on the process
//! stack: the hardware unstacks the process's r0-r3, r12, lr, pc and xPSR
//! and the process runs unprivileged. When the process executes `svc`,
//! faults, or the SysTick fires while it runs, the handler clears nPRIV
//! and returns to Thread mode on the main stack: the hardware unstacks the
//! frame the kernel's own `svc` pushed, and the kernel carries on right
//! after it, saves the process's r4-r11 and looks at why it trapped. The
//! kernel thus serves system calls in Thread mode with interrupts live,
//! and the SysTick that preempts a process is just one more way back to
//! the kernel, which decides whether the time slice is over (see
//! `scheduler.rs`). Each process has its own stack, in its own RAM; the
//! kernel keeps its PSP and r4-r11 here while it does not run.

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicBool, Ordering};

use firmware_abi::UserspaceHeader;

use crate::faults::{self, Fault};
use crate::grant::GrantRegion;
use crate::layout::ProcessEntry;
use crate::services::{Blocked, Caller, Services};
use crate::syscalls::{self, numbers};
use crate::user_memory::{BadAddress, ProcessMemory};
use crate::{cpu, systick};

/// Words in the frame the hardware stacks on exception entry: r0-r3, r12,
/// lr, pc, xPSR.
const FRAME_WORDS: usize = 8;
const FRAME_BYTES: u32 = FRAME_WORDS as u32 * 4;
/// xPSR with only the Thumb bit set, as a process starts.
const XPSR_THUMB: u32 = 1 << 24;
/// A process's entry must never return; if it does, it branches to this
/// address, which no MPU region grants: an instruction fetch fault.
const RETURN_FAULTS: u32 = 0xFFFF_FFFF;

/// A loaded process.
pub struct Process {
    /// Its entry in the table.
    pub entry: &'static ProcessEntry,
    /// Its admitted header.
    header: UserspaceHeader,
    /// What it may reach.
    pub memory: ProcessMemory,
    /// r0 at its entry.
    boot_argument: u32,
    /// Process stack pointer: the process's exception frame while it waits.
    psp: u32,
    /// r4-r11, which the hardware does not stack.
    callee_saved: [u32; 8],
    /// The kernel's state for it.
    pub grants: GrantRegion,
    /// Times its fault policy restarted it.
    pub restarts: u32,
    /// The address its next fault must be at, announced by
    /// `expect_fault`; taken by that fault.
    pub expected_fault: Option<u32>,
    /// Its faults that were not announced at their address: each makes
    /// the run fail (see the scheduler's `finish`).
    pub unannounced_faults: u32,
}

/// Why a process came back to the kernel.
pub enum Trap {
    /// It made an access the hardware refused.
    Faulted(Fault),
    /// It trapped with its stack pointer outside its RAM, so the kernel
    /// cannot read its system call.
    BadStack(u32),
    /// The SysTick fired while it ran.
    Preempted,
    /// It called `_exit` with this status.
    Exited(i32),
    /// It made a system call that blocks it until `until_ms`.
    Blocked(Blocked),
    /// It made a system call that answered at once; it may run on.
    Served,
}

impl Process {
    /// A process for `entry`, whose blob's admitted header is `header`,
    /// ready to enter its entry point with `boot_argument` in r0.
    pub fn load(
        entry: &'static ProcessEntry,
        header: UserspaceHeader,
        boot_argument: u32,
    ) -> Result<Self, BadAddress> {
        let mut process = Self {
            entry,
            header,
            memory: ProcessMemory::of(entry),
            boot_argument,
            psp: 0,
            callee_saved: [0; 8],
            grants: GrantRegion::new(entry.grant.start, entry.grant.end),
            restarts: 0,
            expected_fault: None,
            unannounced_faults: 0,
        };
        process.start()?;
        Ok(process)
    }

    /// Starts the process afresh: `.data` copied, `.bss` zeroed, grant
    /// region emptied, the first frame built again.
    pub fn restart(&mut self) -> Result<(), BadAddress> {
        self.restarts += 1;
        self.grants.empty();
        self.expected_fault = None;
        self.start()
    }

    /// Copies `.data` from flash, zeroes `.bss` and builds the first
    /// exception frame at the top of the process's stack, so that the
    /// next return to it enters `header.entry` with the boot argument in
    /// r0 and the number of times it was restarted in r1 (its memory is
    /// fresh, so only the kernel can tell it). The header must have passed [`UserspaceHeader::validate`].
    fn start(&mut self) -> Result<(), BadAddress> {
        let header = &self.header;
        let memory = &self.memory;
        let data_len = header.data_end - header.data_start;
        memory.read(header.data_load, data_len, |image| {
            memory.write(header.data_start, image)
        })??;
        memory.zero(header.bss_start, header.bss_end - header.bss_start)?;

        let frame: [u32; FRAME_WORDS] = [
            self.boot_argument,
            self.restarts,
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
        memory.write(psp, &bytes)?;
        self.psp = psp;
        self.callee_saved = [0; 8];
        Ok(())
    }

    /// Its stack pointer: its exception frame while it waits.
    pub fn stack_pointer(&self) -> u32 {
        self.psp
    }

    /// Where the process's header says it starts.
    pub fn entry_point(&self) -> u32 {
        self.header.entry
    }

    /// Runs the process until it traps back, and serves the system call
    /// if that is why. Its MPU regions must be loaded.
    pub fn resume(&mut self) -> Trap {
        #[cfg(armv8m)]
        cpu::set_process_stack_limit(self.header.stack_start);
        // SAFETY: `psp` points at a complete exception frame in the
        // process's RAM: built by `start`, or stacked by the hardware at
        // the process's last trap and checked readable below.
        self.psp = unsafe { switch_to_user(self.psp, &mut self.callee_saved) };
        if let Some(fault) = faults::take_user_fault() {
            return Trap::Faulted(fault);
        }
        if PREEMPTED.swap(false, Ordering::Relaxed) {
            return Trap::Preempted;
        }
        self.system_call()
            .unwrap_or(Trap::BadStack(self.psp))
    }

    /// Writes `value` into r0 of the process's frame: the answer of the
    /// system call it waits on.
    pub fn answer(&mut self, value: usize) -> Result<(), BadAddress> {
        self.memory.write(self.psp, &(value as u32).to_le_bytes())
    }

    /// Dispatches the system call in the process's registers: number in
    /// r0, arguments in r1-r3 (stacked) and r4-r6 (saved by the switch).
    fn system_call(&mut self) -> Result<Trap, BadAddress> {
        let [r0, r1, r2, r3] = self.memory.read(self.psp, FRAME_BYTES, |frame| {
            let word = |index: usize| {
                let bytes = &frame[index * 4..index * 4 + 4];
                u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
            };
            [word(0), word(1), word(2), word(3)]
        })?;
        if r0 == numbers::SYS__exit {
            return Ok(Trap::Exited(r1 as i32));
        }
        let [r4, r5, r6, ..] = self.callee_saved;
        let args = [r1, r2, r3, r4, r5, r6].map(|register| register as usize);
        let mut services = Services {
            caller: Caller {
                memory: self.memory,
                grants: &mut self.grants,
                expected_fault: &mut self.expected_fault,
                blocked: None,
            },
        };
        let result = syscalls::dispatch(r0, args, &mut services);
        if let Some(blocked) = services.caller.blocked {
            return Ok(Trap::Blocked(blocked));
        }
        self.answer(result)?;
        Ok(Trap::Served)
    }
}

/// Set by the SysTick when it took the kernel back from a process.
static PREEMPTED: AtomicBool = AtomicBool::new(false);

/// The SysTick's work in the protected build: count the millisecond and,
/// if a process was running, return to the kernel instead of to it.
/// Returns the EXC_RETURN to leave with.
extern "C" fn on_tick(exc_return: u32) -> u32 {
    systick::on_tick();
    if exc_return & EXC_RETURN_THREAD_PSP != EXC_RETURN_THREAD_PSP {
        return exc_return;
    }
    PREEMPTED.store(true, Ordering::Relaxed);
    cpu::thread_mode_privileged();
    exc_return & !EXC_RETURN_PSP
}

/// EXC_RETURN bits 3 (return to Thread mode) and 2 (process stack).
const EXC_RETURN_THREAD_PSP: u32 = 0b1100;
const EXC_RETURN_PSP: u32 = 0b0100;

// The SysTick vector: passes EXC_RETURN to `on_tick` and returns through
// what it gives back. `push {r4, lr}` keeps the stack 8-byte aligned for
// the call, as the AAPCS requires.
global_asm!(
    ".section .text.tick_handler,\"ax\",%progbits",
    ".global tick_handler",
    ".type tick_handler,%function",
    ".thumb_func",
    "tick_handler:",
    "    push {{r4, lr}}",
    "    mov r0, lr",
    "    bl {on_tick}",
    "    pop {{r1, r2}}",
    "    bx r0",
    on_tick = sym on_tick,
);

/// Runs the process from the frame at `psp` with `callee_saved` in r4-r11
/// until it traps; stores its r4-r11 back and returns its new PSP.
///
/// # Safety
/// `psp` must point at a complete exception frame inside the process's
/// RAM whose PC is the process's code: the hardware unstacks it and runs
/// it unprivileged.
unsafe fn switch_to_user(psp: u32, callee_saved: &mut [u32; 8]) -> u32 {
    let mut psp = psp;
    // SAFETY: the kernel's own r6, r7 (frame pointer) and r9 cannot be named
    // as operands, so they are parked in r2, r3 and r12: the hardware stacks
    // those with the kernel's frame at `svc` and restores them when the
    // kernel resumes. r1 survives the same way. Everything else the
    // process may change is declared clobbered. The process can only reach
    // the partitions the MPU grants it, so it cannot touch this stack.
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
    // From the kernel: the process runs unprivileged on its stack.
    "    movs r0, #1",
    "    msr CONTROL, r0",
    "    isb",
    "    orr lr, lr, #4",
    "    bx lr",
    // From the process: the kernel resumes privileged on the main stack.
    "1:  movs r0, #0",
    "    msr CONTROL, r0",
    "    isb",
    "    bic lr, lr, #4",
    "    bx lr",
);

unsafe extern "C" {
    /// The SVCall vector.
    pub fn svc_handler();
    /// The SysTick vector of the protected build.
    pub fn tick_handler();
}
