//! MemManage, BusFault, UsageFault and HardFault: report, hand the
//! process to its fault policy, keep the kernel.
//!
//! The hardware rule: unless SHCSR enables MemManage, BusFault and
//! UsageFault, every fault escalates to HardFault and loses its cause. With
//! them enabled, the cause is in CFSR (MMFSR, BFSR and UFSR bytes), the
//! address in MMFAR or BFAR when their VALID bit says so, and the exception
//! frame on the faulting stack holds the PC of the faulting instruction. A
//! fault taken from Thread mode on the process stack (EXC_RETURN bit 2 and
//! bit 3 set) is the running process's: the handler records it, clears CFSR, makes
//! Thread mode privileged again and returns to the kernel's Thread-mode
//! context on the main stack, which finds the record where `svc` left it
//! (see [`crate::process`]). Any other fault is the kernel's own, and ends
//! the run.

use core::arch::{asm, global_asm};
use core::cell::UnsafeCell;
use core::fmt;

use firmware_abi::exit_status::KERNEL_PANIC;

use crate::fault_status::{self, Cause, FRAME_UNTRUSTED};
use crate::register::Register;
use crate::thumb::{self, Direction};
use crate::user_memory::ProcessMemory;
use crate::{cpu, kprintln, semihosting};

// SAFETY: the architected System Control Block registers.
const SHCSR: Register = unsafe { Register::at(0xE000_ED24) };
// SAFETY: as above.
const CFSR: Register = unsafe { Register::at(0xE000_ED28) };
// SAFETY: as above.
const HFSR: Register = unsafe { Register::at(0xE000_ED2C) };
// SAFETY: as above.
const MMFAR: Register = unsafe { Register::at(0xE000_ED34) };
// SAFETY: as above.
const BFAR: Register = unsafe { Register::at(0xE000_ED38) };

const SHCSR_MEMFAULTENA: u32 = 1 << 16;
const SHCSR_BUSFAULTENA: u32 = 1 << 17;
const SHCSR_USGFAULTENA: u32 = 1 << 18;

/// Configuration and Control Register.
// SAFETY: as above.
const CCR: Register = unsafe { Register::at(0xE000_ED14) };
const CCR_DIV_0_TRP: u32 = 1 << 4;

/// EXC_RETURN bits 3 (return to Thread mode) and 2 (process stack).
const EXC_RETURN_THREAD_PSP: u32 = 0b1100;
const EXC_RETURN_PSP: u32 = 0b0100;

/// Routes faults to their own handlers instead of HardFault, and makes
/// integer division by zero a fault.
pub fn enable() {
    SHCSR.modify(|shcsr| shcsr | SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA);
    // Out of reset SDIV and UDIV by zero quietly give 0. Rust checks its
    // divisors before dividing, but the user blob may hold C code or
    // assembly that does not, and a silent 0 is a wrong result the kernel
    // would never hear of; with DIV_0_TRP the division is a UsageFault
    // (DIVBYZERO) with the PC of the `sdiv`/`udiv`, which stops the blob
    // like any other fault. The kernel's own code is Rust, so the trap
    // never fires on it.
    CCR.modify(|ccr| ccr | CCR_DIV_0_TRP);
}

/// What the fault status registers said, captured in the handler.
#[derive(Clone, Copy, Debug)]
pub struct Fault {
    /// Exception number: 3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault.
    exception: u32,
    cfsr: u32,
    hfsr: u32,
    mmfar: u32,
    bfar: u32,
    /// The process's exception frame (its PSP), when the hardware stacked
    /// it; the PC of the faulting instruction is read from it, inside the
    /// process's memory only, when the fault is described.
    frame: Option<u32>,
}

/// The user fault the last trap recorded.
///
/// Written only by the fault handler while the user blob runs, read only by
/// the kernel's Thread-mode context after the trap; both run on one core
/// and never at the same time, which is why a bare cell suffices.
struct FaultSlot(UnsafeCell<Option<Fault>>);

// SAFETY: see the type's doc: accesses never overlap in time.
unsafe impl Sync for FaultSlot {}

static USER_FAULT: FaultSlot = FaultSlot(UnsafeCell::new(None));

/// Takes the fault the user blob's last trap recorded, if it was a fault
/// and not a system call.
pub fn take_user_fault() -> Option<Fault> {
    // SAFETY: called from the kernel's Thread-mode context while the user
    // blob does not run, so the fault handler cannot be writing.
    unsafe { (*USER_FAULT.0.get()).take() }
}

// The four fault vectors share one trampoline: it passes EXC_RETURN and the
// process stack pointer to `on_fault` and returns through whatever
// EXC_RETURN that gives back. `push {r4, lr}` keeps the stack 8-byte
// aligned for the call, as the AAPCS requires.
global_asm!(
    ".section .text.fault_trampoline,\"ax\",%progbits",
    ".global fault_trampoline",
    ".type fault_trampoline,%function",
    ".thumb_func",
    "fault_trampoline:",
    "    push {{r4, lr}}",
    "    mov r0, lr",
    "    mrs r1, psp",
    "    bl {on_fault}",
    "    pop {{r1, r2}}",
    "    bx r0",
    on_fault = sym on_fault,
);

unsafe extern "C" {
    /// The entry of the fault vectors.
    pub fn fault_trampoline();
}

/// Records a user fault and returns the EXC_RETURN that resumes the kernel;
/// ends the run on a kernel fault.
extern "C" fn on_fault(exc_return: u32, psp: u32) -> u32 {
    let from_user = exc_return & EXC_RETURN_THREAD_PSP == EXC_RETURN_THREAD_PSP;
    let fault = capture(if from_user { Some(psp) } else { None });
    if !from_user {
        kprintln!(
            "panic: kernel fault: {}",
            fault.describe(ProcessMemory::NOTHING)
        );
        semihosting::exit(KERNEL_PANIC);
    }
    // SAFETY: the user blob was running, so the kernel's Thread-mode
    // context is suspended and cannot be reading the slot.
    unsafe { *USER_FAULT.0.get() = Some(fault) };
    cpu::thread_mode_privileged();
    exc_return & !EXC_RETURN_PSP
}

/// Reads and clears the fault status; reads the user's stacked PC from
/// `user_frame` when given.
fn capture(user_frame: Option<u32>) -> Fault {
    let exception: u32;
    // SAFETY: reading IPSR has no side effects.
    unsafe { asm!("mrs {}, IPSR", out(reg) exception, options(nomem, nostack, preserves_flags)) };
    let cfsr = CFSR.read();
    let fault = Fault {
        exception: exception & 0x1FF,
        cfsr,
        hfsr: HFSR.read(),
        mmfar: MMFAR.read(),
        bfar: BFAR.read(),
        frame: user_frame.filter(|_| cfsr & FRAME_UNTRUSTED == 0),
    };
    // The status bits are write-one-to-clear; the next fault starts clean.
    CFSR.write(cfsr);
    HFSR.write(fault.hfsr);
    fault
}

/// The PC word of the exception frame at `frame` (r0-r3, r12, lr, pc, xpsr),
/// when the whole frame lies in `memory`.
fn stacked_pc(frame: u32, memory: &ProcessMemory) -> Option<u32> {
    const FRAME_SIZE: u32 = 8 * 4;
    const PC: usize = 6 * 4;
    memory
        .read(frame, FRAME_SIZE, |frame| {
            u32::from_le_bytes([frame[PC], frame[PC + 1], frame[PC + 2], frame[PC + 3]])
        })
        .ok()
}

impl Fault {
    /// A one-line account of the fault of the process that may reach
    /// `memory`, for the console.
    pub fn describe(&self, memory: ProcessMemory) -> impl fmt::Display + '_ {
        Description {
            fault: self,
            pc: self.frame.and_then(|frame| stacked_pc(frame, &memory)),
            memory,
        }
    }
}

struct Description<'a> {
    fault: &'a Fault,
    pc: Option<u32>,
    memory: ProcessMemory,
}

impl Description<'_> {
    /// Load or store, from the faulting instruction when it is the
    /// process's code.
    fn direction(&self) -> &'static str {
        let first_halfword = self.pc.and_then(|pc| {
            self.memory
                .read(pc, 2, |bytes| u16::from_le_bytes([bytes[0], bytes[1]]))
                .ok()
        });
        let inside_user_text = self.pc.is_some_and(|pc| self.memory.flash.contains(pc, 2));
        match first_halfword
            .filter(|_| inside_user_text)
            .and_then(thumb::direction)
        {
            Some(Direction::Read) => "data read",
            Some(Direction::Write) => "data write",
            None => "data access",
        }
    }
}

impl Fault {
    /// The address of a data access the MPU or the bus refused, when the
    /// hardware recorded it (MMFAR or BFAR valid).
    pub fn data_address(&self) -> Option<u32> {
        match fault_status::decode(self.cfsr, self.hfsr, self.mmfar, self.bfar) {
            Cause::DataDenied { address } | Cause::DataBusError { address } => address,
            _ => None,
        }
    }
}

impl fmt::Display for Description<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fault = self.fault;
        write!(f, "{}: ", fault_status::exception_name(fault.exception))?;
        match fault_status::decode(fault.cfsr, fault.hfsr, fault.mmfar, fault.bfar) {
            Cause::FetchDenied => write!(f, "instruction fetch denied by the MPU")?,
            Cause::DataDenied {
                address: Some(address),
            } => write!(
                f,
                "{} at {address:#010x} denied by the MPU",
                self.direction()
            )?,
            Cause::DataDenied { address: None } => {
                write!(f, "{} denied by the MPU", self.direction())?
            }
            Cause::StackingFailed => write!(
                f,
                "exception stacking failed (stack pointer outside its memory)"
            )?,
            Cause::UnstackingFailed => write!(f, "exception unstacking failed")?,
            Cause::FetchBusError => write!(f, "instruction fetch bus error")?,
            Cause::DataBusError {
                address: Some(address),
            } => write!(f, "{} bus error at {address:#010x}", self.direction())?,
            Cause::DataBusError { address: None } => {
                write!(f, "{} bus error (no address)", self.direction())?
            }
            Cause::ImpreciseBusError => write!(f, "data bus error (imprecise, no address)")?,
            Cause::Usage(usage) => write!(f, "{} [{}]", usage.text(), usage.bit_name())?,
            Cause::DebugEvent => write!(f, "debug event with no debugger (bkpt)")?,
            Cause::VectorTable => write!(f, "vector table read failed")?,
            Cause::Escalated => write!(f, "escalated fault")?,
            Cause::Unknown => write!(f, "no cause recorded")?,
        }
        match self.pc {
            Some(pc) => write!(f, " (pc {pc:#010x})"),
            None if fault.cfsr & FRAME_UNTRUSTED != 0 => {
                write!(f, " (no pc: the exception frame was not stacked)")
            }
            None => Ok(()),
        }
    }
}
