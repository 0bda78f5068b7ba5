//! The boot argument: one number the kernel hands the user blob in r0.
//!
//! It comes from the semihosting command line, whose first word is the
//! program name (QEMU: the `-kernel` file, or the first
//! `-semihosting-config arg=`) and whose second word, if any, is the
//! argument in decimal. With QEMU: `-append 3`, or
//! `-semihosting-config enable=on,target=native,arg=kernel,arg=3`. It lets
//! one built image run several scenarios, picked when QEMU starts.

use crate::semihosting;

/// The boot argument, 0 when the command line has none or no number.
pub fn read() -> u32 {
    let mut buffer = [0u8; 256];
    semihosting::command_line(&mut buffer)
        .and_then(|line| line.split_ascii_whitespace().nth(1))
        .and_then(|word| word.parse().ok())
        .unwrap_or(0)
}
