//! `mcu-build size`: the causes add up on the bundled firmware, and give
//! the exact bytes of small linked ELF files whose symbols are known.

use std::path::Path;
use std::process::Command as StdCommand;

use assert_cmd::Command;
use mcu_build::size::names::{is_allocator, is_syscall_layer};

mod common;

fn mcu_build() -> Command {
    let mut command = Command::cargo_bin("mcu-build").unwrap();
    command.current_dir(common::repository_root());
    command
}

fn size_report(args: &[&str]) -> serde_json::Value {
    let output = mcu_build()
        .arg("size")
        .args(args)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_slice(&output.get_output().stdout).unwrap()
}

fn cause<'a>(report: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    report["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no cause {key} in {report}"))
}

fn bytes(report: &serde_json::Value, key: &str) -> i64 {
    cause(report, key)["bytes"].as_i64().unwrap()
}

/// flat + causes + rest == protected, as the report states it.
fn assert_adds_up(report: &serde_json::Value) {
    let causes: i64 = report["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bytes"].as_i64().unwrap())
        .sum();
    let flat = report["flat"]["flash"].as_i64().unwrap();
    let protected = report["protected"]["flash"].as_i64().unwrap();
    assert_eq!(
        flat + causes + report["rest"].as_i64().unwrap(),
        protected,
        "{report}"
    );
    assert_eq!(report["difference"].as_i64().unwrap(), protected - flat);
}

#[test]
fn the_bundled_firmware_difference_adds_up_by_cause() {
    let board = "qemu-mps2-an386";
    for pass in ["protect", "flat"] {
        mcu_build()
            .args([pass, "--board", board])
            .assert()
            .success();
    }
    let dir = format!("target/mcu-build/{board}");
    let report = size_report(&["--flat-dir", &dir, "--protected-dir", &dir]);
    assert_adds_up(&report);
    // LTO inlines the dispatch into the kernel's loop and the proxies into
    // the user code, so the layer may leave no sized symbol, and then the
    // report says so (no --csv: naming it as well); what it lists must be
    // the layer's.
    let layer = cause(&report, "syscall-layer");
    assert_eq!(
        layer["note"] == mcu_build::size::causes::UNNAMED_LAYER,
        layer["bytes"] == 0,
        "{layer}"
    );
    let named = size_report(&[
        "--flat-dir",
        &dir,
        "--protected-dir",
        &dir,
        "--csv",
        "firmware/abi/syscall.csv",
    ]);
    let layer = cause(&named, "syscall-layer");
    assert_eq!(
        layer["note"] == mcu_build::size::causes::INLINED_LAYER,
        layer["bytes"] == 0,
        "{layer}"
    );
    for entry in cause(&report, "syscall-layer")["largest"]
        .as_array()
        .unwrap()
    {
        let name = entry["name"].as_str().unwrap();
        assert!(
            is_syscall_layer(name, entry["blob"] == "user", &Default::default()),
            "{name}"
        );
    }
    for key in ["kernel-only", "second-allocator", "shared-code", "padding"] {
        assert!(bytes(&report, key) > 0, "{key} in {report}");
    }
    let allocator = cause(&report, "second-allocator")["largest"]
        .as_array()
        .unwrap();
    assert!(
        allocator
            .iter()
            .all(|e| e["blob"] == "user" && is_allocator(e["name"].as_str().unwrap()))
    );
    let kernel_only = &cause(&report, "kernel-only")["largest"][0]["name"];
    assert!(
        kernel_only.as_str().unwrap().contains("kernel_main"),
        "{kernel_only}"
    );
    // The user partition starts at 256 KiB on this board: the padding is
    // the flash between the kernel's end and there.
    let kernel = report["kernel"]["loaded"].as_i64().unwrap();
    assert_eq!(bytes(&report, "padding"), 0x40000 - kernel, "{report}");

    let text = mcu_build()
        .args(["size", "--flat-dir", &dir, "--protected-dir", &dir])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(
        text.contains("5. alignment padding") && text.contains("rest (not explained"),
        "{text}"
    );
}

/// `name: .space size` in `section`, with its `.size`.
fn symbol(section: &str, name: &str, size: u32) -> String {
    format!(
        ".section {section}\n.global {name}\n.type {name}, %function\n{name}:\n.space {size}\n.size {name}, {size}\n"
    )
}

/// Links `symbols` (name, size) into an ELF whose code starts at `address`;
/// `printf_core` gets an alias, `printf_alias`, which must not count twice.
fn link(dir: &Path, name: &str, address: u32, symbols: &[(&str, u32)]) -> String {
    let mut source = String::from(".syntax unified\n.thumb\n.global _start\n.text\n_start:\n");
    for (symbol_name, size) in symbols {
        source += &symbol(".text", symbol_name, *size);
    }
    if symbols.iter().any(|(n, _)| *n == "printf_core") {
        source += ".global printf_alias\n.set printf_alias, printf_core\n.size printf_alias, 100\n";
    }
    let (s, o, elf) = (
        dir.join(format!("{name}.s")),
        dir.join(format!("{name}.o")),
        dir.join(name),
    );
    std::fs::write(&s, source).unwrap();
    common::run(
        StdCommand::new("arm-none-eabi-as")
            .arg("-o")
            .arg(&o)
            .arg(&s),
    );
    common::run(
        StdCommand::new("arm-none-eabi-ld")
            // -N: no ELF headers in the load image, as a firmware's
            // linker script has it.
            .arg("-N")
            .arg(format!("-Ttext=0x{address:x}"))
            .arg("-o")
            .arg(&elf)
            .arg(&o),
    );
    elf.to_str().unwrap().to_owned()
}

#[test]
fn small_elfs_give_each_cause_its_exact_bytes() {
    if !common::external::tools_run(&["arm-none-eabi-as", "arm-none-eabi-ld"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let flat = link(
        dir.path(),
        "flat.elf",
        0,
        &[
            ("printf_core", 100),
            ("mm_malloc", 40),
            ("write", 20),
            ("app_main", 30),
        ],
    );
    let kernel = link(
        dir.path(),
        "kernel.elf",
        0,
        &[
            ("printf_core", 100),
            ("mm_malloc", 40),
            ("write", 20),
            ("STUB_write", 12),
            ("g_stublookup", 16),
            ("mpu_setup", 50),
        ],
    );
    let user = link(
        dir.path(),
        "user.elf",
        0x400,
        &[
            ("write", 6),
            ("printf_core", 100),
            ("mm_malloc", 40),
            ("app_main", 30),
        ],
    );
    let csv = dir.path().join("syscall.csv");
    std::fs::write(
        &csv,
        "\"write\",\"unistd.h\",\"\",\"ssize_t\",\"int\",\"FAR const void *\",\"size_t\"\n",
    )
    .unwrap();
    let report = size_report(&[
        "--flat",
        &flat,
        "--kernel",
        &kernel,
        "--user",
        &user,
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert_adds_up(&report);
    assert_eq!(report["flat"]["flash"], 190, "{report}");
    assert_eq!(report["protected"]["loaded"], 238 + 176);
    assert_eq!(report["protected"]["flash"], 0x400 + 176);
    assert_eq!(bytes(&report, "syscall-layer"), 12 + 16 + 6);
    let largest: Vec<_> = cause(&report, "syscall-layer")["largest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["size"].as_u64().unwrap(),
                e["blob"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        largest,
        [
            ("g_stublookup".into(), 16, "kernel".into()),
            ("STUB_write".into(), 12, "kernel".into()),
            ("write".into(), 6, "user".into())
        ]
    );
    assert_eq!(bytes(&report, "kernel-only"), 50);
    assert_eq!(bytes(&report, "second-allocator"), 40);
    assert_eq!(bytes(&report, "shared-code"), 100);
    assert_eq!(bytes(&report, "padding"), 0x400 - 238);
    assert_eq!(report["rest"], 0);

    // Without the CSV the user's `write` is not known as a proxy: it is
    // code the kernel has too.
    let report = size_report(&["--flat", &flat, "--kernel", &kernel, "--user", &user]);
    assert_eq!(bytes(&report, "syscall-layer"), 12 + 16);
    assert_eq!(bytes(&report, "shared-code"), 106);
}

#[test]
fn bad_input_names_the_file_and_what_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not an ELF").unwrap();
    let path = text.to_str().unwrap();
    let failed = mcu_build()
        .args(["size", "--flat", path, "--kernel", path, "--user", path])
        .assert()
        .code(2);
    let errors = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
    assert!(
        errors.contains(path) && errors.contains("not a 32-bit Arm firmware ELF"),
        "{errors}"
    );

    let empty = dir.path().to_str().unwrap();
    let failed = mcu_build()
        .args(["size", "--flat-dir", empty, "--protected-dir", empty])
        .assert()
        .code(2);
    let errors = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
    assert!(
        errors.contains(empty) && errors.contains("flat/flat.elf"),
        "{errors}"
    );

    let missing = dir.path().join("absent.elf");
    let missing = missing.to_str().unwrap();
    let failed = mcu_build()
        .args(["size", "--flat", missing, "--kernel", path, "--user", path])
        .assert()
        .code(2);
    let errors = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
    assert!(
        errors.contains(missing) && errors.contains("cannot read"),
        "{errors}"
    );

    mcu_build().args(["size", "--flat", path]).assert().code(2);
}

/// A relocatable object, an ELF of another machine, and one blob given as
/// both kernel and user are refused, each naming the file and why.
#[test]
fn elfs_that_are_no_firmware_of_one_image_are_refused() {
    if !common::external::tools_run(&["arm-none-eabi-as", "arm-none-eabi-ld"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let elf = link(dir.path(), "a.elf", 0, &[("main", 8)]);
    let object = dir.path().join("a.elf.o");
    let mut other_machine = std::fs::read(&elf).unwrap();
    other_machine[18..20].copy_from_slice(&3u16.to_le_bytes()); // e_machine EM_386
    let x86 = dir.path().join("x86.elf");
    std::fs::write(&x86, other_machine).unwrap();
    let refusal = |flat: &str, kernel: &str, user: &str| {
        let out = mcu_build()
            .args(["size", "--flat", flat, "--kernel", kernel, "--user", user])
            .assert()
            .code(2);
        String::from_utf8_lossy(&out.get_output().stderr).into_owned()
    };
    let errors = refusal(object.to_str().unwrap(), &elf, &elf);
    assert!(
        errors.contains(
            "a.elf.o: not a 32-bit Arm firmware ELF (it is Relocatable, not a linked \
                         executable (ET_EXEC))"
        ),
        "{errors}"
    );
    let errors = refusal(&elf, x86.to_str().unwrap(), &elf);
    assert!(
        errors.contains("x86.elf: not a 32-bit Arm firmware ELF (its machine is I386, not Arm)"),
        "{errors}"
    );
    let errors = refusal(&elf, &elf, &elf);
    assert!(
        errors.contains("the kernel and the user blob of one protected image never share flash"),
        "{errors}"
    );
}
