//! The bundled firmware, built by `mcu-build protect` for the QEMU MPS2
//! boards and booted with `mcu-build run`.
//!
//! For each board the test runs the real pipeline once (`protect --board`,
//! outputs in `target/mcu-build/<board>/`), reads the partitions from its
//! `build.json`, then boots the combined image once per scenario and checks
//! the console and the exit status. Needs `qemu-system-arm` (7.2 or later)
//! and the thumb targets of the boards (`scripts/test` adds them).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use firmware_abi::exit_status::{BLOB_REFUSED, USER_FAULT};
use firmware_abi::{Partition, UserspaceHeader};
use mcu_build::image::file::{self, InputSpec};
use mcu_build::image::ihex::{self, RecordLength};
use mcu_build::image::{OverlapPolicy, elf};
use object::Object as _;
use object::ObjectSection as _;

mod common;

/// The kernel's decoding of the fault status registers is pure logic: its
/// unit tests run here, on the host.
#[path = "../firmware/kernel/src/fault_status.rs"]
#[allow(dead_code)] // the kernel uses what the tests do not
mod fault_status;

/// A board as the pipeline built for it.
struct Board {
    name: &'static str,
    kernel_flash: Partition,
    user_flash: Partition,
    kernel_sram: Partition,
    user_sram: Partition,
    /// ARMv8-M (PMSAv8, stack limit registers) rather than ARMv7-M.
    armv8m: bool,
    out_dir: PathBuf,
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mcu_build() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcu-build"));
    command.current_dir(repository());
    command
}

/// Runs `protect` for `name` (once per test process) and reads the
/// partitions of its plan from build.json.
fn board(name: &'static str) -> &'static Board {
    static LM3S6965EVB: OnceLock<Board> = OnceLock::new();
    static AN386: OnceLock<Board> = OnceLock::new();
    static AN500: OnceLock<Board> = OnceLock::new();
    static AN505: OnceLock<Board> = OnceLock::new();
    let cell = match name {
        "qemu-lm3s6965evb" => &LM3S6965EVB,
        "qemu-mps2-an386" => &AN386,
        "qemu-mps2-an500" => &AN500,
        "qemu-mps2-an505" => &AN505,
        other => panic!("no test board {other}"),
    };
    cell.get_or_init(|| {
        let output = mcu_build()
            .args(["protect", "--board", name])
            .output()
            .expect("mcu-build runs");
        assert!(
            output.status.success(),
            "protect --board {name} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let out_dir = repository().join("target/mcu-build").join(name);
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(out_dir.join("build.json")).unwrap()).unwrap();
        let partition = |index: usize| {
            let p = &manifest["plan"]["partitions"][index];
            Partition {
                start: p["start"].as_u64().unwrap() as u32,
                end: p["end"].as_u64().unwrap() as u32,
            }
        };
        Board {
            name,
            kernel_flash: partition(0),
            user_flash: partition(1),
            kernel_sram: partition(2),
            user_sram: partition(3),
            armv8m: manifest["plan"]["arch"] == "armv8m",
            out_dir,
        }
    })
}

/// One QEMU run: what the console showed and how the firmware exited.
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

    fn assert_line_starts(&self, prefix: &str) {
        assert!(
            self.lines().any(|line| line.starts_with(prefix)),
            "no line starting `{prefix}` on the console:\n{}",
            self.console
        );
    }

    /// The kernel stopped the blob and went on running.
    fn assert_kernel_carried_on(&self) {
        self.assert_line_starts("kernel: user blob stopped; the kernel keeps running");
    }

    fn assert_status(&self, expected: u32) {
        assert_eq!(
            self.status,
            Some(expected as i32),
            "exit status, console:\n{}",
            self.console
        );
    }
}

/// `mcu-build run IMAGE --board B --scenario S`.
fn boot(board: &Board, image: &Path, scenario: &str) -> Run {
    let output = mcu_build()
        .arg("run")
        .arg(image)
        .args(["--board", board.name, "--scenario", scenario])
        .output()
        .expect("mcu-build runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("error:"),
        "mcu-build run failed on {}: {stderr}",
        board.name
    );
    Run {
        console: String::from_utf8_lossy(&output.stdout).into_owned(),
        status: output.status.code(),
    }
}

fn boot_scenario(board: &Board, scenario: &str) -> Run {
    boot(board, &board.out_dir.join("combined.hex"), scenario)
}

fn run_scenario(board: &'static Board, name: &str) -> Run {
    // The blob announces its number and name: the host's list
    // (`qemu::SCENARIOS`) and the blob's must agree.
    let boot_argument = mcu_build::qemu::scenario_argument(name).unwrap();
    let run = boot_scenario(board, name);
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
    run.assert_line_starts(&report);
    run.assert_kernel_carried_on();
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

/// Runs a scenario whose instruction the core itself refuses; checks that
/// it announced `<instruction> at pc <address>`, that the kernel reported
/// `report` at exactly that PC, outlived the blob, and that the blob never
/// got past the instruction. Returns the announced words before ` at pc`.
fn stopped_by_the_core(board: &'static Board, name: &str, report: &str) -> String {
    let run = run_scenario(board, name);
    let prefix = format!("user: {name}: ");
    let (instruction, pc) = run
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .find_map(|rest| rest.split_once(" at pc 0x"))
        .unwrap_or_else(|| panic!("{name} announced no instruction:\n{}", run.console));
    let pc = u32::from_str_radix(pc, 16).unwrap();
    assert!(
        board.user_flash.contains(pc, 2),
        "{name}: pc {pc:#010x} is not in user flash"
    );
    run.assert_line(&format!("kernel: user fault: {report} (pc {pc:#010x})"));
    run.assert_kernel_carried_on();
    run.assert_status(USER_FAULT);
    instruction.to_owned()
}

/// `udf` is a UsageFault (UNDEFINSTR) at its own PC.
fn undefined_instruction_is_a_usage_fault(board: &'static Board) {
    let instruction = stopped_by_the_core(
        board,
        "undefined-instruction",
        "UsageFault: undefined instruction [UNDEFINSTR]",
    );
    assert_eq!(instruction, "udf");
}

/// The blob pushes until its stack runs out. The stack is at the bottom
/// of user SRAM: on ARMv7-M the MPU refuses the first word below it; on
/// ARMv8-M the kernel's PSPLIM stops the push before that (STKOF). Either
/// way the core cannot stack the exception frame there, so the kernel
/// reports no PC rather than a wrong one, and says why.
fn stack_overflow_stops_at_the_bottom_of_user_sram(board: &'static Board) {
    let run = run_scenario(board, "stack-overflow");
    let bottom = board.user_sram.start;
    run.assert_line_starts(&format!(
        "user: stack-overflow: push down to the stack's bottom {bottom:#010x} at pc 0x"
    ));
    let cause = if board.armv8m {
        "UsageFault: stack overflow (stack limit) [STKOF]".to_owned()
    } else {
        format!(
            "MemManage: data access at {:#010x} denied by the MPU",
            bottom - 4
        )
    };
    run.assert_line(&format!(
        "kernel: user fault: {cause} (no pc: the exception frame was not stacked)"
    ));
    run.assert_kernel_carried_on();
    run.assert_status(USER_FAULT);
}

/// A `bkpt` with no debugger is a debug event that neither halting debug
/// nor the (disabled) DebugMonitor takes: it escalates to HardFault, the
/// one fault the kernel cannot turn off, and the kernel survives it too.
/// QEMU sets HFSR.FORCED for it; a Cortex-M core sets DEBUGEVT, which the
/// kernel reports as a debug event (fault_status's unit tests).
fn breakpoint_is_an_escalated_hard_fault(board: &'static Board) {
    let instruction = stopped_by_the_core(board, "breakpoint", "HardFault: escalated fault");
    assert_eq!(instruction, "bkpt");
}

/// The kernel sets CCR.DIV_0_TRP: `sdiv` by zero faults instead of giving
/// 0 (the blob would say `DIV_0_TRP is off` and exit 1).
fn division_by_zero_is_a_usage_fault(board: &'static Board) {
    let instruction = stopped_by_the_core(
        board,
        "divide-by-zero",
        "UsageFault: division by zero [DIVBYZERO]",
    );
    assert_eq!(instruction, "sdiv 1 / 0");
}

/// `ldrd` needs a word-aligned address even where the MPU grants the
/// memory: one byte into user SRAM is a UsageFault (UNALIGNED).
fn unaligned_ldrd_is_a_usage_fault(board: &'static Board) {
    let instruction = stopped_by_the_core(
        board,
        "unaligned-access",
        "UsageFault: unaligned access [UNALIGNED]",
    );
    let address = instruction
        .strip_prefix("ldrd from 0x")
        .and_then(|address| u32::from_str_radix(address, 16).ok())
        .unwrap_or_else(|| panic!("unaligned-access announced {instruction:?}"));
    assert_eq!(address % 4, 1, "{address:#010x} is not one byte off");
    assert!(
        board.user_sram.contains(address, 8),
        "{address:#010x} is not in user SRAM: the MPU, not alignment, would refuse it"
    );
}

/// The MPU never checks the Private Peripheral Bus; the core itself
/// refuses unprivileged access to the System Control Space with a precise
/// BusFault whose BFAR is the address read.
fn system_control_space_is_a_bus_fault(board: &'static Board) {
    let run = run_scenario(board, "read-system-control-space");
    let access = announced_access(&run, "read-system-control-space");
    assert_eq!(
        access,
        Access {
            kind: "read".to_owned(),
            address: 0xE000_ED00
        }
    );
    let report = "kernel: user fault: BusFault: data read bus error at 0xe000ed00 (pc 0x";
    run.assert_line_starts(report);
    run.assert_kernel_carried_on();
    assert!(
        !run.console.contains("isolation is broken"),
        "{}",
        run.console
    );
    run.assert_status(USER_FAULT);
}

/// The demo prints, sleeps on the kernel timer, reuses freed heap memory
/// and exits 0.
fn demo_exits_zero(board: &'static Board) {
    let run = boot_scenario(board, "demo");
    run.assert_line("user: hello from the user blob, running unprivileged");
    common::assert_slept_20_ms(&run.console);
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

/// The built combined image with the byte at `address` flipped, written
/// into `dir`.
fn combined_with_flipped_byte(board: &Board, address: u32, dir: &Path) -> PathBuf {
    let spec = InputSpec {
        path: board.out_dir.join("combined.hex"),
        base: None,
    };
    let mut image = file::load(&spec).unwrap().image;
    let byte = image.byte_at(address).expect("the address holds data");
    image
        .insert(address, &[byte ^ 0x01], OverlapPolicy::Last)
        .unwrap();
    let path = dir.join("flipped.hex");
    fs::write(&path, ihex::write(&image, RecordLength::default())).unwrap();
    path
}

/// One flipped bit in the user part of combined.hex, in the code after
/// the header: the CRC no longer matches and the kernel refuses to start
/// the blob.
fn flipped_byte_is_refused(board: &'static Board) {
    let dir = tempfile::tempdir().unwrap();
    let address = board.user_flash.start + UserspaceHeader::SIZE as u32 + 0x10;
    let image = combined_with_flipped_byte(board, address, dir.path());
    let run = boot(board, &image, "demo");
    run.assert_line_starts("kernel: refusing the user blob: blob corrupted: CRC32 is 0x");
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
    let dir = tempfile::tempdir().unwrap();
    let mut user = fs::read(board.out_dir.join("user.elf")).unwrap();
    let header_at = {
        let file = object::File::parse(&*user).unwrap();
        let section = file.section_by_name(".user_header").unwrap();
        section.file_range().unwrap().0 as usize
    };
    user[header_at + UserspaceHeader::SIZE + 0x10] ^= 0x01;
    let flash = elf::read(&user).unwrap().image;
    let bytes = flash.segment_at(board.user_flash.start).unwrap().data;
    let header = UserspaceHeader::from_bytes(bytes).unwrap();
    let crc = header.compute_crc(bytes, board.user_flash).unwrap();
    let crc_at = header_at + UserspaceHeader::CRC_OFFSET;
    user[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
    let other_user = dir.path().join("user-other.elf");
    fs::write(&other_user, &user).unwrap();
    let image = dir.path().join("other.hex");
    let merge = mcu_build()
        .args(["hex", "merge"])
        .arg(board.out_dir.join("kernel.hex"))
        .arg(&other_user)
        .arg("-o")
        .arg(&image)
        .output()
        .unwrap();
    assert!(merge.status.success(), "{merge:?}");
    let run = boot(board, &image, "demo");
    run.assert_line_starts(
        "kernel: refusing the user blob: not the blob this kernel was built with",
    );
    run.assert_status(BLOB_REFUSED);
}

/// Without a user blob the kernel finds no magic and says so.
fn missing_blob_is_refused(board: &'static Board) {
    let run = boot(board, &board.out_dir.join("kernel.hex"), "demo");
    run.assert_line_starts("kernel: refusing the user blob: bad magic 0x00000000");
    run.assert_status(BLOB_REFUSED);
}

/// The tests of every board, and the `$extra` ones that the board's QEMU
/// machine can pass.
macro_rules! board_tests {
    ($module:ident, $board:expr $(, $extra:ident)*) => {
        mod $module {
            $(
                #[test]
                fn $extra() {
                    super::$extra(super::board($board));
                }
            )*

            #[test]
            fn demo_exits_zero() {
                super::demo_exits_zero(super::board($board));
            }

            #[test]
            fn kernel_memory_is_out_of_reach() {
                super::kernel_memory_is_out_of_reach(super::board($board));
            }

            #[test]
            fn own_flash_is_read_only_and_own_sram_execute_never() {
                super::own_flash_is_read_only_and_own_sram_execute_never(super::board($board));
            }

            #[test]
            fn peripherals_are_out_of_reach() {
                super::peripherals_are_out_of_reach(super::board($board));
            }

            #[test]
            fn partition_edges_are_exact() {
                super::partition_edges_are_exact(super::board($board));
            }

            #[test]
            fn syscalls_refuse_kernel_pointers() {
                super::syscalls_refuse_kernel_pointers(super::board($board));
            }

            #[test]
            fn undefined_instruction_is_a_usage_fault() {
                super::undefined_instruction_is_a_usage_fault(super::board($board));
            }

            #[test]
            fn stack_overflow_stops_at_the_bottom_of_user_sram() {
                super::stack_overflow_stops_at_the_bottom_of_user_sram(super::board($board));
            }

            #[test]
            fn breakpoint_is_an_escalated_hard_fault() {
                super::breakpoint_is_an_escalated_hard_fault(super::board($board));
            }

            #[test]
            fn division_by_zero_is_a_usage_fault() {
                super::division_by_zero_is_a_usage_fault(super::board($board));
            }

            #[test]
            fn unaligned_ldrd_is_a_usage_fault() {
                super::unaligned_ldrd_is_a_usage_fault(super::board($board));
            }

            #[test]
            fn flipped_byte_is_refused() {
                super::flipped_byte_is_refused(super::board($board));
            }

            #[test]
            fn resealed_other_blob_is_refused() {
                super::resealed_other_blob_is_refused(super::board($board));
            }

            #[test]
            fn missing_blob_is_refused() {
                super::missing_blob_is_refused(super::board($board));
            }
        }
    };
}

// Every scenario on every QEMU board: a run takes a fraction of a second,
// and each board has its own console (PL011 on the LM3S6965), clock (the
// 20 ms sleep), MPU (8 or 16 regions; user SRAM in two regions with
// subregions on the LM3S6965) and memory map (the AN500's PSRAM). Except
// one: QEMU's lm3s6965evb (7.2) lets an unprivileged read of the System
// Control Space through, reading 0, where the architecture (ARMv7-M ARM
// B3.2) and QEMU's MPS2 machines, the Cortex-M3 mps2-an385 included,
// raise a BusFault; the kernel cannot report a fault the core never takes.
board_tests!(lm3s6965evb, "qemu-lm3s6965evb");
board_tests!(
    an386,
    "qemu-mps2-an386",
    system_control_space_is_a_bus_fault
);
board_tests!(
    an500,
    "qemu-mps2-an500",
    system_control_space_is_a_bus_fault
);
board_tests!(
    an505,
    "qemu-mps2-an505",
    system_control_space_is_a_bus_fault
);
