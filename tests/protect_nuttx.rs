//! `mcu-build protect` on a NuttX project: the NuttX-shaped tree of
//! tests/data/nuttx-tree (our own C, built with make and
//! arm-none-eabi-gcc), copied to a temporary directory as `nuttx/` beside
//! the project's `mcu-build.toml`. The tree's make builds both blobs;
//! protect reads the partitions from its .config and memory.ld, checks
//! both blobs and struct userspace_s, merges them with the kernel's start
//! address and records build.json, which `run` then trusts. Without make
//! or arm-none-eabi-gcc each test says so in one line and returns.
//!
//! A user blob of the other header kind is made by writing over the
//! fixture's blob after make, in the project's make command, so that the
//! fixture itself stays as it is.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mcu_build::image::elf;
use object::{Object as _, ObjectSection as _};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The board of QEMU's lm3s6965evb (the fixture's target), as a board
/// file: 256 KiB flash at 0, 64 KiB SRAM at 0x20000000, the partitions of
/// NuttX's lm3s6965-ek memory.ld.
const LM3S6965EVB: &str = r#"
name = "lm3s6965evb"
description = "QEMU lm3s6965evb: TI Stellaris LM3S6965 (Cortex-M3)"
cpu = "cortex-m3"
qemu-machine = "lm3s6965evb"

[mpu]
kind = "armv7m"
regions = 8
kernel-regions = 0

[[memory]]
name = "flash"
kind = "flash"
origin = 0x00000000
length = "256K"

[[memory]]
name = "sram"
kind = "ram"
origin = 0x20000000
length = "64K"

[partitions]
kernel-flash = { memory = "flash", size = "128K", origin = 0x00000000 }
user-flash = { memory = "flash", size = "128K", origin = 0x00020000 }
kernel-sram = { memory = "sram", size = "20K", origin = 0x20000000 }
user-sram = { memory = "sram", size = "rest", origin = 0x20005000 }
kernel-heap = "4K"
"#;

/// A project directory: the fixture tree as `nuttx/`, and mcu-build.toml.
struct Project {
    dir: common::Dir,
}

impl Project {
    /// A copy of the fixture with `config` as mcu-build.toml, or `None`
    /// (after one line) when make or arm-none-eabi-gcc cannot run.
    fn new(config: &str) -> Option<Project> {
        if !common::external::tools_run(&["make", "arm-none-eabi-gcc"]) {
            return None;
        }
        let project = Project {
            dir: common::Dir::new(),
        };
        let fixture = common::repository_root().join("tests/data/nuttx-tree");
        common::run(
            Command::new("cp")
                .arg("-R")
                .arg(&fixture)
                .arg(project.path("nuttx")),
        );
        // A fixture someone built in place brings its outputs along.
        common::run(
            Command::new("make")
                .arg("clean")
                .current_dir(project.path("nuttx")),
        );
        project.dir.write("lm3s6965evb.toml", LM3S6965EVB);
        project.dir.write("mcu-build.toml", config);
        Some(project)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path(name)
    }

    fn mcu_build(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mcu-build"))
            .args(args)
            .current_dir(self.dir.0.path())
            .output()
            .unwrap()
    }

    /// `mcu-build protect`, which must succeed; its stdout and stderr.
    fn protect(&self) -> (String, String) {
        let output = self.mcu_build(&["protect"]);
        let (stdout, stderr) = texts(&output);
        assert!(output.status.success(), "{stderr}");
        (stdout, stderr)
    }

    /// `mcu-build protect`, which must fail with exit status 1; its error.
    fn protect_fails(&self) -> String {
        let output = self.mcu_build(&["protect"]);
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        stderr
    }

    fn out(&self, board: &str, name: &str) -> PathBuf {
        self.path(&format!("target/mcu-build/{board}/{name}"))
    }

    fn build_json(&self, board: &str) -> Value {
        let text = std::fs::read_to_string(self.out(board, "build.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Ends the user `.bss` on a 32-byte boundary, so that the region
    /// NuttX's `mpu_user_intsram` programs for `.data`/`.bss` (32 bytes
    /// here, NuttX's smallest) ends where the kernel heap begins: the
    /// fix an integrator makes for the 16 bytes of kernel heap the
    /// fixture's layout grants otherwise.
    fn align_user_bss(&self) {
        self.edit(
            "boards/arm/tiva/qemu-fixture/scripts/user-space.ld",
            "*(COMMON)\n        . = ALIGN(4);",
            "*(COMMON)\n        . = ALIGN(32);",
        );
    }

    /// Edits the tree's file `name`: replaces `old` by `new`.
    fn edit(&self, name: &str, old: &str, new: &str) {
        let path = self.path(&format!("nuttx/{name}"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(old), "{name} has no {old:?}");
        std::fs::write(&path, text.replacen(old, new, 1)).unwrap();
    }
}

fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn sha256(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

/// The input of build.json at `path`, if recorded.
fn input<'a>(manifest: &'a Value, path: &str) -> Option<&'a Value> {
    manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|input| input["path"] == path)
}

#[test]
fn protect_checks_both_blobs_and_the_header_and_merges_with_the_kernels_start() {
    let Some(project) = Project::new("[nuttx]\ntree = \"nuttx\"\n") else {
        return;
    };
    project.align_user_bss();
    let (stdout, stderr) = project.protect();
    for expected in [
        "plan: qemu-fixture: 5 regions from ",
        "make (nuttx_user.elf and nuttx): nuttx_user.elf ",
        "pass 1 (user blob): nuttx_user.elf: ",
        "struct userspace_s at 0x00020000: entry 0x",
        "pass 2 (kernel): nuttx: ",
        "verify: NuttX's MPU setup (tiva): 3 regions; kernel heap ",
        "user code reaches exactly its own memory",
        "merge: combined.hex: ",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in:\n{stderr}");
    }
    assert!(stdout.contains("us_entrypoint   0x"), "{stdout}");

    // The header as the user blob holds it at CONFIG_NUTTX_USERSPACE.
    let user_elf = std::fs::read(project.path("nuttx/nuttx_user.elf")).unwrap();
    let user = elf::read(&user_elf).unwrap().image;
    let words: Vec<String> = user
        .segment_at(0x20000)
        .unwrap()
        .data
        .chunks_exact(4)
        .take(11)
        .map(|w| format!("{:#010x}", u32::from_le_bytes(w.try_into().unwrap())))
        .collect();
    let manifest = project.build_json("qemu-fixture");
    let header = &manifest["user-header"];
    assert_eq!(header["kind"], "nuttx");
    assert_eq!(header["address"], "0x00020000");
    assert_eq!(header["fields"]["us_entrypoint"], words[0].as_str());
    assert_eq!(header["fields"]["task_startup"], words[10].as_str());
    assert_eq!(
        header["fields"].as_object().unwrap().len(),
        11,
        "the fixture sets neither optional field"
    );

    // The kernel's ELF entry is the combined image's start address.
    let kernel_elf = std::fs::read(project.path("nuttx/nuttx")).unwrap();
    let kernel_entry = object::File::parse(&*kernel_elf).unwrap().entry();
    let hex = std::fs::read_to_string(project.out("qemu-fixture", "combined.hex")).unwrap();
    let start = format!(":04000005{kernel_entry:08X}");
    assert!(
        hex.lines().any(|line| line.starts_with(&start)),
        "{start} in combined.hex"
    );

    // build.json: the plan from memory.ld (xflash is empty), the tree, its
    // .config digest, the make command, and every input.
    let partitions: Vec<(&str, &str)> = manifest["plan"]["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["owner"].as_str().unwrap()))
        .collect();
    assert_eq!(
        partitions,
        [
            ("kflash", "kernel"),
            ("uflash", "user"),
            ("ksram", "kernel"),
            ("usram", "user"),
            ("xsram", "kernel")
        ]
    );
    assert_eq!(manifest["nuttx"]["tree"], "nuttx");
    assert_eq!(manifest["nuttx"]["make"], "make");
    let config_sha = sha256(&project.path("nuttx/.config"));
    assert_eq!(manifest["nuttx"]["config-sha256"], config_sha.as_str());
    for path in [
        "mcu-build.toml",
        "nuttx/.config",
        "nuttx/boards/arm/tiva/qemu-fixture/scripts/memory.ld",
        "nuttx/nuttx_user.elf",
        "nuttx/nuttx",
    ] {
        let recorded = input(&manifest, path).unwrap_or_else(|| panic!("input {path}"));
        assert_eq!(recorded["sha256"], sha256(&project.path(path)).as_str());
    }
    let uflash_end = manifest["user"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["partition"] == "uflash")
        .map(|s| s["end"].as_u64().unwrap())
        .max()
        .unwrap();
    assert_eq!(
        manifest["user"]["used"]["uflash"].as_u64(),
        Some(uflash_end - 0x20000)
    );
    let verification = &manifest["verification"];
    assert_eq!(verification["findings"], Value::Array(Vec::new()));
    assert_eq!(verification["accepted"], Value::Array(Vec::new()));
    let check = &verification["nuttx-check"];
    assert_eq!(check["over_grants"], Value::Array(Vec::new()));
    assert_eq!(check["regions"].as_array().unwrap().len(), 3);
    assert_eq!(
        check["heaps"]["kernel_start"],
        check["header"]["bss"]["end"]
    );
}

/// The fixture as it is: the 32-byte region NuttX programs for the user
/// `.data`/`.bss` (16 bytes) reaches the first 16 bytes of the kernel
/// heap. `protect` refuses by default, naming the range and what lives
/// there; `over-grant = "accept"` builds it and records the over-grant,
/// and `run` names it.
#[test]
fn an_over_grant_of_nuttx_mpu_setup_is_refused_unless_accepted() {
    let Some(project) = Project::new("board = \"qemu-lm3s6965evb\"\n[nuttx]\ntree = \"nuttx\"\n")
    else {
        return;
    };
    let error = project.protect_fails();
    assert!(
        error.contains("NuttX's run-time MPU setup does not confine user code to its own memory")
            && error.contains(" rwx through region 1: kernel heap")
            && error.contains("set `over-grant = \"accept\"` under [nuttx]"),
        "{error}"
    );
    assert!(!project.out("qemu-lm3s6965evb", "combined.hex").exists());

    std::fs::write(
        project.path("mcu-build.toml"),
        "board = \"qemu-lm3s6965evb\"\n[nuttx]\ntree = \"nuttx\"\nover-grant = \"accept\"\n",
    )
    .unwrap();
    let (_, stderr) = project.protect();
    assert!(
        stderr.contains(
            "ACCEPTED over-grant ([nuttx] over-grant = \"accept\"): unprivileged code reaches 0x"
        ),
        "{stderr}"
    );
    let manifest = project.build_json("qemu-lm3s6965evb");
    let accepted = manifest["verification"]["accepted"].as_array().unwrap();
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert!(
        accepted[0].as_str().unwrap().ends_with("kernel heap"),
        "{accepted:?}"
    );
    assert_eq!(
        manifest["verification"]["nuttx-check"]["over_grants"][0]["bytes"],
        16
    );
    // run admits the image and names what the project accepted.
    let output = project.mcu_build(&["run", "--expect", "ostest_main: Exiting with status 0"]);
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("records an over-grant of NuttX's MPU setup that the project accepts"),
        "{stderr}"
    );
}

#[test]
fn a_second_protect_with_nothing_changed_rebuilds_and_rewrites_nothing() {
    let Some(project) = Project::new("[nuttx]\ntree = \"nuttx\"\n") else {
        return;
    };
    project.align_user_bss();
    project.protect();
    let manifest = project.out("qemu-fixture", "build.json");
    let written = std::fs::metadata(&manifest).unwrap().modified().unwrap();
    let output = project.mcu_build(&["protect", "--message-format", "json"]);
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let events: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let made: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "output" && e["step"] == "make")
        .filter_map(|e| e["line"].as_str())
        .collect();
    assert!(
        !made
            .iter()
            .any(|line| line.starts_with("LD:") || line.starts_with("CC:")),
        "make rebuilt: {made:?}"
    );
    let merge = events
        .iter()
        .find(|e| e["event"] == "finished" && e["step"] == "merge")
        .unwrap();
    assert!(
        merge["summary"]
            .as_str()
            .unwrap()
            .starts_with("unchanged: build.json records these inputs"),
        "{merge}"
    );
    assert_eq!(
        std::fs::metadata(&manifest).unwrap().modified().unwrap(),
        written
    );
    // A changed input is merged and recorded again.
    project.edit(
        ".config",
        "CONFIG_IDLETHREAD_STACKSIZE=1024",
        "CONFIG_IDLETHREAD_STACKSIZE=2048",
    );
    let (_, stderr) = project.protect();
    assert!(stderr.contains("merge: combined.hex: "), "{stderr}");
}

#[test]
fn the_mcu_build_header_in_a_nuttx_blob_is_named() {
    let Some(project) = Project::new("[nuttx]\ntree = \"nuttx\"\n") else {
        return;
    };
    common::run(Command::new("make").current_dir(project.path("nuttx")));
    // Where the .userspace section's bytes are in the file.
    let elf_bytes = std::fs::read(project.path("nuttx/nuttx_user.elf")).unwrap();
    let file = object::File::parse(&*elf_bytes).unwrap();
    let (offset, _) = file
        .section_by_name(".userspace")
        .unwrap()
        .file_range()
        .unwrap();
    std::fs::write(
        project.path("mcu-build.toml"),
        format!(
            "[nuttx]\ntree = \"nuttx\"\nmake = \"make && printf MCUU | dd of=nuttx_user.elf \
             bs=1 seek={offset} conv=notrunc 2>/dev/null\"\n"
        ),
    )
    .unwrap();
    let error = project.protect_fails();
    assert!(
        error.contains(
            "nuttx_user.elf: mcu-build's user header (magic \"MCUU\") found at the user flash \
             origin 0x00020000, but the project expects a NuttX struct userspace_s"
        ),
        "{error}"
    );
}

/// A project with passes whose user blob is the fixture's NuttX blob.
fn shell_passes(header: &str) -> String {
    format!(
        "board-file = \"lm3s6965evb.toml\"\n[pass1]\ncommand = \"make -C nuttx\"\n\
         artifact = \"nuttx/nuttx_user.elf\"\n{header}[pass2]\ncommand = \"make -C nuttx\"\n\
         artifact = \"nuttx/nuttx\"\n"
    )
}

#[test]
fn a_nuttx_blob_where_the_mcu_build_header_is_expected_is_named() {
    let Some(project) = Project::new(&shell_passes("header = \"mcu-build\"\n")) else {
        return;
    };
    let error = project.protect_fails();
    assert!(
        error.contains(
            "nuttx/nuttx_user.elf: NuttX userspace_s found at the user flash origin \
             0x00020000, but the project expects the mcu-build header"
        ) && error.contains("set `header = \"nuttx\"` in [pass1]"),
        "{error}"
    );
}

#[test]
fn shell_passes_take_a_nuttx_header_named_or_recognised() {
    for header in ["header = \"nuttx\"\n", ""] {
        let Some(project) = Project::new(&shell_passes(header)) else {
            return;
        };
        let (_, stderr) = project.protect();
        assert!(
            stderr.contains("bytes in user-flash, NuttX struct userspace_s, entry 0x"),
            "{stderr}"
        );
        let manifest = project.build_json("lm3s6965evb");
        assert_eq!(manifest["user-header-kind"], "nuttx");
        assert!(manifest["user-header"]["us_entrypoint"].is_string());
        let layout = std::fs::read_to_string(project.out("lm3s6965evb", "gen/layout.rs")).unwrap();
        assert!(!layout.contains("USER_HEADER"), "{layout}");
    }
}

#[test]
fn config_nuttx_userspace_must_be_the_uflash_origin() {
    let Some(project) = Project::new("[nuttx]\ntree = \"nuttx\"\n") else {
        return;
    };
    project.edit(
        ".config",
        "CONFIG_NUTTX_USERSPACE=0x00020000",
        "CONFIG_NUTTX_USERSPACE=0x00030000",
    );
    let error = project.protect_fails();
    let line = std::fs::read_to_string(project.path("nuttx/.config"))
        .unwrap()
        .lines()
        .position(|l| l.starts_with("CONFIG_NUTTX_USERSPACE="))
        .unwrap()
        + 1;
    assert!(
        error.contains(&format!(
            "nuttx/.config:{line}: CONFIG_NUTTX_USERSPACE=0x00030000 is not the user flash \
             origin: "
        )) && error.contains("scripts/memory.ld:11 puts uflash at 0x00020000"),
        "{error}"
    );
    assert!(!project.path("nuttx/nuttx").exists(), "make ran");
}

#[test]
fn a_user_section_outside_the_user_regions_is_named() {
    let Some(project) = Project::new(
        "[nuttx]\ntree = \"nuttx\"\nmake = \"make && arm-none-eabi-objcopy \
         --change-section-address .bss+0x10000 nuttx_user.elf\"\n",
    ) else {
        return;
    };
    let error = project.protect_fails();
    assert!(
        error.contains(
            "nuttx_user.elf: section .bss at 0x20015004..0x20015010 (12 bytes) is in none of \
             the user blob's partitions (uflash 0x00020000..0x00040000"
        ),
        "{error}"
    );
}

#[test]
fn a_failing_make_stops_protect_and_removes_the_last_image() {
    let Some(project) = Project::new("[nuttx]\ntree = \"nuttx\"\n") else {
        return;
    };
    project.align_user_bss();
    project.protect();
    assert!(project.out("qemu-fixture", "combined.hex").is_file());
    std::fs::write(
        project.path("mcu-build.toml"),
        "[nuttx]\ntree = \"nuttx\"\nmake = \"make no-such-target\"\n",
    )
    .unwrap();
    let error = project.protect_fails();
    assert!(
        error.contains(
            "make (nuttx_user.elf and nuttx): `make no-such-target` failed (exit status: 2); \
             its last lines:"
        ) && error.contains("No rule to make target 'no-such-target'"),
        "{error}"
    );
    for name in ["combined.hex", "combined.bin", "combined.elf", "build.json"] {
        assert!(!project.out("qemu-fixture", name).exists(), "{name} left");
    }
}

/// A make that rewrites `.config`, a board of another core, and a kernel
/// that is not Arm code: each stops protect with what is wrong.
#[test]
fn a_tree_that_is_not_what_protect_planned_for_is_refused() {
    let Some(project) = Project::new(
        "[nuttx]\ntree = \"nuttx\"\nmake = \"make && sed -i s/HEAPSIZE=8192/HEAPSIZE=4096/ .config\"\n",
    ) else {
        return;
    };
    project.align_user_bss();
    let error = project.protect_fails();
    assert!(
        error.contains("changed ")
            && error.contains(".config or ")
            && error.contains("while it ran"),
        "{error}"
    );

    std::fs::write(
        project.path("mcu-build.toml"),
        "board = \"qemu-mps2-an386\"\n[nuttx]\ntree = \"nuttx\"\n",
    )
    .unwrap();
    let error = project.protect_fails();
    assert!(
        error.contains(
            "CONFIG_ARCH_CORTEXM3 builds for a cortex-m3, but board qemu-mps2-an386 is a \
             cortex-m4: name the board the tree is configured for"
        ),
        "{error}"
    );

    std::fs::write(
        project.path("mcu-build.toml"),
        "[nuttx]\ntree = \"nuttx\"\nmake = \"make && printf '\\\\076' | dd of=nuttx bs=1 seek=18 \
         conv=notrunc 2>/dev/null\"\n",
    )
    .unwrap();
    let error = project.protect_fails();
    assert!(
        error.contains("not for 32-bit Arm (e_machine EM_ARM)"),
        "{error}"
    );
}

#[test]
fn a_missing_tree_or_config_is_named() {
    let Some(project) = Project::new("[nuttx]\ntree = \"nowhere\"\n") else {
        return;
    };
    let error = project.protect_fails();
    assert!(
        error.contains("nowhere: no such directory: expected a configured NuttX tree"),
        "{error}"
    );
    std::fs::write(
        project.path("mcu-build.toml"),
        "[nuttx]\ntree = \"nuttx\"\n",
    )
    .unwrap();
    std::fs::remove_file(project.path("nuttx/.config")).unwrap();
    let error = project.protect_fails();
    assert!(
        error.contains("nuttx is not a configured NuttX tree: it has no .config (configure it"),
        "{error}"
    );
}

#[test]
fn the_trees_regions_must_lie_in_the_boards_memories() {
    let small = LM3S6965EVB
        .replace("length = \"256K\"", "length = \"128K\"")
        .replace(
            "user-flash = { memory = \"flash\", size = \"128K\", origin = 0x00020000 }",
            "user-flash = { memory = \"flash\", size = \"64K\", origin = 0x00010000 }",
        )
        .replace(
            "kernel-flash = { memory = \"flash\", size = \"128K\", origin = 0x00000000 }",
            "kernel-flash = { memory = \"flash\", size = \"64K\", origin = 0x00000000 }",
        );
    let Some(project) = Project::new("board-file = \"small.toml\"\n[nuttx]\ntree = \"nuttx\"\n")
    else {
        return;
    };
    project.dir.write("small.toml", small);
    let error = project.protect_fails();
    assert!(
        error.contains(
            "scripts/memory.ld:11: region uflash 0x00020000..0x00040000 (131072 bytes) is not \
             inside a memory of board lm3s6965evb (flash 0x00000000..0x00020000"
        ),
        "{error}"
    );
}

/// The two-blob C project, built by its make through `protect`, boots on
/// the bundled qemu-lm3s6965evb and `run` judges it by its console: the
/// passing run ends at its exit line, a user read of kernel RAM ends at
/// the kernel's NuttX-style assertion line (run's default fail patterns).
/// An edited `.config` makes the image stale until the next protect.
#[test]
fn run_boots_the_image_to_a_console_verdict_and_trusts_it_until_an_input_changes() {
    const PROJECT: &str = "board = \"qemu-lm3s6965evb\"\n[nuttx]\ntree = \"nuttx\"\n";
    let Some(project) = Project::new(PROJECT) else {
        return;
    };
    project.align_user_bss();
    project.protect();
    assert!(project.out("qemu-lm3s6965evb", "combined.hex").is_file());
    let expect = ["--expect", "ostest_main: Exiting with status 0"];
    let output = project.mcu_build(&[&["run", "--timeout", "60"][..], &expect].concat());
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("user: ostest_main running unprivileged"),
        "{stdout}"
    );

    std::fs::write(
        project.path("mcu-build.toml"),
        format!("{PROJECT}make = \"make USER_SCENARIO=read-kernel-ram\"\n"),
    )
    .unwrap();
    project.protect();
    let output = project.mcu_build(&[&["run", "--timeout", "60"][..], &expect].concat());
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Assertion failed panic: at file: kernel/fault.c:"),
        "{stderr}"
    );

    project.edit(
        ".config",
        "CONFIG_RAM_SIZE=65536",
        "CONFIG_RAM_SIZE=65536\n# edited",
    );
    let output = project.mcu_build(&[&["run", "--timeout", "60"][..], &expect].concat());
    let (_, stderr) = texts(&output);
    assert!(
        stderr.contains("refusing to run:")
            && stderr
                .contains("up to date: the image is stale: nuttx/.config changed since the build"),
        "{stderr}"
    );
}

#[test]
fn run_needs_the_board_a_nuttx_project_may_leave_out() {
    let Some(project) = Project::new("[nuttx]\ntree = \"nuttx\"\n") else {
        return;
    };
    project.align_user_bss();
    project.protect();
    let output = project.mcu_build(&["run"]);
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "mcu-build.toml: the NuttX project names no board, and run needs one for its \
             memories; add `board = \"...\"`"
        ),
        "{stderr}"
    );
}

/// On a real built tree (NUTTX_TREE): `nuttx check`, then `protect`,
/// which refuses exactly when the check finds a problem and builds with
/// `over-grant = "accept"`, then, on a board mcu-build bundles, `run`
/// to the console line the configuration's entry point prints.
#[test]
fn protect_checks_and_runs_a_real_nuttx_tree() {
    let Some(config) = common::nuttx_tree::real_tree_config() else {
        return;
    };
    let tree = config.parent().unwrap();
    let kconfig = mcu_build::nuttx::kconfig::Kconfig::read(&config).unwrap();
    let mcu_build = |dir: &Path, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mcu-build"))
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
    };
    let check = mcu_build(tree, &["nuttx", "check", "--json"]);
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    let passes = report["ok"] == Value::Bool(true);
    assert_eq!(check.status.code(), Some(if passes { 0 } else { 1 }));

    // The tree is the user's: the project lives in a temporary directory
    // (outputs go below it), and its make only checks that the blobs are
    // there, so that nothing is written into the tree.
    let board = common::nuttx_tree::qemu_board(&kconfig);
    let project = |accept: bool| {
        let mut text = String::new();
        if let Some(board) = board {
            text.push_str(&format!("board = {board:?}\n"));
        }
        text.push_str(&format!(
            "[nuttx]\ntree = {:?}\nmake = \"test -f nuttx && test -f nuttx_user.elf\"\n",
            tree.display().to_string()
        ));
        if accept {
            text.push_str("over-grant = \"accept\"\n");
        }
        text
    };
    let dir = common::Dir::new();
    dir.write("mcu-build.toml", project(false));
    let output = mcu_build(dir.0.path(), &["protect"]);
    let (_, stderr) = texts(&output);
    if passes {
        assert!(output.status.success(), "{stderr}");
        assert!(
            stderr.contains("user code reaches exactly its own memory"),
            "{stderr}"
        );
    } else {
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("NuttX's run-time MPU setup does not confine user code"),
            "{stderr}"
        );
        dir.write("mcu-build.toml", project(true));
        let output = mcu_build(dir.0.path(), &["protect"]);
        let (stdout, stderr) = texts(&output);
        assert!(output.status.success(), "{stderr}");
        assert!(stderr.contains("ACCEPTED over-grant"), "{stderr}");
        assert!(stdout.contains("struct userspace_s at 0x"), "{stdout}");
    }

    let Some(board) = board else {
        eprintln!(
            "skipped the run of protect_checks_and_runs_a_real_nuttx_tree: mcu-build bundles \
             no QEMU board for CONFIG_ARCH_BOARD {:?}",
            kconfig.text("CONFIG_ARCH_BOARD")
        );
        return;
    };
    let expect = common::nuttx_tree::expected_line(&kconfig);
    let output = mcu_build(
        dir.0.path(),
        &["run", "--timeout", "400", "--expect", expect],
    );
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{board}: {stdout}\n{stderr}");
}
