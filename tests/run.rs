//! `mcu-build run`: the exit status is the firmware's, a timeout and a
//! missing QEMU are errors that say what to do.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mcu_build(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcu-build"));
    command.args(args).current_dir(repository());
    command
}

/// The repository's own qemu-mps2-an386 build, made once.
fn built() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let output = mcu_build(&["protect"]).output().unwrap();
        assert!(output.status.success(), "{output:?}");
    });
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_exit_status_is_the_firmwares() {
    built();
    let demo = mcu_build(&["run"]).output().unwrap();
    let (console, errors) = text(&demo);
    assert_eq!(demo.status.code(), Some(0), "{console}{errors}");
    assert!(
        console.contains("kernel: user blob exited with status 0"),
        "{console}"
    );
    let attack = mcu_build(&["run", "--scenario", "read-kernel-flash"])
        .output()
        .unwrap();
    assert_eq!(attack.status.code(), Some(101), "{:?}", text(&attack));
}

#[test]
fn a_timeout_is_an_error_that_names_the_limit() {
    built();
    let output = mcu_build(&["run", "--timeout", "0.000001"])
        .output()
        .unwrap();
    let (_, errors) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains("did not finish within 0.000001 s on mps2-an386"),
        "{errors}"
    );
}

#[test]
fn a_missing_qemu_is_explained_with_the_install_command() {
    built();
    let output = mcu_build(&["run"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let (_, errors) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains("sudo apt-get install qemu-system-arm"),
        "{errors}"
    );
}

#[test]
fn an_unknown_scenario_is_a_usage_error_listing_the_scenarios() {
    let output = mcu_build(&["run", "--scenario", "nope"]).output().unwrap();
    let (_, errors) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{errors}");
    assert!(errors.contains("demo, read-kernel-sram"), "{errors}");
    assert!(errors.contains("stack-overflow, breakpoint"), "{errors}");
}

/// combined.bin of the repository's build, as `BIN@ADDR`.
fn combined_bin(address: &str) -> String {
    format!("target/mcu-build/qemu-mps2-an386/combined.bin{address}")
}

#[test]
fn a_raw_binary_boots_at_its_address() {
    built();
    let output = mcu_build(&["run", &combined_bin("@0x0")]).output().unwrap();
    let (console, errors) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{console}{errors}");
    assert!(
        console.contains("kernel: user blob exited with status 0"),
        "{console}"
    );
}

#[test]
fn images_qemu_cannot_run_are_refused_before_it_starts() {
    built();
    // PATH without QEMU: a refusal must come before QEMU would be needed.
    let refused = |args: &[&str]| {
        let output = mcu_build(args)
            .env("PATH", "/nonexistent")
            .output()
            .unwrap();
        let (_, errors) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {errors}");
        assert!(!errors.contains("qemu-system-arm"), "{args:?}: {errors}");
        errors
    };
    let bin = combined_bin("");
    let errors = refused(&["run", &bin]);
    assert!(
        errors.contains(&format!(
            "error: {bin}: not an ELF or Intel HEX file; for a raw binary give the address of \
             its first byte, e.g. {bin}@0x08000000"
        )),
        "{errors}"
    );

    let errors = refused(&["run", &combined_bin("@0x4000")]);
    assert!(
        errors.contains(&format!(
            "as recorded: {bin}@0x00004000 loads 0x00004000..0x0004"
        )),
        "{errors}"
    );
    assert!(
        errors.contains(&format!(
            "give the raw binary the address of its first byte, {bin}@0x00000000"
        )),
        "{errors}"
    );

    // --force overrides the build record, never the board's memories.
    let errors = refused(&["run", "--force", &combined_bin("@0x30000000")]);
    assert!(
        errors.contains(&format!(
            "inside memories: {bin}@0x30000000: 0x30000000..0x3004"
        )),
        "{errors}"
    );
    assert!(
        errors.contains(
            "lie outside the memories of qemu-mps2-an386 (ssram1 0x00000000..0x00400000 \
             (4194304 bytes), ssram23 0x20000000..0x20400000 (4194304 bytes))"
        ),
        "{errors}"
    );
    assert!(!errors.contains("as recorded"), "{errors}");

    let hex = "target/mcu-build/qemu-mps2-an386/combined.hex";
    let errors = refused(&["run", "--board", "qemu-mps2-an505", hex]);
    assert!(
        errors.contains(
            "same board: the image was built for qemu-mps2-an386, not qemu-mps2-an505; use it \
             with --board qemu-mps2-an386"
        ),
        "{errors}"
    );
    assert!(
        errors.contains(&format!("inside memories: {hex}: 0x00000000..0x0000")),
        "{errors}"
    );
}

#[test]
fn help_documents_force_and_raw_binaries() {
    let output = mcu_build(&["run", "--help"]).output().unwrap();
    let (help, _) = text(&output);
    assert!(output.status.success(), "{help}");
    assert!(help.contains("Intel HEX, ELF, or BIN@ADDR"), "{help}");
    assert!(
        help.contains("--force") && help.contains("Boot even if build.json records"),
        "{help}"
    );
}

/// `mcu-build run ARGS` in `dir`, with QEMU on PATH or not.
fn run_in(dir: &std::path::Path, args: &[&str], with_qemu: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcu-build"));
    command.arg("run").args(args).current_dir(dir);
    if !with_qemu {
        command.env("PATH", "/nonexistent");
    }
    command.output().unwrap()
}

#[test]
fn an_image_without_a_vector_table_at_the_boot_address_is_refused() {
    built();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("c.bin");
    std::fs::copy(repository().join(combined_bin("")), &copy).unwrap();
    let spec = format!("{}@0x100", copy.display());
    let output = run_in(dir.path(), &[&spec], false);
    let (_, errors) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(!errors.contains("qemu-system-arm"), "{errors}");
    assert!(
        errors.contains(&format!(
            "vector table: {}@0x00000100 holds no vector table at 0x00000000, where \
             qemu-mps2-an386 boots (the initial stack pointer at 0x00000000 and the reset vector \
             at 0x00000004); its data starts at 0x00000100",
            copy.display()
        )),
        "{errors}"
    );
    // --force overrides the build record, never what the core needs.
    let forced = run_in(dir.path(), &["--force", &spec], false);
    assert_eq!(forced.status.code(), Some(1), "{:?}", text(&forced));
}

#[test]
fn an_elf_linked_away_from_the_boot_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("loop.s");
    std::fs::write(
        &source,
        ".syntax unified\n.thumb\n.global _start\n.thumb_func\n_start: b _start\n",
    )
    .unwrap();
    let elf = dir.path().join("at4000.elf");
    let linked = Command::new("arm-none-eabi-gcc")
        .args([
            "-mcpu=cortex-m4",
            "-mthumb",
            "-nostdlib",
            "-Wl,-Ttext=0x4000",
            "-o",
        ])
        .arg(&elf)
        .arg(&source)
        .output()
        .expect("arm-none-eabi-gcc runs (scripts/test installs it)");
    assert!(linked.status.success(), "{linked:?}");
    let output = run_in(dir.path(), &[elf.to_str().unwrap()], false);
    let (_, errors) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains(&format!(
            "vector table: {} holds no vector table at 0x00000000, where qemu-mps2-an386 boots",
            elf.display()
        )),
        "{errors}"
    );
    assert!(errors.contains("its data starts at 0x00004000"), "{errors}");
}

#[test]
fn without_a_configuration_the_record_or_the_default_names_the_board() {
    built();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("c.bin");
    std::fs::copy(repository().join(combined_bin("")), &copy).unwrap();
    let spec = format!("{}@0x0", copy.display());
    let output = run_in(dir.path(), &[&spec], true);
    let (console, errors) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{console}{errors}");
    assert_eq!(
        errors.lines().next(),
        Some(
            "board qemu-mps2-an386 (the default; no mcu-build.toml here, no build.json beside \
             the image, and no --board)"
        ),
        "{errors}"
    );

    // A link to the build's image: build.json beside its target names the
    // board, and its checks run (the image is fresh).
    let link = dir.path().join("q.hex");
    std::os::unix::fs::symlink(
        repository().join("target/mcu-build/qemu-mps2-an386/combined.hex"),
        &link,
    )
    .unwrap();
    let output = run_in(dir.path(), &[link.to_str().unwrap()], true);
    let (console, errors) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{console}{errors}");
    let record = std::fs::canonicalize(repository())
        .unwrap()
        .join("target/mcu-build/qemu-mps2-an386/build.json");
    assert_eq!(
        errors.lines().next(),
        Some(
            format!(
                "board qemu-mps2-an386 (from {}; no mcu-build.toml here, and no --board)",
                record.display()
            )
            .as_str()
        ),
        "{errors}"
    );
}

#[test]
fn a_qemu_machine_mcu_build_does_not_run_is_refused_naming_the_board_file() {
    built();
    let dir = tempfile::tempdir().unwrap();
    let bundled =
        std::fs::read_to_string(repository().join("src/board/boards/qemu-mps2-an386.toml"))
            .unwrap();
    let image = repository().join("target/mcu-build/qemu-mps2-an386/combined.hex");
    // Values that are no machine name at all (`help`, `-S`) are refused
    // when the board file is read (tests/names.rs).
    for machine in ["lm3s6965evb", "virt"] {
        let board = dir.path().join("b.toml");
        let edited = bundled.replace(
            "qemu-machine = \"mps2-an386\"",
            &format!("qemu-machine = {machine:?}"),
        );
        assert_ne!(edited, bundled);
        std::fs::write(&board, edited).unwrap();
        let output = run_in(
            dir.path(),
            &[
                "--board-file",
                board.to_str().unwrap(),
                image.to_str().unwrap(),
            ],
            true,
        );
        let (console, errors) = text(&output);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{machine}: {console}{errors}"
        );
        assert!(console.is_empty(), "{machine}: {console}");
        assert!(
            errors.contains(&format!(
                "error: {}: `qemu-machine = {machine:?}`: mcu-build runs only the QEMU machines \
                 of its bundled boards (mps2-an386, mps2-an505)",
                board.display()
            )),
            "{machine}: {errors}"
        );
    }
}
