//! The flat build (`mcu-build flat`): the demo linked into the kernel, no
//! MPU, boots in QEMU on both boards and prints what the protected demo
//! prints; smaller than the protected image.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mcu_build(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .args(args)
        .current_dir(repository())
        .output()
        .expect("mcu-build runs")
}

fn flash_bytes(elf: &Path) -> u64 {
    let bytes = std::fs::read(elf).unwrap();
    mcu_build::image::elf::read(&bytes)
        .unwrap()
        .image
        .total_size()
}

#[test]
fn the_flat_demo_boots_on_both_boards_with_the_protected_output() {
    for board in ["qemu-mps2-an386", "qemu-mps2-an505"] {
        let built = mcu_build(&["flat", "--board", board]);
        let errors = String::from_utf8_lossy(&built.stderr);
        assert!(built.status.success(), "{board}: {errors}");
        assert!(errors.contains("flat build: flat.elf: "), "{errors}");
        let out = repository()
            .join("target/mcu-build")
            .join(board)
            .join("flat");
        assert!(out.join("flat.hex").is_file(), "{board}");

        let run = mcu_build(&["run", "--flat", "--board", board]);
        let console = String::from_utf8_lossy(&run.stdout);
        assert_eq!(run.status.code(), Some(0), "{board}: {console}");
        common::assert_slept_20_ms(&console);
        for line in [
            "kernel: mcu-build kernel, flat build: no MPU, the application linked in",
            "user: hello from the user blob, running privileged in the flat build",
            "user: heap: [1, 4, 9, 16, 25, 36, 49, 64] at ",
            "(reused: true)",
            "user: bye",
            "kernel: user blob exited with status 0",
        ] {
            assert!(console.contains(line), "{board}: no {line:?} in\n{console}");
        }
        // No MPU and no user header: the kernel's boot messages of the
        // protected build must not appear.
        assert!(!console.contains("MPU on"), "{console}");

        let protected = mcu_build(&["protect", "--board", board]);
        assert!(protected.status.success(), "{board}");
        let parent = out.parent().unwrap();
        let protected_bytes =
            flash_bytes(&parent.join("kernel.elf")) + flash_bytes(&parent.join("user.elf"));
        let flat_bytes = flash_bytes(&out.join("flat.elf"));
        assert!(
            flat_bytes < protected_bytes,
            "{board}: flat {flat_bytes} >= protected {protected_bytes}"
        );
    }
}

#[test]
fn the_flat_build_runs_no_attack_scenario() {
    let built = mcu_build(&["flat"]);
    assert!(built.status.success());
    let run = mcu_build(&["run", "--flat", "--scenario", "read-kernel-sram"]);
    let console = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{console}");
    assert!(
        console.contains("the flat build runs the demo only, not scenario 1"),
        "{console}"
    );
}
