//! SysTick: the kernel's millisecond clock, for `sleep_ms` and `uptime_ms`.
//!
//! SYST_RVR holds the reload value (24 bits): the counter counts it down to
//! zero at the processor clock (SYST_CSR.CLKSOURCE = 1), reloads and, with
//! TICKINT, raises the SysTick exception. One exception per millisecond
//! therefore needs a reload of `CORE_CLOCK_HZ / 1000 - 1`.

use core::sync::atomic::{AtomicU32, Ordering};

use crate::board::CORE_CLOCK_HZ;
use crate::cpu::wait_for_interrupt;
use crate::register::Register;

// SAFETY: the architected SysTick registers of every Cortex-M.
const CSR: Register = unsafe { Register::at(0xE000_E010) };
// SAFETY: as above.
const RVR: Register = unsafe { Register::at(0xE000_E014) };
// SAFETY: as above.
const CVR: Register = unsafe { Register::at(0xE000_E018) };

const CSR_ENABLE: u32 = 1 << 0;
const CSR_TICKINT: u32 = 1 << 1;
const CSR_CLKSOURCE_PROCESSOR: u32 = 1 << 2;

/// The reload value for one tick per millisecond. A board file without
/// `core-clock-hz` fails the build here, naming the key.
const RELOAD: u32 = match CORE_CLOCK_HZ {
    Some(hz) => hz / 1000 - 1,
    None => panic!("the board file has no `core-clock-hz`, which the SysTick needs"),
};

/// Milliseconds since [`start`]; wraps after 49 days.
static MILLISECONDS: AtomicU32 = AtomicU32::new(0);

/// Starts the 1 kHz tick.
pub fn start() {
    RVR.write(RELOAD);
    CVR.write(0);
    CSR.write(CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE_PROCESSOR);
}

/// Milliseconds since the tick started.
pub fn uptime_ms() -> u32 {
    MILLISECONDS.load(Ordering::Relaxed)
}

/// Waits `milliseconds` with the core asleep between ticks.
pub fn sleep_ms(milliseconds: u32) {
    let start = uptime_ms();
    while uptime_ms().wrapping_sub(start) < milliseconds {
        wait_for_interrupt();
    }
}

/// The SysTick exception handler.
pub extern "C" fn on_tick() {
    MILLISECONDS.fetch_add(1, Ordering::Relaxed);
}
