//! Attacks on the isolation, picked by the boot argument.
//!
//! Each scenario announces the one access it is about to make, as
//! `<name>: <read|write|execute> at <address>`, and then makes it; the MPU
//! must stop it and the kernel must report that very access. A scenario
//! that gets past its access says so and exits 1. The partition edge
//! scenarios first show that the first and last byte of the partition are
//! accessible. `syscall-kernel-pointer` hands the kernel pointers that are
//! not the blob's and expects `-EFAULT` with nothing written.
//!
//! The fault-path scenarios make the core itself refuse an instruction the
//! MPU has no say in, and announce it as `<name>: <instruction> at pc
//! <address>`: `undefined-instruction` (`udf`, UsageFault UNDEFINSTR),
//! `divide-by-zero` (`sdiv` by 0, UsageFault DIVBYZERO, which the kernel
//! turns on with CCR.DIV_0_TRP) and `unaligned-access` (`ldrd` from an odd
//! address in the blob's own SRAM, UsageFault UNALIGNED).
//! `read-system-control-space` reads the CPUID register of the System
//! Control Space: the MPU never checks the Private Peripheral Bus, the
//! core refuses unprivileged SCS accesses with a precise BusFault. It is
//! the only BusFault user code can provoke here, since every MPU region
//! the blob gets covers real memory. `stack-overflow` pushes until the
//! process stack runs out: at the bottom of user SRAM the MPU refuses the
//! next push (MemManage) on ARMv7-M; on ARMv8-M the kernel's PSPLIM
//! refuses it first (UsageFault STKOF). `breakpoint` executes `bkpt` with
//! no debugger: the debug event escalates to HardFault, which the kernel
//! reports and survives like the configurable faults.

use firmware_abi::errno::EFAULT;

use firmware_userspace::syscalls::{uptime_ms, write};
use firmware_userspace::{FAILURE, println};

use crate::memory_map::{kernel_flash, kernel_sram, stack_bottom, user_flash, user_sram};
use crate::{exit, probe};

/// One attack.
pub struct Scenario {
    pub name: &'static str,
    run: fn(&'static str) -> !,
}

impl Scenario {
    pub fn run(&self) -> ! {
        (self.run)(self.name)
    }
}

/// Boot argument `n` selects `SCENARIOS[n - 1]`; 0 is the demo.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "read-kernel-sram",
        run: |name| read(name, kernel_sram()),
    },
    Scenario {
        name: "write-kernel-sram",
        run: |name| write_to(name, kernel_sram()),
    },
    Scenario {
        name: "read-kernel-flash",
        run: |name| read(name, kernel_flash()),
    },
    Scenario {
        name: "write-user-flash",
        run: |name| write_to(name, user_flash().0),
    },
    Scenario {
        name: "execute-user-sram",
        run: execute_from_sram,
    },
    Scenario {
        name: "write-peripheral",
        // The start of the architectural Peripheral region: CMSDK TIMER0 on
        // both MPS2 boards.
        run: |name| write_to(name, 0x4000_0000),
    },
    Scenario {
        name: "user-flash-past-end",
        run: |name| edges(name, user_flash(), false, Beyond::End),
    },
    Scenario {
        name: "user-flash-before-start",
        run: |name| edges(name, user_flash(), false, Beyond::Start),
    },
    Scenario {
        name: "user-sram-past-end",
        run: |name| edges(name, user_sram(), true, Beyond::End),
    },
    Scenario {
        name: "user-sram-before-start",
        run: |name| edges(name, user_sram(), true, Beyond::Start),
    },
    Scenario {
        name: "syscall-kernel-pointer",
        run: syscall_kernel_pointer,
    },
    Scenario {
        name: "undefined-instruction",
        run: undefined_instruction,
    },
    Scenario {
        name: "divide-by-zero",
        run: divide_by_zero,
    },
    Scenario {
        name: "unaligned-access",
        run: unaligned_access,
    },
    Scenario {
        name: "read-system-control-space",
        // CPUID, in the System Control Block.
        run: |name| read(name, 0xE000_ED00),
    },
    Scenario {
        name: "stack-overflow",
        run: stack_overflow,
    },
    Scenario {
        name: "breakpoint",
        run: breakpoint,
    },
];

fn read(name: &str, address: usize) -> ! {
    println!("{name}: read at {address:#010x}");
    let value = probe::read_word(address);
    breached(name, value)
}

fn write_to(name: &str, address: usize) -> ! {
    println!("{name}: write at {address:#010x}");
    probe::write_word(address, 0xDEAD_BEEF);
    breached(name, 0)
}

/// A `bx lr` in user SRAM, which the MPU marks execute-never.
static mut SRAM_CODE: [u16; 2] = [0x4770, 0xBF00];

fn execute_from_sram(name: &str) -> ! {
    let address = (&raw const SRAM_CODE) as usize;
    println!("{name}: execute at {address:#010x}");
    probe::call(address);
    breached(name, 0)
}

/// Which neighbour of a partition to touch.
enum Beyond {
    /// The byte just before the first one.
    Start,
    /// The byte just after the last one.
    End,
}

fn edges(name: &str, (start, end): (usize, usize), writable: bool, beyond: Beyond) -> ! {
    for address in [start, end - 1] {
        let value = probe::read_byte(address);
        if writable {
            probe::write_byte(address, value);
        }
    }
    let access = if writable { "read and written" } else { "read" };
    println!(
        "{name}: first byte {start:#010x} and last byte {:#010x} {access}",
        end - 1
    );
    let outside = match beyond {
        Beyond::Start => start - 1,
        Beyond::End => end,
    };
    println!("{name}: read at {outside:#010x}");
    let value = probe::read_byte(outside);
    breached(name, u32::from(value))
}

fn syscall_kernel_pointer(name: &str) -> ! {
    let (sram_start, sram_end) = user_sram();
    // SAFETY: the point of these calls: the kernel must refuse every
    // pointer that is not the blob's own, and touch none of them.
    let attempts = unsafe {
        [
            ("write from kernel SRAM", write(1, kernel_sram(), 16)),
            ("write from kernel flash", write(1, kernel_flash(), 16)),
            (
                "write across the end of user SRAM",
                write(1, sram_end - 8, 16),
            ),
            (
                "write with a wrapping length",
                write(1, sram_start, usize::MAX),
            ),
            ("uptime into kernel SRAM", uptime_ms(kernel_sram()) as isize),
            ("uptime into user flash", uptime_ms(user_flash().0) as isize),
        ]
    };
    let mut refused = true;
    for (attempt, result) in attempts {
        println!("{name}: {attempt} returned {result}");
        refused &= result == -(EFAULT as isize);
    }
    if refused {
        println!("{name}: every bad pointer refused with -EFAULT");
        exit(0)
    }
    exit(FAILURE)
}

fn undefined_instruction(name: &str) -> ! {
    println!(
        "{name}: udf at pc {:#010x}",
        probe::undefined_instruction_pc()
    );
    probe::undefined_instruction();
    println!("{name}: the undefined instruction executed");
    exit(FAILURE)
}

fn divide_by_zero(name: &str) -> ! {
    println!("{name}: sdiv 1 / 0 at pc {:#010x}", probe::divide_pc());
    let quotient = probe::divide(1, 0);
    println!("{name}: the division gave {quotient}: DIV_0_TRP is off");
    exit(FAILURE)
}

/// Word aligned and in user SRAM, so one byte in is readable but not
/// word aligned.
static mut UNALIGNED: [u32; 4] = [0; 4];

fn unaligned_access(name: &str) -> ! {
    let address = (&raw const UNALIGNED) as usize + 1;
    println!(
        "{name}: ldrd from {address:#010x} at pc {:#010x}",
        probe::load_dual_pc()
    );
    let value = probe::load_dual(address);
    println!("{name}: the unaligned ldrd loaded {value:#018x}");
    exit(FAILURE)
}

fn stack_overflow(name: &str) -> ! {
    println!(
        "{name}: push down to the stack's bottom {:#010x} at pc {:#010x}",
        stack_bottom(),
        probe::push_pc()
    );
    probe::exhaust_stack()
}

fn breakpoint(name: &str) -> ! {
    println!("{name}: bkpt at pc {:#010x}", probe::breakpoint_pc());
    probe::breakpoint();
    println!("{name}: the breakpoint was ignored");
    exit(FAILURE)
}

fn breached(name: &str, value: u32) -> ! {
    println!("{name}: access went through (value {value:#010x}): isolation is broken");
    exit(FAILURE)
}
