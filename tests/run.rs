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
fn an_expected_console_line_ends_the_run_with_success() {
    built();
    let output = mcu_build(&["run", "--expect", r"user: slept \d+ ms", "--timeout", "20"])
        .output()
        .unwrap();
    let (console, errors) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{console}{errors}");
    // The line that passed the run, whole (the sleep's length varies).
    let line = errors
        .strip_prefix("run: the console showed every --expect (last: \"")
        .and_then(|rest| rest.strip_suffix("\"); QEMU stopped\n"))
        .unwrap_or_else(|| panic!("{errors}"));
    assert!(line.starts_with("user: slept "), "{line}");
    assert!(
        line.ends_with(" ms on the kernel timer (asked for 20)"),
        "{line}"
    );
    assert!(console.contains(&format!("\n{line}\n")), "{console}");
}

#[test]
fn a_fail_pattern_ends_the_run_naming_the_pattern_and_the_line() {
    built();
    let output = mcu_build(&[
        "run",
        "--scenario",
        "read-kernel-flash",
        "--expect",
        "user: bye",
        "--fail",
        "user fault: MemManage",
    ])
    .output()
    .unwrap();
    let (console, errors) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{console}{errors}");
    assert!(
        errors.contains(
            "error: the console matched --fail 'user fault: MemManage': \"kernel: user fault: \
             MemManage: data read at 0x00000000 denied by the MPU (pc 0x"
        ),
        "{errors}"
    );
}

#[test]
fn with_expect_an_exit_of_the_firmware_first_is_a_failure_naming_its_status() {
    built();
    let output = mcu_build(&["run", "--expect", "never printed"])
        .output()
        .unwrap();
    let (console, errors) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{console}{errors}");
    assert!(
        errors.contains(
            "error: the firmware exited with status 0 before the console showed --expect \
             'never printed'"
        ),
        "{errors}"
    );
}

#[test]
fn a_pattern_that_is_no_regular_expression_is_a_usage_error() {
    for option in ["--expect", "--fail"] {
        let output = mcu_build(&["run", option, "ostest_main: (Exiting"])
            .env("PATH", "/nonexistent")
            .output()
            .unwrap();
        let (_, errors) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{errors}");
        assert!(
            errors.contains(&format!(
                "error: invalid value 'ostest_main: (Exiting' for '{option} <REGEX>': regex \
                 parse error:"
            )),
            "{errors}"
        );
        assert!(errors.contains("unclosed group"), "{errors}");
    }
    let output = mcu_build(&["run", "--expect", ""]).output().unwrap();
    let (_, errors) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{errors}");
    assert!(
        errors.contains("an empty pattern matches every line"),
        "{errors}"
    );
}

/// An ELF for the default board (qemu-mps2-an386) that prints `text` on
/// UART0, a `\x01` byte pausing about a tenth of a second instead, and
/// then sleeps forever, as NuttX does: it never exits QEMU.
fn console_program(dir: &std::path::Path, text: &str) -> PathBuf {
    let bytes: Vec<String> = text.bytes().map(|b| format!("{b:#04x}")).collect();
    let source = dir.join("console.s");
    std::fs::write(
        &source,
        format!(
            ".syntax unified
.thumb
.global _start
_start:
    .word 0x20010000          @ initial stack pointer
    .word reset               @ reset vector
.thumb_func
reset:
    ldr r4, =0x40004000       @ CMSDK APB UART0
    movs r0, #16
    str r0, [r4, #0x10]       @ BAUDDIV
    movs r0, #1
    str r0, [r4, #0x08]       @ CTRL: TX enable
    ldr r5, =text
next:
    ldrb r0, [r5], #1
    cmp r0, #0
    beq sleep
    cmp r0, #1
    bne send
    ldr r1, =20000000
pause:
    subs r1, #1
    bne pause
    b next
send:
    ldr r1, [r4, #0x04]       @ STATE: bit 0 = TX full
    tst r1, #1
    bne send
    str r0, [r4]
    b next
sleep:
    wfi
    b sleep
.ltorg
text:
    .byte {}, 0
",
            bytes.join(", ")
        ),
    )
    .unwrap();
    let elf = dir.join("console.elf");
    let linked = Command::new("arm-none-eabi-gcc")
        .args([
            "-mcpu=cortex-m4",
            "-mthumb",
            "-nostdlib",
            "-Wl,-Ttext=0x0",
            "-o",
        ])
        .arg(&elf)
        .arg(&source)
        .output()
        .expect("arm-none-eabi-gcc runs (scripts/test installs it)");
    assert!(linked.status.success(), "{linked:?}");
    elf
}

#[test]
fn firmware_that_never_exits_passes_on_a_match_split_across_console_reads() {
    let dir = tempfile::tempdir().unwrap();
    // The pause splits the line between two reads of QEMU's output.
    let elf = console_program(
        dir.path(),
        "nsh> ostest\r\nostest_main: Exit\x01ing with status 0\r\n",
    );
    let started = std::time::Instant::now();
    let output = run_in(
        dir.path(),
        &[
            elf.to_str().unwrap(),
            "--expect",
            "^ostest_main: Exiting with status 0$",
            "--timeout",
            "60",
        ],
        true,
    );
    let (console, errors) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{console}{errors}");
    assert!(
        console.contains("\nostest_main: Exiting with status 0"),
        "{console:?}"
    );
    // The match, not the limit, ended the run.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_nuttx_assertion_fails_a_run_that_expects_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let assertion = "Assertion failed panic: at file: armv7-m/arm_memfault.c:138 task: ostest \
                     process: ostest 0x11d";
    let elf = console_program(
        dir.path(),
        &format!("ostest_main: started\r\n{assertion}\r\nR0: 00000000\r\n"),
    );
    let elf = elf.to_str().unwrap();
    let expect = ["--expect", "ostest_main: Exiting with status 0"];
    let output = run_in(
        dir.path(),
        &[&[elf][..], &expect, &["--timeout", "60"]].concat(),
        true,
    );
    let (console, errors) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{console}{errors}");
    assert!(
        errors.contains(&format!(
            "error: the console matched the fail pattern 'Assertion failed\\b.*at file:' of \
             --fail-default nuttx (--fail-default none turns it off): {assertion:?}"
        )),
        "{errors}"
    );

    // Without the built-in patterns the run waits for the --expect, in vain.
    let output = run_in(
        dir.path(),
        &[
            &[elf][..],
            &expect,
            &["--fail-default", "none", "--timeout", "2"],
        ]
        .concat(),
        true,
    );
    let (console, errors) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{console}{errors}");
    assert!(console.contains(assertion), "{console}");
    assert!(
        errors.contains(&format!(
            "error: {elf} did not show --expect 'ostest_main: Exiting with status 0' on the \
             console within 2 s on mps2-an386 (--timeout sets the limit)"
        )),
        "{errors}"
    );
}

/// QEMU dies with mcu-build: a run killed by SIGTERM (a CI runner's
/// timeout) leaves no QEMU behind, though the firmware never exits.
#[test]
fn a_killed_run_takes_qemu_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let elf = console_program(dir.path(), "nsh> ");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .args(["run", elf.to_str().unwrap(), "--board", "qemu-mps2-an386"])
        .args(["--expect", "never printed", "--timeout", "60"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // QEMU is mcu-build's child once it runs.
    let children = format!("/proc/{}/task/{}/children", child.id(), child.id());
    let mut qemu = None;
    for _ in 0..100 {
        let list = std::fs::read_to_string(&children).unwrap_or_default();
        if let Some(pid) = list.split_whitespace().next() {
            qemu = Some(pid.to_owned());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let qemu = qemu.expect("QEMU started within 10 s");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap();
    let gone = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::fs::read_to_string(format!("/proc/{qemu}/cmdline"))
            .map_or(true, |cmdline| !cmdline.starts_with("qemu-system-arm"))
    });
    assert!(gone, "QEMU (pid {qemu}) outlived mcu-build");
}

#[test]
fn help_documents_the_console_verdict_and_the_nuttx_fail_patterns() {
    let output = mcu_build(&["run", "--help"]).output().unwrap();
    let (help, _) = text(&output);
    assert!(output.status.success(), "{help}");
    for pattern in mcu_build::qemu::NUTTX_FAIL_PATTERNS {
        assert!(help.contains(&format!("'{pattern}'")), "{pattern}: {help}");
    }
    assert!(
        help.contains("--expect 'ostest_main: Exiting with status 0'"),
        "{help}"
    );
    assert!(help.contains("--fail-default <SET>"), "{help}");
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
    assert!(
        errors.contains(&format!(
            "warning: no build.json beside {}: nothing says which build made this image",
            copy.display()
        )),
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
    for machine in ["mps2-an385", "virt"] {
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
                 of its bundled boards (lm3s6965evb, mps2-an386, mps2-an500, mps2-an505)",
                board.display()
            )),
            "{machine}: {errors}"
        );
    }
}
