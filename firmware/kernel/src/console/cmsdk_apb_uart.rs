//! The ARM CMSDK APB UART of the MPS2 FPGA images (board file kind
//! `cmsdk-apb-uart`), transmit only.
//!
//! Registers (Cortex-M System Design Kit TRM, ARM DDI 0479, "APB UART"):
//! DATA (+0x00), STATE (+0x04, bit 0 = TX buffer full), CTRL (+0x08,
//! bit 0 = TX enable) and BAUDDIV (+0x10, at least 16).

use super::register;

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const CTRL_TX_ENABLE: u32 = 1 << 0;
/// The smallest divider the CMSDK UART accepts.
const MIN_BAUDDIV: u32 = 16;

/// Sets the divider and enables the transmitter.
pub fn init(base: u32) {
    register(base, BAUDDIV).write(MIN_BAUDDIV);
    register(base, CTRL).write(CTRL_TX_ENABLE);
}

/// Waits until the TX buffer has room, then sends `byte`.
pub fn write_byte(base: u32, byte: u8) {
    while register(base, STATE).read() & STATE_TX_FULL != 0 {}
    register(base, DATA).write(u32::from(byte));
}
