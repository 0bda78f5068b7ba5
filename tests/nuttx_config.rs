//! `mcu-build nuttx config diff`, `protect` and `flat`: always on the
//! defconfigs written for these tests (tests/data/nuttx/tiva-fixture-*),
//! and on NuttX's own stm32f4discovery and lm3s6965-ek defconfigs when
//! NUTTX_TESTDATA names them.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{Dir, nuttx_testdata};

fn fixture(name: &str) -> PathBuf {
    common::repository_root()
        .join("tests/data/nuttx")
        .join(name)
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `mcu-build nuttx config ARGS...`: exit status, stdout, stderr.
fn config(args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("mcu-build")
        .unwrap()
        .args(["nuttx", "config"])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// `diff --json` of `a` and `b`.
fn diff_json(a: &Path, b: &Path) -> serde_json::Value {
    let (_, out, err) = config(&["diff", arg(a), arg(b), "--json"]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"))
}

fn names(list: &serde_json::Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect()
}

#[test]
fn diff_lists_each_side_sorted_and_exits_by_the_result() {
    let flat = fixture("tiva-fixture-flat.defconfig");
    let protected = fixture("tiva-fixture-protected.defconfig");
    let (status, out, _) = config(&["diff", arg(&flat), arg(&protected)]);
    assert_eq!(status, 1);
    let listed: Vec<&str> = out.lines().skip(2).collect();
    assert_eq!(
        listed,
        [
            "only in B:",
            "  CONFIG_ARM_MPU=y",
            "  CONFIG_BUILD_PROTECTED=y",
            "  CONFIG_MM_KERNEL_HEAPSIZE=12288",
            "  CONFIG_NUTTX_USERSPACE=0x00020000",
            "  CONFIG_PASS1_BUILDIR=\"boards/arm/tiva/qemu-fixture/kernel\"",
            "  CONFIG_TLS_LOG2_MAXSTACK=11",
            "different: 0 only in A, 6 only in B, 0 set differently",
        ]
    );
    let (status, out, _) = config(&["diff", arg(&flat), arg(&flat)]);
    assert_eq!(
        (status, out.lines().last()),
        (0, Some("equal: A and B set the same options"))
    );
}

#[test]
fn diff_compares_numbers_by_value_and_not_set_as_a_value() {
    let dir = Dir::new();
    let a = dir.write(
        "a",
        "CONFIG_X=0x0010\n# CONFIG_N is not set\nCONFIG_S=\"q\\\"\"\n",
    );
    let b = dir.write("b", "CONFIG_S=\"q\\\"\"\nCONFIG_X=16\n");
    let json = diff_json(&a, &b);
    assert_eq!(json["equal"], false);
    assert_eq!(names(&json["only_in_a"]), ["CONFIG_N"]);
    assert_eq!(json["only_in_a"][0]["value"], "n");
    assert_eq!(json["only_in_a"][0]["line"], 2);
    assert!(json["different"].as_array().unwrap().is_empty());
    let (status, out, _) = config(&["diff", arg(&a), arg(&b), "--unset-is-absent"]);
    assert_eq!(status, 0, "{out}");
    let c = dir.write("c", "CONFIG_X=17\nCONFIG_N=y\nCONFIG_S=\"q\\\"\"\n");
    let (status, out, _) = config(&["diff", arg(&a), arg(&c)]);
    assert_eq!(status, 1);
    assert!(out.contains("  CONFIG_N: A is not set, B y\n"), "{out}");
    assert!(out.contains("  CONFIG_X: A 0x0010, B 17\n"), "{out}");
}

#[test]
fn a_bad_line_is_an_error_at_its_line_and_column() {
    let bad = fixture("bad-size.defconfig");
    for command in [
        vec!["diff", arg(&bad), arg(&bad)],
        vec!["flat", arg(&bad), "-o", "-"],
    ] {
        let (status, out, err) = config(&command);
        assert_eq!(status, 2, "{command:?}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.ends_with(
                "bad-size.defconfig:3:17: `CONFIG_RAM_SIZE`: expected y, n, m, a number (123, -1, \
                 0x20000) or a quoted string, found \"64K\"\n"
            ),
            "{err}"
        );
    }
}

#[test]
fn protect_and_flat_convert_the_fixtures_into_each_other() {
    let dir = Dir::new();
    let flat = fixture("tiva-fixture-flat.defconfig");
    let protected = fixture("tiva-fixture-protected.defconfig");
    let (status, out, err) = config(&[
        "protect",
        arg(&flat),
        "--userspace",
        "0x20000",
        "--kernel-heap",
        "12K",
        "-o",
        &dir.arg("p"),
    ]);
    assert_eq!(status, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path("p")).unwrap(),
        std::fs::read_to_string(&protected).unwrap()
    );
    assert!(out.contains("+ CONFIG_BUILD_PROTECTED=y: "), "{out}");
    // Kconfig's default 8 KiB TLS alignment would take 18432 bytes of a
    // user heap of at most 32 KiB for the init task: the smallest alignment
    // that holds the stacks is chosen, and nothing is left to warn about.
    assert!(
        out.contains(
            "+ CONFIG_TLS_LOG2_MAXSTACK=11: the smallest stack alignment that holds every \
             configured stack; Kconfig's default 13 makes each stack take 12288 bytes more"
        ),
        "{out}"
    );
    assert!(!out.contains("warning"), "{out}");
    let (status, out, err) = config(&["flat", arg(&protected), "-o", &dir.arg("f")]);
    assert_eq!(status, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path("f")).unwrap(),
        std::fs::read_to_string(&flat).unwrap()
    );
    assert!(out.ends_with("(6 changes)\n"), "{out}");
}

#[test]
fn older_names_and_derived_options_are_rewritten() {
    let dir = Dir::new();
    let older = fixture("tiva-fixture-older.defconfig");
    let (status, out, err) = config(&["protect", arg(&older), "-o", &dir.arg("p")]);
    assert_eq!(status, 0, "{out}{err}");
    for line in [
        "- CONFIG_ARMV7M_MPU=y: CONFIG_ARMV7M_MPU is NuttX's name before 2015",
        "+ CONFIG_ARM_MPU=y: CONFIG_ARMV7M_MPU is NuttX's name before 2015",
        "- CONFIG_SYS_RESERVED=8: not a Kconfig option",
        "- CONFIG_NSH_ARCHINIT=y: removed from NuttX",
        "- CONFIG_BUILD_2PASS=y: BUILD_PROTECTED selects it",
        "- CONFIG_MM_KERNEL_HEAP=y: defaults to y",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    // Nothing is left beyond the fixture's own protected configuration; no
    // init-task warning with its smaller TLS alignment.
    let json = diff_json(&dir.path("p"), &fixture("tiva-fixture-protected.defconfig"));
    assert_eq!(json["equal"], true, "{json}");
    assert!(!out.contains("warning"), "{out}");
    // The numbers keep their spelling where nothing changed them.
    let written = std::fs::read_to_string(dir.path("p")).unwrap();
    assert!(
        written.contains("\nCONFIG_NUTTX_USERSPACE=0x20000\n"),
        "{written}"
    );

    let (status, out, err) = config(&["flat", arg(&older), "-o", &dir.arg("f")]);
    assert_eq!(status, 0, "{out}{err}");
    // flat removes protection options only: NSH_ARCHINIT, gone from NuttX
    // but no protection option, stays.
    let json = diff_json(&dir.path("f"), &fixture("tiva-fixture-flat.defconfig"));
    assert_eq!(names(&json["only_in_a"]), ["CONFIG_NSH_ARCHINIT"], "{json}");
    assert!(names(&json["only_in_b"]).is_empty(), "{json}");
    let (status, _, _) = config(&["flat", arg(&older), "--keep-mpu", "-o", &dir.arg("k")]);
    assert_eq!(status, 0);
    let json = diff_json(&dir.path("k"), &fixture("tiva-fixture-flat.defconfig"));
    assert_eq!(
        names(&json["only_in_a"]),
        [
            "CONFIG_ARM_MPU",
            "CONFIG_ARM_MPU_NREGIONS",
            "CONFIG_NSH_ARCHINIT"
        ]
    );
}

#[test]
fn a_built_config_and_an_output_over_the_input_are_refused() {
    let dir = Dir::new();
    let built = fixture("tiva-fixture.config");
    for command in ["flat", "protect"] {
        let (status, out, err) = config(&[command, arg(&built), "-o", &dir.arg("x")]);
        assert_eq!(status, 2);
        assert!(out.is_empty());
        assert!(
            err.contains("tiva-fixture.config: this is a built .config (it sets CONFIG_APPS_DIR"),
            "{err}"
        );
        assert!(!dir.path("x").exists());
    }
    let input = dir.write(
        "in",
        std::fs::read(fixture("tiva-fixture-protected.defconfig")).unwrap(),
    );
    let before = std::fs::read(&input).unwrap();
    let (status, _, err) = config(&["flat", arg(&input), "-o", arg(&input)]);
    assert_eq!(status, 2);
    assert!(err.contains(": the output is the input;"), "{err}");
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

#[test]
fn protect_checks_the_tree_the_mpu_and_the_stacks() {
    let dir = Dir::new();
    let flat = fixture("tiva-fixture-flat.defconfig");
    // The repository's fixture tree has no kernel/Makefile.
    let tree = common::repository_root().join("tests/data/nuttx-tree");
    let (status, out, _) = config(&[
        "protect",
        arg(&flat),
        "--tree",
        arg(&tree),
        "-o",
        &dir.arg("p"),
    ]);
    assert_eq!(status, 1, "{out}");
    assert!(
        out.contains("kernel has no Makefile: pass 1 runs make there"),
        "{out}"
    );
    assert!(
        out.ends_with("not written: fix the errors above\n"),
        "{out}"
    );
    assert!(!dir.path("p").exists());

    // A tree with one: the user flash origin comes from its memory.ld.
    let board = dir.path("tree/boards/arm/tiva/qemu-fixture");
    std::fs::create_dir_all(board.join("kernel")).unwrap();
    std::fs::create_dir_all(board.join("scripts")).unwrap();
    std::fs::write(board.join("kernel/Makefile"), "all:\n").unwrap();
    std::fs::copy(
        tree.join("boards/arm/tiva/qemu-fixture/scripts/memory.ld"),
        board.join("scripts/memory.ld"),
    )
    .unwrap();
    let t = dir.arg("tree");
    let (status, out, _) = config(&["protect", arg(&flat), "--tree", &t, "-o", &dir.arg("p")]);
    assert_eq!(status, 0, "{out}");
    assert!(
        out.contains("+ CONFIG_NUTTX_USERSPACE=0x00020000: "),
        "{out}"
    );
    let (status, out, _) = config(&[
        "protect",
        arg(&flat),
        "--tree",
        &t,
        "--userspace",
        "0x30000",
        "-o",
        &dir.arg("q"),
    ]);
    assert_eq!(status, 1, "{out}");
    assert!(out.contains("error: --userspace 0x30000, but "), "{out}");
    assert!(
        out.contains("links the user blob at uflash 0x20000"),
        "{out}"
    );

    // Without either, the address is missing.
    let (status, _, err) = config(&["protect", arg(&flat), "-o", &dir.arg("r")]);
    assert_eq!(status, 2);
    assert!(
        err.contains("CONFIG_NUTTX_USERSPACE: where is the user blob linked?"),
        "{err}"
    );

    // Too few MPU regions; a stack larger than the TLS alignment; the
    // default alignment against a small RAM and a kernel work queue.
    let small = dir.write(
        "small",
        "CONFIG_ARCH=\"arm\"\nCONFIG_ARCH_BOARD=\"b\"\nCONFIG_ARCH_CHIP=\"c\"\n\
         CONFIG_RAM_SIZE=32768\nCONFIG_SCHED_HPWORK=y\nCONFIG_TESTING_OSTEST_STACKSIZE=4096\n\
         CONFIG_TLS_LOG2_MAXSTACK=11\n",
    );
    let (status, out, _) = config(&[
        "protect",
        arg(&small),
        "--userspace",
        "0x8000",
        "--mpu-regions",
        "2",
        "-o",
        &dir.arg("s"),
    ]);
    assert_eq!(status, 1, "{out}");
    for line in [
        "+ CONFIG_ARM_MPU_NREGIONS=2: the chip's MPU region count",
        "error: CONFIG_ARM_MPU_NREGIONS is 2, and NuttX programs 3 user regions",
        "error: CONFIG_TESTING_OSTEST_STACKSIZE=4096 is more than the 2048 bytes \
         CONFIG_TLS_LOG2_MAXSTACK=11 allows a stack",
        "raise CONFIG_TLS_LOG2_MAXSTACK to 12",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    let big_alignment = dir.write(
        "big",
        "CONFIG_ARCH=\"arm\"\nCONFIG_ARCH_BOARD=\"b\"\nCONFIG_ARCH_CHIP=\"c\"\n\
         CONFIG_RAM_SIZE=16384\nCONFIG_SCHED_HPWORK=y\nCONFIG_BUILD_PROTECTED=y\n",
    );
    let (status, out, _) = config(&[
        "protect",
        arg(&big_alignment),
        "--userspace",
        "0x8000",
        "-o",
        &dir.arg("b"),
    ]);
    assert_eq!(status, 1, "{out}");
    assert!(
        out.contains(
            "error: the init task's stack takes 18432 bytes of the user heap in one piece"
        ),
        "{out}"
    );
    assert!(out.contains("the user heap is at most 8192 bytes"), "{out}");
    assert!(
        out.contains("warning: the high-priority work queue is a kernel thread"),
        "{out}"
    );
    // The same configuration, flat: protect chooses the 2 KiB alignment
    // (the protected one above keeps its author's default), and the init
    // task's 6144 bytes fit; only warnings are left.
    let flat_big = dir.write(
        "flat-big",
        "CONFIG_ARCH=\"arm\"\nCONFIG_ARCH_BOARD=\"b\"\nCONFIG_ARCH_CHIP=\"c\"\n\
         CONFIG_RAM_SIZE=16384\nCONFIG_SCHED_HPWORK=y\n",
    );
    let (status, out, _) = config(&[
        "protect",
        arg(&flat_big),
        "--userspace",
        "0x8000",
        "-o",
        &dir.arg("fb"),
    ]);
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("+ CONFIG_TLS_LOG2_MAXSTACK=11: "), "{out}");
    assert!(
        out.contains("warning: the init task's stack takes 6144 bytes"),
        "{out}"
    );
    // Values no Kconfig would write are errors, not overflows.
    let wild = dir.write(
        "wild",
        "CONFIG_ARCH=\"arm\"\nCONFIG_ARCH_BOARD=\"b\"\nCONFIG_ARCH_CHIP=\"c\"\n\
         CONFIG_TLS_LOG2_MAXSTACK=64\nCONFIG_MM_REGIONS=0xffffffffffffffff\n",
    );
    let (status, _, out) = config(&["protect", arg(&wild), "--userspace", "0x20000", "-o", "-"]);
    assert_eq!(status, 1, "{out}");
    assert!(
        out.contains("error: CONFIG_TLS_LOG2_MAXSTACK=64 is outside Kconfig's range 11 to 24"),
        "{out}"
    );
    assert!(
        out.contains(
            "error: CONFIG_ARM_MPU_NREGIONS is 8, and NuttX programs 18446744073709551615"
        ),
        "{out}"
    );
}

// NuttX's own defconfigs.

/// `flat` of `protected`, into `dir`.
fn flat_of(dir: &Dir, protected: &Path) -> PathBuf {
    let (status, out, err) = config(&["flat", arg(protected), "-o", &dir.arg("flat")]);
    assert_eq!(status, 0, "{out}{err}");
    dir.path("flat")
}

/// Every name `flat` removes appears in no list of `json`.
fn assert_no_protection_options(json: &serde_json::Value) {
    let lists = ["only_in_a", "only_in_b", "different"];
    for name in lists.iter().flat_map(|list| names(&json[*list])) {
        for protection in [
            "BUILD_PROTECTED",
            "BUILD_2PASS",
            "PASS1_",
            "NUTTX_USERSPACE",
            "LIB_SYSCALL",
            "MM_KERNEL_HEAP",
            "ARM_MPU",
            "TLS_",
        ] {
            assert!(!name.contains(protection), "{name}: {json}");
        }
    }
}

#[test]
fn stm32f4discovery_kostest_goes_flat_and_back() {
    let Some(kostest) = nuttx_testdata("stm32f4discovery-kostest.defconfig") else {
        return;
    };
    let Some(nsh) = nuttx_testdata("stm32f4discovery-nsh.defconfig") else {
        return;
    };
    let dir = Dir::new();
    let flat = flat_of(&dir, &kostest);
    // Against the board's flat nsh, only the applications differ.
    let json = diff_json(&flat, &nsh);
    assert_eq!(json["equal"], false);
    assert_no_protection_options(&json);
    let (status, out, err) = config(&[
        "protect",
        arg(&flat),
        "--userspace",
        "0x08020000",
        "--kernel-heap",
        "16384",
        "-o",
        &dir.arg("protected"),
    ]);
    assert_eq!(status, 0, "{out}{err}");
    assert_eq!(
        std::fs::read(dir.path("protected")).unwrap(),
        std::fs::read(&kostest).unwrap(),
        "protect gives back kostest byte for byte"
    );
}

#[test]
fn lm3s6965_ek_kostest_and_protected_go_flat_and_back() {
    let Some(kostest) = nuttx_testdata("lm3s6965-ek-qemu-kostest.defconfig") else {
        return;
    };
    let Some(protected) = nuttx_testdata("lm3s6965-ek-qemu-protected.defconfig") else {
        return;
    };
    let dir = Dir::new();
    let flat = flat_of(&dir, &kostest);
    let (status, out, err) = config(&[
        "protect",
        arg(&flat),
        "--userspace",
        "0x20000",
        "-o",
        &dir.arg("back"),
    ]);
    assert_eq!(status, 0, "{out}{err}");
    // Stock kostest keeps TLS_LOG2_MAXSTACK at 13, 18 KiB for the init
    // task's stack out of a user heap of at most 32 KiB, and does not boot
    // (issue 12); protect chooses 11, NuttX's own fix in qemu-protected,
    // and that is the only difference.
    let json = diff_json(&dir.path("back"), &kostest);
    assert_eq!(names(&json["only_in_a"]), ["CONFIG_TLS_LOG2_MAXSTACK"]);
    assert_eq!(json["only_in_a"][0]["value"], "11", "{json}");
    assert!(names(&json["only_in_b"]).is_empty(), "{json}");
    assert!(names(&json["different"]).is_empty(), "{json}");
    assert!(!out.contains("warning: the init task"), "{out}");

    // qemu-protected chose TLS_LOG2_MAXSTACK=11, which only exists beside
    // TLS_ALIGNED (a protected build's default): flat drops it, and protect
    // chooses it again.
    let flat = flat_of(&dir, &protected);
    let (status, out, _) = config(&[
        "protect",
        arg(&flat),
        "--userspace",
        "0x20000",
        "-o",
        &dir.arg("back"),
    ]);
    assert_eq!(status, 0, "{out}");
    assert_eq!(
        std::fs::read(dir.path("back")).unwrap(),
        std::fs::read(&protected).unwrap(),
        "protect gives back qemu-protected byte for byte"
    );
}

#[test]
fn to_standard_output_the_report_goes_to_stderr_and_json_lists_changes() {
    let protected = fixture("tiva-fixture-protected.defconfig");
    let (status, out, err) = config(&["flat", arg(&protected), "-o", "-", "--json"]);
    assert_eq!(status, 0, "{err}");
    assert_eq!(
        out,
        std::fs::read_to_string(fixture("tiva-fixture-flat.defconfig")).unwrap()
    );
    let json: serde_json::Value = serde_json::from_str(&err).unwrap();
    assert_eq!(json["written"], true);
    let removed: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["after"].is_null())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        removed,
        [
            "CONFIG_BUILD_PROTECTED",
            "CONFIG_PASS1_BUILDIR",
            "CONFIG_NUTTX_USERSPACE",
            "CONFIG_MM_KERNEL_HEAPSIZE",
            "CONFIG_TLS_LOG2_MAXSTACK",
            "CONFIG_ARM_MPU",
        ]
    );
    // A Cortex-M7 without the chip's region count is a warning.
    let dir = Dir::new();
    let m7 = dir.write(
        "m7",
        "CONFIG_ARCH=\"arm\"\nCONFIG_ARCH_BOARD=\"b\"\nCONFIG_ARCH_CHIP=\"c\"\n\
         CONFIG_ARCH_CORTEXM7=y\nCONFIG_TLS_LOG2_MAXSTACK=11\n",
    );
    let (status, out, err) = config(&["protect", arg(&m7), "--userspace", "0x8000", "-o", "-"]);
    assert_eq!(status, 0, "{err}");
    assert!(
        out.contains("\nCONFIG_ARM_MPU=y\nCONFIG_BUILD_PROTECTED=y\n"),
        "{out}"
    );
    assert!(
        err.contains("warning: Cortex-M7: NuttX assumes 16 MPU regions"),
        "{err}"
    );
    let (_, _, err) = config(&[
        "protect",
        arg(&m7),
        "--userspace",
        "0x8000",
        "--mpu-regions",
        "8",
        "-o",
        "-",
    ]);
    assert!(
        err.contains("+ CONFIG_ARM_MPU_NREGIONS=8: the chip's MPU region count"),
        "{err}"
    );
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn converting_twice_changes_nothing_more() {
    let dir = Dir::new();
    for (command, name) in [
        ("protect", "tiva-fixture-protected.defconfig"),
        ("flat", "tiva-fixture-flat.defconfig"),
    ] {
        let input = fixture(name);
        let (status, out, err) = config(&[command, arg(&input), "-o", &dir.arg(name)]);
        assert_eq!(status, 0, "{out}{err}");
        assert!(out.ends_with("(0 changes)\n"), "{out}");
        assert_eq!(
            std::fs::read(dir.path(name)).unwrap(),
            std::fs::read(&input).unwrap()
        );
    }
    let (_, out, _) = config(&[
        "flat",
        arg(&fixture("tiva-fixture-flat.defconfig")),
        "-o",
        &dir.arg("again"),
    ]);
    assert!(
        out.contains("CONFIG_BUILD_PROTECTED is not set: already a flat build"),
        "{out}"
    );
}

/// On a NuttX source tree (NUTTX_TREE): lm3s6965-ek's own qemu-flat,
/// protected with the tree (its kernel/Makefile, the uflash origin of its
/// memory.ld), differs from its own qemu-protected in applications only:
/// even the TLS alignment protect chooses is qemu-protected's.
#[test]
fn lm3s6965_ek_qemu_flat_protected_with_the_tree_is_its_qemu_protected() {
    let configs = "boards/arm/tiva/lm3s6965-ek/configs";
    let Some(flat) = common::external::external_file(
        "NUTTX_TREE",
        &format!("{configs}/qemu-flat/defconfig"),
        "a NuttX source tree",
    ) else {
        return;
    };
    let tree = flat.ancestors().nth(7).unwrap().to_owned();
    let protected = tree.join(configs).join("qemu-protected/defconfig");
    let dir = Dir::new();
    let (status, out, err) = config(&[
        "protect",
        arg(&flat),
        "--tree",
        arg(&tree),
        "-o",
        &dir.arg("p"),
    ]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(
        out.contains("+ CONFIG_NUTTX_USERSPACE=0x00020000: "),
        "{out}"
    );
    assert!(out.contains("+ CONFIG_TLS_LOG2_MAXSTACK=11: "), "{out}");
    let json = diff_json(&dir.path("p"), &protected);
    assert_eq!(json["equal"], false);
    assert_no_protection_options(&json);
}

/// An output that cannot be written is an error before anything is
/// reported as written, and a user flash origin that is no address is a
/// usage error.
#[test]
fn an_unwritable_output_or_a_bad_origin_is_refused_before_the_report() {
    let flat = fixture("tiva-fixture-flat.defconfig");
    let (status, out, err) = config(&[
        "protect",
        arg(&flat),
        "--userspace",
        "0x20000",
        "-o",
        "/nonexistent-dir/p.defconfig",
    ]);
    assert_eq!(status, 2, "{out}{err}");
    assert!(!out.contains("wrote"), "{out}");
    assert!(err.contains("/nonexistent-dir"), "{err}");
    // 0xfffffffc: the System region, and struct userspace_s would wrap.
    for origin in ["0", "0x20001", "0x100000000", "0xFFFFFFFC"] {
        let (status, _, err) = config(&["protect", arg(&flat), "--userspace", origin, "-o", "-"]);
        assert_eq!(status, 2, "{origin}: {err}");
        assert!(err.contains("is not a user flash origin"), "{err}");
    }
    for heap in ["0", "4G"] {
        let (status, _, err) = config(&[
            "protect",
            arg(&flat),
            "--userspace",
            "0x20000",
            "--kernel-heap",
            heap,
            "-o",
            "-",
        ]);
        assert_eq!(status, 2, "{heap}: {err}");
        assert!(
            err.contains("out of range: expected a whole number from 1 to 4294967295"),
            "{err}"
        );
    }
}
