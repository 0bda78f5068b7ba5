//! The NuttX-shaped protected build of tests/data/nuttx-tree (our own C,
//! not NuttX's; see its README.md), built with `make` and
//! arm-none-eabi-gcc in a copy of the tree and booted in QEMU's
//! `lm3s6965evb`.
//!
//! Each test checks what later tests of mcu-build against this tree rely
//! on: both blobs come out of one `make`, incrementally; the user blob's
//! `struct userspace_s` sits at CONFIG_NUTTX_USERSPACE with the fields the
//! configuration asks for; the kernel's heaps follow NuttX's rule
//! (tiva_allocateheap.c) and its MPU regions cover what they must; the
//! default run ends with `ostest_main: Exiting with status 0`, and a user
//! read of kernel RAM is stopped at that address. Without `make` or
//! arm-none-eabi-gcc a test says so in one line and returns.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use object::{Object as _, ObjectSection as _, ObjectSymbol as _};

/// How long a boot may take before the test gives up: the fixture's run
/// is a few milliseconds of guest time, but CI machines are shared.
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);

/// The line the kernel prints when the user task ends with status 0.
const EXIT_0: &str = "ostest_main: Exiting with status 0";

/// The LM3S6965's SRAM, as the fixture's .config gives it.
const RAM_START: u32 = 0x2000_0000;
const RAM_END: u32 = RAM_START + 64 * 1024;

/// A copy of the fixture tree in a temporary directory.
struct Tree {
    dir: common::Dir,
}

impl Tree {
    /// Copies the fixture, or returns `None` (after one line saying what
    /// is skipped) when `make` or arm-none-eabi-gcc cannot run.
    fn copy() -> Option<Tree> {
        if !common::external::tools_run(&["make", "arm-none-eabi-gcc"]) {
            return None;
        }
        let tree = Tree {
            dir: common::Dir::new(),
        };
        copy_dir(&fixture_dir(), tree.dir.0.path());
        // A tree someone built in place brings its outputs along.
        tree.make(&["clean"]);
        Some(tree)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path(name)
    }

    /// Runs `make` with `args` in the tree; fails the test if make fails.
    fn make(&self, args: &[&str]) -> String {
        common::run(
            Command::new("make")
                .args(args)
                .current_dir(self.dir.0.path()),
        )
    }

    /// Whether `make` has nothing left to do (`make -q` exits 0).
    fn up_to_date(&self) -> bool {
        Command::new("make")
            .arg("-q")
            .current_dir(self.dir.0.path())
            .status()
            .expect("make runs")
            .success()
    }

    /// Replaces the line of `.config` that starts with `old` by `new`.
    fn configure(&self, old: &str, new: &str) {
        let path = self.path(".config");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut found = false;
        let edited: Vec<&str> = text
            .lines()
            .map(|line| {
                if line.starts_with(old) {
                    found = true;
                    new
                } else {
                    line
                }
            })
            .collect();
        assert!(found, "the fixture's .config has no line starting `{old}`");
        std::fs::write(&path, edited.join("\n") + "\n").unwrap();
    }

    /// Boots the tree's outputs in QEMU: `-kernel KERNEL -device
    /// loader,file=USER` when `kernel` is given, else both files through
    /// loader devices; returns the console once the run has ended.
    fn boot(&self, kernel: Option<&str>, loaded: &[&str]) -> String {
        let mut command = Command::new("qemu-system-arm");
        command
            .args(["-M", "lm3s6965evb", "-nographic"])
            .current_dir(self.dir.0.path());
        if let Some(kernel) = kernel {
            command.args(["-kernel", kernel]);
        }
        for file in loaded {
            command.args(["-device", &format!("loader,file={file}")]);
        }
        boot(command)
    }
}

fn fixture_dir() -> PathBuf {
    common::repository_root().join("tests/data/nuttx-tree")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs QEMU until the kernel has ended the run (the user task's exit
/// line, or an "Assertion failed" line: the kernel idles after either, as
/// NuttX does), then kills it. Fails the test after BOOT_TIMEOUT.
fn boot(mut command: Command) -> String {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run qemu-system-arm: {e} (scripts/test installs it)"));
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + BOOT_TIMEOUT;
    let mut console = String::new();
    let ended = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match received.recv_timeout(left) {
            Ok(line) => {
                console.push_str(&line);
                console.push('\n');
                if line.starts_with("ostest_main: Exiting with status")
                    || line.starts_with("Assertion failed")
                {
                    break true;
                }
            }
            // Timed out, or QEMU closed its output (it stopped).
            Err(_) => break false,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    if !ended {
        let mut stderr = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
        panic!(
            "{command:?}: the run did not end within {BOOT_TIMEOUT:?}\nconsole:\n{console}\nstderr:\n{stderr}"
        );
    }
    console
}

/// The numbers after each `0x` in the console line that starts with
/// `prefix`, in order.
fn hex_numbers(console: &str, prefix: &str) -> Vec<u32> {
    let line = console
        .lines()
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting `{prefix}` on the console:\n{console}"));
    line.split("0x")
        .skip(1)
        .map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            u32::from_str_radix(&digits, 16).unwrap_or_else(|e| panic!("`{line}`: 0x{digits}: {e}"))
        })
        .collect()
}

fn assert_line(console: &str, expected: &str) {
    assert!(
        console.lines().any(|line| line == expected),
        "no line `{expected}` on the console:\n{console}"
    );
}

/// The user blob's header as linked, by field.
#[derive(Debug)]
struct Header {
    size: usize,
    entry: u32,
    text: (u32, u32),
    datasource: u32,
    data: (u32, u32),
    bss: (u32, u32),
}

/// Reads the `.userspace` section of nuttx_user.elf and checks that it is
/// at CONFIG_NUTTX_USERSPACE and that its fields are the linker's symbols
/// (offsets as in include/fixture/userspace.h): eleven words, then one for
/// each of the `optional` entry points, which are named in order.
fn read_header(tree: &Tree, optional: &[&str]) -> Header {
    let bytes = std::fs::read(tree.path("nuttx_user.elf")).unwrap();
    let elf = object::File::parse(&*bytes).unwrap();
    let section = elf
        .section_by_name(".userspace")
        .expect("nuttx_user.elf has a .userspace section");
    assert_eq!(section.address(), 0x0002_0000, "CONFIG_NUTTX_USERSPACE");
    let data = section.data().unwrap();
    let word = |offset: usize| u32::from_le_bytes(data[offset..offset + 4].try_into().unwrap());
    let symbol = |name: &str| {
        elf.symbols()
            .find(|s| s.name() == Ok(name))
            .unwrap_or_else(|| panic!("nuttx_user.elf has no symbol {name}"))
            .address() as u32
    };
    assert_eq!(data.len(), 44 + 4 * optional.len(), "header size");
    let header = Header {
        size: data.len(),
        entry: word(0),
        text: (word(4), word(8)),
        datasource: word(12),
        data: (word(16), word(20)),
        bss: (word(24), word(28)),
    };
    assert_eq!(
        header.entry & !1,
        symbol("ostest_main") & !1,
        "us_entrypoint"
    );
    assert_eq!(header.text, (symbol("_stext"), symbol("_etext")));
    assert_eq!(header.datasource, symbol("_eronly"), "us_datasource");
    assert_eq!(header.data, (symbol("_sdata"), symbol("_edata")));
    assert_eq!(header.bss, (symbol("_sbss"), symbol("_ebss")));
    assert_eq!(word(32), 0, "us_heapend");
    assert_eq!(word(40) & !1, symbol("task_startup") & !1, "task_startup");
    for (index, name) in optional.iter().enumerate() {
        assert_eq!(word(44 + 4 * index) & !1, symbol(name) & !1, "{name}");
    }
    header
}

/// The kernel heap and the user heap as NuttX's tiva_allocateheap.c splits
/// [us_bssend, RAM end): the user heap is the largest power of two at most
/// RAM end - (us_bssend + CONFIG_MM_KERNEL_HEAPSIZE), at the end of RAM.
fn expected_heaps(bss_end: u32, kernel_heap_size: u32) -> [u32; 4] {
    let room = RAM_END - (bss_end + kernel_heap_size);
    let user_size = 1 << room.ilog2();
    let user_start = RAM_END - user_size;
    [bss_end, user_start, user_start, RAM_END]
}

/// One ARMv7-M MPU region as RBAR and RASR describe it (ARMv7-M ARM
/// B3.5.8, B3.5.9).
struct Region {
    number: u32,
    base: u64,
    size: u64,
    /// Bit n set: the n-th eighth of the region is disabled.
    disabled: u32,
    /// RASR.AP: 6 user read-only, 3 user read-write.
    access: u32,
}

impl Region {
    fn parse(rbar: u32, rasr: u32) -> Region {
        assert_eq!(rasr & 1, 1, "region not enabled: rasr {rasr:#010x}");
        Region {
            number: rbar & 0xf,
            base: u64::from(rbar & !0x1f),
            size: 1 << (((rasr >> 1) & 0x1f) + 1),
            disabled: (rasr >> 8) & 0xff,
            access: (rasr >> 24) & 7,
        }
    }

    /// Whether every byte of [start, end) is in an enabled part of the
    /// region, and the region is aligned to its size.
    fn covers(&self, start: u32, end: u32) -> bool {
        let (start, end) = (u64::from(start), u64::from(end));
        if !self.base.is_multiple_of(self.size) || start < self.base || end > self.base + self.size
        {
            return false;
        }
        // Sub-regions exist from 256 bytes up.
        if self.size < 256 {
            return true;
        }
        let eighth = self.size / 8;
        let first = (start - self.base) / eighth;
        let last = (end - 1 - self.base) / eighth;
        (first..=last).all(|n| self.disabled & (1 << n) == 0)
    }
}

/// Checks the console of a run against the header and the kernel heap
/// size it was built with: the header line, the heap split, and the three
/// MPU regions (user text read-only, user data and bss read-write, the
/// user heap read-write and exactly that), numbered from 0, then the MPU
/// enabled with PRIVDEFENA.
fn check_kernel_model(console: &str, header: &Header, kernel_heap_size: u32) {
    let shown = hex_numbers(console, "userspace: header ");
    assert_eq!(
        shown,
        [
            0x0002_0000,
            header.entry,
            header.text.0,
            header.text.1,
            header.data.0,
            header.data.1,
            header.datasource,
            header.bss.0,
            header.bss.1,
        ],
        "{console}"
    );
    assert!(
        console.contains(&format!(" size {} ", header.size)),
        "header size {} not shown:\n{console}",
        header.size
    );

    let heaps = hex_numbers(console, "heap: ");
    let expected = expected_heaps(header.bss.1, kernel_heap_size);
    assert!(
        heaps == expected,
        "heaps {heaps:#010x?}, NuttX's rule gives {expected:#010x?}:\n{console}"
    );

    let regions: Vec<Region> = console
        .lines()
        .filter(|line| line.starts_with("mpu: region "))
        .map(|line| {
            let numbers = hex_numbers(line, "mpu: region ");
            Region::parse(numbers[0], numbers[1])
        })
        .collect();
    assert_eq!(regions.len(), 3, "{console}");
    for (index, region) in regions.iter().enumerate() {
        assert_eq!(region.number, index as u32, "{console}");
    }
    let data = (
        header.data.0.min(header.bss.0),
        header.data.1.max(header.bss.1),
    );
    for (region, range, access) in [
        (&regions[0], header.text, 6),
        (&regions[1], data, 3),
        (&regions[2], (heaps[2], heaps[3]), 3),
    ] {
        assert!(
            region.covers(range.0, range.1) && region.access == access,
            "region {} does not give {range:#x?} access {access}:\n{console}",
            region.number
        );
    }
    assert_eq!(
        (regions[2].base, regions[2].size, regions[2].disabled),
        (u64::from(heaps[2]), u64::from(heaps[3] - heaps[2]), 0),
        "{console}"
    );
    assert_line(console, "mpu: enabled, ctrl 0x00000005");
}

/// Builds and boots the default configuration: one `make` gives both
/// blobs and their HEX copies, a second has nothing to do, and the run
/// (from the ELFs, and from the HEX files) ends with status 0.
#[test]
fn default_build_boots_and_exits_0() {
    let Some(tree) = Tree::copy() else {
        return;
    };
    tree.make(&[]);
    for output in [
        "nuttx",
        "nuttx.hex",
        "nuttx_user.elf",
        "nuttx_user.hex",
        "boards/arm/tiva/qemu-fixture/kernel/nuttx_user.elf",
    ] {
        assert!(tree.path(output).is_file(), "make did not build {output}");
    }
    assert!(tree.up_to_date(), "a second make would rebuild");

    let header = read_header(&tree, &[]);

    let console = tree.boot(Some("nuttx"), &["nuttx_user.elf"]);
    assert_line(&console, EXIT_0);
    assert_line(&console, "user: heap mapped: ok");
    check_kernel_model(&console, &header, 8192);

    let from_hex = tree.boot(None, &["nuttx.hex", "nuttx_user.hex"]);
    assert_eq!(from_hex, console, "the HEX files boot as the ELFs do");
}

/// `make USER_SCENARIO=read-kernel-ram`: the user task reads the kernel's
/// RAM at CONFIG_RAM_START; the MPU stops it there, the kernel reports that
/// address and asserts, and the task never exits. Only the user blob is
/// rebuilt.
#[test]
fn user_read_of_kernel_ram_faults_at_its_address() {
    let Some(tree) = Tree::copy() else {
        return;
    };
    tree.make(&[]);
    let rebuilt = tree.make(&["USER_SCENARIO=read-kernel-ram"]);
    assert!(
        rebuilt.contains("LD: boards/arm/tiva/qemu-fixture/kernel/nuttx_user.elf")
            && !rebuilt.contains("LD: nuttx\n"),
        "a new scenario relinks the user blob only:\n{rebuilt}"
    );

    let console = tree.boot(Some("nuttx"), &["nuttx_user.elf"]);
    assert_line(&console, "user: read-kernel-ram: read at 0x20000000");
    let fault = hex_numbers(&console, "arm_memfault: MemManage fault: ");
    // CFSR: DACCVIOL and MMARVALID; then MMFAR.
    assert_eq!(&fault[..2], [0x82, RAM_START], "{console}");
    // NuttX's form, which `run`'s default fail pattern knows.
    assert!(
        console.lines().any(|line| line
            .starts_with("Assertion failed panic: at file: kernel/fault.c:")
            && line.ends_with(": data access violation at 0x20000000")),
        "{console}"
    );
    assert!(!console.contains("ostest_main: Exiting"), "{console}");
}

/// A second configuration: both optional header fields and a kernel heap
/// three times the size. The header grows by two words, the split moves,
/// and the run still ends with status 0 after calling both entry points.
#[test]
fn variant_with_optional_fields_and_bigger_kernel_heap_boots() {
    let Some(tree) = Tree::copy() else {
        return;
    };
    tree.configure(
        "# CONFIG_ENABLE_ALL_SIGNALS ",
        "CONFIG_ENABLE_ALL_SIGNALS=y",
    );
    tree.configure("# CONFIG_LIBC_USRWORK ", "CONFIG_LIBC_USRWORK=y");
    tree.configure(
        "CONFIG_MM_KERNEL_HEAPSIZE=",
        "CONFIG_MM_KERNEL_HEAPSIZE=24576",
    );
    tree.make(&[]);

    let header = read_header(&tree, &["user_signal_handler", "work_usrstart"]);

    let console = tree.boot(Some("nuttx"), &["nuttx_user.elf"]);
    assert_line(&console, "user: signal_handler ran the handler: ok");
    assert_line(&console, "user: work_usrstart: ok");
    assert_line(&console, EXIT_0);
    check_kernel_model(&console, &header, 24576);
}
