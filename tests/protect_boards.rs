//! `protect` on every bundled board with a Rust target: it plans, builds
//! both passes, verifies the MPU table and writes build.json; `run` refuses
//! the boards QEMU does not emulate, naming the missing key.

use std::path::PathBuf;
use std::process::Command;

use mcu_build::board;

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

#[test]
fn every_bundled_board_with_a_rust_target_builds_and_verifies() {
    let boards: Vec<_> = board::bundled_names()
        .map(|name| board::bundled(name).unwrap())
        .filter(|b| b.rust_target.is_some())
        .collect();
    assert_eq!(boards.len(), 7, "every bundled board names its target");
    for board in boards {
        let name = board.name.as_str();
        let built = mcu_build(&["protect", "--board", name]);
        let errors = String::from_utf8_lossy(&built.stderr);
        assert!(built.status.success(), "{name}: {errors}");
        assert!(errors.contains("0 bytes over-granted"), "{name}: {errors}");

        let out = repository().join("target/mcu-build").join(name);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("build.json")).unwrap()).unwrap();
        assert_eq!(manifest["plan"]["board"], name);
        assert_eq!(manifest["verification"]["findings"], serde_json::json!([]));
        let regions = manifest["plan"]["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["regions"].as_array().unwrap().len())
            .sum::<usize>();
        assert!(regions >= 2, "{name}: {regions} regions");

        let run = mcu_build(&["run", "--board", name, "--timeout", "5"]);
        let errors = String::from_utf8_lossy(&run.stderr);
        if board.qemu_machine.is_some() {
            assert_eq!(run.status.code(), Some(0), "{name}: {errors}");
        } else {
            assert_eq!(run.status.code(), Some(1), "{name}: {errors}");
            assert!(
                errors.contains(&format!("board {name} has no `qemu-machine`")),
                "{name}: {errors}"
            );
        }
    }
}
