//! The kernel console: TX of the UART the board file names (`[console]`),
//! through the driver for its kind. On a board without one the console is
//! silent.
//!
//! mcu-build generates one constant per console kind into `board.rs`
//! (`CMSDK_UART_CONSOLE`, `PL011_CONSOLE`: the UART's base address, or
//! `None`); a board has at most one console, so at most one is `Some`.
//! The kernel only transmits, by polling; it never takes UART interrupts.
//! The user blob prints through the `write` system call, which ends here.

mod cmsdk_apb_uart;
mod pl011;

use core::fmt;

use crate::board::{CMSDK_UART_CONSOLE, PL011_CONSOLE};
use crate::register::Register;

/// Register `offset` of the console UART at `base`.
fn register(base: u32, offset: usize) -> Register {
    // SAFETY: the board file names a UART of the calling driver's kind at
    // `base`; `offset` is one of that kind's registers, and only the kernel
    // (privileged) touches them.
    unsafe { Register::at(base as usize + offset) }
}

/// Enables the transmitter.
pub fn init() {
    if let Some(base) = CMSDK_UART_CONSOLE {
        cmsdk_apb_uart::init(base);
    }
    if let Some(base) = PL011_CONSOLE {
        pl011::init(base);
    }
}

/// Transmits `bytes`, waiting for room before each one.
pub fn write_bytes(bytes: &[u8]) {
    for &byte in bytes {
        if let Some(base) = CMSDK_UART_CONSOLE {
            cmsdk_apb_uart::write_byte(base, byte);
        }
        if let Some(base) = PL011_CONSOLE {
            pl011::write_byte(base, byte);
        }
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
