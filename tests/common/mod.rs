//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test crate uses its own subset

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub mod external;
pub mod nuttx_tree;
pub mod small_board;
#[allow(unused_imports)] // as above: not every test crate reads NuttX's files
pub use external::nuttx_testdata;

use mcu_build::image::{Image, OverlapPolicy};
use object::Endianness;
use object::elf;
use object::write::elf::{FileHeader, ProgramHeader, Writer};

/// One program header of a test ELF.
pub struct TestSegment<'a> {
    pub kind: u32,
    pub paddr: u64,
    pub vaddr: u64,
    pub data: &'a [u8],
    pub memsz: u64,
}

impl<'a> TestSegment<'a> {
    /// A PT_LOAD whose load and run addresses are equal and that has no .bss.
    pub fn load(address: u64, data: &'a [u8]) -> Self {
        TestSegment {
            kind: elf::PT_LOAD,
            paddr: address,
            vaddr: address,
            data,
            memsz: data.len() as u64,
        }
    }
}

/// Builds an executable ELF of either class and byte order, with the
/// segments' file bytes laid out one after another.
pub fn build_elf(
    is_64: bool,
    big_endian: bool,
    entry: u64,
    segments: &[TestSegment<'_>],
) -> Vec<u8> {
    let endian = if big_endian {
        Endianness::Big
    } else {
        Endianness::Little
    };
    let mut buffer = Vec::new();
    let mut writer = Writer::new(endian, is_64, &mut buffer);
    writer.reserve_file_header();
    writer.reserve_program_headers(segments.len() as u32);
    let offsets: Vec<usize> = segments
        .iter()
        .map(|s| writer.reserve(s.data.len(), 1))
        .collect();
    writer
        .write_file_header(&FileHeader {
            os_abi: 0,
            abi_version: 0,
            e_type: elf::ET_EXEC,
            e_machine: elf::EM_ARM,
            e_entry: entry,
            e_flags: 0,
        })
        .unwrap();
    writer.write_align_program_headers();
    for (segment, offset) in segments.iter().zip(&offsets) {
        writer.write_program_header(&ProgramHeader {
            p_type: segment.kind,
            p_flags: elf::PF_R,
            p_offset: *offset as u64,
            p_vaddr: segment.vaddr,
            p_paddr: segment.paddr,
            p_filesz: segment.data.len() as u64,
            p_memsz: segment.memsz,
            p_align: 1,
        });
    }
    for segment in segments {
        writer.write(segment.data);
    }
    buffer
}

/// The syscall.csv written for the tests: one entry for each form that
/// NuttX's format takes (quoting, spacing, CRLF, comments, conditions,
/// return kinds, the four parameter forms, `...`, six parameters).
pub const FORMAT_CSV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/syscall/format.csv");

/// An image from (address, bytes) pairs that must not overlap.
pub fn image_of(parts: &[(u32, Vec<u8>)]) -> Image {
    let mut image = Image::new();
    for (address, data) in parts {
        image.insert(*address, data, OverlapPolicy::Error).unwrap();
    }
    image
}

/// The image's segments as owned (address, bytes) pairs, for comparisons.
pub fn layout(image: &Image) -> Vec<(u32, Vec<u8>)> {
    image
        .segments()
        .map(|s| (s.address, s.data.to_vec()))
        .collect()
}

/// A temporary directory that tests write their files into.
pub struct Dir(pub tempfile::TempDir);

impl Dir {
    pub fn new() -> Self {
        Dir(tempfile::tempdir().unwrap())
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    /// The path of `name` as a command-line argument.
    pub fn arg(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_owned()
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// Checks the demo's sleep line in a QEMU console: the user blob asked the
/// kernel timer for 20 ms. QEMU's virtual clock follows the host's, so a
/// loaded machine oversleeps by a tick or more; waking early is the bug.
pub fn assert_slept_20_ms(console: &str) {
    let slept: u32 = console
        .lines()
        .find_map(|line| line.strip_prefix("user: slept "))
        .and_then(|rest| rest.split_once(' '))
        .and_then(|(milliseconds, _)| milliseconds.parse().ok())
        .unwrap_or_else(|| panic!("no sleep line:\n{console}"));
    assert!(
        (20..200).contains(&slept),
        "slept {slept} ms for 20:\n{console}"
    );
}

/// Runs a command and returns its output and error text, failing the test
/// with both if it cannot start or fails.
pub fn run(command: &mut std::process::Command) -> String {
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run {command:?}: {e} (scripts/test installs the tools the tests use)")
    });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

/// The repository's root directory.
pub fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the files of the repository a clone would have (tracked, or new
/// and not ignored: `git ls-files`) into `dir`.
pub fn copy_repository(dir: &Path) {
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(repository_root())
        .output()
        .expect("git runs");
    assert!(
        listed.status.success(),
        "git ls-files: {}",
        String::from_utf8_lossy(&listed.stderr)
    );
    for name in listed.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).unwrap();
        let from = repository_root().join(name);
        // A file deleted in the work tree but still in the index.
        if !from.is_file() {
            continue;
        }
        let to = dir.join(name);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(&from, &to).unwrap();
    }
}
