//! Board files: the bundled boards load, and malformed files are refused
//! with the file, line, column and key of the mistake.

use std::path::Path;

use mcu_build::board::{self, BoardError, Console, ConsoleKind};
use mcu_build::layout::request::Size;
use mcu_build::mpu::{Arch, MemoryKind};

#[test]
fn every_bundled_board_loads_and_names_itself() {
    let names: Vec<&str> = board::bundled_names().collect();
    assert_eq!(
        names,
        [
            "nrf52840",
            "qemu-lm3s6965evb",
            "qemu-mps2-an386",
            "qemu-mps2-an500",
            "qemu-mps2-an505",
            "stm32f4discovery",
            "stm32h743"
        ]
    );
    for name in names {
        let b = board::bundled(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(b.name, name);
        assert!(b.mpu.is_some(), "{name} needs an MPU");
        assert!(b.partitions.partitions.len() >= 4);
    }
}

#[test]
fn bundled_boards_carry_the_documented_facts() {
    let f4 = board::bundled("stm32f4discovery").unwrap();
    let spans: Vec<(&str, u32, u64)> = f4
        .memories
        .iter()
        .map(|m| (m.name.as_str(), m.origin, m.length))
        .collect();
    assert_eq!(
        spans,
        [
            ("flash", 0x0800_0000, 1 << 20),
            ("sram1", 0x2000_0000, 112 << 10),
            ("sram2", 0x2001_C000, 16 << 10),
            ("ccm", 0x1000_0000, 64 << 10),
        ]
    );
    assert_eq!(f4.probe_rs_chip.as_deref(), Some("STM32F407VGTx"));
    let an505 = board::bundled("qemu-mps2-an505").unwrap();
    assert_eq!(an505.mpu.unwrap().arch, Arch::Armv8m);
    assert_eq!(an505.qemu_machine.as_deref(), Some("mps2-an505"));
    let h7 = board::bundled("stm32h743").unwrap();
    assert_eq!(h7.mpu.unwrap().regions, 16);
    let an386 = board::bundled(board::DEFAULT_BOARD).unwrap();
    assert_eq!(an386.memories[0].kind, MemoryKind::Flash);
    assert_eq!(an386.memories[1].origin, 0x2000_0000);
}

/// The two boards NuttX's protected builds run on in QEMU: their consoles,
/// clocks, MPUs and partitions as their board files' comments source them.
#[test]
fn the_nuttx_qemu_boards_carry_their_machines_facts() {
    let lm3s = board::bundled("qemu-lm3s6965evb").unwrap();
    assert_eq!(lm3s.qemu_machine.as_deref(), Some("lm3s6965evb"));
    assert_eq!(lm3s.rust_target.as_deref(), Some("thumbv7m-none-eabi"));
    assert_eq!(lm3s.core_clock_hz, Some(12_500_000));
    assert_eq!(
        lm3s.console,
        Some(Console {
            kind: ConsoleKind::Pl011,
            base: 0x4000_C000
        })
    );
    assert_eq!(lm3s.mpu.unwrap().regions, 8);
    let starts: Vec<(&str, Option<u32>, Size)> = lm3s
        .partitions
        .partitions
        .iter()
        .map(|p| (p.name.as_str(), p.origin, p.size))
        .collect();
    assert_eq!(
        starts,
        [
            ("kernel-flash", Some(0), Size::Bytes(128 << 10)),
            ("user-flash", Some(0x2_0000), Size::Bytes(128 << 10)),
            ("kernel-sram", Some(0x2000_0000), Size::Bytes(20 << 10)),
            ("user-sram", Some(0x2000_5000), Size::Rest),
        ]
    );

    let an500 = board::bundled("qemu-mps2-an500").unwrap();
    assert_eq!(an500.qemu_machine.as_deref(), Some("mps2-an500"));
    assert_eq!(an500.mpu.unwrap().regions, 16);
    assert_eq!(an500.core_clock_hz, Some(25_000_000));
    assert_eq!(
        an500.console,
        Some(Console {
            kind: ConsoleKind::CmsdkApbUart,
            base: 0x4000_4000
        })
    );
    let psram = an500.memory("psram").unwrap();
    assert_eq!((psram.origin, psram.length), (0x6000_0000, 16 << 20));
}

#[test]
fn a_console_is_one_of_the_kinds_the_kernel_drives() {
    let with = |kind: &str| format!("{GOOD}\n[console]\nkind = \"{kind}\"\nbase = 0x4000C000\n");
    let b = parse(&with("pl011")).unwrap();
    assert_eq!(b.console.unwrap().kind, ConsoleKind::Pl011);
    let error = parse(&with("pl011-luminary")).unwrap_err().to_string();
    assert!(
        error.contains(
            "`console.kind`: expected one of \"cmsdk-apb-uart\", \"pl011\", found the string \
             \"pl011-luminary\""
        ),
        "{error}"
    );
}

const GOOD: &str = r#"
name = "tiny"
description = "a test board"
cpu = "cortex-m3"

[mpu]
kind = "armv7m"
regions = 8

[[memory]]
name = "flash"
kind = "flash"
origin = 0x08000000
length = "64K"

[[memory]]
name = "sram"
kind = "ram"
origin = 0x20000000
length = 16384

[partitions]
kernel-flash = { memory = "flash", size = "16K" }
user-flash = { memory = "flash", size = "rest" }
kernel-sram = { memory = "sram", size = "8K" }
user-sram = { memory = "sram", size = "rest", origin = "0x20002000" }
kernel-heap = "2K"
"#;

fn parse(text: &str) -> Result<board::Board, BoardError> {
    board::parse(text, Path::new("boards/tiny.toml"))
}

/// The error for `GOOD` with `from` replaced by `to`, as (line, key, text).
fn error_after(from: &str, to: &str) -> (usize, String, String) {
    assert!(GOOD.contains(from), "{from}");
    match parse(&GOOD.replacen(from, to, 1)) {
        Err(e) => match &e {
            BoardError::Invalid(located) => (located.line, located.key.clone(), e.to_string()),
            other => panic!("expected a located error, got {other}"),
        },
        Ok(_) => panic!("expected an error for {to:?}"),
    }
}

#[test]
fn a_good_file_validates_into_typed_values() {
    let b = parse(GOOD).unwrap();
    assert_eq!(b.memories[1].length, 16384);
    let user_sram = &b.partitions.partitions[3];
    assert_eq!(user_sram.size, Size::Rest);
    assert_eq!(user_sram.origin, Some(0x2000_2000));
    assert_eq!(b.partitions.kernel_heap, 2048);
}

#[test]
fn malformed_files_name_line_and_key() {
    let cases = [
        (
            "regions = 8",
            "regions = 8\nbogus = 1",
            9,
            "mpu.bogus",
            "unknown field",
        ),
        ("regions = 8", "regions = 17", 8, "mpu.regions", "1 to 16"),
        (
            "length = \"64K\"",
            "length = \"64Q\"",
            14,
            "memory[0].length",
            "128K",
        ),
        (
            "length = \"64K\"",
            "length = 0x18000001",
            19,
            "memory[1].origin",
            "overlaps",
        ),
        (
            "size = \"8K\"",
            "size = \"8K\", heap = 1",
            25,
            "partitions.kernel-sram.heap",
            "unknown field",
        ),
        (
            "memory = \"sram\", size = \"8K\"",
            "memory = \"dram\", size = \"8K\"",
            25,
            "partitions.kernel-sram.memory",
            "no memory \"dram\"",
        ),
        (
            "kind = \"armv7m\"",
            "kind = \"armv9\"",
            7,
            "mpu.kind",
            "expected one of \"armv7m\", \"armv8m\", \"none\", found the string \"armv9\"",
        ),
        (
            "size = \"16K\"",
            "size = \"rest\"",
            24,
            "partitions.user-flash.size",
            "already takes the rest",
        ),
        (
            "origin = 0x20000000",
            "origin = 0x1_0000_0000",
            19,
            "memory[1].origin",
            "32-bit",
        ),
    ];
    for (from, to, line, key, text) in cases {
        let (got_line, got_key, message) = error_after(from, to);
        assert_eq!((got_line, got_key.as_str()), (line, key), "{to}: {message}");
        assert!(message.contains(text), "{to}: {message}");
        assert!(
            message.starts_with(&format!("boards/tiny.toml:{line}:")),
            "{message}"
        );
    }
}

#[test]
fn syntax_errors_and_missing_files_name_the_file() {
    let (line, _, message) = error_after("cpu = \"cortex-m3\"", "cpu = \"cortex-m3");
    assert_eq!(line, 4, "{message}");
    let err = board::load(Path::new("/nonexistent/board.toml")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/board.toml"));
    let err = board::bundled("stm32f9").unwrap_err().to_string();
    assert!(
        err.contains("stm32f4discovery") && err.contains("--board-file"),
        "{err}"
    );
}
