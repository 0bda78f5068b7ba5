//! Conformance against the reference tools, run for real: mcu-build's
//! outputs must hold the same memory content and start address as those of
//! `arm-none-eabi-objcopy` and `srec_cat`, as judged by `srec_cmp` (which
//! compares both). `scripts/test` installs the tools on a fresh machine.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use common::Dir;

mod common;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conformance");

/// Runs a program and returns its standard output; any failure, including
/// a missing tool, fails the test with the tool's own message.
fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); scripts/test installs it"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn mcu_build(args: &[&str]) {
    let output = Command::cargo_bin("mcu-build")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "mcu-build {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `srec_cmp` succeeds only when data and execution start address agree.
fn assert_same_hex(ours: &Path, theirs: &Path) {
    let status = Command::new("srec_cmp")
        .args([
            ours.to_str().unwrap(),
            "-intel",
            theirs.to_str().unwrap(),
            "-intel",
            "-v",
        ])
        .status()
        .expect("cannot run srec_cmp; scripts/test installs srecord");
    assert!(
        status.success(),
        "{} and {} differ",
        ours.display(),
        theirs.display()
    );
}

/// Builds the conformance firmware: .text and .rodata in flash, .data run in
/// SRAM and stored in flash, .bss, and a config block after a gap.
fn build_firmware(dir: &Dir) -> PathBuf {
    let elf = dir.path("app.elf");
    run(
        "arm-none-eabi-gcc",
        &[
            "-mcpu=cortex-m4",
            "-mthumb",
            "-O1",
            "-nostdlib",
            "-nostartfiles",
            "-T",
            &format!("{DATA}/app.ld"),
            &format!("{DATA}/app.c"),
            "-o",
            elf.to_str().unwrap(),
        ],
    );
    let headers = run("arm-none-eabi-readelf", &["-lW", elf.to_str().unwrap()]);
    assert!(
        headers.contains("0x20000000 0x08000080"),
        "the test needs .data with a load address unlike its run address:\n{headers}"
    );
    elf
}

/// `arm-none-eabi-objcopy -O FORMAT IN OUT`.
fn objcopy(format: &str, input: &str, output: &str) {
    run("arm-none-eabi-objcopy", &["-O", format, input, output]);
}

/// `mcu-build hex convert IN -o OUT EXTRA...`.
fn convert(input: &str, output: &str, extra: &[&str]) {
    mcu_build(&[&["hex", "convert", input, "-o", output], extra].concat());
}

#[test]
fn elf_to_hex_matches_objcopy() {
    let dir = Dir::new();
    let elf = build_firmware(&dir);
    objcopy("ihex", elf.to_str().unwrap(), &dir.arg("objcopy.hex"));
    convert(elf.to_str().unwrap(), &dir.arg("ours.hex"), &[]);
    assert_same_hex(&dir.path("ours.hex"), &dir.path("objcopy.hex"));
}

#[test]
fn elf_to_bin_matches_objcopy() {
    let dir = Dir::new();
    let elf = build_firmware(&dir);
    // objcopy fills gaps with zeros.
    objcopy("binary", elf.to_str().unwrap(), &dir.arg("objcopy.bin"));
    convert(
        elf.to_str().unwrap(),
        &dir.arg("ours.bin"),
        &["--fill", "0"],
    );
    let ours = fs::read(dir.path("ours.bin")).unwrap();
    let theirs = fs::read(dir.path("objcopy.bin")).unwrap();
    assert_eq!(ours.len(), theirs.len());
    assert!(ours == theirs, "binaries differ");
}

#[test]
fn our_elf_output_is_read_by_objcopy_as_the_same_image() {
    let dir = Dir::new();
    let elf = build_firmware(&dir);
    objcopy("ihex", elf.to_str().unwrap(), &dir.arg("reference.hex"));
    convert(elf.to_str().unwrap(), &dir.arg("ours.elf"), &[]);
    objcopy("ihex", &dir.arg("ours.elf"), &dir.arg("roundtrip.hex"));
    assert_same_hex(&dir.path("roundtrip.hex"), &dir.path("reference.hex"));
}

/// A deterministic pseudo-random blob (xorshift), so failures reproduce.
fn blob(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Writes `bytes` at `address` as Intel HEX with srec_cat, with extra options.
fn srec_hex(dir: &Dir, name: &str, bytes: &[u8], address: u32, extra: &[&str]) -> PathBuf {
    let bin = dir.path(&format!("{name}.bin"));
    fs::write(&bin, bytes).unwrap();
    let offset = format!("{address:#x}");
    let mut args = vec![bin.to_str().unwrap(), "-binary", "-offset", &offset];
    let out = dir.arg(name);
    args.extend(["-o", &out, "-intel"]);
    args.extend(extra);
    run("srec_cat", &args);
    dir.path(name)
}

#[test]
fn hex_from_srec_cat_in_every_addressing_mode_reads_the_same() {
    let dir = Dir::new();
    /// One HEX file written by srec_cat.
    struct Case {
        name: &'static str,
        address: u32,
        len: usize,
        options: &'static [&'static str],
        /// The extended address record type the file must use, if any.
        extended: Option<&'static str>,
    }
    let cases = [
        // i32hex: 04 records, 05 start address.
        Case {
            name: "linear.hex",
            address: 0x0800_F000,
            len: 0x3_0000,
            options: &["-execution-start-address=0x08000189"],
            extended: Some("04"),
        },
        // i16hex (-address-length=3): 02 records, 03 start address.
        Case {
            name: "segment.hex",
            address: 0x1_2340,
            len: 0x2_0000,
            options: &["-address-length=3", "-execution-start-address=0x12345"],
            extended: Some("02"),
        },
        // i8hex (-address-length=2): plain 16-bit addresses, no extended records.
        Case {
            name: "i8hex.hex",
            address: 0x0100,
            len: 0xF000,
            options: &["-address-length=2"],
            extended: None,
        },
    ];
    for Case {
        name,
        address,
        len,
        options,
        extended,
    } in cases
    {
        let hex = srec_hex(&dir, name, &blob(len, address), address, options);
        let text = fs::read_to_string(&hex).unwrap();
        for kind in ["02", "04"] {
            let present = text.lines().any(|l| l.get(7..9) == Some(kind));
            assert_eq!(present, extended == Some(kind), "{kind} records in {name}");
        }
        // Each tool rewrites the file as linear HEX; the two must agree.
        let ours = dir.path(&format!("{name}.ours.hex"));
        let theirs = dir.path(&format!("{name}.srec.hex"));
        convert(hex.to_str().unwrap(), ours.to_str().unwrap(), &[]);
        run(
            "srec_cat",
            &[
                hex.to_str().unwrap(),
                "-intel",
                "-o",
                theirs.to_str().unwrap(),
                "-intel",
            ],
        );
        assert_same_hex(&ours, &theirs);
    }
}

#[test]
fn segment_wrap_matches_srec_cat() {
    // 02 record for segment 0x1000, then a record at offset 0xFFFE that
    // wraps to offset 0 of the same segment, as the format defines.
    let dir = Dir::new();
    let hex = dir.path("wrap.hex");
    fs::write(&hex, ":020000021000EC\n:04FFFE000102030AEF\n:00000001FF\n").unwrap();
    convert(hex.to_str().unwrap(), &dir.arg("ours.hex"), &[]);
    run(
        "srec_cat",
        &[
            hex.to_str().unwrap(),
            "-intel",
            "-o",
            &dir.arg("srec.hex"),
            "-intel",
        ],
    );
    assert_same_hex(&dir.path("ours.hex"), &dir.path("srec.hex"));
}

#[test]
fn our_hex_output_is_read_by_srec_cat_as_the_same_image() {
    let dir = Dir::new();
    let hex = srec_hex(
        &dir,
        "in.hex",
        &blob(0x2_1000, 7),
        0x0800_FF00,
        &["-execution-start-address=0x08000101"],
    );
    for length in ["1", "16", "255"] {
        let ours = dir.path(&format!("ours{length}.hex"));
        convert(
            hex.to_str().unwrap(),
            ours.to_str().unwrap(),
            &["--record-length", length],
        );
        assert_same_hex(&ours, &hex);
    }
}

#[test]
fn merge_matches_srec_cat() {
    let dir = Dir::new();
    let kernel = srec_hex(
        &dir,
        "kernel.hex",
        &blob(0x1_8000, 1),
        0x0800_0000,
        &["-execution-start-address=0x08000189"],
    );
    // Adjacent to the kernel and then a gap: both kinds of neighbour.
    let user = srec_hex(&dir, "user.hex", &blob(0x8000, 2), 0x0801_8000, &[]);
    let config = srec_hex(&dir, "config.hex", &blob(0x100, 3), 0x080F_0000, &[]);
    let (k, u, c) = (
        kernel.to_str().unwrap(),
        user.to_str().unwrap(),
        config.to_str().unwrap(),
    );
    mcu_build(&["hex", "merge", k, u, c, "-o", &dir.arg("ours.hex")]);
    run(
        "srec_cat",
        &[
            k,
            "-intel",
            u,
            "-intel",
            c,
            "-intel",
            "-o",
            &dir.arg("srec.hex"),
            "-intel",
        ],
    );
    assert_same_hex(&dir.path("ours.hex"), &dir.path("srec.hex"));
}
