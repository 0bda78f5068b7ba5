//! The bundled stm32f4discovery board against NuttX's own configurations
//! for that board (../shared/testdata/nuttx, unchanged from NuttX): the
//! default plan puts user flash where NuttX's protected `kostest` build
//! links the user blob, gives the kernel heap NuttX's size, and its SRAM is
//! the RAM NuttX knows; the chip is the one probe-rs will be asked for.

use std::collections::HashMap;

use mcu_build::board;
use mcu_build::layout::plan;
use mcu_build::number;

/// The `KEY=value` lines of a NuttX defconfig, quotes removed; comments and
/// blank lines skipped.
fn defconfig(name: &str) -> HashMap<String, String> {
    let path = format!(
        "{}/../shared/testdata/nuttx/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (key, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("{path}: not KEY=value: {line}"));
            (key.to_owned(), value.trim_matches('"').to_owned())
        })
        .collect()
}

fn number(config: &HashMap<String, String>, key: &str) -> u64 {
    number::parse_u64(&config[key]).unwrap_or_else(|e| panic!("{key}: {e}"))
}

#[test]
fn the_default_plan_is_the_layout_nuttx_kostest_links_for() {
    let kostest = defconfig("stm32f4discovery-kostest.defconfig");
    assert_eq!(kostest["CONFIG_BUILD_PROTECTED"], "y");
    assert_eq!(kostest["CONFIG_ARM_MPU"], "y");
    assert_eq!(kostest["CONFIG_ARCH_BOARD"], "stm32f4discovery");

    let board = board::bundled("stm32f4discovery").unwrap();
    let planned = plan(&board, &board.partitions).unwrap();
    let user_flash = planned.partition("user-flash").unwrap();
    assert_eq!(user_flash.start, number(&kostest, "CONFIG_NUTTX_USERSPACE"));
    let kernel_flash = planned.partition("kernel-flash").unwrap();
    assert_eq!(
        (kernel_flash.start, kernel_flash.end),
        (0x0800_0000, user_flash.start),
        "the kernel takes flash from the reset vector up to the user blob"
    );
    assert_eq!(
        planned.kernel_heap.len(),
        number(&kostest, "CONFIG_MM_KERNEL_HEAPSIZE")
    );
    let sram = board.memory("sram1").unwrap();
    assert_eq!(u64::from(sram.origin), number(&kostest, "CONFIG_RAM_START"));
    assert_eq!(sram.length, number(&kostest, "CONFIG_RAM_SIZE"));
    assert!(planned.verify().is_ok());
}

#[test]
fn the_chip_and_build_kinds_match_nuttx() {
    let board = board::bundled("stm32f4discovery").unwrap();
    let chip = board.probe_rs_chip.as_deref().unwrap();
    assert!(chip.starts_with("STM32F407VG"), "{chip}");
    for name in [
        "stm32f4discovery-kostest.defconfig",
        "stm32f4discovery-nsh.defconfig",
    ] {
        let config = defconfig(name);
        assert_eq!(config["CONFIG_ARCH_CHIP_STM32F407VG"], "y", "{name}");
    }
    // The shell configuration is a flat build: nothing to partition.
    let nsh = defconfig("stm32f4discovery-nsh.defconfig");
    assert!(!nsh.contains_key("CONFIG_BUILD_PROTECTED"));
    assert!(!nsh.contains_key("CONFIG_NUTTX_USERSPACE"));
}
