//! `mcu-build flash --check`: the safety checks, without a probe, each
//! failing with its reason and exit status 1, and passing on a good image.

#![cfg(feature = "flash")]

#[path = "flash_fixture/mod.rs"]
mod fixture;

use std::fs;

use fixture::{Project, boards_with_chip, over_grant, stderr, stdout};
use mcu_build::image::Image;

fn image_arg(project: &Project) -> String {
    project.image_path().display().to_string()
}

#[test]
fn a_good_image_passes_on_every_bundled_board_with_a_chip() {
    let boards = boards_with_chip();
    assert!(boards.len() >= 3, "{boards:?}");
    for board in boards {
        let project = Project::good(board);
        let output = project.flash(&["--check", &image_arg(&project)]);
        assert!(output.status.success(), "{board}: {}", stderr(&output));
        let out = stdout(&output);
        assert!(
            !out.contains("FAILED") && !out.contains("skipped"),
            "{board}: {out}"
        );
        assert_eq!(out.matches("  ok ").count(), 7, "{board}: {out}");
        assert!(out.contains("ok       same plan"), "{board}: {out}");
    }
}

#[test]
fn without_image_it_checks_the_combined_hex_of_the_configured_board() {
    let project = Project::good("stm32f4discovery");
    let output = project.flash(&["--check"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("combined.hex (Intel HEX, 4000 bytes in 2 segment(s))"));
    assert!(stdout(&output).contains("chip   STM32F407VGTx (board stm32f4discovery)"));
}

#[test]
fn a_changed_input_makes_the_image_stale_unless_forced() {
    let project = Project::good("nrf52840");
    fs::write(project.config(), "board = \"nrf52840\" # edited\n").unwrap();
    let output = project.flash(&["--check", &image_arg(&project)]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("refusing to flash"), "{err}");
    assert!(
        err.contains("the image is stale: mcu-build.toml changed"),
        "{err}"
    );
    assert!(err.contains("run `mcu-build protect` again"), "{err}");

    let forced = project.flash(&["--check", "--force", &image_arg(&project)]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(stdout(&forced).contains("forced"));
}

#[test]
fn a_changed_image_is_stale() {
    let project = Project::good("stm32f4discovery");
    let mut image = project.combined();
    image
        .insert(
            project.plan.user_flash().start as u32 + 2000,
            &[1, 2, 3],
            Default::default(),
        )
        .unwrap();
    let hex = mcu_build::image::ihex::write(&image, Default::default());
    fs::write(project.image_path(), hex).unwrap();
    let output = project.flash(&["--check", &image_arg(&project)]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("target/mcu-build/stm32f4discovery/combined.hex changed"),
        "{err}"
    );
}

#[test]
fn a_failed_mpu_verification_is_refused() {
    let project = Project::good("stm32h743");
    project.write(&project.combined(), &[over_grant()]);
    let output = project.flash(&["--check", &image_arg(&project)]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("records a failed MPU verification"), "{err}");
    assert!(err.contains("over-grant"), "{err}");
    // The other checks still pass: only this one is reported.
    assert!(!err.contains("stale"), "{err}");
}

#[test]
fn data_outside_flash_is_refused_with_the_ranges() {
    let project = Project::good("stm32f4discovery");
    let mut image = project.combined();
    // .data at its run address in SRAM, and a segment across the end of flash.
    image
        .insert(0x2000_0000, &[0xAA; 256], Default::default())
        .unwrap();
    image
        .insert(0x080F_FF00, &[0x55; 512], Default::default())
        .unwrap();
    project.write(&image, &[]);
    let output = project.flash(&["--check", &image_arg(&project)]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(
            "512 bytes lie outside the non-volatile memory of STM32F407VGTx (0x08000000..0x08100000"
        ),
        "{err}"
    );
    assert!(
        err.contains("0x08100000..0x08100100 (256 bytes), 0x20000000..0x20000100 (256 bytes)"),
        "{err}"
    );
    // Never overridable: the chip cannot hold it.
    let forced = project.flash(&["--check", "--force", &image_arg(&project)]);
    assert_eq!(forced.status.code(), Some(1));
}

#[test]
fn a_board_file_that_disagrees_with_probe_rs_is_refused() {
    let project = Project::good("stm32f4discovery");
    // stm32f4discovery as the board file describes it, with twice the flash.
    let text = r#"
name = "stm32f4discovery"
description = "STM32F4DISCOVERY with a wrong flash size"
cpu = "cortex-m4"
probe-rs-chip = "STM32F407VGTx"

[mpu]
kind = "armv7m"
regions = 8
kernel-regions = 0

[[memory]]
name = "flash"
kind = "flash"
origin = 0x08000000
length = "2M"

[[memory]]
name = "sram1"
kind = "ram"
origin = 0x20000000
length = "112K"

[partitions]
kernel-flash = { memory = "flash", size = "128K" }
user-flash = { memory = "flash", size = "rest" }
kernel-sram = { memory = "sram1", size = "32K" }
user-sram = { memory = "sram1", size = "rest" }
kernel-heap = "16K"
"#;
    let board_file = project.root().join("board.toml");
    fs::write(&board_file, text).unwrap();
    let output = project.flash(&[
        "--check",
        "--board-file",
        board_file.to_str().unwrap(),
        &image_arg(&project),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(
            "flash 0x08000000..0x08200000 (2097152 bytes) is not exactly a non-volatile memory \
             region of STM32F407VGTx"
        ),
        "{err}"
    );
}

#[test]
fn another_board_than_the_build_s_is_refused() {
    let project = Project::good("stm32f4discovery");
    let output = project.flash(&["--check", "--board", "stm32h743", &image_arg(&project)]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("the image was built for stm32f4discovery, not stm32h743"),
        "{err}"
    );
}

#[test]
fn an_image_without_build_json_is_checked_against_the_chip_only() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("app.bin");
    fs::write(&bin, [0u8; 64]).unwrap();
    let spec = format!("{}@0x08020000", bin.display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .args(["flash", "--check", "--chip", "STM32F407VGTx", &spec])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    // One line says the record checks were skipped, and where it looked.
    assert_eq!(out.matches("skipped  build record").count(), 1, "{out}");
    assert!(!out.contains("MPU verified"), "{out}");
    let resolved = fs::canonicalize(&bin).unwrap();
    assert!(
        out.contains(&format!(
            "skipped  build record        no build.json beside {}: nothing says how the image \
             was built",
            resolved.display()
        )),
        "{out}"
    );
    assert!(out.contains("ok       inside flash"), "{out}");
}

#[test]
fn a_link_to_the_image_is_checked_against_the_record_beside_its_target() {
    let project = Project::good("stm32f4discovery");
    let elsewhere = tempfile::tempdir().unwrap();
    let link = elsewhere.path().join("fw.hex");
    std::os::unix::fs::symlink(project.image_path(), &link).unwrap();
    let link = link.display().to_string();
    let fresh = project.flash(&["--check", "--board", "stm32f4discovery", &link]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    assert!(!stdout(&fresh).contains("skipped"), "{}", stdout(&fresh));

    fs::write(
        project.config(),
        format!(
            "{}# edited\n",
            fs::read_to_string(project.config()).unwrap()
        ),
    )
    .unwrap();
    let stale = project.flash(&["--check", "--board", "stm32f4discovery", &link]);
    assert_eq!(stale.status.code(), Some(1), "{}", stdout(&stale));
    let err = stderr(&stale);
    assert!(
        err.contains("up to date: the image is stale: mcu-build.toml changed"),
        "{err}"
    );
}

#[test]
fn an_image_built_for_another_plan_is_refused_unless_forced() {
    let project = Project::good("stm32f4discovery");
    let other = project.root().join("other.toml");
    let text = format!(
        "{}[layout]\nkernel-flash = \"256K\"\n",
        fs::read_to_string(project.config()).unwrap()
    );
    fs::write(&other, &text).unwrap();
    // The plan other.toml gives, computed as protect computes it.
    let config = mcu_build::build::config::parse(&text, &other).unwrap();
    let board = mcu_build::board::bundled("stm32f4discovery").unwrap();
    let now = mcu_build::layout::plan(&board, &config.request(&board)).unwrap();
    let range = |plan: &mcu_build::layout::Plan| {
        let p = plan.partition("user-flash").unwrap();
        format!("{:#010x}..{:#010x}", p.start, p.end)
    };
    let then = range(project.plan.plan());
    assert_ne!(then, range(&now));

    let output = project.flash(&["--check", "--config", "other.toml"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains("same plan: the image was built for another plan: "),
        "{err}"
    );
    assert!(
        err.contains(&format!("user-flash {then} then, {} now", range(&now))),
        "{err}"
    );
    let forced = project.flash(&["--check", "--force", "--config", "other.toml"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(
        stdout(&forced).contains("forced   same plan"),
        "{}",
        stdout(&forced)
    );
    assert!(
        stderr(&forced).contains("warning: same plan: the image was built for another plan: "),
        "{}",
        stderr(&forced)
    );
}

#[test]
fn json_reports_every_check_and_the_result() {
    let project = Project::good("nrf52840");
    let output = project.flash(&["--check", "--message-format", "json", &image_arg(&project)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["event"], "checks");
    assert_eq!(lines[0]["chip"], "nRF52840_xxAA");
    assert_eq!(lines[0]["checks"].as_array().unwrap().len(), 7);
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "result");
    assert_eq!(last["passed"], true);
    assert_eq!(last["bytes"], 4000);
}

#[test]
fn usage_errors_exit_2() {
    let project = Project::good("nrf52840");
    for args in [
        &["--only", "user", "--chip-erase"][..],
        &["--halt", "--no-reset"],
        &["--probe", "not-a-selector"],
        &["--board", "no-such-board", "--check"],
    ] {
        let output = project.flash(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn an_empty_image_is_refused() {
    let project = Project::good("nrf52840");
    project.write(&Image::new(), &[]);
    let output = project.flash(&["--check", &image_arg(&project)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("the image holds no data"));
}

#[test]
fn a_raw_binary_at_another_address_than_recorded_is_refused() {
    let project = Project::good("stm32f4discovery");
    let bin = project.bin_path().display().to_string();
    let output = project.flash(&["--check", &format!("{bin}@0x08004000")]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    let user_end = project.plan.user_flash().start + 1000;
    let expected = format!(
        "as recorded: {bin}@0x08004000 loads 0x08004000..{:#010x} ({} bytes), but ",
        user_end + 0x4000,
        user_end - 0x0800_0000
    );
    assert!(err.contains(&expected), "{expected}\n{err}");
    assert!(
        err.contains(&format!(
            "records 0x08000000..{user_end:#010x} ({} bytes) for \
             target/mcu-build/stm32f4discovery/combined.bin; give the raw binary the address of \
             its first byte, {bin}@0x08000000",
            user_end - 0x0800_0000
        )),
        "{err}"
    );

    let right = project.flash(&["--check", &format!("{bin}@0x08000000")]);
    assert!(right.status.success(), "{}", stderr(&right));
    assert_eq!(
        stdout(&right).matches("  ok ").count(),
        7,
        "{}",
        stdout(&right)
    );
}

#[test]
fn an_image_that_loads_other_bytes_than_recorded_is_refused_unless_forced() {
    let project = Project::good("nrf52840");
    // The same ranges, one byte changed, written with other record lengths.
    let mut image = project.combined();
    let address = project.plan.user_flash().start as u32 + 10;
    let byte = image.byte_at(address).unwrap();
    image
        .insert(address, &[!byte], mcu_build::image::OverlapPolicy::Last)
        .unwrap();
    let hex = mcu_build::image::ihex::write(&image, Default::default());
    fs::write(project.image_path(), hex).unwrap();
    let output = project.flash(&["--check", &image_arg(&project)]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("as recorded: ") && err.contains("combined.hex loads other bytes than "),
        "{err}"
    );
    let forced = project.flash(&["--check", "--force", &image_arg(&project)]);
    assert!(forced.status.success(), "{}", stderr(&forced));
}

/// Records in build.json what the project's configuration makes a build
/// from now, as `protect` does.
fn record_provenance(project: &Project) {
    let opened = mcu_build::build::protect::Project::open(&project.config(), None).unwrap();
    let provenance = mcu_build::build::provenance::Provenance::of(&opened).unwrap();
    let path = project.out_dir().join("build.json");
    let mut record: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    record["provenance"] = serde_json::to_value(provenance).unwrap();
    fs::write(&path, record.to_string()).unwrap();
}

#[test]
fn an_image_built_from_another_configuration_is_refused_unless_forced() {
    let project = Project::good("stm32f4discovery");
    record_provenance(&project);
    let fresh = project.flash(&["--check"]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));

    // The issue's reproducer: another file, and other heap sizes that
    // leave every partition where it was.
    let text = format!(
        "{}\n[layout]\nuser-heap = \"8K\"\nkernel-heap = \"8K\"\n",
        fs::read_to_string(project.config()).unwrap()
    );
    fs::write(project.root().join("other.toml"), text).unwrap();
    let output = project.flash(&["--check", "--config", "other.toml"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains(
            "up to date: the image is stale: configuration: built from mcu-build.toml; \
             other.toml differs; run `mcu-build protect` again"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "same plan: the image was built for another plan: the partitions are in the same \
             places, but the kernel heap, the MPU regions or the stack and heap splits differ"
        ),
        "{err}"
    );
    let forced = project.flash(&["--check", "--force", "--config", "other.toml"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(
        stderr(&forced).contains("warning: up to date: the image is stale: configuration:"),
        "{}",
        stderr(&forced)
    );

    // The same bytes under another name are the same configuration.
    fs::copy(project.config(), project.root().join("copy.toml")).unwrap();
    let copy = project.flash(&["--check", "--config", "copy.toml"]);
    assert!(copy.status.success(), "{}", stderr(&copy));
}

#[test]
fn an_image_without_build_json_is_flashed_for_the_configured_board() {
    let project = Project::good("stm32f4discovery");
    fs::write(project.root().join("x.bin"), [0u8; 64]).unwrap();
    let output = project.flash(&["--check", "x.bin@0x08000000"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "board stm32f4discovery (from mcu-build.toml; no --board)\n"
    );
    assert!(
        stdout(&output).contains("chip   STM32F407VGTx (board stm32f4discovery)"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn an_image_build_json_does_not_record_is_named_as_such() {
    let project = Project::good("stm32f4discovery");
    let copy = project.out_dir().join("copy.hex");
    fs::copy(project.image_path(), &copy).unwrap();
    let output = project.flash(&["--check", &copy.display().to_string()]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let err = stderr(&output);
    let record = fs::canonicalize(project.out_dir().join("build.json")).unwrap();
    let copy = fs::canonicalize(&copy).unwrap();
    assert!(
        err.contains(&format!(
            "up to date: the image is stale: {} is not one of the outputs {} records; run \
             `mcu-build protect` again",
            copy.display(),
            record.display()
        )),
        "{err}"
    );
}
