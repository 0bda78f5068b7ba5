//! Whether a Thumb instruction reads or writes memory.
//!
//! On a data access violation the MPU reports the address (MMFAR) but not
//! whether it was a load or a store; the instruction at the stacked PC says.
//! Every Thumb load/store encoding keeps that fact in its first halfword:
//! the L bit (bit 11 of 16-bit encodings, bit 4 of the first halfword of
//! 32-bit ones), or the opcode for register-offset forms, PUSH and POP.

/// Direction of a data access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Read,
    Write,
}

/// The direction of the load or store whose first halfword is `first`, or
/// `None` if it is not one.
pub fn direction(first: u16) -> Option<Direction> {
    let load_if = |bit: u16| {
        if first & (1 << bit) != 0 {
            Direction::Read
        } else {
            Direction::Write
        }
    };
    match first >> 11 {
        // LDR (literal).
        0b01001 => Some(Direction::Read),
        // Register offset: STR, STRH, STRB are opB 0..=2, the rest load.
        0b01010 | 0b01011 => Some(if (first >> 9) & 0b111 <= 0b010 {
            Direction::Write
        } else {
            Direction::Read
        }),
        // STR/LDR, STRB/LDRB, STRH/LDRH (immediate), SP-relative, STM/LDM.
        0b01100..=0b01111 | 0b10000 | 0b10001 | 0b10010 | 0b10011 | 0b11000 | 0b11001 => {
            Some(load_if(11))
        }
        // PUSH / POP.
        0b10110 | 0b10111 => match first >> 9 {
            0b1011010 => Some(Direction::Write),
            0b1011110 => Some(Direction::Read),
            _ => None,
        },
        // 32-bit: load/store multiple, dual, exclusive, table branch
        // (1110100x), and load/store single (1111100x).
        _ if first & 0xFE00 == 0xE800 || first & 0xFE00 == 0xF800 => Some(load_if(4)),
        _ => None,
    }
}
