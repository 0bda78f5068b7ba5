//! `mcu-build nuttx check` on synthetic protected NuttX trees (a `.config`,
//! a board `memory.ld`, `nuttx_user.elf` holding `struct userspace_s`, and
//! a kernel `nuttx`), and on a real built tree when `NUTTX_TREE` names one.

mod common;

use std::path::Path;
use std::process::Command as StdCommand;

use assert_cmd::Command;
use common::external::external_file;
use common::nuttx_tree::{Extents, KOSTEST, MEMORY, header, tree};
use common::{TestSegment, build_elf};
use predicates::prelude::*;

fn mcu_build() -> Command {
    Command::cargo_bin("mcu-build").unwrap()
}

/// Links the kernel `nuttx` of the tree in `dir` from assembly `source`
/// with linker script `script` (binutils), so that it has sections and
/// `_ebss`.
fn link_kernel(dir: &Path, source: &str, script: &str) {
    let d = |name: &str| dir.join(name);
    std::fs::write(d("kernel.s"), source).unwrap();
    std::fs::write(d("kernel.ld"), script).unwrap();
    common::run(
        StdCommand::new("arm-none-eabi-as")
            .arg("-o")
            .arg(d("kernel.o"))
            .arg(d("kernel.s")),
    );
    common::run(
        StdCommand::new("arm-none-eabi-ld")
            .arg("-T")
            .arg(d("kernel.ld"))
            .arg("-o")
            .arg(d("nuttx"))
            .arg(d("kernel.o")),
    );
}

fn check(dir: &Path) -> Command {
    let mut command = mcu_build();
    command.args(["nuttx", "check", "--tree"]).arg(dir);
    command
}

#[test]
fn the_kostest_layout_over_grants_60_bytes_of_kernel_heap() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    check(dir.path()).assert().code(1).stdout(
        predicate::str::contains(
            "  kernel heap  0x200056c4..0x20008000    10556 bytes \
                 (CONFIG_MM_KERNEL_HEAPSIZE=8192)",
        )
        .and(predicate::str::contains(
            "  1  0x20005011 0x03068015 0x20005000 2KiB   7   0x20005000..0x20005700 rwx    no ",
        ))
        .and(predicate::str::contains(
            "  0x200056c4..0x20005700       60 bytes  rwx  region 1  kernel heap\n",
        ))
        .and(predicate::str::contains("FAILED: 60 bytes over-granted")),
    );
    let out = check(dir.path()).arg("--json").assert().code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["over_granted_bytes"], 60);
    let registers: Vec<(String, String)> = json["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let r = &r["registers"];
            (
                r["rbar"].as_str().unwrap().to_owned(),
                r["rasr"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("0x00020010", "0x0602001f"),
        ("0x20005011", "0x03068015"),
        ("0x20008012", "0x0306001d"),
    ];
    assert_eq!(
        registers,
        expected.map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(json["regions"][1]["decoded"]["subregions_off"][0], 7);
    assert_eq!(json["heaps"]["user_start"], 0x2000_8000u64);
    assert_eq!(json["over_grants"][0]["places"][0]["kind"], "kernel-heap");
}

/// `.bss` ending on 0x20005800 fills the 2 KiB data region exactly, so
/// nothing beyond the user's own memory is reachable; its RAM is still
/// executable, which fails only on request.
#[test]
fn an_exact_layout_over_grants_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let exact = Extents {
        bss: (0x2000_501c, 0x2000_5800),
        ..KOSTEST
    };
    tree(dir.path(), "tiva", MEMORY, &exact);
    check(dir.path()).assert().success().stdout(
        predicate::str::contains(
            "over-grant: none: unprivileged code reaches nothing beyond its own memory",
        )
        .and(predicate::str::contains("ok: 0 bytes over-granted")),
    );
    check(dir.path())
        .arg("--deny-executable-data")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "a failure with --deny-executable-data",
        ));
    // .config edited after the build: the report warns that it follows
    // .config, not what was built.
    std::fs::File::options()
        .write(true)
        .open(dir.path().join(".config"))
        .unwrap()
        .set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(10))
        .unwrap();
    check(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "warning: {} changed after {} was built",
            dir.path().join(".config").display(),
            dir.path().join("nuttx").display()
        )));
}

/// User .data at 0x20004cb0, not on a 128-byte subregion: the data region
/// reaches 48 bytes below it, into the kernel's .bss, idle stack and the
/// rest of ksram, and 80 bytes above .bss into the kernel heap. The kernel
/// ELF is linked with binutils so that it has sections and `_ebss`.
#[test]
fn kernel_sections_and_the_idle_stack_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let memory = "MEMORY\n{\n  kflash (rx) : ORIGIN = 0, LENGTH = 128K\n  \
        uflash (rx) : ORIGIN = 0x20000, LENGTH = 128K\n  \
        ksram (rwx) : ORIGIN = 0x20000000, LENGTH = 0x4cb0\n  \
        usram (rwx) : ORIGIN = 0x20004cb0, LENGTH = 0x5350\n}\n";
    let extents = Extents {
        text: KOSTEST.text,
        data: (0x2000_4cb0, 0x2000_4cd0),
        bss: (0x2000_4cd0, 0x2000_4fb0),
    };
    tree(dir.path(), "tiva", memory, &extents);
    link_kernel(
        dir.path(),
        "  .text\n  .word 0\n  .bss\n  .space 0x4890\n",
        "SECTIONS {\n  .text 0x0 : { *(.text) }\n  \
         .bss 0x20000400 (NOLOAD) : { *(.bss) _ebss = .; }\n}\n",
    );
    let out = check(dir.path()).arg("--json").assert().code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["regions"][1]["registers"]["rbar"], "0x20004c11");
    assert_eq!(json["over_granted_bytes"], 128);
    let places: Vec<(String, String, u64, u64)> = json["over_grants"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["places"].as_array().unwrap())
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap_or("").to_owned(),
                p["start"].as_u64().unwrap(),
                p["end"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("kernel-section", ".bss", 0x2000_4c80, 0x2000_4c90),
        ("kernel-idle-stack", "", 0x2000_4c90, 0x2000_4ca0),
        ("kernel-ram", "ksram", 0x2000_4ca0, 0x2000_4cb0),
        ("kernel-heap", "", 0x2000_4fb0, 0x2000_5000),
    ];
    assert_eq!(
        places,
        expected.map(|(k, n, s, e)| (k.to_owned(), n.to_owned(), s, e))
    );
    check(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "kernel section .bss 0x20004c80..0x20004c90 (16 bytes); kernel idle stack",
        ));
}

/// A kernel whose `.bss` was linked where NuttX will put its kernel heap
/// at run time (after the user `.bss`): the first allocation overwrites
/// kernel data, whatever the MPU grants.
#[test]
fn a_heap_over_kernel_data_fails() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    link_kernel(
        dir.path(),
        "  .text\n  .word 0\n  .bss\n  .space 0x100\n",
        "SECTIONS {\n  .text 0x0 : { *(.text) }\n  \
         .bss 0x20005800 (NOLOAD) : { *(.bss) _ebss = .; }\n}\n",
    );
    check(dir.path()).assert().code(1).stdout(
        predicate::str::contains(
            "heap over code or data: an allocation there overwrites what lives there\n  \
             0x20005800..0x20005900      256 bytes  kernel heap over kernel .bss\n",
        )
        .and(predicate::str::contains(
            "256 bytes of heap or kernel in the wrong place",
        )),
    );
    let out = check(dir.path()).arg("--json").assert().code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["heap_collisions"][0]["holder"], "kernel .bss");
    assert_eq!(json["heap_collisions"][0]["bytes"], 256);
}

/// A kernel section inside the user's own memory (here the user .bss) is
/// granted to user code by design: the check fails and names it.
#[test]
fn a_kernel_section_in_user_memory_fails() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    link_kernel(
        dir.path(),
        "  .text\n  .word 0\n  .bss\n  .space 0x100\n",
        "SECTIONS {\n  .text 0x0 : { *(.text) }\n  \
         .bss 0x20005100 (NOLOAD) : { *(.bss) _ebss = .; }\n}\n",
    );
    check(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "kernel in user memory: user code is granted these kernel bytes by design\n  \
         0x20005100..0x20005200      256 bytes  kernel .bss in user .bss\n",
        ));
}

/// Hostile or broken inputs: each refused with its file and what is
/// wrong, exit 2, never a hang, a panic or an unbounded read.
#[test]
fn hostile_inputs_are_refused_by_name() {
    let error = |dir: &Path| {
        let out = check(dir).assert().code(2);
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    };
    // A kernel that is a FIFO: refused before it is read.
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    std::fs::remove_file(dir.path().join("nuttx")).unwrap();
    common::run(StdCommand::new("mkfifo").arg(dir.path().join("nuttx")));
    assert!(error(dir.path()).contains("nuttx: the kernel is not a regular file"));

    // An idle stack that runs past 4 GiB.
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    link_kernel(
        dir.path(),
        "  .text\n  .word 0\n  .bss\n  .space 0x10\n",
        "SECTIONS {\n  .text 0x0 : { *(.text) }\n  \
         .bss 0x20000400 (NOLOAD) : { *(.bss) _ebss = .; }\n}\n",
    );
    let config = std::fs::read_to_string(dir.path().join(".config")).unwrap();
    std::fs::write(
        dir.path().join(".config"),
        config.replace(
            "CONFIG_IDLETHREAD_STACKSIZE=16",
            "CONFIG_IDLETHREAD_STACKSIZE=0xffffffffffffffff",
        ),
    )
    .unwrap();
    let message = error(dir.path());
    assert!(
        message.contains("`CONFIG_IDLETHREAD_STACKSIZE`: 0xffffffffffffffff bytes of idle stack"),
        "{message}"
    );

    // Kernel and user RAM regions that overlap.
    let dir = tempfile::tempdir().unwrap();
    tree(
        dir.path(),
        "tiva",
        &MEMORY.replace("LENGTH = 20K\n  usram", "LENGTH = 40K\n  usram"),
        &KOSTEST,
    );
    let message = error(dir.path());
    assert!(
        message.contains("region usram 0x20005000..0x2000a000 (20480 bytes) overlaps ksram"),
        "{message}"
    );

    // A header whose .data load image is not in the blob.
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    let bytes = header(&KOSTEST);
    std::fs::write(
        dir.path().join("nuttx_user.elf"),
        build_elf(false, false, 0x20031, &[TestSegment::load(0x20000, &bytes)]),
    )
    .unwrap();
    let message = error(dir.path());
    assert!(
        message.contains("struct userspace_s disagrees with the ELF it heads: us_datasource: the blob holds 0 of the 28 bytes"),
        "{message}"
    );
}

#[test]
fn an_unmodelled_chip_is_named_with_the_families_that_are() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "samv7", MEMORY, &KOSTEST);
    check(dir.path()).assert().code(2).stderr(
        predicate::str::contains(".config: CONFIG_ARCH_CHIP=\"samv7\" is not modelled")
            .and(predicate::str::contains("tiva, stm32")),
    );
}

#[test]
fn a_missing_elf_says_to_run_make() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    std::fs::remove_file(dir.path().join("nuttx")).unwrap();
    check(dir.path()).assert().code(2).stderr(
        predicate::str::contains("nuttx: no such file: the tree is configured but the kernel")
            .and(predicate::str::contains("run make first")),
    );
    std::fs::remove_file(dir.path().join("nuttx_user.elf")).unwrap();
    check(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "nuttx_user.elf: no such file: the tree is configured but the user blob is not built",
        ));
}

#[test]
fn a_header_outside_its_partitions_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outside = Extents {
        bss: (0x2000_501c, 0x2000_b000),
        ..KOSTEST
    };
    tree(dir.path(), "tiva", MEMORY, &outside);
    check(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "nuttx_user.elf: struct userspace_s at 0x00020000: us_bssend = 0x2000b000: lies \
         outside the user RAM (usram 0x20005000..0x2000a000",
        ));
}

/// `mpu check` would verify mcu-build's own table, which NuttX never
/// programs: in a protected tree it refuses and names `nuttx check`.
#[test]
fn mpu_check_refuses_a_protected_nuttx_tree() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    mcu_build()
        .current_dir(dir.path())
        .args(["mpu", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "this is a protected NuttX tree (CONFIG_BUILD_PROTECTED=y)",
        ))
        .stderr(predicate::str::contains(
            "run `mcu-build nuttx check --tree .`",
        ));
}

/// The real built tree `NUTTX_TREE` names, when it is a built protected
/// tree; for lm3s6965-ek:qemu-kostest, the numbers computed by hand and
/// read back from QEMU's MPU.
#[test]
fn a_real_built_tree() {
    let Some(makefile) = external_file("NUTTX_TREE", "Makefile", "a NuttX tree to check") else {
        return;
    };
    let root = makefile.parent().unwrap();
    let built = root.join("nuttx_user.elf").is_file()
        && mcu_build::nuttx::project::protected_tree_config(root).is_some();
    if !built {
        eprintln!(
            "skipped a_real_built_tree: {} is not a built protected tree",
            root.display()
        );
        return;
    }
    let out = check(root).arg("--json").assert();
    let code = out.get_output().status.code();
    assert!(matches!(code, Some(0 | 1)), "{:?}", out.get_output());
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let config = std::fs::read_to_string(root.join(".config")).unwrap();
    if !config.contains("CONFIG_ARCH_BOARD=\"lm3s6965-ek\"") {
        return;
    }
    assert_eq!(json["heaps"]["kernel_start"], 0x2000_56c4u64);
    assert_eq!(json["heaps"]["kernel_end"], 0x2000_8000u64);
    assert_eq!(json["over_granted_bytes"], 60);
    assert_eq!(json["regions"][0]["registers"]["rbar"], "0x00020010");
    assert_eq!(json["regions"][1]["registers"]["rasr"], "0x03068015");
    assert_eq!(json["regions"][2]["registers"]["rasr"], "0x0306001d");
}
