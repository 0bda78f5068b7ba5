//! The bundled boards' flash and RAM agree with probe-rs's chip database:
//! the partitions are planned on memory the chip has.

#![cfg(feature = "flash")]

use mcu_build::board;
use mcu_build::flash::chip::Chip;
use mcu_build::flash::safety::{Outcome, board_matches_chip};

#[test]
fn every_bundled_board_with_a_chip_agrees_with_probe_rs() {
    let mut checked = Vec::new();
    for name in board::bundled_names() {
        let board = board::bundled(name).unwrap();
        let Some(chip_name) = &board.probe_rs_chip else {
            continue;
        };
        let chip = Chip::lookup(chip_name).unwrap();
        let check = board_matches_chip(Some(&board), &chip);
        assert_eq!(check.outcome, Outcome::Passed, "{name}: {}", check.detail);
        checked.push(name);
    }
    assert_eq!(checked, ["nrf52840", "stm32f4discovery", "stm32h743"]);
}

#[test]
fn a_board_on_the_wrong_chip_disagrees() {
    // The nRF52840's memories are not an STM32F407's.
    let board = board::bundled("nrf52840").unwrap();
    let chip = Chip::lookup("STM32F407VGTx").unwrap();
    let check = board_matches_chip(Some(&board), &chip);
    assert_eq!(check.outcome, Outcome::Failed);
    assert!(
        check
            .detail
            .contains("flash 0x00000000..0x00100000 (1048576 bytes) is not exactly"),
        "{}",
        check.detail
    );
}
