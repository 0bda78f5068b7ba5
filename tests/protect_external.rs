//! An external project whose passes are shell commands
//! (`examples/shell-passes`): protect builds it, and the result boots.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn shell_command_passes_are_inspected_sealed_merged_and_boot() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // Relative to the working directory, as the README gives it: the
    // configuration is not relative to the project root it names.
    let config = "examples/shell-passes/mcu-build.toml";
    let mcu_build = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mcu-build"));
        command.current_dir(&root);
        command
    };
    let protect = mcu_build()
        .args(["protect", "--config", config])
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&protect.stderr);
    assert!(protect.status.success(), "{errors}");
    assert!(
        errors.contains("pass 1 (user blob): user.elf: "),
        "{errors}"
    );
    let out = root.join("examples/shell-passes/target/mcu-build/qemu-mps2-an386");
    assert!(out.join("build.json").is_file());

    let run = mcu_build()
        .args(["run", "--config", config])
        .output()
        .unwrap();
    let console = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{console}");
    assert!(
        console.contains("kernel: user blob exited with status 0"),
        "{console}"
    );
}
