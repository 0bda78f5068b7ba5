//! The bundled firmware, built for the QEMU MPS2 boards and booted in QEMU.
//!
//! For each board the test builds the user blob (pass 1) and the kernel
//! (pass 2) once, from a generated directory this file produces the way
//! mcu-build will (`memory.ld` from `templates/linker/memory.ld.in`, and
//! `layout.rs` with the MPU table and the sealed user header), then boots
//! the pair once per scenario, picking the scenario with the boot argument
//! on the semihosting command line, and checks the console and QEMU's exit
//! status. Needs `qemu-system-arm` (7.2 or later) and the two thumb targets
//! of `rust-toolchain.toml`.

use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use object::Endianness;
use object::elf::{FileHeader32, PT_LOAD};
use object::read::elf::{FileHeader as _, ProgramHeader as _};
use object::{Object as _, ObjectSection as _};

// The firmware ABI, compiled into this test from its sources until the
// mcu-build crate depends on `firmware-abi` (then: `use firmware_abi::...`).
// They sit at the root because `header.rs` finds its siblings as `super::`.
#[allow(dead_code)]
#[path = "../firmware-abi/src/crc32.rs"]
mod crc32;
#[allow(dead_code)]
#[path = "../firmware-abi/src/exit_status.rs"]
mod exit_status;
#[allow(dead_code)]
#[path = "../firmware-abi/src/header.rs"]
mod header;
#[allow(dead_code)]
#[path = "../firmware-abi/src/partition.rs"]
mod partition;

use exit_status::{BLOB_REFUSED, USER_FAULT};
use header::UserspaceHeader;
use partition::Partition;

const QEMU: &str = "qemu-system-arm";
const BOOT_TIMEOUT: Duration = Duration::from_secs(30);

/// Which MPU architecture a board has, and so which target the firmware is
/// built for.
#[derive(Clone, Copy)]
enum Mpu {
    /// PMSAv7: power-of-two regions, RBAR/RASR.
    Armv7m,
    /// PMSAv8: base/limit regions, RBAR/RLAR with MAIR attributes.
    Armv8m,
}

/// A QEMU board with straightforward power-of-two partitions.
struct Board {
    name: &'static str,
    mpu: Mpu,
    kernel_flash: Partition,
    user_flash: Partition,
    kernel_sram: Partition,
    user_sram: Partition,
    /// CMSDK APB UART0, as the kernel (privileged, Secure on the AN505)
    /// reaches it.
    console_uart: u32,
    core_clock_hz: u32,
}

/// Cortex-M4: code SSRAM1 at 0, SSRAM2/3 at 0x2000_0000, UART0 at
/// 0x4000_4000, 25 MHz (QEMU hw/arm/mps2.c).
static AN386: Board = Board {
    name: "mps2-an386",
    mpu: Mpu::Armv7m,
    kernel_flash: partition(0x0000_0000, 256 * 1024),
    user_flash: partition(0x0004_0000, 256 * 1024),
    kernel_sram: partition(0x2000_0000, 64 * 1024),
    user_sram: partition(0x2001_0000, 64 * 1024),
    console_uart: 0x4000_4000,
    core_clock_hz: 25_000_000,
};

/// Cortex-M33 booting in Secure state: the Secure aliases of SSRAM1
/// (0x1000_0000) and SSRAM2/3 (0x3800_0000) and of UART0 (0x5020_0000),
/// 20 MHz (QEMU hw/arm/mps2-tz.c, hw/arm/armsse.c).
static AN505: Board = Board {
    name: "mps2-an505",
    mpu: Mpu::Armv8m,
    kernel_flash: partition(0x1000_0000, 256 * 1024),
    user_flash: partition(0x1004_0000, 256 * 1024),
    kernel_sram: partition(0x3800_0000, 64 * 1024),
    user_sram: partition(0x3801_0000, 64 * 1024),
    console_uart: 0x5020_0000,
    core_clock_hz: 20_000_000,
};

const fn partition(start: u32, len: u32) -> Partition {
    Partition {
        start,
        end: start + len,
    }
}

/// Sizes the layout gives stacks and heaps.
const KERNEL_STACK_SIZE: u32 = 8 * 1024;
const KERNEL_HEAP_SIZE: u32 = 4 * 1024;
const USER_STACK_SIZE: u32 = 8 * 1024;
const USER_HEAP_SIZE: u32 = 16 * 1024;

impl Board {
    fn target(&self) -> &'static str {
        match self.mpu {
            Mpu::Armv7m => "thumbv7em-none-eabi",
            Mpu::Armv8m => "thumbv8m.main-none-eabi",
        }
    }

    /// `memory.ld`, rendered from the template as mcu-build renders it.
    fn memory_ld(&self) -> String {
        let template = fs::read_to_string(repository().join("templates/linker/memory.ld.in"))
            .expect("templates/linker/memory.ld.in");
        let values = [
            ("KERNEL_FLASH_ORIGIN", self.kernel_flash.start),
            ("KERNEL_FLASH_LENGTH", self.kernel_flash.len()),
            ("USER_FLASH_ORIGIN", self.user_flash.start),
            ("USER_FLASH_LENGTH", self.user_flash.len()),
            ("KERNEL_SRAM_ORIGIN", self.kernel_sram.start),
            ("KERNEL_SRAM_LENGTH", self.kernel_sram.len()),
            ("USER_SRAM_ORIGIN", self.user_sram.start),
            ("USER_SRAM_LENGTH", self.user_sram.len()),
            ("KERNEL_STACK_SIZE", KERNEL_STACK_SIZE),
            ("KERNEL_HEAP_SIZE", KERNEL_HEAP_SIZE),
            ("USER_STACK_SIZE", USER_STACK_SIZE),
            ("USER_HEAP_SIZE", USER_HEAP_SIZE),
        ];
        let rendered = values.iter().fold(template, |text, (name, value)| {
            text.replace(&format!("{{{{{name}}}}}"), &format!("{value:#010x}"))
        });
        assert!(
            !rendered.contains("{{"),
            "unrendered placeholder:\n{rendered}"
        );
        rendered
    }

    /// `layout.rs` for pass 2: partitions, MPU table, the sealed header of
    /// pass 1, console and clock.
    fn layout_rs(&self, header: &UserspaceHeader) -> String {
        let mut text = String::from("// Generated by tests/firmware_qemu.rs.\n");
        for (name, partition) in [
            ("USER_FLASH", self.user_flash),
            ("USER_SRAM", self.user_sram),
        ] {
            writeln!(
                text,
                "pub const {name}: Partition = Partition {{ start: {:#010x}, end: {:#010x} }};",
                partition.start, partition.end
            )
            .unwrap();
        }
        text.push_str(&self.mpu_table());
        writeln!(
            text,
            "pub const USER_HEADER: UserspaceHeader = {header:#x?};"
        )
        .unwrap();
        writeln!(
            text,
            "pub const CONSOLE_UART: u32 = {:#010x};",
            self.console_uart
        )
        .unwrap();
        writeln!(
            text,
            "pub const CORE_CLOCK_HZ: u32 = {};",
            self.core_clock_hz
        )
        .unwrap();
        text
    }

    /// Two regions: user flash read-only and executable for everyone, user
    /// SRAM read-write and execute-never. PRIVDEFENA gives the kernel the
    /// rest; unprivileged code gets nothing else.
    fn mpu_table(&self) -> String {
        let mut text = String::new();
        let (second_register, regions) = match self.mpu {
            Mpu::Armv7m => {
                const AP_READ_ONLY: u32 = 0b110;
                const AP_FULL_ACCESS: u32 = 0b011;
                // TEX[5:3] S[2] C[1] B[0], shifted into RASR[21:16].
                const NORMAL_WRITE_THROUGH: u32 = 0b00_0010; // TEX 000, C
                const NORMAL_WRITE_BACK: u32 = 0b00_1011; // TEX 001, C, B
                let regions = [
                    armv7m_region(self.user_flash, AP_READ_ONLY, false, NORMAL_WRITE_THROUGH),
                    armv7m_region(self.user_sram, AP_FULL_ACCESS, true, NORMAL_WRITE_BACK),
                ];
                ("rasr", regions)
            }
            Mpu::Armv8m => {
                const AP_READ_ONLY_ANY: u32 = 0b11;
                const AP_READ_WRITE_ANY: u32 = 0b01;
                // Attribute 0: normal write-through read-allocate (flash);
                // attribute 1: normal write-back read/write-allocate (SRAM).
                text.push_str("pub const MPU_MAIR0: u32 = 0x0000_ffaa;\n");
                let regions = [
                    armv8m_region(self.user_flash, AP_READ_ONLY_ANY, false, 0),
                    armv8m_region(self.user_sram, AP_READ_WRITE_ANY, true, 1),
                ];
                ("rlar", regions)
            }
        };
        text.push_str("pub const MPU_REGIONS: &[MpuRegion] = &[\n");
        for (rbar, second) in regions {
            writeln!(
                text,
                "    MpuRegion {{ rbar: {rbar:#010x}, {second_register}: {second:#010x} }},"
            )
            .unwrap();
        }
        text.push_str("];\n");
        text
    }
}

/// RBAR and RASR of a PMSAv7 region covering exactly `partition`.
fn armv7m_region(
    partition: Partition,
    access: u32,
    execute_never: bool,
    tex_s_c_b: u32,
) -> (u32, u32) {
    let size = partition.len();
    assert!(size.is_power_of_two() && size >= 32 && partition.start.is_multiple_of(size));
    let size_field = size.trailing_zeros() - 1;
    let rasr =
        u32::from(execute_never) << 28 | access << 24 | tex_s_c_b << 16 | size_field << 1 | 1;
    (partition.start, rasr)
}

/// RBAR and RLAR of a PMSAv8 region covering exactly `partition`.
fn armv8m_region(
    partition: Partition,
    access: u32,
    execute_never: bool,
    attribute: u32,
) -> (u32, u32) {
    assert!(partition.start.is_multiple_of(32) && partition.end.is_multiple_of(32));
    let rbar = partition.start | access << 1 | u32::from(execute_never);
    let rlar = (partition.end - 32) | attribute << 1 | 1;
    (rbar, rlar)
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the firmware builds: shared across runs so that an unchanged
/// firmware is not rebuilt.
fn firmware_dir() -> PathBuf {
    repository().join("target/firmware")
}

/// Writes `contents` unless the file already holds them, so that cargo's
/// change detection does not rebuild the firmware for nothing.
fn write_if_changed(path: &Path, contents: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(contents) {
        fs::write(path, contents).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    }
}

/// Both ELF files of one board.
struct Firmware {
    kernel: PathBuf,
    user: PathBuf,
}

fn firmware(board: &'static Board) -> &'static Firmware {
    static AN386_FIRMWARE: OnceLock<Firmware> = OnceLock::new();
    static AN505_FIRMWARE: OnceLock<Firmware> = OnceLock::new();
    let cell = match board.mpu {
        Mpu::Armv7m => &AN386_FIRMWARE,
        Mpu::Armv8m => &AN505_FIRMWARE,
    };
    cell.get_or_init(|| build(board))
}

/// Pass 1, sealing the user blob's CRC, pass 2: what `mcu-build protect`
/// does, with this file's fixture layout.
fn build(board: &Board) -> Firmware {
    let gen_dir = firmware_dir().join("gen").join(board.name);
    fs::create_dir_all(&gen_dir).unwrap();
    write_if_changed(&gen_dir.join("memory.ld"), &board.memory_ld());

    let built_user = cargo_build(board, "firmware-userspace", "user", &gen_dir);
    let user = gen_dir.join("user.elf");
    let mut elf = fs::read(&built_user).unwrap();
    let header = seal(&mut elf, board.user_flash);
    fs::write(&user, &elf).unwrap();

    write_if_changed(&gen_dir.join("layout.rs"), &board.layout_rs(&header));
    let kernel = cargo_build(board, "firmware-kernel", "kernel", &gen_dir);
    Firmware { kernel, user }
}

fn cargo_build(board: &Board, package: &str, binary: &str, gen_dir: &Path) -> PathBuf {
    let target_dir = firmware_dir().join("cargo");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(repository().join(package))
        .args(["build", "--release", "--locked", "--target", board.target()])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("MCU_BUILD_GEN_DIR", gen_dir)
        .stdin(Stdio::null())
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "building {package} for {} failed:\n{}",
        board.name,
        String::from_utf8_lossy(&output.stderr)
    );
    target_dir.join(board.target()).join("release").join(binary)
}

/// The bytes of user flash as the ELF's loadable segments lay them out
/// (by load address), from the origin to the last loaded byte.
fn user_flash_image(elf: &[u8], user_flash: Partition) -> Vec<u8> {
    let file = FileHeader32::<Endianness>::parse(elf).expect("an ELF32 file");
    let endian = file.endian().unwrap();
    let mut image = Vec::new();
    for segment in file.program_headers(endian, elf).unwrap() {
        let address = segment.p_paddr(endian);
        let bytes = segment.data(endian, elf).unwrap();
        if segment.p_type(endian) != PT_LOAD || bytes.is_empty() || !user_flash.contains(address, 1)
        {
            continue;
        }
        let offset = (address - user_flash.start) as usize;
        if image.len() < offset + bytes.len() {
            image.resize(offset + bytes.len(), 0);
        }
        image[offset..offset + bytes.len()].copy_from_slice(bytes);
    }
    image
}

/// File offset of the user header in the ELF.
fn header_offset(elf: &[u8]) -> usize {
    let file = object::File::parse(elf).expect("an ELF file");
    let section = file
        .section_by_name(".user_header")
        .expect("a .user_header section");
    section.file_range().expect("header bytes in the file").0 as usize
}

/// Computes the user blob's CRC and writes it into the header inside the
/// ELF, as the host tool does after pass 1. Returns the sealed header.
fn seal(elf: &mut [u8], user_flash: Partition) -> UserspaceHeader {
    let image = user_flash_image(elf, user_flash);
    let mut header = UserspaceHeader::from_bytes(&image).expect("a user header");
    header.crc32 = header
        .compute_crc(&image, user_flash)
        .expect("the blob fits user flash");
    let crc_at = header_offset(elf) + UserspaceHeader::CRC_OFFSET;
    elf[crc_at..crc_at + 4].copy_from_slice(&header.crc32.to_le_bytes());
    header
}

/// One QEMU run: what the console showed and how QEMU exited.
struct Run {
    console: String,
    status: Option<i32>,
}

impl Run {
    fn lines(&self) -> impl Iterator<Item = &str> {
        self.console.lines()
    }

    fn assert_line(&self, expected: &str) {
        assert!(
            self.lines().any(|line| line == expected),
            "no line `{expected}` on the console:\n{}",
            self.console
        );
    }

    fn assert_status(&self, expected: u32) {
        assert_eq!(
            self.status,
            Some(expected as i32),
            "QEMU exit status, console:\n{}",
            self.console
        );
    }
}

/// Boots `kernel` (and `user` if given) with `boot_argument`.
fn boot(board: &Board, kernel: &Path, user: Option<&Path>, boot_argument: u32) -> Run {
    let scratch = tempfile::tempdir().unwrap();
    let console_path = scratch.path().join("console");
    let mut qemu = Command::new(QEMU);
    qemu.args(["-M", board.name, "-nographic", "-semihosting-config"])
        .arg(format!(
            "enable=on,target=native,arg=kernel,arg={boot_argument}"
        ))
        .arg("-kernel")
        .arg(kernel);
    if let Some(user) = user {
        qemu.arg("-device")
            .arg(format!("loader,file={}", user.display()));
    }
    let mut child = qemu
        .stdin(Stdio::null())
        .stdout(fs::File::create(&console_path).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|error| panic!("{QEMU} does not run ({error}); install QEMU 7.2 or later"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BOOT_TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "{} did not finish within {BOOT_TIMEOUT:?}; console:\n{}",
                board.name,
                fs::read_to_string(&console_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut console = String::new();
    fs::File::open(&console_path)
        .unwrap()
        .read_to_string(&mut console)
        .unwrap();
    Run {
        console,
        status: status.code(),
    }
}

fn boot_scenario(board: &'static Board, boot_argument: u32) -> Run {
    let firmware = firmware(board);
    boot(board, &firmware.kernel, Some(&firmware.user), boot_argument)
}

/// The boot argument of each attack scenario: its position in
/// `firmware-userspace/src/scenarios.rs` plus one (the blob prints the
/// name it runs, which the checks below compare).
const SCENARIOS: &[&str] = &[
    "read-kernel-sram",
    "write-kernel-sram",
    "read-kernel-flash",
    "write-user-flash",
    "execute-user-sram",
    "write-peripheral",
    "user-flash-past-end",
    "user-flash-before-start",
    "user-sram-past-end",
    "user-sram-before-start",
    "syscall-kernel-pointer",
];

fn run_scenario(board: &'static Board, name: &str) -> Run {
    let index = SCENARIOS.iter().position(|&known| known == name).unwrap();
    let boot_argument = index as u32 + 1;
    let run = boot_scenario(board, boot_argument);
    run.assert_line(&format!("user: scenario {boot_argument}: {name}"));
    run
}

/// The one access an attack scenario announced before making it.
#[derive(Debug, PartialEq, Eq)]
struct Access {
    /// `read`, `write` or `execute`.
    kind: String,
    address: u32,
}

fn announced_access(run: &Run, name: &str) -> Access {
    let prefix = format!("user: {name}: ");
    let line = run
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .find(|rest| rest.contains(" at 0x"))
        .unwrap_or_else(|| panic!("{name} announced no access:\n{}", run.console));
    let (kind, address) = line.split_once(" at ").unwrap();
    Access {
        kind: kind.to_owned(),
        address: u32::from_str_radix(address.trim_start_matches("0x"), 16).unwrap(),
    }
}

/// Runs an attack; checks that it faulted on exactly the access it
/// announced, that the kernel reported that access and outlived the blob.
fn stopped_attack(board: &'static Board, name: &str) -> (Run, Access) {
    let run = run_scenario(board, name);
    let access = announced_access(&run, name);
    let report = match access.kind.as_str() {
        "read" | "write" => format!(
            "kernel: user fault: MemManage: data {} at {:#010x} denied by the MPU (pc 0x",
            access.kind, access.address
        ),
        "execute" => format!(
            "kernel: user fault: MemManage: instruction fetch denied by the MPU (pc {:#010x})",
            access.address
        ),
        other => panic!("unknown access kind {other}"),
    };
    assert!(
        run.lines().any(|line| line.starts_with(&report)),
        "no `{report}` report:\n{}",
        run.console
    );
    assert!(
        run.lines()
            .any(|line| line.starts_with("kernel: user blob stopped; the kernel keeps running")),
        "the kernel did not carry on:\n{}",
        run.console
    );
    assert!(
        !run.console.contains("isolation is broken"),
        "{}",
        run.console
    );
    run.assert_status(USER_FAULT);
    (run, access)
}

fn assert_stopped_at(board: &'static Board, name: &str, kind: &str, address: u32) -> Run {
    let (run, access) = stopped_attack(board, name);
    let expected = Access {
        kind: kind.to_owned(),
        address,
    };
    assert_eq!(access, expected, "{name} faulted on another access");
    run
}

/// The demo prints, sleeps on the kernel timer, reuses freed heap memory
/// and exits 0.
fn demo_exits_zero(board: &'static Board) {
    let run = boot_scenario(board, 0);
    run.assert_line("user: hello from the user blob, running unprivileged");
    let slept: u32 = run
        .lines()
        .find_map(|line| line.strip_prefix("user: slept "))
        .and_then(|rest| rest.split_once(' '))
        .and_then(|(milliseconds, _)| milliseconds.parse().ok())
        .unwrap_or_else(|| panic!("no sleep line:\n{}", run.console));
    assert!(
        (20..200).contains(&slept),
        "slept {slept} ms for 20:\n{}",
        run.console
    );
    assert!(run.console.contains("(reused: true)"), "{}", run.console);
    run.assert_line("kernel: user blob exited with status 0");
    run.assert_status(0);
}

fn kernel_memory_is_out_of_reach(board: &'static Board) {
    assert_stopped_at(board, "read-kernel-sram", "read", board.kernel_sram.start);
    assert_stopped_at(board, "write-kernel-sram", "write", board.kernel_sram.start);
    assert_stopped_at(board, "read-kernel-flash", "read", board.kernel_flash.start);
}

fn own_flash_is_read_only_and_own_sram_execute_never(board: &'static Board) {
    assert_stopped_at(board, "write-user-flash", "write", board.user_flash.start);
    let (_, access) = stopped_attack(board, "execute-user-sram");
    assert_eq!(access.kind, "execute");
    assert!(
        board.user_sram.contains(access.address, 4),
        "the code is not in user SRAM"
    );
}

fn peripherals_are_out_of_reach(board: &'static Board) {
    assert_stopped_at(board, "write-peripheral", "write", 0x4000_0000);
}

/// First and last byte of each user partition are the blob's; the bytes
/// just outside are not.
fn partition_edges_are_exact(board: &'static Board) {
    for (partition, name, access, outside) in [
        (
            board.user_flash,
            "user-flash-past-end",
            "read",
            board.user_flash.end,
        ),
        (
            board.user_flash,
            "user-flash-before-start",
            "read",
            board.user_flash.start - 1,
        ),
        (
            board.user_sram,
            "user-sram-past-end",
            "read and written",
            board.user_sram.end,
        ),
        (
            board.user_sram,
            "user-sram-before-start",
            "read and written",
            board.user_sram.start - 1,
        ),
    ] {
        let run = assert_stopped_at(board, name, "read", outside);
        run.assert_line(&format!(
            "user: {name}: first byte {:#010x} and last byte {:#010x} {access}",
            partition.start,
            partition.end - 1
        ));
    }
}

/// Pointers into kernel memory, across the end of user SRAM or with a
/// wrapping length are refused with -EFAULT, and no byte reaches the
/// console: every line is the kernel's or the blob's own.
fn syscalls_refuse_kernel_pointers(board: &'static Board) {
    let run = run_scenario(board, "syscall-kernel-pointer");
    for attempt in [
        "write from kernel SRAM",
        "write from kernel flash",
        "write across the end of user SRAM",
        "write with a wrapping length",
        "uptime into kernel SRAM",
        "uptime into user flash",
    ] {
        run.assert_line(&format!(
            "user: syscall-kernel-pointer: {attempt} returned -14"
        ));
    }
    for line in run.lines() {
        assert!(
            line.starts_with("kernel: ") || line.starts_with("user: "),
            "bytes from nowhere on the console: {line:?}"
        );
    }
    run.assert_status(0);
}

/// A user ELF like the built one, with `edit` applied to the bytes of the
/// user header's blob (file offset of the header, bytes).
fn edited_user(
    board: &'static Board,
    file_name: &str,
    edit: impl FnOnce(usize, &mut Vec<u8>),
) -> PathBuf {
    let firmware = firmware(board);
    let mut elf = fs::read(&firmware.user).unwrap();
    let offset = header_offset(&elf);
    edit(offset, &mut elf);
    let path = firmware_dir().join("gen").join(board.name).join(file_name);
    fs::write(&path, &elf).unwrap();
    path
}

/// One flipped bit in the code after the header: the CRC no longer
/// matches and the kernel refuses to start the blob.
fn flipped_byte_is_refused(board: &'static Board) {
    let user = edited_user(board, "user-flipped.elf", |header, elf| {
        elf[header + UserspaceHeader::SIZE + 0x10] ^= 0x01;
    });
    let run = boot(board, &firmware(board).kernel, Some(&user), 0);
    assert!(
        run.lines()
            .any(|line| line
                .starts_with("kernel: refusing the user blob: blob corrupted: CRC32 is 0x")),
        "{}",
        run.console
    );
    assert!(
        !run.console.contains("user: "),
        "the blob ran:\n{}",
        run.console
    );
    run.assert_status(BLOB_REFUSED);
}

/// A changed blob whose CRC was sealed again is well formed, but it is not
/// the blob pass 2 recorded: the kernel refuses it too.
fn resealed_other_blob_is_refused(board: &'static Board) {
    let user = edited_user(board, "user-other.elf", |header, elf| {
        elf[header + UserspaceHeader::SIZE + 0x10] ^= 0x01;
        seal(elf, board.user_flash);
    });
    let run = boot(board, &firmware(board).kernel, Some(&user), 0);
    assert!(
        run.lines().any(|line| line.starts_with(
            "kernel: refusing the user blob: not the blob this kernel was built with"
        )),
        "{}",
        run.console
    );
    run.assert_status(BLOB_REFUSED);
}

/// Without a user blob the kernel finds no magic and says so.
fn missing_blob_is_refused(board: &'static Board) {
    let run = boot(board, &firmware(board).kernel, None, 0);
    assert!(
        run.lines()
            .any(|line| line.starts_with("kernel: refusing the user blob: bad magic 0x00000000")),
        "{}",
        run.console
    );
    run.assert_status(BLOB_REFUSED);
}

macro_rules! board_tests {
    ($module:ident, $board:expr) => {
        mod $module {
            #[test]
            fn demo_exits_zero() {
                super::demo_exits_zero(&$board);
            }

            #[test]
            fn kernel_memory_is_out_of_reach() {
                super::kernel_memory_is_out_of_reach(&$board);
            }

            #[test]
            fn own_flash_is_read_only_and_own_sram_execute_never() {
                super::own_flash_is_read_only_and_own_sram_execute_never(&$board);
            }

            #[test]
            fn peripherals_are_out_of_reach() {
                super::peripherals_are_out_of_reach(&$board);
            }

            #[test]
            fn partition_edges_are_exact() {
                super::partition_edges_are_exact(&$board);
            }

            #[test]
            fn syscalls_refuse_kernel_pointers() {
                super::syscalls_refuse_kernel_pointers(&$board);
            }

            #[test]
            fn flipped_byte_is_refused() {
                super::flipped_byte_is_refused(&$board);
            }

            #[test]
            fn resealed_other_blob_is_refused() {
                super::resealed_other_blob_is_refused(&$board);
            }

            #[test]
            fn missing_blob_is_refused() {
                super::missing_blob_is_refused(&$board);
            }
        }
    };
}

board_tests!(an386, super::AN386);
board_tests!(an505, super::AN505);
