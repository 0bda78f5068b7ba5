//! Bundled boards against NuttX configurations for them: the default plan
//! puts user flash where a protected build links the user blob
//! (CONFIG_NUTTX_USERSPACE), the kernel flash before it, and the kernel's
//! SRAM on the RAM NuttX knows. (Not the kernel heap: NuttX takes it from
//! after the user blob's .bss at run time, which `mcu-build nuttx check`
//! models, not from kernel SRAM.) Always on a protected and a flat
//! defconfig written for qemu-mps2-an386 (tests/data/nuttx); on NuttX's
//! own stm32f4discovery `kostest` and `nsh` when NUTTX_TESTDATA names them.

mod common;

use std::path::{Path, PathBuf};

use common::nuttx_testdata;
use mcu_build::board;
use mcu_build::layout::plan;
use mcu_build::nuttx::kconfig::{Kconfig, Value};

fn defconfig(path: &Path) -> Kconfig {
    Kconfig::read(path).unwrap_or_else(|e| panic!("{e}"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/nuttx")
        .join(name)
}

fn number(config: &Kconfig, key: &str) -> u64 {
    config
        .number(key)
        .unwrap()
        .unwrap_or_else(|| panic!("{key} is not set"))
}

/// `protected` is a protected build for the bundled board `board_name`
/// (NuttX's CONFIG_ARCH_BOARD `nuttx_board`), and the board's default plan
/// is the layout it links for.
fn assert_default_plan_matches(board_name: &str, nuttx_board: &str, protected: &Path) {
    let config = defconfig(protected);
    assert!(config.is_set("CONFIG_BUILD_PROTECTED"));
    assert!(config.is_set("CONFIG_ARM_MPU"));
    assert_eq!(config.text("CONFIG_ARCH_BOARD"), Some(nuttx_board));

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
        assert!(flat.get(key).is_none(), "a flat build has {key}");
    }
    for key in ["CONFIG_ARCH_BOARD", "CONFIG_RAM_START", "CONFIG_RAM_SIZE"] {
        let (a, b) = (flat.get(key).unwrap(), protected.get(key).unwrap());
        assert!(a.same_as(b), "{key}");
    }
}

#[test]
fn the_default_plan_is_the_layout_a_protected_defconfig_links_for() {
    let protected = fixture("mps2-an386-protected.defconfig");
    assert_default_plan_matches("qemu-mps2-an386", "mps2-an386", &protected);
    let config = defconfig(&protected);
    assert!(config.is_set("CONFIG_ARCH_CORTEXM4"));
    assert_eq!(board::bundled("qemu-mps2-an386").unwrap().cpu, "cortex-m4");
    // An option turned off is `# CONFIG_X is not set`: named, and off.
    assert_eq!(config.get("CONFIG_ARCH_FPU"), Some(&Value::Bool(false)));
    assert!(!config.is_set("CONFIG_ARCH_FPU"));
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
        assert!(
            config.is_set("CONFIG_ARCH_CHIP_STM32F407VG"),
            "{}",
            path.display()
        );
    }
    // The shell configuration is a flat build: nothing to partition.
    assert_flat_build_of_the_same_board(&nsh, &kostest);
}
