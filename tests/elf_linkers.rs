//! ELF files as real linkers make them load as objcopy loads them: random
//! Cortex-M layouts (flash origins, vector table offsets, section sizes and
//! alignments, `.data` stored in flash or absent, a second flash region)
//! linked with both GNU ld (`arm-none-eabi-ld`) and LLVM's ld.lld
//! (`rust-lld -flavor gnu`) must load the same bytes at the same addresses
//! as `arm-none-eabi-objcopy -O ihex` outputs, although ld.lld puts the ELF
//! and program headers in a PT_LOAD segment of their own and GNU ld puts
//! them in the first one when the vector table is above the flash origin.
//! The section check sees the same: `.init_array` and TLS templates in user
//! flash pass. `scripts/test` installs the tools.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Dir, layout, run};
use mcu_build::image::elf::{self, SkipReason};
use mcu_build::image::ihex;
use proptest::prelude::*;

/// `rust-lld` from the Rust toolchain that builds the tests.
fn rust_lld() -> PathBuf {
    let sysroot = run(Command::new("rustc").args(["--print", "sysroot"]));
    let version = run(Command::new("rustc").arg("-vV"));
    let host = version
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host");
    Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(host)
        .join("bin/rust-lld")
}

/// The two linkers, each as a command that takes `-T script object -o out`.
fn linkers() -> [(&'static str, Command); 2] {
    let mut lld = Command::new(rust_lld());
    lld.args(["-flavor", "gnu"]);
    [("ld", Command::new("arm-none-eabi-ld")), ("ld.lld", lld)]
}

/// One input section: its kind, alignment and bytes.
#[derive(Clone, Debug)]
struct Piece {
    align: u32,
    bytes: Vec<u8>,
}

/// A random firmware layout.
#[derive(Clone, Debug)]
struct Layout {
    flash_origin: u32,
    /// Offset of `.vector_table` from the flash origin.
    vector_offset: u32,
    text: Vec<Piece>,
    rodata: Vec<Piece>,
    /// `.data`, run in SRAM and stored in flash; may be empty.
    data: Vec<Piece>,
    bss: u32,
    /// A section in a second flash region (a config block).
    config: Option<Piece>,
}

fn piece(max_len: usize) -> impl Strategy<Value = Piece> {
    (
        prop::sample::select(vec![1u32, 2, 4, 8, 16, 64, 256]),
        prop::collection::vec(any::<u8>(), 1..max_len),
    )
        .prop_map(|(align, bytes)| Piece { align, bytes })
}

fn layouts() -> impl Strategy<Value = Layout> {
    (
        prop::sample::select(vec![0u32, 0x4000, 0x0800_0000, 0x1000_0000, 0x0002_7000]),
        prop::sample::select(vec![0u32, 0x40, 0x200, 0x1000]),
        prop::collection::vec(piece(200), 1..4),
        prop::collection::vec(piece(300), 0..3),
        prop::collection::vec(piece(64), 0..3),
        0u32..256,
        prop::option::of(piece(40)),
    )
        .prop_map(
            |(flash_origin, vector_offset, text, rodata, data, bss, config)| Layout {
                flash_origin,
                vector_offset,
                text,
                rodata,
                data,
                bss,
                config,
            },
        )
}

impl Layout {
    /// The assembly source: every piece a section of its own with its
    /// alignment and bytes.
    fn assembly(&self) -> String {
        let mut out = String::from(
            "    .syntax unified\n    .thumb\n    .global reset\n\
             \x20   .section .vector_table,\"a\"\n    .word 0x20001000\n    .word reset + 1\n\
             \x20   .section .text.reset,\"ax\"\n    .thumb_func\nreset:\n    b reset\n",
        );
        let groups = [
            (".text", "ax", &self.text),
            (".rodata", "a", &self.rodata),
            (".data", "aw", &self.data),
        ];
        for (name, flags, pieces) in groups {
            for (i, piece) in pieces.iter().enumerate() {
                out += &section(&format!("{name}.p{i}"), flags, piece);
            }
        }
        if let Some(config) = &self.config {
            out += &section(".config", "a", config);
        }
        out += &format!(
            "    .section .bss,\"aw\",%nobits\n    .space {}\n",
            self.bss + 1
        );
        out
    }

    fn script(&self) -> String {
        format!(
            "MEMORY {{\n\
             \x20 FLASH : ORIGIN = {:#x}, LENGTH = 1M\n\
             \x20 CONFIG : ORIGIN = 0x30000000, LENGTH = 4K\n\
             \x20 RAM : ORIGIN = 0x20000000, LENGTH = 64K\n\
             }}\n\
             ENTRY(reset)\n\
             SECTIONS {{\n\
             \x20 .vector_table ORIGIN(FLASH) + {:#x} : {{ KEEP(*(.vector_table)) }} > FLASH\n\
             \x20 .text : {{ *(.text*) }} > FLASH\n\
             \x20 .rodata : {{ *(.rodata*) }} > FLASH\n\
             \x20 .data : {{ *(.data*) }} > RAM AT > FLASH\n\
             \x20 .bss (NOLOAD) : {{ *(.bss*) }} > RAM\n\
             \x20 .config : {{ KEEP(*(.config)) }} > CONFIG\n\
             \x20 /DISCARD/ : {{ *(.ARM.exidx*) *(.ARM.attributes) }}\n\
             }}\n",
            self.flash_origin, self.vector_offset
        )
    }
}

/// One assembly section holding `piece`.
fn section(name: &str, flags: &str, piece: &Piece) -> String {
    let bytes: Vec<String> = piece.bytes.iter().map(|b| b.to_string()).collect();
    format!(
        "    .section {name},\"{flags}\"\n    .balign {}\n    .byte {}\n",
        piece.align,
        bytes.join(",")
    )
}

/// Assembles `source` into `dir/name.o`.
fn assemble(dir: &Dir, name: &str, source: &str) -> String {
    let (source_path, object) = (dir.arg(&format!("{name}.s")), dir.arg(&format!("{name}.o")));
    dir.write(&format!("{name}.s"), source);
    run(Command::new("arm-none-eabi-as").args(["-mcpu=cortex-m4", &source_path, "-o", &object]));
    object
}

/// Links `object` with `script` by `linker` into `dir/out`.
fn link(dir: &Dir, mut linker: Command, script: &str, object: &str, out: &str) -> PathBuf {
    let script_path = dir.write("link.ld", script);
    run(linker
        .arg("-T")
        .arg(&script_path)
        .arg(object)
        .arg("-o")
        .arg(dir.path(out)));
    dir.path(out)
}

/// What `arm-none-eabi-objcopy -O ihex` makes of `elf`, read back.
fn objcopy_image(dir: &Dir, elf: &Path) -> mcu_build::image::Image {
    let hex = dir.path("objcopy.hex");
    run(Command::new("arm-none-eabi-objcopy")
        .args(["-O", "ihex"])
        .arg(elf)
        .arg(&hex));
    ihex::read(&std::fs::read(hex).unwrap()).unwrap().image
}

proptest! {
    // Each case assembles once and links twice: a few seconds in all.
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn both_linkers_outputs_load_as_objcopy_loads_them(layout_case in layouts()) {
        let dir = Dir::new();
        let object = assemble(&dir, "app", &layout_case.assembly());
        let script = layout_case.script();
        for (name, linker) in linkers() {
            let elf_path = link(&dir, linker, &script, &object, &format!("{name}.elf"));
            let ours = elf::read(&std::fs::read(&elf_path).unwrap()).unwrap();
            let theirs = objcopy_image(&dir, &elf_path);
            prop_assert_eq!(layout(&ours.image), layout(&theirs), "{} linked", name);
            // objcopy writes the entry point as an 05 record, or as 03
            // (CS:IP) when it is below 1 MiB.
            let entry = |image: &mcu_build::image::Image| image.start_address().map(|s| s.address());
            prop_assert_eq!(entry(&ours.image), entry(&theirs), "{}", name);
            // Nothing below the vector table: the headers are never loaded.
            let lowest = ours.image.extent().unwrap().start;
            prop_assert_eq!(lowest, u64::from(layout_case.flash_origin + layout_case.vector_offset));
        }
    }
}

/// The reproducer: FLASH at 0x4000 with the vector table at its
/// origin, linked by ld.lld, which puts the ELF and program headers in a
/// PT_LOAD segment at 0x0.
fn lld_reproducer(dir: &Dir) -> PathBuf {
    let layout_case = Layout {
        flash_origin: 0x4000,
        vector_offset: 0,
        text: vec![Piece {
            align: 2,
            bytes: vec![0x70, 0x47],
        }],
        rodata: vec![],
        data: vec![Piece {
            align: 4,
            bytes: vec![0xEF, 0xBE, 0xAD, 0xDE],
        }],
        bss: 4,
        config: None,
    };
    let object = assemble(dir, "app", &layout_case.assembly());
    let [_, (_, lld)] = linkers();
    link(dir, lld, &layout_case.script(), &object, "app.elf")
}

#[test]
fn hex_info_says_which_bytes_of_an_ld_lld_elf_it_skipped_and_why() {
    let dir = Dir::new();
    let elf_path = lld_reproducer(&dir);
    let file = elf::read(&std::fs::read(&elf_path).unwrap()).unwrap();
    assert_eq!(file.image.extent().unwrap().start, 0x4000);
    let headers = &file.info.skipped[0];
    assert_eq!((headers.address, headers.reason), (0, SkipReason::Headers));
    let output = assert_cmd::Command::cargo_bin("mcu-build")
        .unwrap()
        .args(["hex", "info"])
        .arg(&elf_path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).unwrap();
    let expected = format!(
        "note         skipped {} bytes of PT_LOAD #{} at 0x00000000 that no section holds \
         (ELF/program headers)",
        headers.bytes, headers.segment
    );
    assert!(text.contains(&expected), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("0x00004000")),
        "{text}"
    );
    assert!(!text.contains("0x00000000   0x"), "no data at 0: {text}");
}

/// GNU ld puts the headers, and the padding up to the vector table, at the
/// start of the first segment when the vector table is above the flash
/// origin (here 0x200 above it): the loader skips them and says so.
#[test]
fn gnu_ld_headers_before_an_offset_vector_table_are_skipped() {
    let dir = Dir::new();
    let layout_case = Layout {
        flash_origin: 0x0800_0000,
        vector_offset: 0x200,
        text: vec![Piece {
            align: 2,
            bytes: vec![0x70, 0x47],
        }],
        rodata: vec![],
        data: vec![],
        bss: 0,
        config: None,
    };
    let object = assemble(&dir, "app", &layout_case.assembly());
    let [(_, ld), _] = linkers();
    let elf_path = link(&dir, ld, &layout_case.script(), &object, "app.elf");
    let file = elf::read(&std::fs::read(&elf_path).unwrap()).unwrap();
    assert_eq!(file.image.extent().unwrap().start, 0x0800_0200);
    assert_eq!(
        file.info.skipped[0].to_string(),
        "skipped 512 bytes of PT_LOAD #0 at 0x08000000 that no section holds \
         (ELF/program headers and padding)"
    );
    assert_eq!(layout(&file.image), layout(&objcopy_image(&dir, &elf_path)));
}

/// A user blob as NuttX links it: `.init_array` (as `.init_section`) and a
/// TLS template (`.tdata`, `.tbss`) in user flash, which nothing writes at
/// their flash address, pass `mpu check --user-elf`; `.data` in flash does
/// not.
#[test]
fn mpu_check_lets_init_arrays_and_tls_templates_sit_in_user_flash() {
    let dir = Dir::new();
    let source = "    .syntax unified\n    .thumb\n    .global reset\n\
                  \x20   .text\n    .thumb_func\nreset:\n    b reset\n\
                  \x20   .section .init_array,\"aw\",%init_array\n    .word reset + 1\n\
                  \x20   .section .fini_array,\"aw\",%fini_array\n    .word reset + 1\n\
                  \x20   .section .preinit_array,\"aw\",%preinit_array\n    .word reset + 1\n\
                  \x20   .section .tdata,\"awT\",%progbits\n    .word 7\n\
                  \x20   .section .tbss,\"awT\",%nobits\n    .space 8\n\
                  \x20   .section .data,\"aw\"\n    .word 5\n";
    let object = assemble(&dir, "user", source);
    // stm32f4discovery's default plan: user flash at 0x08020000, user SRAM
    // at 0x20008000.
    let script = |data_in: &str| {
        format!(
            "ENTRY(reset)\n\
             SECTIONS {{\n\
             \x20 .text 0x08020000 : {{ *(.text*) }}\n\
             \x20 .init_section : {{ KEEP(*(.preinit_array)) KEEP(*(.init_array)) \
             KEEP(*(.fini_array)) }}\n\
             \x20 .tdata : {{ *(.tdata*) }}\n\
             \x20 .tbss : {{ *(.tbss*) }}\n\
             \x20 .data {data_in} {{ *(.data*) }}\n\
             \x20 /DISCARD/ : {{ *(.ARM.exidx*) *(.ARM.attributes) }}\n\
             }}\n"
        )
    };
    let check = |elf_path: &Path| {
        let mut cmd = assert_cmd::Command::cargo_bin("mcu-build").unwrap();
        cmd.args(["mpu", "check", "--board", "stm32f4discovery", "--user-elf"])
            .arg(elf_path);
        cmd.assert()
    };
    let [(_, ld), _] = linkers();
    let good = link(
        &dir,
        ld,
        &script("0x20008000 : AT(0x08020100)"),
        &object,
        "good.elf",
    );
    check(&good).success();
    let [(_, ld), _] = linkers();
    let bad = link(&dir, ld, &script(":"), &object, "bad.elf");
    let output = check(&bad).code(1).get_output().stdout.clone();
    let text = String::from_utf8(output).unwrap();
    assert!(
        text.contains(".data is writable but partition user-flash is flash"),
        "{text}"
    );
    assert!(!text.contains(".init_section"), "{text}");
    assert!(!text.contains(".tdata"), "{text}");
    assert!(!text.contains(".tbss"), "{text}");
}

/// An ELF written with extended numbering (70,000 segments, more than
/// `e_phnum` holds) is read by binutils as the same image.
#[test]
fn objcopy_reads_our_extended_numbering_elf_as_the_same_image() {
    let dir = Dir::new();
    let mut image = mcu_build::image::Image::new();
    for i in 0..70_000u32 {
        image
            .insert(
                0x0800_0000 + 2 * i,
                &[i as u8],
                mcu_build::image::OverlapPolicy::Error,
            )
            .unwrap();
    }
    let elf_path = dir.write("many.elf", elf::write(&image));
    let headers = run(Command::new("arm-none-eabi-readelf")
        .arg("-h")
        .arg(&elf_path));
    assert!(
        headers.contains("Number of program headers:         65535 (70000)"),
        "{headers}"
    );
    assert_eq!(layout(&objcopy_image(&dir, &elf_path)), layout(&image));
}
