//! A name from an input is never a path: board, memory and partition names
//! (and a cargo pass's `bin`) are plain identifiers, system call names are
//! C identifiers that are not C keywords, and anything else is refused when
//! the file is read, with its file:line:col and key.

use std::path::Path;
use std::process::Command;

use mcu_build::board;
use mcu_build::build::config;
use mcu_build::syscall::csv::{self, CsvErrorKind};

/// A bundled board file; the tests change one line of it.
const AN386: &str = include_str!("../src/board/boards/qemu-mps2-an386.toml");

/// AN386 with `from` replaced by `to` (which must be there).
fn an386_with(from: &str, to: &str) -> String {
    assert!(AN386.contains(from), "{from}");
    AN386.replacen(from, to, 1)
}

fn board_error(text: &str) -> String {
    board::parse(text, Path::new("boards/evil.toml"))
        .unwrap_err()
        .to_string()
}

#[test]
fn a_board_name_that_is_a_path_or_empty_is_refused_at_its_place() {
    let cases = [
        (
            "../../../../tmp/victim",
            "boards/evil.toml:10:8: `name`: \"../../../../tmp/victim\" is not a board name: \
             use letters, digits, '-' and '_'",
        ),
        (
            "",
            "boards/evil.toml:10:8: `name`: \"\" is not a board name: it is empty; \
             use letters, digits, '-' and '_'",
        ),
        (
            "/etc",
            "boards/evil.toml:10:8: `name`: \"/etc\" is not a board name: \
             use letters, digits, '-' and '_'",
        ),
        (
            "-rf",
            "boards/evil.toml:10:8: `name`: \"-rf\" is not a board name: \
             it starts with '-', which reads as a command-line option",
        ),
        (
            "a\\nb",
            "boards/evil.toml:10:8: `name`: \"a\\nb\" is not a board name: \
             use letters, digits, '-' and '_'",
        ),
    ];
    for (name, expected) in cases {
        let text = an386_with("name = \"qemu-mps2-an386\"", &format!("name = \"{name}\""));
        assert_eq!(board_error(&text), expected);
    }
}

#[test]
fn memory_and_partition_names_are_plain_identifiers_too() {
    let memory = an386_with("name = \"ssram23\"", "name = \"../ram\"");
    assert_eq!(
        board_error(&memory),
        "boards/evil.toml:36:8: `memory[1].name`: \"../ram\" is not a memory name: \
         use letters, digits, '-' and '_'"
    );
    let extra =
        format!("{AN386}extra = [{{ name = \"dma buf\", memory = \"ssram23\", size = \"1K\" }}]\n");
    assert_eq!(
        board_error(&extra),
        "boards/evil.toml:47:19: `partitions.extra[0].name`: \"dma buf\" is not a partition \
         name: use letters, digits, '-' and '_'"
    );
    let good = format!(
        "{AN386}extra = [{{ name = \"dma_buf-2\", memory = \"ssram23\", size = \"1K\" }}]\n"
    );
    let board = board::parse(&good, Path::new("b.toml")).unwrap();
    assert_eq!(board.partitions.partitions[4].name, "dma_buf-2");
    assert_eq!(board.name, "qemu-mps2-an386");
}

/// A project in a fresh directory whose board file names the board
/// `name`, with shell passes that would succeed.
fn project_with_board_name(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("proj");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(
        project.join("evil.toml"),
        an386_with("name = \"qemu-mps2-an386\"", &format!("name = \"{name}\"")),
    )
    .unwrap();
    std::fs::write(
        project.join("mcu-build.toml"),
        "board-file = \"evil.toml\"\n\
         [pass1]\ncommand = \"true\"\nartifact = \"user.elf\"\n\
         [pass2]\ncommand = \"true\"\nartifact = \"kernel.elf\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn protect_writes_nothing_for_a_board_named_like_a_path() {
    // proj/target/mcu-build/../../../victim is the temporary directory's
    // `victim`, which the old protect created with gen/ in it.
    for name in ["../../../victim", ""] {
        let dir = project_with_board_name(name);
        let project = dir.path().join("proj");
        let out = Command::new(env!("CARGO_BIN_EXE_mcu-build"))
            .arg("protect")
            .current_dir(&project)
            .output()
            .unwrap();
        let errors = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{errors}");
        assert!(
            errors.contains(&format!(
                "evil.toml:10:8: `name`: \"{name}\" is not a board name"
            )),
            "{errors}"
        );
        assert!(!dir.path().join("victim").exists());
        assert!(!project.join("target").exists(), "{name:?} wrote target/");
    }
}

#[test]
fn layout_refuses_a_board_file_with_a_path_for_a_name() {
    let dir = project_with_board_name("../../x");
    let out = Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .args(["layout", "--board-file", "evil.toml"])
        .current_dir(dir.path().join("proj"))
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains("evil.toml:10:8: `name`: \"../../x\" is not a board name"),
        "{errors}"
    );
}

#[test]
fn a_cargo_bin_that_is_a_path_is_refused_at_its_place() {
    let text = "board = \"qemu-mps2-an386\"\n\
                [pass1]\ncargo = \"firmware-userspace\"\nbin = \"../../user\"\n\
                [pass2]\ncommand = \"make\"\nartifact = \"k.elf\"\n";
    let error = config::parse(text, Path::new("mcu-build.toml"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "mcu-build.toml:4:7: `pass1.bin`: \"../../user\" is not a cargo binary name: \
         use letters, digits, '-' and '_'"
    );
}

fn csv_error(name: &str) -> (usize, usize, CsvErrorKind) {
    let text = format!("\"getpid\",\"unistd.h\",\"\",\"pid_t\"\n\"{name}\",\"\",\"\",\"int\"\n");
    let e = csv::parse(text.as_bytes(), Path::new("s.csv")).unwrap_err();
    (e.line, e.column, e.kind)
}

#[test]
fn system_call_names_are_c_identifiers_that_are_not_keywords() {
    for keyword in ["int", "while", "_Bool", "typeof", "nullptr", "_BitInt"] {
        assert_eq!(
            csv_error(keyword),
            (
                2,
                2,
                CsvErrorKind::KeywordName {
                    name: keyword.into()
                }
            )
        );
    }
    for name in ["../x", "a/b", "1up", "a-b", "é"] {
        assert_eq!(
            csv_error(name),
            (2, 2, CsvErrorKind::InvalidName { name: name.into() })
        );
    }
    let error = csv::parse(b"\"int\",\"\",\"\",\"int\"\n", Path::new("s.csv"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "s.csv:1:2: expected a function name, found the C keyword \"int\""
    );
    // NuttX's own names with a leading underscore stay valid.
    let table = csv::parse(
        b"\"_exit\",\"unistd.h\",\"\",\"noreturn\",\"int\"\n\"_assert\",\"assert.h\",\"\",\"void\",\"FAR const char *\"\n",
        Path::new("s.csv"),
    )
    .unwrap();
    let names: Vec<&str> = table.entries.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["_exit", "_assert"]);
}

/// `rust-target` becomes a directory (`target/<triple>/`) and a value the
/// passes see in their environment, so it must have a triple's form.
#[test]
fn a_rust_target_that_is_not_a_triple_is_refused_at_its_place() {
    let expected = "expected a target triple such as \"thumbv7em-none-eabi\" (letters, digits, \
                    '_' and '.' in parts joined by '-')";
    let cases = [
        (
            "thumbv7em-none-eabi/../../../../tmp/x",
            format!("{expected}, found '/' in \"thumbv7em-none-eabi/../../../../tmp/x\""),
        ),
        (
            "thumbv7em-none-eabi x",
            format!("{expected}, found ' ' in \"thumbv7em-none-eabi x\""),
        ),
        (
            "thumbv7em-none-eabi\\n",
            format!("{expected}, found '\\n' in \"thumbv7em-none-eabi\\n\""),
        ),
        (
            "thumbv7em-none--eabi",
            format!("{expected}, found an empty part in \"thumbv7em-none--eabi\""),
        ),
        (
            "thumbv7em-none-eabi..x",
            format!("{expected}, found \"..\" in \"thumbv7em-none-eabi..x\""),
        ),
        (
            "x86_64-unknown-linux-gnu",
            "\"x86_64-unknown-linux-gnu\" is not a bare-metal Arm M-profile target such as \
             \"thumbv7em-none-eabi\""
                .to_owned(),
        ),
    ];
    for (target, fault) in cases {
        let text = an386_with(
            "rust-target = \"thumbv7em-none-eabi\"",
            &format!("rust-target = \"{target}\""),
        );
        let line = text[..text.find("rust-target").unwrap()].lines().count() + 1;
        assert_eq!(
            board_error(&text),
            format!("boards/evil.toml:{line}:15: `rust-target`: {fault}"),
            "{target}"
        );
    }
    for good in ["thumbv8m.main-none-eabihf", "thumbv6m-none-eabi"] {
        let text = an386_with(
            "rust-target = \"thumbv7em-none-eabi\"",
            &format!("rust-target = \"{good}\""),
        );
        board::parse(&text, Path::new("boards/evil.toml")).unwrap();
    }
}

/// `qemu-machine` becomes QEMU's `-M` argument, so it must be a machine
/// name, never an option or one of QEMU's queries.
#[test]
fn a_qemu_machine_that_is_not_a_machine_name_is_refused_at_its_place() {
    for machine in ["-kernel /etc/passwd", "help", "?", "", "mps2 an386"] {
        let text = an386_with(
            "qemu-machine = \"mps2-an386\"",
            &format!("qemu-machine = {machine:?}"),
        );
        let line = text[..text.find("qemu-machine").unwrap()].lines().count() + 1;
        assert_eq!(
            board_error(&text),
            format!(
                "boards/evil.toml:{line}:16: `qemu-machine`: {machine:?} is not a QEMU machine \
                 name such as \"mps2-an386\" (letters, digits, '.', '_' and '-', starting with a \
                 letter or digit)"
            ),
            "{machine}"
        );
    }
    for good in ["lm3s6965evb", "mps2-an505", "virt-9.0"] {
        let text = an386_with(
            "qemu-machine = \"mps2-an386\"",
            &format!("qemu-machine = \"{good}\""),
        );
        board::parse(&text, Path::new("boards/evil.toml")).unwrap();
    }
}
