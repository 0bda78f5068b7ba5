//! The system call layer the firmware runs on is the one `protect`
//! generates from the project's CSV: reordering the table renumbers the
//! calls in the generated directory, and the rebuilt firmware still runs
//! the demo and refuses kernel pointers with EFAULT.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn number_of(numbers: &str, name: &str) -> u32 {
    let marker = format!("pub const SYS_{name}: u32 = ");
    let start = numbers.find(&marker).expect(&marker) + marker.len();
    numbers[start..].split(';').next().unwrap().parse().unwrap()
}

#[test]
fn a_reordered_csv_renumbers_the_calls_and_the_firmware_still_works() {
    let root = repository();
    let dir = tempfile::tempdir().unwrap();
    let csv = fs::read_to_string(root.join("firmware/abi/syscall.csv")).unwrap();
    // Reversed, `_exit` stays first (the numbering anchors it) and the
    // others run backwards, expect_fault and the two alarm calls first.
    let reordered: Vec<&str> = csv.lines().rev().collect();
    fs::write(dir.path().join("syscall.csv"), reordered.join("\n") + "\n").unwrap();
    fs::copy(
        root.join("firmware/abi/syscall-checks.toml"),
        dir.path().join("syscall-checks.toml"),
    )
    .unwrap();
    fs::write(
        dir.path().join("mcu-build.toml"),
        format!(
            "board = \"qemu-mps2-an386\"\n[syscalls]\ncsv = \"syscall.csv\"\n\
             checks = \"syscall-checks.toml\"\n[pass1]\ncargo = {:?}\nbin = \"user\"\n\
             [pass2]\ncargo = {:?}\nbin = \"kernel\"\n",
            root.join("firmware/userspace"),
            root.join("firmware/kernel")
        ),
    )
    .unwrap();
    let mcu_build = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mcu-build"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let built = mcu_build(&["protect"]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );

    let gen_dir = dir.path().join("target/mcu-build/qemu-mps2-an386/gen");
    let numbers = fs::read_to_string(gen_dir.join("syscall_numbers.rs")).unwrap();
    let repository_numbers =
        fs::read_to_string(root.join("target/mcu-build/qemu-mps2-an386/gen/syscall_numbers.rs"))
            .ok();
    assert_eq!(number_of(&numbers, "_exit"), 8);
    assert_eq!(number_of(&numbers, "expect_fault"), 9);
    assert_eq!(number_of(&numbers, "alarm_wait"), 10);
    assert_eq!(number_of(&numbers, "uptime_ms"), 12);
    assert_eq!(number_of(&numbers, "sleep_ms"), 13);
    assert_eq!(number_of(&numbers, "write"), 14);
    if let Some(original) = repository_numbers {
        assert_eq!(
            number_of(&original, "write"),
            9,
            "the repository's own table"
        );
    }
    let manifest = fs::read_to_string(
        dir.path()
            .join("target/mcu-build/qemu-mps2-an386/build.json"),
    )
    .unwrap();
    assert!(manifest.contains("\"path\": \"syscall.csv\""), "{manifest}");

    let demo = mcu_build(&["run"]);
    let console = String::from_utf8_lossy(&demo.stdout);
    assert_eq!(demo.status.code(), Some(0), "{console}");
    assert!(console.contains("user: bye"), "{console}");

    let attack = mcu_build(&["run", "--scenario", "syscall-kernel-pointer"]);
    let console = String::from_utf8_lossy(&attack.stdout);
    assert_eq!(attack.status.code(), Some(0), "{console}");
    assert!(
        console.contains("every bad pointer refused with -EFAULT"),
        "{console}"
    );
}
