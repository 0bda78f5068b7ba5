//! The kernel console: TX of the CMSDK APB UART the board file names
//! (`[console]`). On a board without one the console is silent: the
//! kernel has no other UART driver.
//!
//! The CMSDK UART has DATA (+0x00), STATE (+0x04, bit 0 = TX buffer full),
//! CTRL (+0x08, bit 0 = TX enable) and BAUDDIV (+0x10, at least 16). The
//! kernel only transmits, by polling; it never takes UART interrupts. The
//! user blob prints through the `write` system call, which ends here.

use core::fmt;

use crate::board::CMSDK_UART_CONSOLE;
use crate::register::Register;

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const CTRL_TX_ENABLE: u32 = 1 << 0;
/// The smallest divider the CMSDK UART accepts.
const MIN_BAUDDIV: u32 = 16;

fn register(base: u32, offset: usize) -> Register {
    // SAFETY: the board file names a CMSDK APB UART at `base`; these are
    // its registers, and only the kernel (privileged) touches them.
    unsafe { Register::at(base as usize + offset) }
}

/// Enables the transmitter.
pub fn init() {
    if let Some(base) = CMSDK_UART_CONSOLE {
        register(base, BAUDDIV).write(MIN_BAUDDIV);
        register(base, CTRL).write(CTRL_TX_ENABLE);
    }
}

/// Transmits `bytes`, waiting for room before each one.
pub fn write_bytes(bytes: &[u8]) {
    let Some(base) = CMSDK_UART_CONSOLE else {
        return;
    };
    for &byte in bytes {
        while register(base, STATE).read() & STATE_TX_FULL != 0 {}
        register(base, DATA).write(u32::from(byte));
    }
}

/// `core::fmt` sink for the [`kprintln!`](crate::kprintln) macro.
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        write_bytes(text.as_bytes());
        Ok(())
    }
}

/// Prints one line prefixed with `kernel: `, so the console shows at a
/// glance who said what.
#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        // Writing to the console cannot fail.
        let _ = writeln!($crate::console::Console, "kernel: {}", format_args!($($arg)*));
    }};
}
