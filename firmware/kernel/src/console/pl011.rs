//! The ARM PrimeCell UART PL011 (board file kind `pl011`), transmit only:
//! the UART of the TI Stellaris LM3S parts (QEMU's `pl011_luminary`, which
//! differs from ARM's only in its identification registers, which this
//! driver never reads).
//!
//! Registers and the programming sequence from the PL011 TRM (ARM DDI
//! 0183, chapter 3 "Programmers Model"):
//! UARTDR (+0x000), UARTFR (+0x018, bit 5 TXFF = transmit FIFO full,
//! bit 3 BUSY), UARTIBRD (+0x024) and UARTFBRD (+0x028), the integer and
//! 6-bit fractional baud rate divisors, UARTLCR_H (+0x02C), which latches
//! the divisors when written, and UARTCR (+0x030, bit 0 UARTEN, bit 8 TXE).
//! The TRM's sequence: disable the UART, wait for the end of the current
//! character, program the divisors and the line control, then enable it.

use super::register;
use crate::board::CORE_CLOCK_HZ;

const DR: usize = 0x000;
const FR: usize = 0x018;
const IBRD: usize = 0x024;
const FBRD: usize = 0x028;
const LCR_H: usize = 0x02C;
const CR: usize = 0x030;

const FR_BUSY: u32 = 1 << 3;
const FR_TXFF: u32 = 1 << 5;
/// LCR_H.WLEN = 0b11: 8 data bits; no parity, one stop bit.
const LCR_H_WLEN_8: u32 = 0b11 << 5;
/// LCR_H.FEN: the 16-byte FIFOs on.
const LCR_H_FEN: u32 = 1 << 4;
const CR_UARTEN: u32 = 1 << 0;
const CR_TXE: u32 = 1 << 8;

/// The console's rate in bit/s, the usual one of the Stellaris boards.
const BAUD: u32 = 115_200;

/// The baud rate divisor in 64ths: UARTCLK / (16 * BAUD), whose integer
/// part goes to UARTIBRD and whose 6-bit fraction to UARTFBRD (the TRM's
/// "Fractional Baud Rate Register"),
/// rounded to the nearest 64th. The Stellaris UART runs at the system
/// clock.
const DIVISOR_64THS: u32 = match CORE_CLOCK_HZ {
    Some(hz) => ((hz as u64 * 4 + BAUD as u64 / 2) / BAUD as u64) as u32,
    None => panic!("the board file has no `core-clock-hz`, which the PL011's baud rate needs"),
};

/// Programs 8N1 at [`BAUD`] with FIFOs and enables the transmitter.
pub fn init(base: u32) {
    register(base, CR).write(0);
    while register(base, FR).read() & FR_BUSY != 0 {}
    register(base, IBRD).write(DIVISOR_64THS >> 6);
    register(base, FBRD).write(DIVISOR_64THS & 0x3f);
    register(base, LCR_H).write(LCR_H_WLEN_8 | LCR_H_FEN);
    register(base, CR).write(CR_UARTEN | CR_TXE);
}

/// Waits until the transmit FIFO has room, then sends `byte`.
pub fn write_byte(base: u32, byte: u8) {
    while register(base, FR).read() & FR_TXFF != 0 {}
    register(base, DR).write(u32::from(byte));
}
