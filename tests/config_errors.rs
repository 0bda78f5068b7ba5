//! TOML type errors name the key with its index and the expected form; a
//! missing field names its table, not the key on line 1; a UTF-8
//! byte-order mark at the start of a TOML or CSV file is skipped.

use std::path::Path;

use mcu_build::board;
use mcu_build::build::config::{self, BoardSource, ProjectConfig};
use mcu_build::build::header::HeaderKind;
use mcu_build::syscall::csv;

mod common;

/// A bundled board file; the tests change one line of it.
const AN386: &str = include_str!("../src/board/boards/qemu-mps2-an386.toml");

/// This repository's own configuration.
const PROJECT: &str = include_str!("../mcu-build.toml");

const BOM: &str = "\u{feff}";

fn board_error(text: &str) -> String {
    board::parse(text, Path::new("board.toml"))
        .unwrap_err()
        .to_string()
}

fn an386_with(from: &str, to: &str) -> String {
    assert!(AN386.contains(from), "{from}");
    AN386.replacen(from, to, 1)
}

#[test]
fn a_number_of_the_wrong_type_names_the_indexed_key_and_the_expected_form() {
    let cases = [
        (
            "origin = 0x20000000",
            "origin = true",
            "board.toml:38:10: `memory[1].origin`: expected a number such as 0x20000000 \
             or \"64K\", found true",
        ),
        (
            "length = \"4M\"",
            "length = [4]",
            "board.toml:33:10: `memory[0].length`: expected a number such as 0x20000000 \
             or \"64K\", found an array",
        ),
        (
            "size = \"64K\" }",
            "size = -1 }",
            "board.toml:44:44: `partitions.kernel-sram.size`: expected a number such as \
             0x20000000 or \"64K\", found the negative number -1",
        ),
        (
            "kernel-heap = \"16K\"",
            "kernel-heap = 1.5",
            "board.toml:46:15: `partitions.kernel-heap`: expected a number such as \
             0x20000000 or \"64K\", found the floating-point number 1.5",
        ),
        (
            "base = 0x40004000",
            "base = { at = 1 }",
            "board.toml:21:8: `console.base`: expected a number such as 0x20000000 or \
             \"64K\", found a table or a date-time",
        ),
    ];
    for (from, to, expected) in cases {
        assert_eq!(board_error(&an386_with(from, to)), expected, "{to}");
    }
}

#[test]
fn a_missing_field_names_its_table_not_the_key_on_line_1() {
    assert_eq!(
        board_error(&an386_with("origin = 0x00000000\n", "")),
        "board.toml:29:1: `memory[0]`: missing field `origin`"
    );
    assert_eq!(
        board_error(&an386_with(", size = \"256K\" }", " }")),
        "board.toml:42:16: `partitions.kernel-flash`: missing field `size`"
    );
    // A top-level key belongs to no table: the file's start, and no key.
    assert_eq!(
        board_error(&an386_with("cpu = \"cortex-m4\"\n", "")),
        "board.toml:1:1: missing field `cpu`"
    );
}

#[test]
fn a_string_of_the_wrong_type_names_its_key() {
    assert_eq!(
        board_error(&an386_with("cpu = \"cortex-m4\"", "cpu = 4")),
        "board.toml:12:7: `cpu`: expected a string, found 4"
    );
}

#[test]
fn a_byte_order_mark_starts_a_board_file_or_configuration_unnoticed() {
    let path = Path::new("board.toml");
    assert_eq!(
        board::parse(&format!("{BOM}{AN386}"), path).unwrap(),
        board::parse(AN386, path).unwrap()
    );
    // Columns on line 1 are counted as an editor shows them, without it.
    let first_line = an386_with("# ARM MPS2", "name2 = 1 # ARM MPS2");
    assert_eq!(
        board_error(&format!("{BOM}{first_line}")),
        board_error(&first_line)
    );
    assert!(board_error(&first_line).starts_with("board.toml:1:1: `name2`: unknown field"));
    let project = Path::new("mcu-build.toml");
    assert_eq!(
        config::parse(&format!("{BOM}{PROJECT}"), project).unwrap(),
        config::parse(PROJECT, project).unwrap()
    );
}

#[test]
fn configuration_type_errors_name_the_key_and_the_expected_form() {
    let text = PROJECT.replacen(
        "board = \"qemu-mps2-an386\"\n",
        "board = \"qemu-mps2-an386\"\n[layout]\nuser-heap = true\n",
        1,
    );
    assert_eq!(
        config::parse(&text, Path::new("mcu-build.toml"))
            .unwrap_err()
            .to_string(),
        "mcu-build.toml:5:13: `layout.user-heap`: expected a number such as 0x20000000 or \
         \"64K\", found true"
    );
    let missing =
        "board = \"qemu-mps2-an386\"\n[pass2]\ncommand = \"make\"\nartifact = \"k.elf\"\n";
    assert_eq!(
        config::parse(missing, Path::new("mcu-build.toml"))
            .unwrap_err()
            .to_string(),
        "mcu-build.toml:1:1: missing table [pass1], which `protect` needs to build the user \
         blob: cargo = (a package directory) and bin = ..., or command = (a shell command) and \
         artifact = (the ELF it writes); or [nuttx] for a NuttX tree"
    );
}

const CSV: &str = "\"getpid\",\"unistd.h\",\"\",\"pid_t\"\n\"kill\",\"signal.h\",\"\",\"int\",\"pid_t\",\"int\"\n";

#[test]
fn a_byte_order_mark_starts_a_syscall_csv_unnoticed() {
    let with_bom = format!("{BOM}{CSV}");
    let path = Path::new("s.csv");
    assert_eq!(
        csv::parse(with_bom.as_bytes(), path).unwrap(),
        csv::parse(CSV.as_bytes(), path).unwrap()
    );
    // An error on line 1 is at the column an editor shows.
    let bad = format!("{BOM}\"getpid\" x\n");
    assert_eq!(
        csv::parse(bad.as_bytes(), path).unwrap_err().to_string(),
        "s.csv:1:10: expected ',' or the end of the line after a field, found 'x'"
    );
}

#[test]
fn the_real_nuttx_syscall_csv_reads_the_same_with_a_byte_order_mark() {
    let Some(path) = common::nuttx_testdata("syscall.csv") else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let with_bom = [BOM.as_bytes(), &bytes].concat();
    let table = csv::parse(&bytes, &path).unwrap();
    assert_eq!(table.entries.len(), 221);
    assert_eq!(csv::parse(&with_bom, &path).unwrap(), table);
}

#[test]
fn files_on_disk_with_a_byte_order_mark_load_and_bytes_that_are_not_utf8_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let board_path = dir.path().join("board.toml");
    std::fs::write(&board_path, format!("{BOM}{AN386}")).unwrap();
    assert_eq!(
        board::load(&board_path).unwrap(),
        board::parse(AN386, &board_path).unwrap()
    );
    let config_path = dir.path().join("mcu-build.toml");
    std::fs::write(&config_path, format!("{BOM}{PROJECT}")).unwrap();
    assert_eq!(
        config::load(&config_path).unwrap().board,
        config::BoardSource::Bundled("qemu-mps2-an386".into())
    );
    // A Latin-1 byte (0xFF) where `?` stands: not UTF-8, at line 12, column 17.
    let latin1: Vec<u8> = AN386
        .replacen("cpu = \"cortex-m4\"", "cpu = \"cortex-m4?\"", 1)
        .bytes()
        .map(|b| if b == b'?' { 0xff } else { b })
        .collect();
    std::fs::write(&board_path, [BOM.as_bytes(), &latin1].concat()).unwrap();
    assert_eq!(
        board::load(&board_path).unwrap_err().to_string(),
        format!("{}:12:17: expected UTF-8 text", board_path.display())
    );
    std::fs::write(&config_path, b"board = \"\xff\"\n").unwrap();
    assert_eq!(
        config::load(&config_path).unwrap_err().to_string(),
        format!("{}:1:10: expected UTF-8 text", config_path.display())
    );
}

fn config_error(text: &str) -> String {
    config::parse(text, Path::new("mcu-build.toml"))
        .unwrap_err()
        .to_string()
}

/// serde's and the toml crate's Rust terms ("expected struct RawPass",
/// "expected u8", "wanted string or table", "expected path string") never
/// reach the user: each type says what it expects in TOML's terms.
#[test]
fn type_errors_say_the_expected_form_in_toml_terms() {
    let board_cases = [
        (
            "regions = 8",
            "regions = \"8\"",
            "board.toml:25:11: `mpu.regions`: expected a whole number from 1 to 255, found the \
             string \"8\"",
        ),
        (
            "regions = 8",
            "regions = 300",
            "board.toml:25:11: `mpu.regions`: expected a whole number from 1 to 255, found 300",
        ),
        (
            "kernel-regions = 0",
            "kernel-regions = -1",
            "board.toml:27:18: `mpu.kernel-regions`: expected a whole number from 0 to 255, found \
             -1",
        ),
        (
            "kind = \"flash\"",
            "kind = 5",
            "board.toml:31:8: `memory[0].kind`: expected one of \"flash\", \"ram\", found 5",
        ),
        (
            "kind = \"flash\"",
            "kind = \"rom\"",
            "board.toml:31:8: `memory[0].kind`: expected one of \"flash\", \"ram\", found the \
             string \"rom\"",
        ),
        (
            "kind = \"armv7m\"",
            "kind = true",
            "board.toml:24:8: `mpu.kind`: expected one of \"armv7m\", \"armv8m\", \"none\", \
             found true",
        ),
        (
            "kind = \"cmsdk-apb-uart\"",
            "kind = [1]",
            "board.toml:20:8: `console.kind`: expected one of \"cmsdk-apb-uart\", \"pl011\", found an array",
        ),
    ];
    for (from, to, expected) in board_cases {
        assert_eq!(board_error(&an386_with(from, to)), expected, "{to}");
    }
    // An array of tables where a table belongs is not read field by field.
    let extra =
        format!("{AN386}extra = [[{{ name = \"dma\", memory = \"ssram23\", size = \"1K\" }}]]\n");
    assert_eq!(
        board_error(&extra),
        "board.toml:47:10: `partitions.extra[0]`: expected a table such as { memory = \"flash\", \
         size = \"64K\" } (with name = ... in extra), found an array"
    );

    let project_cases = [
        (
            "[pass1]\ncargo = \"firmware/userspace\"\nbin = \"user\"\n",
            "pass1 = 5\n",
            "mcu-build.toml:6:9: `pass1`: expected a table such as [pass1] with cargo = ... or \
             command = ..., found 5",
        ),
        (
            "cargo = \"firmware/userspace\"",
            "cargo = 5",
            "mcu-build.toml:7:9: `pass1.cargo`: expected a path string, found 5",
        ),
        (
            "features = [\"flat\"]",
            "features = [[{ a = 1 }]]",
            "mcu-build.toml:30:13: `flat.features[0]`: expected a string, found an array",
        ),
    ];
    for (from, to, expected) in project_cases {
        assert!(PROJECT.contains(from), "{from}");
        assert_eq!(
            config_error(&PROJECT.replacen(from, to, 1)),
            expected,
            "{to}"
        );
    }
}

/// `layout` and `mpu check` read only the board and `[layout]` of
/// `mcu-build.toml`, so a configuration without passes plans; `protect`,
/// which builds them, says which table is missing.
#[test]
fn a_configuration_without_passes_plans_but_does_not_protect() {
    let dir = common::Dir::new();
    dir.write(
        "mcu-build.toml",
        "board = \"qemu-mps2-an505\"\n[layout]\nkernel-heap = \"8K\"\n",
    );
    let mcu_build = |args: &[&str]| {
        let mut cmd = assert_cmd::Command::cargo_bin("mcu-build").unwrap();
        cmd.current_dir(dir.0.path()).args(args).assert()
    };
    mcu_build(&["layout"])
        .success()
        .stdout(predicates::str::contains(
            "kernel heap      0x3800e000..0x38010000 (8192 bytes)",
        ))
        .stderr(predicates::str::contains(
            "board qemu-mps2-an505 and [layout] from mcu-build.toml",
        ));
    mcu_build(&["mpu", "check"])
        .success()
        .stdout(predicates::str::contains(
            "qemu-mps2-an505: 2 of 8 MPU regions",
        ));
    mcu_build(&["protect"]).code(1).stderr(predicates::str::contains(
        "mcu-build.toml:1:1: missing table [pass1], which `protect` needs to build the user blob",
    ));
}

#[test]
fn a_nuttx_project_refuses_the_tables_of_passes_and_names_their_place() {
    let path = Path::new("mcu-build.toml");
    let error = |text: &str| config::parse_any(text, path).unwrap_err().to_string();
    assert_eq!(
        error("[nuttx]\ntree = \"nuttx\"\n[layout]\nuser-heap = \"4K\"\n"),
        "mcu-build.toml:3:1: `[layout]`: not in a NuttX project: the tree's .config and \
         memory.ld give the partitions and its make builds both blobs; remove the table, or \
         remove [nuttx] to build with passes"
    );
    assert!(
        error("[pass2]\ncommand = \"make\"\nartifact = \"nuttx\"\n[nuttx]\n")
            .starts_with("mcu-build.toml:1:1: `[pass2]`: not in a NuttX project"),
    );
    assert_eq!(
        error("[nuttx]\nmake = \" \"\n"),
        "mcu-build.toml:2:8: `nuttx.make`: an empty command: expected the shell command that \
         builds nuttx_user.elf and nuttx in the tree, such as \"make\""
    );
    assert!(
        error("[nuttx]\nmaek = \"make\"\n")
            .starts_with("mcu-build.toml:2:1: `nuttx.maek`: unknown field `maek`"),
        "{}",
        error("[nuttx]\nmaek = \"make\"\n")
    );
    // The commands that build with passes name the one that builds it.
    let passes = config::parse("[nuttx]\n", path).unwrap_err().to_string();
    assert!(
        passes.starts_with(
            "mcu-build.toml:1:1: `[nuttx]`: a NuttX project is built by its tree's make as a \
             whole: `mcu-build protect` builds it"
        ),
        "{passes}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mcu-build.toml");
    std::fs::write(&file, "board = \"stm32h743\"\n[nuttx]\n").unwrap();
    let error = config::load_layout(&file).unwrap_err().to_string();
    assert!(
        error.contains("`[nuttx]`: a NuttX project's partitions are its tree's memory.ld"),
        "{error}"
    );
}

#[test]
fn a_nuttx_project_takes_defaults_and_an_optional_board() {
    let path = Path::new("p/mcu-build.toml");
    let ProjectConfig::Nuttx(plain) = config::parse_any("[nuttx]\n", path).unwrap() else {
        panic!("a NuttX project");
    };
    assert_eq!(
        (plain.tree, plain.make, plain.board, plain.root),
        (
            Path::new(".").to_owned(),
            "make".to_owned(),
            None,
            Path::new("p").to_owned()
        )
    );
    let text = "board = \"stm32h743\"\n[nuttx]\ntree = \"../nuttx\"\nmake = \"make -j4\"\n";
    let ProjectConfig::Nuttx(named) = config::parse_any(text, path).unwrap() else {
        panic!("a NuttX project");
    };
    assert_eq!(named.board, Some(BoardSource::Bundled("stm32h743".into())));
    assert_eq!(named.make, "make -j4");
    assert_eq!(named.tree, Path::new("../nuttx"));
}

#[test]
fn the_user_header_kind_is_read_from_pass1_only() {
    let path = Path::new("mcu-build.toml");
    let with = |pass1: &str, pass2: &str| {
        format!(
            "board = \"qemu-mps2-an386\"\n[pass1]\ncommand = \"make u\"\nartifact = \"u.elf\"\n{pass1}\
             [pass2]\ncommand = \"make k\"\nartifact = \"k.elf\"\n{pass2}"
        )
    };
    let config = config::parse(&with("header = \"nuttx\"\n", ""), path).unwrap();
    assert_eq!(config.header, Some(HeaderKind::Nuttx));
    assert_eq!(config::parse(&with("", ""), path).unwrap().header, None);
    let error = config::parse(&with("header = \"NuttX\"\n", ""), path)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(
            "mcu-build.toml:5:10: `pass1.header`: no header kind \"NuttX\": expected \
             \"mcu-build\""
        ),
        "{error}"
    );
    let error = config::parse(&with("", "header = \"nuttx\"\n"), path)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(
            "mcu-build.toml:8:10: `pass2.header`: `header` names the user blob's header, so it \
             belongs in [pass1]"
        ),
        "{error}"
    );
}
