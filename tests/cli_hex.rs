//! The `hex` commands as a user runs them: outputs, messages, exit codes,
//! and an existing output untouched by a failure.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{Dir, TestSegment, build_elf};
use mcu_build::image::ihex::{self, RecordLength};
use mcu_build::image::{Image, OverlapPolicy, StartAddress};
use predicates::prelude::*;
use predicates::str::contains;

impl Dir {
    /// Writes an Intel HEX file with `data` at `address` and a start address.
    fn hex(&self, name: &str, address: u32, data: &[u8], start: Option<u32>) -> PathBuf {
        let mut image = Image::new();
        image.insert(address, data, OverlapPolicy::Error).unwrap();
        image.set_start_address(start.map(|address| StartAddress::Linear { address }));
        self.write(name, ihex::write(&image, RecordLength::default()))
    }

    fn mcu_build(&self) -> Command {
        let mut cmd = Command::cargo_bin("mcu-build").unwrap();
        cmd.current_dir(self.0.path());
        cmd
    }
}

fn load(path: &Path) -> Image {
    ihex::read(&fs::read(path).unwrap()).unwrap().image
}

#[test]
fn merge_keeps_the_first_inputs_start_address_and_warns_about_the_other() {
    let dir = Dir::new();
    dir.hex("nuttx.hex", 0x0800_0000, &[1; 64], Some(0x0800_0189));
    dir.hex("nuttx_user.hex", 0x0802_0000, &[2; 64], Some(0x0802_0001));
    dir.mcu_build()
        .args([
            "hex",
            "merge",
            "nuttx.hex",
            "nuttx_user.hex",
            "-o",
            "combined.hex",
        ])
        .assert()
        .success()
        .stderr(contains(
            "warning: the inputs have different start addresses: 0x08000189 in nuttx.hex, \
             0x08020001 in nuttx_user.hex; keeping 0x08000189 from nuttx.hex",
        ))
        .stderr(contains(
            "wrote combined.hex (Intel HEX): 128 bytes in 2 segment(s)",
        ));
    let merged = load(&dir.path("combined.hex"));
    assert_eq!(
        merged.start_address(),
        Some(StartAddress::Linear {
            address: 0x0800_0189
        })
    );
    assert_eq!(merged.byte_at(0x0800_003F), Some(1));
    assert_eq!(merged.byte_at(0x0802_0000), Some(2));
}

#[test]
fn merge_entry_choices() {
    let dir = Dir::new();
    dir.hex("a.hex", 0x100, &[1], Some(0x101));
    dir.hex("b.hex", 0x200, &[2], Some(0x201));
    for (entry, expected) in [
        ("last", Some(0x201)),
        ("none", None),
        ("0x1234", Some(0x1234)),
    ] {
        dir.mcu_build()
            .args([
                "hex", "merge", "a.hex", "b.hex", "-o", "m.hex", "--entry", entry,
            ])
            .assert()
            .success();
        let start = load(&dir.path("m.hex"))
            .start_address()
            .map(StartAddress::address);
        assert_eq!(start, expected, "--entry {entry}");
    }
    dir.mcu_build()
        .args([
            "hex", "merge", "a.hex", "b.hex", "-o", "m.hex", "--entry", "middle",
        ])
        .assert()
        .code(2);
}

#[test]
fn merge_conflict_names_both_files_the_range_and_the_bytes_and_keeps_the_earlier_output() {
    let dir = Dir::new();
    dir.hex("kernel.hex", 0x0800_0000, &[0xAA; 32], Some(0x0800_0001));
    dir.hex(
        "user.hex",
        0x0800_0010,
        &[0xAA, 0xAA, 0xBB, 0xAA, 0xCC],
        None,
    );
    // A failed merge leaves an existing output as it was, as cp and objcopy do.
    dir.write("combined.hex", "earlier");
    dir.mcu_build()
        .args(["hex", "merge", "kernel.hex", "user.hex", "-o", "combined.hex"])
        .assert()
        .code(1)
        .stderr(contains(
            "error: user.hex overlaps kernel.hex at 0x08000010..0x08000015 (5 bytes) with different \
             bytes: first difference at 0x08000012: 0xaa in kernel.hex, 0xbb in user.hex",
        ));
    assert_eq!(fs::read(dir.path("combined.hex")).unwrap(), b"earlier");
    let leftovers = fs::read_dir(dir.0.path()).unwrap().count();
    assert_eq!(leftovers, 3, "no temporary files left behind");
}

#[test]
fn merge_overlap_policies() {
    let dir = Dir::new();
    dir.hex("a.hex", 0x10, &[1, 1, 1, 1], None);
    dir.hex("b.hex", 0x12, &[2, 2, 2, 2], None);
    dir.hex("same.hex", 0x12, &[1, 1], None);
    let run = |inputs: &[&str], policy: &str| {
        let mut cmd = dir.mcu_build();
        cmd.args(["hex", "merge"])
            .args(inputs)
            .args(["-o", "m.hex", "--overlap", policy]);
        cmd.assert()
    };
    run(&["a.hex", "same.hex"], "identical").success();
    run(&["a.hex", "same.hex"], "error")
        .code(1)
        .stderr(contains(
            "same.hex overlaps a.hex at 0x00000012..0x00000014 (2 bytes) (--overlap error",
        ));
    run(&["a.hex", "b.hex"], "first").success();
    assert_eq!(load(&dir.path("m.hex")).byte_at(0x13), Some(1));
    run(&["a.hex", "b.hex"], "last").success();
    assert_eq!(load(&dir.path("m.hex")).byte_at(0x13), Some(2));
}

#[test]
fn merge_mixes_formats_detected_by_content_not_extension() {
    let dir = Dir::new();
    // A HEX file named .dat and an ELF named .img are still recognised.
    dir.hex("kernel.dat", 0x0800_0000, &[1; 16], Some(0x0800_0009));
    let elf = build_elf(
        false,
        false,
        0x0802_0001,
        &[TestSegment::load(0x0802_0000, &[2; 16])],
    );
    dir.write("user.img", elf);
    dir.write("blob.bin", [3u8; 16]);
    dir.mcu_build()
        .args([
            "hex",
            "merge",
            "kernel.dat",
            "user.img",
            "blob.bin@0x08040000",
            "-o",
            "all.elf",
        ])
        .assert()
        .success();
    let out = mcu_build::image::elf::read(&fs::read(dir.path("all.elf")).unwrap()).unwrap();
    assert_eq!(out.info.load_segments, 3);
    assert_eq!(
        out.image.start_address().map(StartAddress::address),
        Some(0x0800_0009)
    );
    assert_eq!(out.image.byte_at(0x0804_000F), Some(3));
}

#[test]
fn a_raw_binary_without_an_address_is_refused_with_the_syntax_to_use() {
    let dir = Dir::new();
    dir.write("app.bin", [0u8; 8]);
    dir.mcu_build()
        .args(["hex", "info", "app.bin"])
        .assert()
        .code(1)
        .stderr(contains(
            "app.bin: not an ELF or Intel HEX file; for a raw binary give the address of its first \
             byte, e.g. app.bin@0x08000000",
        ));
    dir.mcu_build()
        .args(["hex", "info", "app.bin@0xZZ"])
        .assert()
        .code(2);
}

#[test]
fn info_lists_segments_start_records_and_crc() {
    let dir = Dir::new();
    dir.write(
        "a.hex",
        ":020000040800F2\n:0400000001020304F2\n:0400100005060708D2\n:040000050800018965\n:00000001FF\n",
    );
    let expected = "a.hex: Intel HEX
  start        end                size
  0x08000000   0x08000004            4
  0x08000010   0x08000014            4
  total        8 bytes in 2 segment(s)
  start        0x08000189
  records      00 data: 2, 01 end of file: 1, 02 ext. segment: 0, 03 start segment: 0, 04 ext. linear: 1, 05 start linear: 1
  crc32        0x3fca88c5
";
    dir.mcu_build()
        .args(["hex", "info", "a.hex"])
        .assert()
        .success()
        .stdout(expected);
    let json = dir
        .mcu_build()
        .args(["hex", "info", "a.hex", "--json"])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value[0]["total_bytes"], 8);
    assert_eq!(value[0]["segments"][1]["start"], 0x0800_0010);
    assert_eq!(value[0]["start_address"]["address"], 0x0800_0189);
    assert_eq!(value[0]["records"]["data"], 2);
    assert_eq!(value[0]["crc32"], "0x3fca88c5");
}

#[test]
fn convert_between_every_format() {
    let dir = Dir::new();
    let elf = build_elf(
        false,
        false,
        0x0800_0101,
        &[
            TestSegment::load(0x0800_0000, &[1; 8]),
            TestSegment::load(0x0800_0010, &[2; 8]),
        ],
    );
    dir.write("k.elf", elf);
    dir.mcu_build()
        .args(["hex", "convert", "k.elf", "-o", "k.hex"])
        .assert()
        .success();
    dir.mcu_build()
        .args(["hex", "convert", "k.hex", "-o", "k.bin", "--fill", "0x00"])
        .assert()
        .success()
        .stderr(contains("first byte at 0x08000000"));
    let mut expected = vec![1u8; 8];
    expected.extend([0; 8]);
    expected.extend([2; 8]);
    assert_eq!(fs::read(dir.path("k.bin")).unwrap(), expected);
    dir.mcu_build()
        .args([
            "hex",
            "convert",
            "k.bin@0x08000000",
            "-o",
            "k2.hex",
            "--record-length",
            "32",
        ])
        .assert()
        .success();
    let text = fs::read_to_string(dir.path("k2.hex")).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with(":18000000")),
        "one 24-byte record:\n{text}"
    );
    dir.mcu_build()
        .args(["hex", "convert", "k.hex", "-o", "k2.elf"])
        .assert()
        .success();
    dir.mcu_build()
        .args(["hex", "diff", "k.elf", "k2.elf"])
        .assert()
        .success();
}

#[test]
fn output_format_comes_from_the_extension_or_format() {
    let dir = Dir::new();
    dir.hex("a.hex", 0, &[1], None);
    dir.mcu_build()
        .args(["hex", "convert", "a.hex", "-o", "a.out.txt"])
        .assert()
        .code(2)
        .stderr(contains("cannot tell the output format from a.out.txt"));
    dir.mcu_build()
        .args([
            "hex",
            "convert",
            "a.hex",
            "-o",
            "a.out.txt",
            "--format",
            "bin",
        ])
        .assert()
        .success();
    assert_eq!(fs::read(dir.path("a.out.txt")).unwrap(), [1]);
}

#[test]
fn record_length_must_be_1_to_255() {
    let dir = Dir::new();
    dir.hex("a.hex", 0, &[1], None);
    for bad in ["0", "256"] {
        dir.mcu_build()
            .args([
                "hex",
                "convert",
                "a.hex",
                "-o",
                "b.hex",
                "--record-length",
                bad,
            ])
            .assert()
            .code(2);
    }
}

#[test]
fn a_binary_with_a_huge_gap_is_refused_unless_the_limit_is_raised() {
    let dir = Dir::new();
    dir.hex("flash.hex", 0x0800_0000, &[1; 4], None);
    dir.hex("ram.hex", 0x2000_0000, &[2; 4], None);
    dir.mcu_build()
        .args(["hex", "merge", "flash.hex", "ram.hex", "-o", "all.bin"])
        .assert()
        .code(1)
        .stderr(contains(
            "all.bin: gap of 0x08000004..0x20000000 (402653180 bytes) between segments is larger \
             than the limit of 16777216 bytes; select the address ranges to write with \
             --range START..END or --exclude START..END",
        ));
    assert!(!dir.path("all.bin").exists());
    dir.hex("near.hex", 0x0800_1000, &[2; 4], None);
    // The gap is 0xFFC bytes: too much for 1K, fine for 4K.
    for (max_gap, status) in [("1K", 1), ("4K", 0)] {
        dir.mcu_build()
            .args(["hex", "merge", "flash.hex", "near.hex", "-o", "all.bin"])
            .args(["--max-gap", max_gap])
            .assert()
            .code(status);
    }
    assert_eq!(fs::metadata(dir.path("all.bin")).unwrap().len(), 0x1004);
}

#[test]
fn diff_lists_ranges_and_exits_1_when_images_differ() {
    let dir = Dir::new();
    dir.hex("a.hex", 0x100, &[1, 2, 3, 4, 5, 6], Some(0x100));
    dir.hex("b.hex", 0x102, &[3, 9, 9, 6, 7, 8], Some(0x100));
    dir.mcu_build()
        .args(["hex", "diff", "a.hex", "b.hex"])
        .assert()
        .code(1)
        .stdout(
            "0x00000100..0x00000102 (2 bytes)  only in a.hex\n\
             0x00000103..0x00000105 (2 bytes)  differ\n\
             0x00000106..0x00000108 (2 bytes)  only in b.hex\n",
        );
    let out = dir
        .mcu_build()
        .args(["hex", "diff", "a.hex", "b.hex", "--json"])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["ranges"][1]["kind"], "differs");
    dir.mcu_build()
        .args(["hex", "diff", "a.hex", "a.hex"])
        .assert()
        .success()
        .stdout(contains("hold the same data and start address"));
}

#[test]
fn diff_reports_a_different_start_address() {
    let dir = Dir::new();
    dir.hex("a.hex", 0x100, &[1], Some(0x100));
    dir.hex("b.hex", 0x100, &[1], Some(0x101));
    dir.mcu_build()
        .args(["hex", "diff", "a.hex", "b.hex"])
        .assert()
        .code(1)
        .stdout("start address: 0x00000100 in a.hex, 0x00000101 in b.hex\n");
}

/// Every malformed-HEX case, through the binary: file:line:column and the
/// problem, exit status 1, and no output file.
#[test]
fn bad_hex_input_is_reported_with_file_line_and_column() {
    let cases = [
        (
            ":0400000001020304F3\n:00000001FF\n",
            "bad.hex:1:18: checksum is 0xF3, record sums to 0xF2",
        ),
        (
            ":0400000001020304F\n",
            "bad.hex:1:18: odd number of hex digits (17)",
        ),
        (
            ":04000000010G0304F2\n",
            "bad.hex:1:13: expected a hex digit, found 'G'",
        ),
        (
            ":00000006FA\n:00000001FF\n",
            "bad.hex:1:8: unknown record type 0x06: expected 00 to 05",
        ),
        (
            ":0500000001020304F1\n",
            "bad.hex:1:2: record declares 5 data bytes (LL = 0x05) but holds 4",
        ),
        (
            ":0400000001020304F2\n",
            "bad.hex:2:1: missing end-of-file record",
        ),
        (
            ":00000001FF\n:0400000001020304F2\n",
            "bad.hex:2:1: data after the end-of-file record (line 1)",
        ),
        (
            ":02000004FFFFFC\n:04FFFE0001020304F5\n:00000001FF\n",
            "bad.hex:2:4: data at 0xfffffffe..0x100000002 (4 bytes) runs past the end of the 32-bit address space",
        ),
        (
            ":020000040800F2\n  x\n",
            "bad.hex:2:1: expected ':' at the start of a record, found ' '",
        ),
    ];
    for (text, message) in cases {
        let dir = Dir::new();
        dir.write("bad.hex", text);
        dir.mcu_build()
            .args(["hex", "convert", "bad.hex", "-o", "out.bin"])
            .assert()
            .code(1)
            .stderr(contains(message).and(contains("panicked").not()));
        assert!(!dir.path("out.bin").exists(), "{message}");
    }
}

#[test]
fn of_many_bad_inputs_the_first_on_the_command_line_is_reported() {
    let dir = Dir::new();
    let mut args = vec!["hex".to_owned(), "merge".to_owned()];
    for i in 0..12u32 {
        let name = format!("in{i:02}.hex");
        dir.hex(&name, 0x0800_0000 + i * 0x100, &[i as u8; 16], None);
        args.push(name);
    }
    // Inputs 5 and 9 are broken: 5 in its last line, after 4096 good
    // records, 9 in its first, so that 9 is likely to fail first.
    let mut long = Image::new();
    long.insert(0x0900_0000, &[0x5A; 65536], OverlapPolicy::Error)
        .unwrap();
    let mut text = String::from_utf8(ihex::write(&long, RecordLength::default())).unwrap();
    text.truncate(text.len() - ":00000001FF\n".len());
    text += ":0400000001020304F3\n";
    let bad_line = text.lines().count();
    dir.write("in05.hex", text);
    dir.write("in09.hex", "not hex\n");
    args.extend(["-o".to_owned(), "all.hex".to_owned()]);
    dir.mcu_build().args(&args).assert().code(1).stderr(
        contains(format!("in05.hex:{bad_line}:18: checksum is 0xF3")).and(contains("in09").not()),
    );
    assert!(!dir.path("all.hex").exists());
}

#[test]
fn inputs_may_be_pipes() {
    let dir = Dir::new();
    let elf = build_elf(
        false,
        false,
        0x1001,
        &[TestSegment::load(0x1000, &[7; 300])],
    );
    let hex = fs::read(dir.hex("in.hex", 0x2000, &[9; 300], None)).unwrap();
    for (bytes, format) in [(elf, "ELF"), (hex, "Intel HEX")] {
        dir.mcu_build()
            .args(["hex", "info", "/dev/stdin"])
            .write_stdin(bytes)
            .assert()
            .success()
            .stdout(contains(format!("/dev/stdin: {format}")).and(contains("300 bytes")));
    }
}

#[test]
fn bad_elf_input_names_the_byte_offset() {
    let dir = Dir::new();
    let mut elf = build_elf(false, false, 0, &[TestSegment::load(0x1000, &[1; 64])]);
    elf.truncate(elf.len() - 10);
    dir.write("cut.elf", elf);
    dir.mcu_build()
        .args(["hex", "info", "cut.elf"])
        .assert()
        .code(1)
        .stderr(contains(
            "cut.elf: byte offset 0x34: program header 0 (PT_LOAD) has 0x40 file bytes",
        ));
}

/// A raw binary must fit below 4 GiB from its base; an endless source
/// (`/dev/zero`) is read only one byte past that, not until memory runs out.
#[test]
fn a_binary_that_runs_past_4g_names_the_offset() {
    let dir = Dir::new();
    dir.write("big.bin", [0u8; 32]);
    for (input, expected) in [
        (
            "big.bin@0xFFFFFFF0",
            "big.bin: byte offset 0x10: loaded at 0xfffffff0, the file runs past 0xFFFFFFFF \
             (expected at most 0x10 bytes at that base)",
        ),
        (
            "/dev/zero@0xFFFFF000",
            "/dev/zero: byte offset 0x1000: loaded at 0xfffff000, the file runs past 0xFFFFFFFF",
        ),
    ] {
        dir.mcu_build()
            .args(["hex", "info", input])
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(1)
            .stderr(contains(expected));
    }
}

#[test]
fn missing_input_and_usage_errors() {
    let dir = Dir::new();
    dir.mcu_build()
        .args(["hex", "info", "nope.hex"])
        .assert()
        .code(1)
        .stderr(contains("cannot read nope.hex"));
    dir.mcu_build()
        .args(["hex", "merge", "-o", "x.hex"])
        .assert()
        .code(2);
    dir.mcu_build().args(["hex", "frobnicate"]).assert().code(2);
}

#[test]
fn every_command_has_help_with_examples() {
    for command in ["merge", "info", "convert", "diff"] {
        Command::cargo_bin("mcu-build")
            .unwrap()
            .args(["hex", command, "--help"])
            .assert()
            .success()
            .stdout(contains("Examples:"));
    }
}

#[test]
fn a_binary_spanning_more_than_the_size_limit_is_refused_unless_raised() {
    // A 4-byte record in each of 4097 64 KiB pages: no gap reaches the
    // 16 MiB gap limit, but the binary would span 256 MiB + 4 bytes.
    let dir = Dir::new();
    let mut image = Image::new();
    for page in 0..4097u32 {
        image
            .insert(page << 16, &[0xA5; 4], OverlapPolicy::Error)
            .unwrap();
    }
    dir.write("pages.hex", ihex::write(&image, RecordLength::default()));
    dir.mcu_build()
        .args(["hex", "convert", "pages.hex", "-o", "pages.bin"])
        .assert()
        .code(1)
        .stderr(contains(
            "pages.bin: the binary would span 0x00000000..0x10000004 (268435460 bytes), more than \
             the limit of 268435456 bytes; select the address ranges to write with --range \
             START..END or --exclude START..END, or raise the limit with --max-size",
        ));
    assert!(!dir.path("pages.bin").exists());
    // A range selects the first two pages; the limit bounds smaller files too.
    dir.mcu_build()
        .args(["hex", "convert", "pages.hex", "-o", "two.bin"])
        .args(["--range", "0..0x20000", "--max-size", "0x10004"])
        .assert()
        .success();
    let mut expected = vec![0xA5; 4];
    expected.resize(0x10000, 0xFF);
    expected.extend([0xA5; 4]);
    assert_eq!(fs::read(dir.path("two.bin")).unwrap(), expected);
    dir.mcu_build()
        .args(["hex", "convert", "pages.hex", "-o", "two.bin"])
        .args(["--range", "0..0x20000", "--max-size", "0x10003"])
        .assert()
        .code(1)
        .stderr(contains("more than the limit of 65539 bytes"));
}

#[test]
fn range_and_exclude_select_the_data_written() {
    let dir = Dir::new();
    dir.hex("flash.hex", 0x0800_0000, &[1; 0x20], Some(0x0800_0001));
    dir.hex("ram.hex", 0x2000_0000, &[2; 4], None);
    dir.mcu_build()
        .args(["hex", "merge", "flash.hex", "ram.hex", "-o", "flash.bin"])
        .args(["--range", "0x08000000..0x08100000"])
        .args(["--exclude", "0x08000010..0x08000018"])
        .assert()
        .success();
    let mut expected = vec![1; 0x10];
    expected.extend([0xFF; 8]);
    expected.extend([1; 8]);
    assert_eq!(fs::read(dir.path("flash.bin")).unwrap(), expected);
    dir.mcu_build()
        .args(["hex", "convert", "ram.hex", "-o", "none.hex"])
        .args(["--exclude", "0x20000000..0x20000002"])
        .assert()
        .success();
    let rest = load(&dir.path("none.hex"));
    assert_eq!(
        rest.ranges().collect::<Vec<_>>(),
        vec![0x2000_0002..0x2000_0004]
    );
    for (bad, message) in [
        (
            "0x100",
            "expected START..END such as 0x08000000..0x08100000",
        ),
        (
            "0x200..0x100",
            "\"0x200..0x100\" is empty: END must be above START",
        ),
        ("0..08000000", "did you mean 0x08000000?"),
    ] {
        dir.mcu_build()
            .args(["hex", "convert", "ram.hex", "-o", "x.hex", "--range", bad])
            .assert()
            .code(2)
            .stderr(contains(message));
    }
}

#[test]
fn an_address_with_a_leading_zero_is_refused_with_the_hexadecimal_spelling() {
    let dir = Dir::new();
    dir.write("x.bin", [0u8; 8]);
    dir.mcu_build()
        .args(["hex", "info", "x.bin@08000000"])
        .assert()
        .code(2)
        .stderr(contains("did you mean 0x08000000?"));
    for bad in ["x.bin@1_", "x.bin@+5"] {
        dir.mcu_build()
            .args(["hex", "info", bad])
            .assert()
            .code(2)
            .stderr(contains("expected a number such as 0x08020000"));
    }
    // A path with an @ in a directory name is still a path.
    fs::create_dir(dir.path("build@2")).unwrap();
    dir.hex("build@2/app.hex", 0x100, &[1], None);
    dir.mcu_build()
        .args(["hex", "info", "build@2/app.hex"])
        .assert()
        .success();
    dir.mcu_build()
        .args(["hex", "info", "x.bin@1G"])
        .assert()
        .success()
        .stdout(contains("binary at 0x40000000"));
}

#[test]
fn a_merge_that_takes_a_later_inputs_start_address_says_so() {
    let dir = Dir::new();
    dir.write("nuttx.bin", [1u8; 64]);
    dir.hex("nuttx_user.hex", 0x0802_0000, &[2; 64], Some(0x0802_0001));
    dir.mcu_build()
        .args([
            "hex",
            "merge",
            "nuttx.bin@0x0",
            "nuttx_user.hex",
            "-o",
            "combined.hex",
        ])
        .assert()
        .success()
        .stderr(contains(
            "warning: the start address 0x08020001 comes from nuttx_user.hex (input 2), because \
             the first input, nuttx.bin@0x00000000, has none; if the first input is the kernel, \
             give its entry with --entry ADDR",
        ))
        .stderr(contains("start address 0x08020001 from nuttx_user.hex"));
    dir.mcu_build()
        .args([
            "hex",
            "merge",
            "nuttx.bin@0x0",
            "nuttx_user.hex",
            "-o",
            "combined.hex",
        ])
        .args(["--entry", "0x00000189"])
        .assert()
        .success()
        .stderr(contains("warning").not())
        .stderr(contains("start address 0x00000189 from --entry"));
}

#[test]
fn a_hex_file_with_a_byte_order_mark_and_a_trailing_ctrl_z_is_read() {
    let dir = Dir::new();
    let body = ":0400000001020304F2\n:00000001FF\n";
    dir.write("dos.hex", format!("\u{FEFF}{body}\x1a"));
    dir.mcu_build()
        .args(["hex", "info", "dos.hex"])
        .assert()
        .success()
        .stdout(contains("dos.hex: Intel HEX").and(contains("4 bytes in 1 segment(s)")));
    dir.write("cut.hex", ":0400000001020304F2\x1a\n:00000001FF\n");
    dir.mcu_build()
        .args(["hex", "info", "cut.hex"])
        .assert()
        .code(1)
        .stderr(contains(
            "cut.hex:1:20: Ctrl-Z (0x1A, end of text) before the end-of-file record",
        ));
}

#[test]
fn an_elf_with_an_unknown_class_names_it() {
    let dir = Dir::new();
    let mut elf = build_elf(false, false, 0, &[TestSegment::load(0x1000, &[1; 4])]);
    elf[4] = 3;
    dir.write("odd.elf", elf);
    dir.mcu_build()
        .args(["hex", "info", "odd.elf"])
        .assert()
        .code(1)
        .stderr(contains(
            "odd.elf: byte offset 0x4: unknown ELF class 3 (EI_CLASS): expected 1 (ELFCLASS32) \
             or 2 (ELFCLASS64)",
        ));
}

#[test]
fn an_image_without_a_start_address_keeps_none_through_elf() {
    let dir = Dir::new();
    dir.hex("nostart.hex", 0x0800_0000, &[1; 32], None);
    dir.hex("user.hex", 0x0802_0000, &[2; 32], Some(0x0802_0001));
    dir.mcu_build()
        .args(["hex", "convert", "nostart.hex", "-o", "ns.elf"])
        .assert()
        .success();
    dir.mcu_build()
        .args(["hex", "diff", "nostart.hex", "ns.elf"])
        .assert()
        .success()
        .stdout(contains("hold the same data and start address"));
    dir.mcu_build()
        .args(["hex", "merge", "ns.elf", "user.hex", "-o", "merged.hex"])
        .assert()
        .success();
    assert_eq!(
        load(&dir.path("merged.hex")).start_address(),
        Some(StartAddress::Linear {
            address: 0x0802_0001
        })
    );
}
