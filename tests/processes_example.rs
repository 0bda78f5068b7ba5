//! `examples/processes` through the command line, as a user runs it:
//! `layout --json` plans the three processes, `protect` builds them and
//! the kernel, and `run` boots them in QEMU on mps2-an386 (ARMv7-M) and
//! mps2-an505 (ARMv8-M) and exits 0 only when the demo's checks held. The
//! console is compared with the plan: the MPU registers the kernel loads
//! for each process are `layout --json`'s, every process reaches the first
//! and last byte of its flash and of its RAM below its grant, and each of
//! C's attacks faults at the boundary of the plan it crosses.
//!
//! Needs `qemu-system-arm` and the boards' thumb targets.

use std::path::PathBuf;
use std::process::Command;

const CONFIG: &str = "examples/processes/mcu-build.toml";

fn mcu_build(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

/// A `[start, end)` of the plan's JSON.
fn range(value: &serde_json::Value) -> (u64, u64) {
    (
        value["start"].as_u64().unwrap(),
        value["end"].as_u64().unwrap(),
    )
}

fn check(board: &str) {
    let layout = mcu_build(&["layout", "--json", "--config", CONFIG, "--board", board]);
    assert!(
        layout.status.success(),
        "{}",
        String::from_utf8_lossy(&layout.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&layout.stdout).unwrap();
    let processes = plan["processes"].as_array().unwrap();
    assert_eq!(processes.len(), 3);

    let protect = mcu_build(&["protect", "--config", CONFIG, "--board", board]);
    assert!(
        protect.status.success(),
        "{}",
        String::from_utf8_lossy(&protect.stderr)
    );
    let record = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/processes/target/mcu-build")
        .join(board)
        .join("build.json");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(record).unwrap()).unwrap();
    assert_eq!(record["processes"], plan["processes"]);

    let run = mcu_build(&["run", "--config", CONFIG, "--board", board]);
    let console = String::from_utf8_lossy(&run.stdout).into_owned();
    assert_eq!(run.status.code(), Some(0), "{console}");
    let has = |line: String| {
        assert!(
            console.lines().any(|l| l == line),
            "no line `{line}`:\n{console}"
        );
    };

    for process in processes {
        let name = process["name"].as_str().unwrap();
        for region in process["regions"].as_array().unwrap() {
            let registers = &region["registers"];
            let rbar = u32::from_str_radix(
                registers["rbar"].as_str().unwrap().trim_start_matches("0x"),
                16,
            )
            .unwrap();
            // The kernel selects the region with RNR: it prints RBAR
            // without ARMv7-M's VALID and REGION fields.
            let (rbar, second) = match registers.get("rasr") {
                Some(rasr) => (rbar & !0x1f, format!("RASR={}", rasr.as_str().unwrap())),
                None => (
                    rbar,
                    format!("RLAR={}", registers["rlar"].as_str().unwrap()),
                ),
            };
            has(format!(
                "kernel: process {name}: MPU region {}: RBAR={rbar:#010x} {second}",
                region["number"]
            ));
        }
        let (flash_start, flash_end) = range(&process["flash"]);
        let (ram_start, ram_end) = range(&process["user_ram"]);
        has(format!(
            "user: {name}: flash [{flash_start:#010x}, {flash_end:#010x}): first and last byte read"
        ));
        has(format!(
            "user: {name}: RAM [{ram_start:#010x}, {ram_end:#010x}): first and last byte read and written"
        ));
    }

    let process = |name: &str| processes.iter().find(|p| p["name"] == name).unwrap();
    let (c, b) = (process("c"), process("b"));
    let kernel_sram = plan["kernel"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "ram")
        .map(|p| p["start"].as_u64().unwrap())
        .unwrap();
    let attacks = [
        range(&c["grant"]).0,
        range(&c["flash"]).0,
        kernel_sram,
        range(&b["user_ram"]).0,
        range(&c["flash"]).1,
        range(&c["user_ram"]).0 - 1,
    ];
    for address in attacks {
        has(format!(
            "kernel: process c: the fault at {address:#010x} was announced"
        ));
    }
    has("kernel: process c reached its restart limit (5) and is stopped; grant 12 of 1024 bytes used".to_owned());
    assert!(
        console.contains("user: a: alarm_start answered -12 after "),
        "{console}"
    );
    assert!(
        console.contains("user: b: 10 alarms every 10 ms, at most "),
        "{console}"
    );

    // The attack scenarios are the one-blob demo's, not the processes'.
    let scenario = mcu_build(&[
        "run",
        "--config",
        CONFIG,
        "--board",
        board,
        "--scenario",
        "read-kernel-sram",
    ]);
    assert_eq!(scenario.status.code(), Some(2));
    // A build.json whose partitions are not the plan's now is refused: the
    // same plan check covers every process's partitions.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/processes/target/mcu-build")
        .join(board)
        .join("build.json");
    let mut tampered = record.clone();
    for partition in tampered["plan"]["partitions"].as_array_mut().unwrap() {
        if partition["name"] == "b-flash" {
            partition["start"] = serde_json::json!(0);
        }
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&tampered).unwrap()).unwrap();
    let refused = mcu_build(&["run", "--config", CONFIG, "--board", board]);
    let errors = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert_eq!(refused.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains("same plan: the image was built for another plan: b-flash"),
        "{errors}"
    );
    let again = mcu_build(&["protect", "--config", CONFIG, "--board", board]);
    assert!(again.status.success());
}

#[test]
fn the_example_runs_on_mps2_an386() {
    check("qemu-mps2-an386");
}

#[test]
fn the_example_runs_on_mps2_an505() {
    check("qemu-mps2-an505");
}

/// A kernel heap too small for the processes' records is refused before
/// anything is built: the kernel would fail its allocation at boot.
#[test]
fn a_kernel_heap_too_small_for_the_processes_is_refused() {
    let repository = env!("CARGO_MANIFEST_DIR");
    let example = std::fs::read_to_string(PathBuf::from(repository).join(CONFIG)).unwrap();
    let config = example
        .replace("\"../../firmware", &format!("\"{repository}/firmware"))
        .replacen("[syscalls]", "[layout]\nkernel-heap = 256\n\n[syscalls]", 1);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mcu-build.toml"), config).unwrap();
    let protect = Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .current_dir(dir.path())
        .arg("protect")
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&protect.stderr);
    assert_eq!(protect.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains(
            "layout.kernel-heap: the kernel heap of 256 bytes cannot hold the records of 3 \
             processes (256 bytes each, 768 in all"
        ),
        "{errors}"
    );
    assert!(!dir.path().join("target/mcu-build").exists());
}

/// `auto` sizes: protect links the process once where the kernel leaves
/// memory free and measures it (a measuring link), plans with that, and
/// records it in build.json, where `run` finds it; before any protect,
/// `run` says that protect measures it.
#[test]
fn auto_sizes_are_measured_by_protect_and_recorded_for_run() {
    let repository = env!("CARGO_MANIFEST_DIR");
    let example = std::fs::read_to_string(PathBuf::from(repository).join(CONFIG)).unwrap();
    let config = example
        .replace("\"../../firmware", &format!("\"{repository}/firmware"))
        .replacen(
            "bin = \"process_b\"\nflash = \"32K\"\nram = \"8K\"",
            "bin = \"process_b\"\nflash = \"auto\"\nram = \"auto\"",
            1,
        );
    assert!(config.contains("flash = \"auto\""), "{config}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mcu-build.toml"), config).unwrap();
    let in_dir = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mcu-build"))
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let early = in_dir(&["run"]);
    assert_eq!(early.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&early.stderr).contains(
            "process b: flash = \"auto\" is measured from the process's linked ELF; give one \
             (`--elf b=FILE` on the command line) or a size; `mcu-build protect` measures it (a \
             measuring link): run it first"
        ),
        "{}",
        String::from_utf8_lossy(&early.stderr)
    );

    let protect = in_dir(&["protect"]);
    let errors = String::from_utf8_lossy(&protect.stderr);
    assert!(protect.status.success(), "{errors}");
    assert!(errors.contains("; b measured: "), "{errors}");
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            dir.path()
                .join("target/mcu-build/qemu-mps2-an386/build.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let measured = record["measured"]["b"]["flash"].as_u64().unwrap();
    let b = record["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "b")
        .unwrap();
    let (start, end) = range(&b["flash"]);
    assert_eq!(end - start, measured.next_multiple_of(32), "{b}");

    let run = in_dir(&["run"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
}
