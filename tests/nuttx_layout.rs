//! `mcu-build nuttx layout` on synthetic built protected NuttX trees (see
//! tests/common/nuttx_tree.rs): the plan, its proof by the check model,
//! `--check` drift, `--write` re-read by the tree's reader, and a tree no
//! placement can fix.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::nuttx_tree::{Extents, KOSTEST, MEMORY, config, tree, write_tree};
use mcu_build::nuttx::memory_ld::MemoryLd;
use predicates::prelude::*;

fn mcu_build(args: &[&str], dir: &Path) -> Command {
    let mut command = Command::cargo_bin("mcu-build").unwrap();
    command
        .args(["nuttx", args[0], "--tree"])
        .arg(dir)
        .args(&args[1..]);
    command
}

fn json(command: &mut Command, code: i32) -> serde_json::Value {
    let out = command.arg("--json").assert().code(code);
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn memory_ld(dir: &Path) -> std::path::PathBuf {
    dir.join("boards/arm/tiva/b/scripts/memory.ld")
}

/// The stock kostest layout: .bss padded by 60 bytes to the 256-byte
/// subregion, and CONFIG_MM_KERNEL_HEAPSIZE the kernel heap NuttX then
/// sets up, byte for byte.
#[test]
fn the_kostest_layout_is_planned_to_zero_over_grant() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    mcu_build(&["layout"], dir.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains(
                "  user .data/.bss  0x20005000..0x20005700     1792 bytes (built \
             0x20005000..0x200056c4) in usram 0x20005000..0x2000a000; mpu_user_intsram grants \
             0x20005000..0x20005700\n",
            )
            .and(predicate::str::contains(
                "  kernel heap      0x20005700..0x20008000    10496 bytes \
             (CONFIG_MM_KERNEL_HEAPSIZE=10496, was 8192; 8192 asked: 2304 more, as the user \
             heap must be a power of two dividing CONFIG_RAM_END 0x20010000)\n",
            ))
            .and(predicate::str::contains(
                "  user heap        0x20008000..0x20010000    32768 bytes\n",
            ))
            .and(predicate::str::contains(
                "loss: 60 bytes (uflash alignment 0, usram alignment 0, .bss padding 60)\n",
            ))
            .and(predicate::str::contains(
                "check of the plan: ok: 0 bytes over-granted",
            ))
            .and(predicate::str::contains(
                "user-space.ld: add `. = ALIGN(256);` before `_ebss = ABSOLUTE(.);`",
            ))
            .and(predicate::str::contains(
                "CONFIG_NUTTX_USERSPACE=0x00020000\nCONFIG_MM_KERNEL_HEAPSIZE=10496\n",
            )),
        );
    let plan = json(&mut mcu_build(&["layout"], dir.path()), 0);
    assert_eq!(plan["exact"], true);
    assert_eq!(plan["over_granted_bytes"], 0);
    assert_eq!(plan["loss_bytes"], 60);
    assert_eq!(plan["user_space_ld"], ". = ALIGN(256);");
    assert_eq!(plan["plan"]["heaps"]["configured"], 10496);
    assert_eq!(plan["plan"]["heaps"]["exact"], false);
    assert_eq!(plan["plan"]["heaps"]["as_configured"], true);

    // Asked for exactly what NuttX's arithmetic can give, it is exact.
    let exact = json(
        &mut mcu_build(&["layout", "--kernel-heap", "0x2900"], dir.path()),
        0,
    );
    let heaps = &exact["plan"]["heaps"];
    assert_eq!(heaps["exact"], true);
    assert_eq!(heaps["configured"], 0x2900);
    assert_eq!(
        heaps["kernel"]["end"].as_u64().unwrap() - heaps["kernel"]["start"].as_u64().unwrap(),
        0x2900
    );
    // 16 KiB asked: the user heap halves to 16 KiB, the kernel heap is
    // exactly what is configured.
    let big = json(
        &mut mcu_build(&["layout", "--kernel-heap", "16K"], dir.path()),
        0,
    );
    assert_eq!(big["plan"]["heaps"]["configured"], 0xa900 - 0x4000);
    assert_eq!(big["plan"]["heaps"]["user"]["start"], 0x2000_c000);
    mcu_build(&["layout", "--kernel-heap", "43250"], dir.path())
        .assert()
        .code(2)
        .stderr(
            "error: --kernel-heap 43250: a kernel heap of 43250 bytes after us_bssend 0x20005700 \
             leaves no user heap of 32 bytes or more (a power of two dividing CONFIG_RAM_END \
             0x20010000) below CONFIG_RAM_END\n",
        );
}

/// The plan applied (the fragment's values, `_ebss` aligned, rebuilt)
/// passes `nuttx check` with the kernel heap as configured, and `layout
/// --check` finds nothing to change; the tree as it was drifts.
#[test]
fn the_applied_plan_passes_the_check_and_drift_is_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    let before = std::fs::read(memory_ld(dir.path())).unwrap();
    mcu_build(&["layout", "--check"], dir.path())
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains(".config CONFIG_MM_KERNEL_HEAPSIZE: 8192 -> 10496\n")
                .and(predicate::str::contains(
                    "nuttx_user.elf us_bssend: 0x200056c4 -> 0x20005700 (add `. = \
                     ALIGN(256);` before `_ebss` in user-space.ld); rebuild\n",
                ))
                .and(predicate::str::contains("check: FAILED: the tree differs")),
        );
    assert_eq!(std::fs::read(memory_ld(dir.path())).unwrap(), before);

    let planned = Extents {
        bss: (0x2000_501c, 0x2000_5700),
        ..KOSTEST
    };
    let config = config("tiva").replace(
        "CONFIG_MM_KERNEL_HEAPSIZE=8192",
        "CONFIG_MM_KERNEL_HEAPSIZE=10496",
    );
    write_tree(dir.path(), "tiva", &config, MEMORY, &planned, 0x20000);
    mcu_build(&["check"], dir.path()).assert().success().stdout(
        predicate::str::contains(
            "  kernel heap  0x20005700..0x20008000    10496 bytes \
             (CONFIG_MM_KERNEL_HEAPSIZE=10496)",
        )
        .and(predicate::str::contains("ok: 0 bytes over-granted")),
    );
    mcu_build(&["layout", "--check"], dir.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("changes: none: the tree is laid out as planned\n")
                .and(predicate::str::contains(
                    "check: the tree matches the plan\n",
                ))
                .and(predicate::str::contains(
                    "user-space.ld: nothing to add: .bss ends on the region's 256-byte \
                     subregion\n",
                )),
        );

    std::fs::remove_file(dir.path().join("nuttx_user.elf")).unwrap();
    mcu_build(&["layout", "--check"], dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "nuttx_user.elf: no such file: the tree is configured but the user blob is not \
             built; run make first",
        ));
}

/// A usram that starts off every subregion moves up (ksram grows to it);
/// `--write` rewrites only the MEMORY block, the tree's reader reads back
/// the plan's regions, and the tree rebuilt to the plan passes.
#[test]
fn write_puts_the_planned_regions_into_memory_ld() {
    let dir = tempfile::tempdir().unwrap();
    let memory = "/* lm3s6965-ek, 256 KiB flash, 64 KiB SRAM */\n\nMEMORY\n{\n  \
        kflash (rx) : ORIGIN = 0x00000000, LENGTH = 128K\n  \
        uflash (rx) : ORIGIN = 0x00020000, LENGTH = 128K\n  \
        ksram (rwx) : ORIGIN = 0x20000000, LENGTH = 0x4f00\n  \
        usram (rwx) : ORIGIN = 0x20004f00, LENGTH = 0x5100\n  \
        xsram (rwx) : ORIGIN = 0x2000a000, LENGTH = 24K\n}\n/* the end */\n";
    let shifted = Extents {
        text: KOSTEST.text,
        data: (0x2000_4f00, 0x2000_4f1c),
        bss: (0x2000_4f1c, 0x2000_55c4),
    };
    write_tree(
        dir.path(),
        "tiva",
        &config("tiva"),
        memory,
        &shifted,
        0x20000,
    );
    std::fs::create_dir_all(dir.path().join("boards/arm/tiva/b/kernel")).unwrap();
    std::fs::write(
        dir.path().join("boards/arm/tiva/b/kernel/b_userspace.c"),
        "#if CONFIG_NUTTX_USERSPACE != 0x00020000\n#  error \"must match memory.ld\"\n#endif\n",
    )
    .unwrap();
    let fragment = dir.path().join("layout.defconfig");
    let plan = json(
        mcu_build(&["layout", "--write", "--fragment"], dir.path()).arg(&fragment),
        0,
    );
    assert_eq!(plan["exact"], true);
    let data = &plan["plan"]["data"];
    assert!(data["alignment"].as_u64().unwrap() > 0, "{data}");
    let written = std::fs::read_to_string(memory_ld(dir.path())).unwrap();
    assert!(
        written.starts_with("/* lm3s6965-ek, 256 KiB flash, 64 KiB SRAM */\n\nMEMORY\n{\n")
            && written.ends_with("}\n/* the end */\n"),
        "{written}"
    );
    let reread = MemoryLd::read(&memory_ld(dir.path())).unwrap();
    let planned = plan["plan"]["regions"].as_array().unwrap();
    assert_eq!(reread.regions.len(), planned.len());
    for (region, planned) in reread.regions.iter().zip(planned) {
        assert_eq!(region.name, planned["name"].as_str().unwrap());
        assert_eq!(region.attributes, planned["attributes"].as_str().unwrap());
        assert_eq!(region.origin, planned["origin"].as_u64().unwrap());
        assert_eq!(region.length, planned["length"].as_u64().unwrap());
    }
    let usram = reread.region("usram").unwrap();
    let ksram = reread.region("ksram").unwrap();
    assert_eq!(usram.origin, data["usram"]["start"].as_u64().unwrap());
    assert_eq!(ksram.end(), usram.origin);
    let fragment_text = std::fs::read_to_string(&fragment).unwrap();
    let heapsize = plan["plan"]["heaps"]["configured"].as_u64().unwrap();
    assert!(
        fragment_text.ends_with(&format!(
            "CONFIG_NUTTX_USERSPACE=0x00020000\nCONFIG_MM_KERNEL_HEAPSIZE={heapsize}\n"
        )),
        "{fragment_text}"
    );

    // Rebuilt to the plan: .data and .bss at the new origin, .bss ending
    // where the plan says, the fragment's values in .config.
    let start = data["planned"]["start"].as_u64().unwrap() as u32;
    let end = data["planned"]["end"].as_u64().unwrap() as u32;
    let rebuilt = Extents {
        text: KOSTEST.text,
        data: (start, start + 0x1c),
        bss: (start + 0x1c, end),
    };
    let config = config("tiva").replace(
        "CONFIG_MM_KERNEL_HEAPSIZE=8192",
        &format!("CONFIG_MM_KERNEL_HEAPSIZE={heapsize}"),
    );
    write_tree(dir.path(), "tiva", &config, &written, &rebuilt, 0x20000);
    mcu_build(&["check"], dir.path()).assert().success();
    mcu_build(&["layout", "--check"], dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "kernel/b_userspace.c:1: needs `#if CONFIG_NUTTX_USERSPACE != 0x00020000` (as it is)",
        ));
}

/// uflash at 0x00022000: the text's 128 KiB block starts at 0x00020000 and
/// grants 8 KiB of kflash; at 0x00024000 it stays inside, so
/// CONFIG_NUTTX_USERSPACE and the board's userspace check move.
/// `--fragment` never replaces a file of the tree, and a fragment that
/// cannot be written leaves memory.ld as it was.
#[test]
fn write_destroys_nothing() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "tiva", MEMORY, &KOSTEST);
    let config_before = std::fs::read(dir.path().join(".config")).unwrap();
    let memory_before = std::fs::read(memory_ld(dir.path())).unwrap();
    for target in [".config", "nuttx_user.elf"] {
        mcu_build(&["layout", "--write", "--fragment"], dir.path())
            .arg(dir.path().join(target))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("a file of the tree"));
    }
    mcu_build(&["layout", "--write", "--fragment"], dir.path())
        .arg(dir.path().join("no-such-dir/layout.defconfig"))
        .assert()
        .code(2);
    assert_eq!(
        std::fs::read(dir.path().join(".config")).unwrap(),
        config_before
    );
    assert_eq!(std::fs::read(memory_ld(dir.path())).unwrap(), memory_before);
    // A new file inside the tree is fine.
    mcu_build(&["layout", "--write", "--fragment"], dir.path())
        .arg(dir.path().join("layout.defconfig"))
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(dir.path().join("layout.defconfig"))
            .unwrap()
            .contains("CONFIG_MM_KERNEL_HEAPSIZE=")
    );
    // A memory.ld that needs the preprocessor is planned from the build's
    // memory.ld.tmp, and not rewritten.
    let source = format!("#include <nuttx/config.h>\n{MEMORY}");
    std::fs::write(memory_ld(dir.path()), &source).unwrap();
    std::fs::write(memory_ld(dir.path()).with_extension("ld.tmp"), MEMORY).unwrap();
    mcu_build(&["layout", "--write"], dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "memory.ld: the board's memory.ld needs the C preprocessor, so it is not rewritten",
        ));
    assert_eq!(
        std::fs::read_to_string(memory_ld(dir.path())).unwrap(),
        source
    );
}

#[test]
fn uflash_moves_to_keep_the_text_region_inside() {
    let dir = tempfile::tempdir().unwrap();
    let memory = MEMORY
        .replace(
            "kflash (rx) : ORIGIN = 0x00000000, LENGTH = 128K",
            "kflash (rx) : ORIGIN = 0x00000000, LENGTH = 136K",
        )
        .replace(
            "uflash (rx) : ORIGIN = 0x00020000, LENGTH = 128K",
            "uflash (rx) : ORIGIN = 0x00022000, LENGTH = 120K",
        );
    let config = config("tiva").replace(
        "CONFIG_NUTTX_USERSPACE=0x00020000",
        "CONFIG_NUTTX_USERSPACE=0x00022000",
    );
    let extents = Extents {
        text: (0x0002_2030, 0x0003_0e6b),
        ..KOSTEST
    };
    write_tree(dir.path(), "tiva", &config, &memory, &extents, 0x22000);
    std::fs::create_dir_all(dir.path().join("boards/arm/tiva/b/kernel")).unwrap();
    std::fs::write(
        dir.path().join("boards/arm/tiva/b/kernel/b_userspace.c"),
        "/* b */\n#if CONFIG_NUTTX_USERSPACE != 0x00022000\n#  error \"no\"\n#endif\n",
    )
    .unwrap();
    mcu_build(&["check"], dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "0x00020000..0x00022000     8192 bytes  r-x  region 0  kernel flash kflash",
        ));
    mcu_build(&["layout", "--check"], dir.path())
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains(
                "  user text        0x00024030..0x00032e6b    60987 bytes in uflash \
                 0x00024000..0x00040000; mpu_user_flash grants 0x00024000..0x00034000\n",
            )
            .and(predicate::str::contains(
                "loss: 8252 bytes (uflash alignment 8192, usram alignment 0, .bss padding 60)",
            ))
            .and(predicate::str::contains(
                "memory.ld kflash: ORIGIN = 0x00000000, LENGTH = 136K -> ORIGIN = 0x00000000, \
                 LENGTH = 144K\n",
            ))
            .and(predicate::str::contains(
                ".config CONFIG_NUTTX_USERSPACE: 0x00022000 -> 0x00024000\n",
            ))
            .and(predicate::str::contains(
                "nuttx_user.elf struct userspace_s: at 0x00022000 -> at 0x00024000 \
                 (CONFIG_NUTTX_USERSPACE); rebuild\n",
            ))
            .and(predicate::str::contains(
                "kernel/b_userspace.c:2: #if CONFIG_NUTTX_USERSPACE != 0x00022000 -> #if \
                 CONFIG_NUTTX_USERSPACE != 0x00024000\n",
            )),
        );
}

/// usram exactly as long as the user's .data and .bss: .bss cannot end on
/// a subregion and usram cannot move, so no placement is exact. The least
/// over-grant is reported, and --write writes nothing.
#[test]
fn no_exact_plan_is_reported_and_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let memory = MEMORY
        .replace(
            "usram (rwx) : ORIGIN = 0x20005000, LENGTH = 20K",
            "usram (rwx) : ORIGIN = 0x20005000, LENGTH = 1732",
        )
        .replace(
            "xsram (rwx) : ORIGIN = 0x2000a000, LENGTH = 24K",
            "xsram (rwx) : ORIGIN = 0x200056c4, LENGTH = 43324",
        );
    tree(dir.path(), "tiva", &memory, &KOSTEST);
    mcu_build(&["layout"], dir.path()).assert().code(1).stdout(
        predicate::str::contains(
            "check of the plan: FAILED: no placement grants exactly the user's own memory; the \
             best found grants 60 bytes outside it (user text 0, user .data/.bss 60) and has \
             these problems:\n",
        )
        .and(predicate::str::contains(
            "  unprivileged code reaches 0x200056c4..0x20005700 (60 bytes) rwx through region 1: \
             kernel heap\n",
        ))
        .and(predicate::str::contains(
            "  usram 0x20005000..0x200056c4 leaves no room",
        )),
    );
    let before = std::fs::read(memory_ld(dir.path())).unwrap();
    mcu_build(&["layout", "--write"], dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing written"));
    assert_eq!(std::fs::read(memory_ld(dir.path())).unwrap(), before);
}

/// stm32f4discovery:kostest-like: the heaps end at the F407's SRAM1_END
/// (0x20020000), not CONFIG_RAM_END; the plan pads .bss by 56 bytes and
/// configures the kernel heap NuttX then sets up below a 64 KiB user heap.
#[test]
fn an_stm32f4_plan_ends_the_heaps_at_sram1_end() {
    let dir = tempfile::tempdir().unwrap();
    let memory = "MEMORY\n{\n  kflash (rx) : ORIGIN = 0x08000000, LENGTH = 128K\n  \
        uflash (rx) : ORIGIN = 0x08020000, LENGTH = 128K\n  \
        xflash (rx) : ORIGIN = 0x08040000, LENGTH = 768K\n  \
        ksram (rwx) : ORIGIN = 0x20000000, LENGTH = 16K\n  \
        usram (rwx) : ORIGIN = 0x20004000, LENGTH = 16K\n  \
        xsram (rwx) : ORIGIN = 0x20008000, LENGTH = 80K\n}\n";
    let config = config("stm32f4")
        .replace(
            "CONFIG_NUTTX_USERSPACE=0x00020000",
            "CONFIG_NUTTX_USERSPACE=0x08020000",
        )
        .replace("CONFIG_RAM_SIZE=65536", "CONFIG_RAM_SIZE=114688")
        .replace(
            "CONFIG_MM_KERNEL_HEAPSIZE=8192",
            "CONFIG_MM_KERNEL_HEAPSIZE=16384",
        )
        + "CONFIG_STM32_COMMON_LEGACY=y\nCONFIG_STM32_HAVE_IP_FLASH_M3M4_F2F4=y\n\
           CONFIG_STM32_STM32F407=y\nCONFIG_STM32_CCMEXCLUDE=y\n";
    let extents = Extents {
        text: (0x0802_0030, 0x0802_f358),
        data: (0x2000_4000, 0x2000_401c),
        bss: (0x2000_401c, 0x2000_46c8),
    };
    write_tree(
        dir.path(),
        "stm32f4",
        &config,
        memory,
        &extents,
        0x0802_0000,
    );
    let plan = json(&mut mcu_build(&["layout"], dir.path()), 0);
    assert_eq!(plan["exact"], true);
    let p = &plan["plan"];
    assert_eq!(p["family"], "stm32");
    assert_eq!(p["data"]["padding"], 56);
    assert_eq!(p["data"]["planned"]["end"], 0x2000_4700);
    let heaps = &p["heaps"];
    assert_eq!(heaps["end_name"], "SRAM1_END");
    // 0x20020000 - 0x20004700 = 112896; less 16384 leaves 96512, whose
    // largest power of two is 65536.
    assert_eq!(heaps["configured"], 112_896 - 65_536);
    assert_eq!(heaps["kernel"]["start"], 0x2000_4700);
    assert_eq!(heaps["kernel"]["end"], 0x2001_0000);
    assert_eq!(heaps["user"]["end"], 0x2002_0000);
}

/// The NuttX-shaped fixture (tests/data/nuttx-tree), built by make: its 16
/// bytes of user .data/.bss get a 32-byte region, half of it kernel heap.
/// The plan pads .bss to 32 bytes; applied (the user-space.ld line, the
/// fragment's heap size) and rebuilt, `nuttx check` passes and `layout
/// --check` finds nothing to change.
#[test]
fn the_fixture_built_by_make_takes_its_plan() {
    if !common::external::tools_run(&["make", "arm-none-eabi-gcc"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("nuttx");
    common::run(
        std::process::Command::new("cp")
            .arg("-R")
            .arg(common::repository_root().join("tests/data/nuttx-tree"))
            .arg(&tree),
    );
    let make = |target: &str| {
        common::run(
            std::process::Command::new("make")
                .arg(target)
                .current_dir(&tree),
        )
    };
    make("clean");
    make("all");
    mcu_build(&["check"], &tree)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAILED: 16 bytes over-granted"));
    let plan = json(&mut mcu_build(&["layout"], &tree), 0);
    assert_eq!(plan["exact"], true);
    assert_eq!(plan["user_space_ld"], ". = ALIGN(32);");
    assert_eq!(plan["plan"]["data"]["padding"], 16);
    let heapsize = plan["plan"]["heaps"]["configured"].as_u64().unwrap();
    apply_plan(&tree, &plan);
    make("clean");
    make("all");
    mcu_build(&["check"], &tree).assert().success().stdout(
        // The kernel heap is exactly the configured size.
        predicate::str::contains(format!(
            " {heapsize:>7} bytes (CONFIG_MM_KERNEL_HEAPSIZE={heapsize})"
        ))
        .and(predicate::str::contains("ok: 0 bytes over-granted")),
    );
    mcu_build(&["layout", "--check"], &tree)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "check: the tree matches the plan\n",
        ));
}

/// Does what `nuttx layout` asks of a person after it planned `tree`
/// (`plan`, its JSON): the fragment's values into `.config`, the `.bss`
/// alignment into the board's `user-space.ld` before `_ebss`.
fn apply_plan(tree: &Path, plan: &serde_json::Value) {
    let config_path = tree.join(".config");
    let mut config = std::fs::read_to_string(&config_path).unwrap();
    for line in plan["fragment"].as_str().unwrap().lines() {
        let Some((key, _)) = line.split_once('=').filter(|_| !line.starts_with('#')) else {
            continue;
        };
        let old = config
            .lines()
            .find(|l| l.starts_with(&format!("{key}=")))
            .map(str::to_owned);
        match old {
            Some(old) => config = config.replacen(&old, line, 1),
            None => config.push_str(&format!("{line}\n")),
        }
    }
    std::fs::write(&config_path, config).unwrap();
    if let Some(align) = plan["user_space_ld"].as_str() {
        let board = mcu_build::nuttx::tree::Tree::open(tree).unwrap().board_dir;
        let script = board.join("scripts/user-space.ld");
        let text = std::fs::read_to_string(&script).unwrap();
        assert!(
            text.contains("_ebss = ABSOLUTE(.);"),
            "{}",
            script.display()
        );
        let text = text.replacen(
            "_ebss = ABSOLUTE(.);",
            &format!("{align}\n        _ebss = ABSOLUTE(.);"),
            1,
        );
        std::fs::write(&script, text).unwrap();
    }
}

/// NUTTX_TREE: a copy of a real built tree, planned, written, applied and
/// rebuilt with its own make: `nuttx check` finds nothing beyond the user's
/// own memory, `layout --check` no drift, and on a board mcu-build bundles
/// `protect` proves it and `run` boots it to the entry point's last line.
#[test]
fn a_real_tree_built_to_its_plan_checks_clean_and_boots() {
    let Some(config) = common::nuttx_tree::real_tree_config() else {
        return;
    };
    if !common::external::tools_run(&["make", "arm-none-eabi-gcc"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tree = common::nuttx_tree::copy_built_tree(config.parent().unwrap(), dir.path());
    let mut layout = mcu_build(&["layout", "--write", "--fragment"], &tree);
    layout.arg(dir.path().join("layout.defconfig"));
    let plan = json(&mut layout, 0);
    assert_eq!(plan["exact"], true, "{plan}");
    apply_plan(&tree, &plan);
    let built = std::process::Command::new("make")
        .arg("-j2")
        .current_dir(&tree)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    mcu_build(&["check"], &tree)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok: 0 bytes over-granted"));
    mcu_build(&["layout", "--check"], &tree).assert().success();

    let kconfig = mcu_build::nuttx::kconfig::Kconfig::read(&tree.join(".config")).unwrap();
    let Some(board) = common::nuttx_tree::qemu_board(&kconfig) else {
        eprintln!(
            "skipped the boot of a_real_tree_built_to_its_plan_checks_clean_and_boots: no \
             bundled QEMU board for CONFIG_ARCH_BOARD {:?}",
            kconfig.text("CONFIG_ARCH_BOARD")
        );
        return;
    };
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(
        project.join("mcu-build.toml"),
        format!(
            "board = {board:?}\n[nuttx]\ntree = {:?}\nmake = \"test -f nuttx\"\n",
            tree.display().to_string()
        ),
    )
    .unwrap();
    let mut protect = Command::cargo_bin("mcu-build").unwrap();
    protect
        .arg("protect")
        .current_dir(&project)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "user code reaches exactly its own memory",
        ));
    let expect = common::nuttx_tree::expected_line(&kconfig);
    let mut run = Command::cargo_bin("mcu-build").unwrap();
    run.args(["run", "--timeout", "400", "--expect", expect])
        .current_dir(&project)
        .assert()
        .success();
}

/// With TLS-aligned stacks of 8 KiB, the init task's stack takes 2048 + 2
/// x 8192 bytes of the user heap in one piece: a 32 KiB user heap holds
/// it, the 16 KiB one a 16 KiB kernel heap leaves does not (NuttX's stock
/// lm3s6965-ek:qemu-protected failure), and that plan is not written.
#[test]
fn a_user_heap_too_small_for_the_init_task_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("tiva")
        + "CONFIG_TLS_ALIGNED=y\nCONFIG_TLS_LOG2_MAXSTACK=13\nCONFIG_INIT_STACKSIZE=2048\n";
    write_tree(dir.path(), "tiva", &config, MEMORY, &KOSTEST, 0x20000);
    mcu_build(&["layout"], dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "init task stack: 18432 bytes of the user heap in one piece (2048 + 2 x 8192, \
             CONFIG_INIT_STACKSIZE and the TLS alignment): fits\n",
        ));
    let small = json(
        &mut mcu_build(&["layout", "--kernel-heap", "16K"], dir.path()),
        1,
    );
    assert_eq!(small["exact"], true);
    assert_eq!(small["ok"], false);
    assert_eq!(small["plan"]["heaps"]["init_stack_fits"], false);
    assert_eq!(small["plan"]["heaps"]["init_stack"]["needed"], 18432);
    mcu_build(&["layout", "--kernel-heap", "16K"], dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "init task stack: 18432 bytes of the user heap in one piece (2048 + 2 x 8192, \
             CONFIG_INIT_STACKSIZE and the TLS alignment): FAILED: the 16384-byte user heap \
             cannot hold it",
        ));
    let before = std::fs::read(memory_ld(dir.path())).unwrap();
    mcu_build(&["layout", "--kernel-heap", "16K", "--write"], dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the planned user heap cannot hold the init task's stack (see the plan); nothing \
             written",
        ));
    assert_eq!(std::fs::read(memory_ld(dir.path())).unwrap(), before);
}
