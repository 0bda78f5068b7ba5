//! The `boards`, `layout` and `mpu` commands: output, SVG, exit codes.

use assert_cmd::Command;
use predicates::prelude::*;

fn mcu_build() -> Command {
    Command::cargo_bin("mcu-build").unwrap()
}

#[test]
fn boards_lists_every_bundled_board() {
    let out = mcu_build().arg("boards").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for name in mcu_build::board::bundled_names() {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn layout_works_with_no_input_and_its_json_round_trips() {
    mcu_build()
        .arg("layout")
        .assert()
        .success()
        .stdout(predicate::str::contains("RBAR=0x00040010 RASR=0x06020023"));
    let out = mcu_build().args(["layout", "--json"]).assert().success();
    let plan: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(plan["board"], "qemu-mps2-an386");
    assert_eq!(
        plan["partitions"][1]["regions"][0]["registers"]["rasr"],
        "0x06020023"
    );
}

#[test]
fn the_svg_is_well_formed_and_shows_every_partition_and_region() {
    let dir = tempfile::tempdir().unwrap();
    for name in mcu_build::board::bundled_names() {
        let path = dir.path().join(format!("{name}.svg"));
        mcu_build()
            .args(["layout", "--board", name, "--svg"])
            .arg(&path)
            .assert()
            .success();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let drawn: Vec<&str> = doc
            .descendants()
            .filter_map(|n| n.attribute("data-partition"))
            .collect();
        let b = mcu_build::board::bundled(name).unwrap();
        let plan = mcu_build::layout::plan(&b, &b.partitions).unwrap();
        for p in &plan.partitions {
            assert!(
                drawn.contains(&p.name.as_str()),
                "{name}: {} not drawn",
                p.name
            );
        }
        for (number, _) in plan.programmed() {
            let n = number.to_string();
            assert!(
                doc.descendants()
                    .any(|d| d.attribute("data-region") == Some(n.as_str())),
                "{name}: region {n} not drawn"
            );
        }
    }
}

#[test]
fn mpu_cover_prints_regions_or_the_nearest_ranges() {
    mcu_build()
        .args([
            "mpu",
            "cover",
            "0x08020000",
            "896K",
            "--regions",
            "1",
            "--memory",
            "flash",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("RBAR=0x08000010 RASR=0x06020127"));
    mcu_build()
        .args(["mpu", "cover", "0x20000020", "0x1FFE0", "--regions", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "nearest inside: 0x20004000..0x20020000",
        ));
    mcu_build()
        .args(["mpu", "cover", "0x20000000", "12Q"])
        .assert()
        .code(2);
}

#[test]
fn mpu_check_passes_on_bundled_boards_and_reports_misplaced_elf_sections() {
    mcu_build()
        .args(["mpu", "check", "--board", "stm32f4discovery"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing else"));
    mcu_build()
        .args(["mpu", "check", "--board", "nope"])
        .assert()
        .code(2);

    // A user blob whose .bss runs 64 bytes past user SRAM (0x20010000..0x20020000).
    let dir = tempfile::tempdir().unwrap();
    let elf = dir.path().join("user.elf");
    std::fs::write(&elf, user_elf(0x0004_0000, 0x2001_FFC0, 0x80)).unwrap();
    mcu_build()
        .args(["mpu", "check", "--user-elf"])
        .arg(&elf)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(".bss").and(predicate::str::contains("by 64 bytes")));
    std::fs::write(&elf, user_elf(0x0004_0000, 0x2001_0000, 0x80)).unwrap();
    mcu_build()
        .args(["mpu", "check", "--user-elf"])
        .arg(&elf)
        .assert()
        .success();
}

/// A fresh directory holding `mcu-build.toml` with `head` (the board) and
/// a `[layout]` that gives kernel flash 64K, and shell passes.
fn project(head: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mcu-build.toml"),
        format!(
            "{head}\n[layout]\nkernel-flash = \"64K\"\n\
             [pass1]\ncommand = \"true\"\nartifact = \"u.elf\"\n\
             [pass2]\ncommand = \"true\"\nartifact = \"k.elf\"\n"
        ),
    )
    .unwrap();
    dir
}

/// `mcu-build layout --json ARGS` in `dir`: the plan's board, kernel flash
/// size, and the stderr line that says where they came from.
fn planned_in(dir: &std::path::Path, args: &[&str]) -> (String, u64, String) {
    let out = mcu_build()
        .current_dir(dir)
        .args(["layout", "--json"])
        .args(args)
        .assert()
        .success();
    let plan: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let kernel_flash = plan["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "kernel-flash")
        .unwrap()["size"]
        .as_u64()
        .unwrap();
    let provenance = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    (
        plan["board"].as_str().unwrap().to_owned(),
        kernel_flash,
        provenance,
    )
}

#[test]
fn layout_plans_the_board_and_sizes_of_mcu_build_toml() {
    let dir = project("board = \"stm32f4discovery\"");
    assert_eq!(
        planned_in(dir.path(), &[]),
        (
            "stm32f4discovery".into(),
            64 * 1024,
            "board stm32f4discovery and [layout] from mcu-build.toml\n".into()
        )
    );
    // An explicit board replaces the configuration's, its sizes still apply.
    assert_eq!(
        planned_in(dir.path(), &["--board", "nrf52840"]),
        (
            "nrf52840".into(),
            64 * 1024,
            "board nrf52840 from --board, [layout] from mcu-build.toml\n".into()
        )
    );
    let out = mcu_build()
        .current_dir(dir.path())
        .args(["mpu", "check", "--json"])
        .assert()
        .success();
    let result: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(result["board"], "stm32f4discovery");
    assert_eq!(result["config"], "mcu-build.toml");
    mcu_build()
        .current_dir(dir.path())
        .args(["mpu", "check"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("stm32f4discovery: "));
}

#[test]
fn config_names_a_configuration_elsewhere_and_its_board_file() {
    let dir = project("board-file = \"mine.toml\"");
    let board = include_str!("../src/board/boards/qemu-mps2-an386.toml").replacen(
        "name = \"qemu-mps2-an386\"",
        "name = \"mine\"",
        1,
    );
    std::fs::write(dir.path().join("mine.toml"), board).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcu-build.toml");
    let config = config.to_str().unwrap();
    assert_eq!(
        planned_in(elsewhere.path(), &["--config", config]),
        (
            "mine".into(),
            64 * 1024,
            format!("board mine and [layout] from {config}\n")
        )
    );
}

#[test]
fn without_a_configuration_the_default_board_is_planned_and_said_so() {
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        planned_in(empty.path(), &[]),
        (
            "qemu-mps2-an386".into(),
            256 * 1024,
            "board qemu-mps2-an386 (the default; no mcu-build.toml here, and no --board)\n".into()
        )
    );
    assert_eq!(
        planned_in(empty.path(), &["--board", "stm32f4discovery"]).2,
        "board stm32f4discovery from --board; no mcu-build.toml\n"
    );
}

#[test]
fn a_broken_or_missing_configuration_is_an_error_not_the_default_board() {
    let empty = tempfile::tempdir().unwrap();
    mcu_build()
        .current_dir(empty.path())
        .args(["layout", "--config", "missing.toml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read missing.toml"));
    std::fs::write(empty.path().join("mcu-build.toml"), "board = 3\n").unwrap();
    for command in [&["layout"][..], &["mpu", "check"]] {
        mcu_build()
            .current_dir(empty.path())
            .args(command)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "mcu-build.toml:1:9: `board`: expected a string, found 3",
            ));
    }
}

/// A minimal ARM ELF with `.text` at `text` (one PT_LOAD) and a NOBITS
/// `.bss` of `bss_size` bytes at `bss`.
fn user_elf(text: u64, bss: u64, bss_size: u64) -> Vec<u8> {
    use object::write::elf::{FileHeader, ProgramHeader, SectionHeader, Writer};
    let mut out = Vec::new();
    let mut w = Writer::new(object::Endianness::Little, false, &mut out);
    let code = [0u8; 16];
    w.reserve_file_header();
    w.reserve_program_headers(1);
    let text_offset = w.reserve(code.len(), 4);
    let text_name = w.add_section_name(b".text");
    let bss_name = w.add_section_name(b".bss");
    let _null = w.reserve_null_section_index();
    let _text = w.reserve_section_index();
    let _bss = w.reserve_section_index();
    w.reserve_shstrtab_section_index();
    w.reserve_shstrtab();
    w.reserve_section_headers();
    w.write_file_header(&FileHeader {
        os_abi: 0,
        abi_version: 0,
        e_type: object::elf::ET_EXEC,
        e_machine: object::elf::EM_ARM,
        e_entry: text,
        e_flags: 0,
    })
    .unwrap();
    w.write_align_program_headers();
    w.write_program_header(&ProgramHeader {
        p_type: object::elf::PT_LOAD,
        p_flags: object::elf::PF_R | object::elf::PF_X,
        p_offset: text_offset as u64,
        p_vaddr: text,
        p_paddr: text,
        p_filesz: code.len() as u64,
        p_memsz: code.len() as u64,
        p_align: 4,
    });
    w.write_align(4);
    w.write(&code);
    w.write_shstrtab();
    w.write_null_section_header();
    let section = |name, sh_type, flags: u32, addr, offset: usize, size| SectionHeader {
        name: Some(name),
        sh_type,
        sh_flags: u64::from(flags),
        sh_addr: addr,
        sh_offset: offset as u64,
        sh_size: size,
        sh_link: 0,
        sh_info: 0,
        sh_addralign: 4,
        sh_entsize: 0,
    };
    w.write_section_header(&section(
        text_name,
        object::elf::SHT_PROGBITS,
        object::elf::SHF_ALLOC | object::elf::SHF_EXECINSTR,
        text,
        text_offset,
        code.len() as u64,
    ));
    w.write_section_header(&section(
        bss_name,
        object::elf::SHT_NOBITS,
        object::elf::SHF_ALLOC | object::elf::SHF_WRITE,
        bss,
        0,
        bss_size,
    ));
    w.write_shstrtab_section_header();
    out
}
