//! What the fault status registers say: CFSR (its MMFSR, BFSR and UFSR
//! bytes) and HFSR decoded into one [`Cause`].
//!
//! Pure logic with no register access and no crate dependency, so that the
//! host can test it: `tests/firmware_qemu.rs` includes this file as a
//! module and runs the tests below.

// CFSR bits: MMFSR (bits 0-7).
pub const IACCVIOL: u32 = 1 << 0;
pub const DACCVIOL: u32 = 1 << 1;
pub const MUNSTKERR: u32 = 1 << 3;
pub const MSTKERR: u32 = 1 << 4;
pub const MMARVALID: u32 = 1 << 7;
// BFSR (bits 8-15).
pub const IBUSERR: u32 = 1 << 8;
pub const PRECISERR: u32 = 1 << 9;
pub const IMPRECISERR: u32 = 1 << 10;
pub const UNSTKERR: u32 = 1 << 11;
pub const STKERR: u32 = 1 << 12;
pub const BFARVALID: u32 = 1 << 15;
// UFSR (bits 16-31).
pub const UNDEFINSTR: u32 = 1 << 16;
pub const INVSTATE: u32 = 1 << 17;
pub const INVPC: u32 = 1 << 18;
pub const NOCP: u32 = 1 << 19;
/// ARMv8-M only (stack limit registers).
pub const STKOF: u32 = 1 << 20;
pub const UNALIGNED: u32 = 1 << 24;
pub const DIVBYZERO: u32 = 1 << 25;
/// The stacked PC cannot be trusted: exception entry or return could not
/// push or pop the frame, or the stack hit its limit (ARMv8-M), where the
/// entry that reports it writes no frame below the limit either.
pub const FRAME_UNTRUSTED: u32 = MUNSTKERR | MSTKERR | UNSTKERR | STKERR | STKOF;

// HFSR bits.
pub const VECTTBL: u32 = 1 << 1;
pub const FORCED: u32 = 1 << 30;
pub const DEBUGEVT: u32 = 1 << 31;

/// Why the core faulted, most specific first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// MemManage IACCVIOL: an instruction fetch the MPU refused (or one
    /// from an execute-never region).
    FetchDenied,
    /// MemManage DACCVIOL, with MMFAR when MMARVALID.
    DataDenied { address: Option<u32> },
    /// MSTKERR or STKERR: pushing the exception frame failed.
    StackingFailed,
    /// MUNSTKERR or UNSTKERR: popping it on exception return failed.
    UnstackingFailed,
    /// IBUSERR: the bus refused an instruction fetch.
    FetchBusError,
    /// PRECISERR: the bus refused a data access; BFAR when BFARVALID.
    DataBusError { address: Option<u32> },
    /// IMPRECISERR: a buffered write failed later; there is no address
    /// and the stacked PC is not the store's.
    ImpreciseBusError,
    /// A UsageFault, by its UFSR bit.
    Usage(Usage),
    /// HardFault on a debug event (a `bkpt`) that neither halting debug
    /// nor the DebugMonitor took.
    DebugEvent,
    /// HardFault on a failed vector table read.
    VectorTable,
    /// HardFault escalated from a fault whose status bit is not set (its
    /// handler was disabled or could not run).
    Escalated,
    /// No known bit set.
    Unknown,
}

/// The UsageFault causes, one per UFSR bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    UndefinedInstruction,
    InvalidState,
    InvalidPc,
    Coprocessor,
    StackOverflow,
    Unaligned,
    DivideByZero,
}

impl Usage {
    const BITS: [(u32, Usage); 7] = [
        (UNDEFINSTR, Usage::UndefinedInstruction),
        (INVSTATE, Usage::InvalidState),
        (INVPC, Usage::InvalidPc),
        (NOCP, Usage::Coprocessor),
        (STKOF, Usage::StackOverflow),
        (UNALIGNED, Usage::Unaligned),
        (DIVBYZERO, Usage::DivideByZero),
    ];

    /// The UFSR bit of this cause, as the console names it.
    pub fn bit_name(self) -> &'static str {
        match self {
            Usage::UndefinedInstruction => "UNDEFINSTR",
            Usage::InvalidState => "INVSTATE",
            Usage::InvalidPc => "INVPC",
            Usage::Coprocessor => "NOCP",
            Usage::StackOverflow => "STKOF",
            Usage::Unaligned => "UNALIGNED",
            Usage::DivideByZero => "DIVBYZERO",
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Usage::UndefinedInstruction => "undefined instruction",
            Usage::InvalidState => "invalid state (no Thumb bit)",
            Usage::InvalidPc => "invalid exception return",
            Usage::Coprocessor => "coprocessor access",
            Usage::StackOverflow => "stack overflow (stack limit)",
            Usage::Unaligned => "unaligned access",
            Usage::DivideByZero => "division by zero",
        }
    }
}

/// The name of exception number `exception` (IPSR) among the fault ones.
pub fn exception_name(exception: u32) -> &'static str {
    match exception {
        3 => "HardFault",
        4 => "MemManage",
        5 => "BusFault",
        6 => "UsageFault",
        7 => "SecureFault",
        _ => "unexpected exception",
    }
}

/// The cause the status registers record. MMFAR and BFAR count only when
/// their VALID bit says so.
pub fn decode(cfsr: u32, hfsr: u32, mmfar: u32, bfar: u32) -> Cause {
    if cfsr & IACCVIOL != 0 {
        Cause::FetchDenied
    } else if cfsr & DACCVIOL != 0 {
        Cause::DataDenied {
            address: (cfsr & MMARVALID != 0).then_some(mmfar),
        }
    } else if cfsr & (MSTKERR | STKERR) != 0 {
        Cause::StackingFailed
    } else if cfsr & (MUNSTKERR | UNSTKERR) != 0 {
        Cause::UnstackingFailed
    } else if cfsr & IBUSERR != 0 {
        Cause::FetchBusError
    } else if cfsr & PRECISERR != 0 {
        Cause::DataBusError {
            address: (cfsr & BFARVALID != 0).then_some(bfar),
        }
    } else if cfsr & IMPRECISERR != 0 {
        Cause::ImpreciseBusError
    } else if let Some(&(_, usage)) = Usage::BITS.iter().find(|&&(bit, _)| cfsr & bit != 0) {
        Cause::Usage(usage)
    } else if hfsr & DEBUGEVT != 0 {
        Cause::DebugEvent
    } else if hfsr & VECTTBL != 0 {
        Cause::VectorTable
    } else if hfsr & FORCED != 0 {
        Cause::Escalated
    } else {
        Cause::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memmanage_address_counts_only_when_valid() {
        assert_eq!(
            decode(DACCVIOL | MMARVALID, 0, 0x2000_0000, 0),
            Cause::DataDenied {
                address: Some(0x2000_0000)
            }
        );
        assert_eq!(
            decode(DACCVIOL, 0, 0x2000_0000, 0),
            Cause::DataDenied { address: None }
        );
        assert_eq!(decode(IACCVIOL, 0, 0, 0), Cause::FetchDenied);
    }

    #[test]
    fn busfault_address_counts_only_when_valid() {
        assert_eq!(
            decode(PRECISERR | BFARVALID, 0, 0, 0xE000_ED00),
            Cause::DataBusError {
                address: Some(0xE000_ED00)
            }
        );
        assert_eq!(
            decode(PRECISERR, 0, 0, 0xE000_ED00),
            Cause::DataBusError { address: None }
        );
        assert_eq!(decode(IMPRECISERR, 0, 0, 0), Cause::ImpreciseBusError);
        assert_eq!(decode(IBUSERR, 0, 0, 0), Cause::FetchBusError);
    }

    #[test]
    fn every_usage_bit_is_named() {
        for (bit, usage) in Usage::BITS {
            assert_eq!(decode(bit, 0, 0, 0), Cause::Usage(usage));
        }
        // The UFSR byte positions of the ARMv7-M and ARMv8-M manuals.
        assert_eq!(
            decode(0x0001_0000, 0, 0, 0),
            Cause::Usage(Usage::UndefinedInstruction)
        );
        assert_eq!(decode(0x0100_0000, 0, 0, 0), Cause::Usage(Usage::Unaligned));
        assert_eq!(
            decode(0x0200_0000, 0, 0, 0),
            Cause::Usage(Usage::DivideByZero)
        );
        assert_eq!(Usage::DivideByZero.bit_name(), "DIVBYZERO");
        assert_eq!(Usage::Unaligned.text(), "unaligned access");
    }

    #[test]
    fn stacking_errors_come_before_the_fault_they_hide() {
        assert_eq!(decode(MSTKERR | UNDEFINSTR, 0, 0, 0), Cause::StackingFailed);
        assert_eq!(decode(UNSTKERR, 0, 0, 0), Cause::UnstackingFailed);
    }

    #[test]
    fn hardfault_without_a_cfsr_bit() {
        assert_eq!(decode(0, VECTTBL, 0, 0), Cause::VectorTable);
        assert_eq!(decode(0, DEBUGEVT, 0, 0), Cause::DebugEvent);
        assert_eq!(decode(0, FORCED, 0, 0), Cause::Escalated);
        assert_eq!(decode(0, 0, 0, 0), Cause::Unknown);
        // An escalated UsageFault keeps its UFSR bit.
        assert_eq!(
            decode(DIVBYZERO, FORCED, 0, 0),
            Cause::Usage(Usage::DivideByZero)
        );
    }

    #[test]
    fn fault_exceptions_are_named() {
        assert_eq!(exception_name(4), "MemManage");
        assert_eq!(exception_name(5), "BusFault");
        assert_eq!(exception_name(6), "UsageFault");
        assert_eq!(exception_name(11), "unexpected exception");
    }
}
