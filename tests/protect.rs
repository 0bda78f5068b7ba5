//! `mcu-build protect` failing the way it must, and building the same bytes
//! twice.
//!
//! Each test writes its own mcu-build.toml into a temporary project whose
//! cargo passes point at the bundled firmware crates, or whose shell
//! passes copy ELF files the test prepared from the repository's own
//! build (`protect` at the root, run once).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use firmware_abi::UserspaceHeader;
use object::{Object as _, ObjectSection as _};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `mcu-build protect` in `dir` (its mcu-build.toml).
fn protect(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .arg("protect")
        .current_dir(dir)
        .output()
        .expect("mcu-build runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The repository's own build for qemu-mps2-an386, made once.
fn built() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let output = protect(&repository());
        assert!(output.status.success(), "{}", stderr(&output));
        repository().join("target/mcu-build/qemu-mps2-an386")
    })
}

/// A project in a temporary directory with this mcu-build.toml.
fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("mcu-build.toml"), config).unwrap();
    dir
}

/// Passes that build the bundled firmware with cargo, and its system
/// call table.
fn cargo_passes() -> String {
    let root = repository();
    format!(
        "[syscalls]\ncsv = {:?}\nchecks = {:?}\n\
         [pass1]\ncargo = {:?}\nbin = \"user\"\n[pass2]\ncargo = {:?}\nbin = \"kernel\"\n",
        root.join("firmware/abi/syscall.csv"),
        root.join("firmware/abi/syscall-checks.toml"),
        root.join("firmware/userspace"),
        root.join("firmware/kernel")
    )
}

/// Passes that copy prepared ELF files into the project.
fn copying_passes(user: &Path, kernel: &Path) -> String {
    format!(
        "[pass1]\ncommand = \"cp {} user-built.elf\"\nartifact = \"user-built.elf\"\n\
         [pass2]\ncommand = \"cp {} kernel-built.elf\"\nartifact = \"kernel-built.elf\"\n",
        user.display(),
        kernel.display()
    )
}

fn out_dir(project: &Path) -> PathBuf {
    project.join("target/mcu-build/qemu-mps2-an386")
}

/// The number before " bytes" after `marker` in `text`.
fn bytes_after(text: &str, marker: &str) -> u64 {
    let rest = &text[text
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}` in {text}"))
        + marker.len()..];
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn a_kernel_too_large_for_its_partition_fails_the_link_with_the_overflow_in_bytes() {
    let dir = project(&format!(
        "board = \"qemu-mps2-an386\"\n[layout]\nkernel-flash = \"4K\"\n{}",
        cargo_passes()
    ));
    let output = protect(dir.path());
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("error: pass 2 (kernel): kernel-flash overflows by "),
        "{message}"
    );
    assert!(bytes_after(&message, "overflows by ") > 0, "{message}");
    // The user blob was fine; nothing of pass 2 or later is left.
    let out = out_dir(dir.path());
    assert!(out.join("user.elf").is_file());
    for stale in ["kernel.elf", "combined.hex", "build.json"] {
        assert!(!out.join(stale).exists(), "{stale} left behind");
    }
}

#[test]
fn a_kernel_linked_for_more_flash_than_its_partition_fails_inspection_with_the_overflow() {
    let built = built();
    // A board file that shrinks kernel flash to 4 KiB but keeps user flash
    // where the prepared user.elf was linked, at 0x40000.
    let board = fs::read_to_string(repository().join("src/board/boards/qemu-mps2-an386.toml"))
        .unwrap()
        .replace(
            "kernel-flash = { memory = \"ssram1\", size = \"256K\" }",
            "kernel-flash = { memory = \"ssram1\", size = \"4K\" }",
        )
        .replace(
            "user-flash = { memory = \"ssram1\", size = \"256K\" }",
            "user-flash = { memory = \"ssram1\", size = \"256K\", origin = 0x40000 }",
        );
    let dir = project(&format!(
        "board-file = \"board.toml\"\n{}",
        copying_passes(&built.join("user.elf"), &built.join("kernel.elf"))
    ));
    fs::write(dir.path().join("board.toml"), board).unwrap();
    let output = protect(dir.path());
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("kernel-built.elf: section .text at 0x"),
        "{message}"
    );
    let overflow = bytes_after(&message, "the kernel overflows its partition by ");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(built.join("build.json")).unwrap()).unwrap();
    let used = manifest["kernel"]["used"]["kernel-flash"].as_u64().unwrap();
    assert!(
        overflow > 0 && overflow <= used - 4096,
        "{overflow} of {used}: {message}"
    );
}

#[test]
fn a_user_blob_without_a_header_fails_pass_1_inspection() {
    let built = built();
    let dir = project("");
    let mut user = fs::read(built.join("user.elf")).unwrap();
    let header_at = {
        let file = object::File::parse(&*user).unwrap();
        let section = file.section_by_name(".user_header").unwrap();
        section.file_range().unwrap().0 as usize
    };
    user[header_at..header_at + UserspaceHeader::SIZE].fill(0);
    let headless = dir.path().join("headless.elf");
    fs::write(&headless, &user).unwrap();
    fs::write(
        dir.path().join("mcu-build.toml"),
        format!(
            "board = \"qemu-mps2-an386\"\n{}",
            copying_passes(&headless, &built.join("kernel.elf"))
        ),
    )
    .unwrap();
    let output = protect(dir.path());
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains(
            "user-built.elf: no valid user header at the user flash origin 0x00040000: bad magic 0x00000000"
        ),
        "{message}"
    );
    assert!(!out_dir(dir.path()).join("user.elf").exists());
}

#[test]
fn two_clean_builds_are_byte_identical_and_a_repeat_rewrites_nothing() {
    let dir = project(&format!("board = \"qemu-mps2-an386\"\n{}", cargo_passes()));
    let out = out_dir(dir.path());
    let outputs = [
        "user.elf",
        "user.hex",
        "kernel.elf",
        "kernel.hex",
        "combined.hex",
        "combined.bin",
        "combined.elf",
        "build.json",
    ];
    let read_all = || -> Vec<Vec<u8>> {
        outputs
            .iter()
            .map(|name| fs::read(out.join(name)).unwrap())
            .collect()
    };
    let first = protect(dir.path());
    assert!(first.status.success(), "{}", stderr(&first));
    let bytes = read_all();
    let modified = fs::metadata(out.join("combined.hex"))
        .unwrap()
        .modified()
        .unwrap();

    let repeat = protect(dir.path());
    assert!(repeat.status.success(), "{}", stderr(&repeat));
    assert_eq!(read_all(), bytes);
    assert_eq!(
        fs::metadata(out.join("combined.hex"))
            .unwrap()
            .modified()
            .unwrap(),
        modified
    );

    fs::remove_dir_all(&out).unwrap();
    let clean = protect(dir.path());
    assert!(clean.status.success(), "{}", stderr(&clean));
    for (name, (again, before)) in outputs.iter().zip(read_all().iter().zip(&bytes)) {
        assert!(again == before, "{name} differs between two clean builds");
    }
}

#[test]
fn json_messages_are_one_object_per_line_ending_with_the_outputs() {
    built();
    let output = Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .args(["protect", "--message-format", "json"])
        .current_dir(repository())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let events: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let finished: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "finished")
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(finished, ["plan", "pass1", "pass2", "verify", "merge"]);
    let result = events.last().unwrap();
    assert_eq!(result["event"], "result");
    let outputs = result["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 8);
    assert!(
        outputs
            .iter()
            .all(|o| o["sha256"].as_str().unwrap().len() == 64)
    );
}

#[test]
fn a_configuration_error_names_the_file_line_and_key() {
    let dir = project(&format!(
        "board = \"qemu-mps2-an386\"\n[layout]\nuser-heap = \"lots\"\n{}",
        cargo_passes()
    ));
    let output = protect(dir.path());
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.starts_with("error: mcu-build.toml:3:13: `layout.user-heap`: "),
        "{message}"
    );
}
