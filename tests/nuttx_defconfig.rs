//! Bundled boards against NuttX configurations for them: the default plan
//! puts user flash where a protected build links the user blob
//! (CONFIG_NUTTX_USERSPACE), gives the kernel heap its size, and the
//! kernel's SRAM is the RAM NuttX knows. Always on a protected and a flat
//! defconfig written for qemu-mps2-an386 (tests/data/nuttx); on NuttX's
//! own stm32f4discovery `kostest` and `nsh` when NUTTX_TESTDATA names them.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::nuttx_testdata;
use mcu_build::board;
use mcu_build::layout::plan;
use mcu_build::number;

/// The `KEY=value` lines of a NuttX defconfig, quotes removed; comments
/// (`# CONFIG_X is not set` among them) and blank lines skipped.
fn defconfig(path: &Path) -> HashMap<String, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{shown}: {e}"));
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (key, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("{shown}: not KEY=value: {line}"));
            (key.to_owned(), value.trim_matches('"').to_owned())
        })
        .collect()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/nuttx")
        .join(name)
}

fn number(config: &HashMap<String, String>, key: &str) -> u64 {
    number::parse_u64(&config[key]).unwrap_or_else(|e| panic!("{key}: {e}"))
}

/// `protected` is a protected build for the bundled board `board_name`
/// (NuttX's CONFIG_ARCH_BOARD `nuttx_board`), and the board's default plan
/// is the layout it links for.
fn assert_default_plan_matches(board_name: &str, nuttx_board: &str, protected: &Path) {
    let config = defconfig(protected);
    assert_eq!(config["CONFIG_BUILD_PROTECTED"], "y");
    assert_eq!(config["CONFIG_ARM_MPU"], "y");
    assert_eq!(config["CONFIG_ARCH_BOARD"], nuttx_board);

    let board = board::bundled(board_name).unwrap();
    let planned = plan(&board, &board.partitions).unwrap();
    let user_flash = planned.partition("user-flash").unwrap();
    assert_eq!(user_flash.start, number(&config, "CONFIG_NUTTX_USERSPACE"));
    let kernel_flash = planned.partition("kernel-flash").unwrap();
    let flash = board.memory(&kernel_flash.memory).unwrap();
    assert_eq!(
        (kernel_flash.start, kernel_flash.end),
        (u64::from(flash.origin), user_flash.start),
        "the kernel takes flash from the reset vector up to the user blob"
    );
    assert_eq!(
        planned.kernel_heap.len(),
        number(&config, "CONFIG_MM_KERNEL_HEAPSIZE")
    );
    let kernel_sram = planned.partition("kernel-sram").unwrap();
    let ram = board.memory(&kernel_sram.memory).unwrap();
    assert_eq!(u64::from(ram.origin), number(&config, "CONFIG_RAM_START"));
    assert_eq!(ram.length, number(&config, "CONFIG_RAM_SIZE"));
    assert!(planned.verify().is_ok());
}

/// `flat` is a flat build (nothing to partition) of the same board and RAM
/// as `protected`.
fn assert_flat_build_of_the_same_board(flat: &Path, protected: &Path) {
    let flat = defconfig(flat);
    let protected = defconfig(protected);
    for key in ["CONFIG_BUILD_PROTECTED", "CONFIG_NUTTX_USERSPACE"] {
        assert!(!flat.contains_key(key), "a flat build has {key}");
    }
    for key in ["CONFIG_ARCH_BOARD", "CONFIG_RAM_START", "CONFIG_RAM_SIZE"] {
        assert_eq!(flat[key], protected[key], "{key}");
    }
}

#[test]
fn the_default_plan_is_the_layout_a_protected_defconfig_links_for() {
    let protected = fixture("mps2-an386-protected.defconfig");
    assert_default_plan_matches("qemu-mps2-an386", "mps2-an386", &protected);
    let config = defconfig(&protected);
    assert_eq!(config["CONFIG_ARCH_CORTEXM4"], "y");
    assert_eq!(board::bundled("qemu-mps2-an386").unwrap().cpu, "cortex-m4");
    // Options turned off are comments, not keys.
    assert!(!config.contains_key("CONFIG_ARCH_FPU"));
}

#[test]
fn a_flat_defconfig_has_nothing_to_partition() {
    assert_flat_build_of_the_same_board(
        &fixture("mps2-an386-flat.defconfig"),
        &fixture("mps2-an386-protected.defconfig"),
    );
}

#[test]
fn the_default_plan_is_the_layout_nuttx_kostest_links_for() {
    let Some(kostest) = nuttx_testdata("stm32f4discovery-kostest.defconfig") else {
        return;
    };
    assert_default_plan_matches("stm32f4discovery", "stm32f4discovery", &kostest);
}

#[test]
fn the_chip_and_build_kinds_match_nuttx() {
    let Some(kostest) = nuttx_testdata("stm32f4discovery-kostest.defconfig") else {
        return;
    };
    let nsh = nuttx_testdata("stm32f4discovery-nsh.defconfig").unwrap();
    let board = board::bundled("stm32f4discovery").unwrap();
    let chip = board.probe_rs_chip.as_deref().unwrap();
    assert!(chip.starts_with("STM32F407VG"), "{chip}");
    for path in [&kostest, &nsh] {
        let config = defconfig(path);
        assert_eq!(
            config["CONFIG_ARCH_CHIP_STM32F407VG"],
            "y",
            "{}",
            path.display()
        );
    }
    // The shell configuration is a flat build: nothing to partition.
    assert_flat_build_of_the_same_board(&nsh, &kostest);
}
