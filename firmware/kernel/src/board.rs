//! The board facts mcu-build generated from the board file, included from
//! `$MCU_BUILD_GEN_DIR/board.rs`: `CORE_CLOCK_HZ` and the console's base
//! address under the constant of its kind (`CMSDK_UART_CONSOLE`,
//! `PL011_CONSOLE`), each `None` when the board file does not give it.

include!(concat!(env!("MCU_BUILD_GEN_DIR"), "/board.rs"));
