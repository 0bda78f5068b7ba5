//! Three isolated processes with grants (Tock's model) on the bundled
//! kernel, built by `build::processes::build_all` at addresses this test
//! chooses and booted in QEMU on mps2-an386 (ARMv7-M) and mps2-an505
//! (ARMv8-M).
//!
//! The layout: the board's kernel partitions, then per process 32 KiB of
//! flash and 8 KiB of RAM whose top 1 KiB is its grant region; every
//! partition is aligned so that one MPU region grants each exactly (the
//! covers come from `mpu::Arch::cover`, as the planner's do). The demo
//! processes (`firmware/userspace/src/bin/process_*.rs`):
//!
//! - A starts alarms until the kernel answers `-ENOMEM` (its grant region
//!   is full), then computes without a system call;
//! - B waits on a 10 ms alarm ten times and reports how late it woke;
//! - C makes one forbidden access per start, chosen by its restart count,
//!   and is restarted (fresh memory, grant region emptied) until its
//!   limit stops it.
//!
//! Needs `qemu-system-arm` and the boards' thumb targets.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use firmware_abi::FaultPolicy;
use firmware_abi::errno::ENOMEM;
use mcu_build::board::{self, Board};
use mcu_build::build::config::{Pass, Syscalls};
use mcu_build::build::process_table::ProcessSpec;
use mcu_build::build::processes::{self, KernelBuild, ProcessBuild, SystemPlan};
use mcu_build::mpu::{Arch, MemoryKind, RegionNumber, Registers, armv8m};
use mcu_build::qemu::{self, Ending, RunOptions};

const FLASH_PER_PROCESS: u64 = 32 * 1024;
const RAM_PER_PROCESS: u64 = 8 * 1024;
const GRANT: u64 = 1024;
const TIME_SLICE_MS: u32 = 2;
const C_RESTARTS: u32 = 5;
/// The kernel partitions: the first 256 KiB of the board's flash and the
/// first 64 KiB of its RAM, as the boards' default plans have them.
const KERNEL_FLASH: u64 = 256 * 1024;
const KERNEL_SRAM: u64 = 64 * 1024;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cargo(package: &str, bin: &str) -> Pass {
    Pass::Cargo {
        package: PathBuf::from(package),
        bin: bin.to_owned(),
        features: Vec::new(),
    }
}

/// One region granting exactly `range` to unprivileged code, as region
/// `number`.
fn exact_region(
    arch: Arch,
    range: &Range<u64>,
    kind: MemoryKind,
    number: u8,
) -> (RegionNumber, Registers) {
    let regions = arch.cover(range.clone(), 1, kind).unwrap();
    assert_eq!(regions.len(), 1, "{range:x?} is not one region");
    let number = RegionNumber::new(number).unwrap();
    (number, regions[0].registers(number))
}

/// Process `index` (0, 1, 2) named `name` with `policy`.
fn process(board: &Board, index: u64, name: &str, policy: FaultPolicy) -> ProcessBuild {
    let arch = board.mpu.as_ref().unwrap().arch;
    let flash_origin = u64::from(board.memories[0].origin);
    let ram_origin = u64::from(board.memories[1].origin);
    let flash_start = flash_origin + KERNEL_FLASH + index * FLASH_PER_PROCESS;
    let ram_start = ram_origin + KERNEL_SRAM + index * RAM_PER_PROCESS;
    let flash = flash_start..flash_start + FLASH_PER_PROCESS;
    let ram = ram_start..ram_start + RAM_PER_PROCESS;
    let grant = ram.end - GRANT..ram.end;
    let regions = vec![
        exact_region(arch, &flash, MemoryKind::Flash, 0),
        exact_region(arch, &(ram.start..grant.start), MemoryKind::Ram, 1),
    ];
    ProcessBuild {
        spec: ProcessSpec {
            name: name.to_owned(),
            header: None,
            flash,
            ram,
            grant,
            regions,
            fault_policy: policy,
            time_slice_ms: TIME_SLICE_MS,
        },
        pass: cargo("firmware/userspace", &format!("process_{name}")),
        stack_size: 2048,
        heap_size: 0,
    }
}

/// The console of one boot, its exit status, and the processes it ran.
struct Run {
    console: String,
    processes: Vec<ProcessSpec>,
    kernel_sram: u64,
}

impl Run {
    fn assert_line(&self, expected: &str) {
        assert!(
            self.console.lines().any(|line| line == expected),
            "no line `{expected}` on the console:\n{}",
            self.console
        );
    }

    fn line_starting(&self, prefix: &str) -> &str {
        self.console
            .lines()
            .find(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting `{prefix}`:\n{}", self.console))
    }

    fn assert_line_prefix(&self, prefix: &str) {
        self.line_starting(prefix);
    }

    fn spec(&self, name: &str) -> &ProcessSpec {
        self.processes.iter().find(|p| p.name == name).unwrap()
    }
}

/// A number at the start of `text`, decimal.
fn number(text: &str) -> u64 {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number at {text:?}"))
}

/// Builds the three processes with `policies` (a, b, c) for `board_name`
/// in `out` (under target/mcu-build/), boots them with `boot_argument`
/// and returns the console; the run must end with status 0.
fn build_and_boot(
    board_name: &str,
    out: &str,
    policies: [FaultPolicy; 3],
    boot_argument: u32,
) -> Run {
    let board = board::bundled(board_name).unwrap();
    let arch = board.mpu.as_ref().unwrap().arch;
    let root = repository();
    let out_dir = root.join("target/mcu-build").join(out).join(board_name);
    let syscalls = Syscalls {
        csv: PathBuf::from("firmware/abi/syscall.csv"),
        checks: Some(PathBuf::from("firmware/abi/syscall-checks.toml")),
    };
    let flash_origin = u64::from(board.memories[0].origin);
    let ram_origin = u64::from(board.memories[1].origin);
    let plan = SystemPlan {
        board: &board,
        root: &root,
        out_dir: &out_dir,
        syscalls: Some(&syscalls),
        mair0: (arch == Arch::Armv8m).then_some(armv8m::MAIR0),
        kernel: KernelBuild {
            pass: cargo("firmware/kernel", "kernel"),
            flash: flash_origin..flash_origin + KERNEL_FLASH,
            sram: ram_origin..ram_origin + KERNEL_SRAM,
            stack_size: 8 * 1024,
            heap_size: 16 * 1024,
        },
        processes: vec![
            process(&board, 0, "a", policies[0]),
            process(&board, 1, "b", policies[1]),
            process(&board, 2, "c", policies[2]),
        ],
    };
    let built = processes::build_all(&plan, &mut |_| {}).unwrap();
    assert!(built.table.processes.iter().all(|p| p.header.is_some()));

    let options = RunOptions {
        image: out_dir.join("combined.hex"),
        base: None,
        machine: board.qemu_machine.clone().unwrap(),
        boot_argument,
        timeout: Duration::from_secs(60),
        expect: Vec::new(),
        fail: Vec::new(),
    };
    let mut console = Vec::new();
    let ending = qemu::run(&options, &mut console).unwrap();
    let console = String::from_utf8(console).unwrap();
    assert_eq!(
        ending,
        Ending::Exited(0),
        "every fault was one C announced at its address, and A and B checked their part:\n{console}"
    );
    Run {
        console,
        processes: built.table.processes,
        kernel_sram: plan.kernel.sram.start,
    }
}

/// The kernel prints each process's MPU registers once: they are the ones
/// the table holds (ARMv7-M's RBAR without VALID and REGION, as the kernel
/// writes it with RNR).
fn mpu_registers_are_the_tables(run: &Run) {
    for process in &run.processes {
        for (number, registers) in &process.regions {
            let (rbar, second) = match registers {
                Registers::Armv7m(r) => (r.rbar & !0x1f, format!("RASR={:#010x}", r.rasr)),
                Registers::Armv8m(r) => (r.rbar, format!("RLAR={:#010x}", r.rlar)),
            };
            run.assert_line(&format!(
                "kernel: process {}: MPU region {number}: RBAR={rbar:#010x} {second}",
                process.name
            ));
        }
    }
}

/// Every process reaches the first and last byte of its flash and of its
/// RAM below the grant region.
fn every_process_reaches_its_own_partitions(run: &Run) {
    for process in &run.processes {
        let name = &process.name;
        run.assert_line(&format!(
            "user: {name}: flash [{:#010x}, {:#010x}): first and last byte read",
            process.flash.start, process.flash.end
        ));
        run.assert_line(&format!(
            "user: {name}: RAM [{:#010x}, {:#010x}): first and last byte read and written",
            process.ram.start, process.grant.start
        ));
    }
}

/// A's alarms fill its grant region: ENOMEM for A, and the kernel's count
/// of A's grant bytes leaves no room for one more alarm. Returns the bytes
/// one alarm takes in a grant region.
fn grant_exhaustion_fails_for_a_alone(run: &Run) -> u64 {
    let line = run.line_starting("user: a: alarm_start answered ");
    let rest = line.strip_prefix("user: a: alarm_start answered ").unwrap();
    let enomem = format!("-{ENOMEM} after ");
    assert!(rest.starts_with(&enomem), "{line}");
    let alarms = number(rest.strip_prefix(&enomem).unwrap());
    assert!(alarms > 0, "{line}");
    let end = run.line_starting("kernel: process a exited with status 0; grant ");
    let used = number(
        end.strip_prefix("kernel: process a exited with status 0; grant ")
            .unwrap(),
    );
    assert!(end.ends_with(&format!(" of {GRANT} bytes used")), "{end}");
    let per_alarm = used / alarms;
    assert_eq!(used % alarms, 0, "{end}");
    assert!(
        used <= GRANT && GRANT - used < per_alarm,
        "{end}: room for another alarm"
    );
    run.assert_line_prefix("user: a: computed for 60 ms");
    per_alarm
}

/// B's alarm fires on time while A computes and C faults: never later than
/// the other two processes' time slices and a tick.
fn b_is_woken_on_time(run: &Run, per_alarm: u64) {
    let prefix = "user: b: 10 alarms every 10 ms, at most ";
    let late = number(run.line_starting(prefix).strip_prefix(prefix).unwrap());
    let bound = u64::from(2 * TIME_SLICE_MS + 1);
    assert!(
        late <= bound,
        "B woke {late} ms late, more than {bound}:\n{}",
        run.console
    );
    run.assert_line(&format!(
        "kernel: process b exited with status 0; grant {per_alarm} of {GRANT} bytes used"
    ));
}

/// Each of C's attacks faults at the boundary it crossed (MMFAR), and C
/// is restarted with its grant region emptied until its limit stops it.
fn c_faults_at_each_boundary_and_is_restarted_then_stopped(run: &Run, per_alarm: u64) {
    let c = run.spec("c");
    let b = run.spec("b");
    let attacks = [
        ("read its own grant region", "read", c.grant.start),
        ("write its own flash", "write", c.flash.start),
        ("read kernel RAM", "read", run.kernel_sram),
        ("read process b's RAM", "read", b.ram.start),
        ("read past the end of its flash", "read", c.flash.end),
        ("read before the start of its RAM", "read", c.ram.start - 1),
    ];
    for (start, (what, kind, address)) in attacks.iter().enumerate() {
        run.assert_line(&format!(
            "user: c: start {start}: alarm 0 in the grant region"
        ));
        run.assert_line(&format!("user: c: {what}: {kind} at {address:#010x}"));
        run.assert_line_prefix(&format!(
            "kernel: process c: user fault: MemManage: data {kind} at {address:#010x} denied by the MPU (pc 0x"
        ));
        run.assert_line(&format!(
            "kernel: process c: the fault at {address:#010x} was announced"
        ));
    }
    for restart in 1..=C_RESTARTS {
        run.assert_line(&format!(
            "kernel: process c restarted ({restart} of {C_RESTARTS}); grant emptied, {per_alarm} bytes freed"
        ));
    }
    run.assert_line(&format!(
        "kernel: process c reached its restart limit ({C_RESTARTS}) and is stopped; grant {per_alarm} of {GRANT} bytes used"
    ));
    assert!(
        !run.console.contains("isolation is broken"),
        "{}",
        run.console
    );
    run.assert_line_prefix("kernel: 1 of 3 processes stopped by faults; the kernel keeps running");
}

fn check(board: &str) {
    let c = FaultPolicy::Restart { limit: C_RESTARTS };
    let run = build_and_boot(
        board,
        "processes",
        [FaultPolicy::Stop, FaultPolicy::Stop, c],
        0,
    );
    mpu_registers_are_the_tables(&run);
    every_process_reaches_its_own_partitions(&run);
    let per_alarm = grant_exhaustion_fails_for_a_alone(&run);
    b_is_woken_on_time(&run, per_alarm);
    c_faults_at_each_boundary_and_is_restarted_then_stopped(&run, per_alarm);
}

/// With `PROBE_BOUNDARIES` every process reads, one start after another,
/// the byte before and past its flash and before and past its RAM below
/// the grant region: each read faults at exactly that address (MMFAR), the
/// kernel finds it announced, and the run succeeds.
fn every_boundary_faults_at_its_address(board: &str) {
    let policy = FaultPolicy::Restart { limit: 4 };
    let run = build_and_boot(
        board,
        "processes-boundaries",
        [policy; 3],
        firmware_abi::PROBE_BOUNDARIES,
    );
    for process in &run.processes {
        let name = &process.name;
        let beyond = [
            process.flash.start - 1,
            process.flash.end,
            process.ram.start - 1,
            process.grant.start,
        ];
        for address in beyond {
            run.assert_line_prefix(&format!(
                "kernel: process {name}: user fault: MemManage: data read at {address:#010x} \
                 denied by the MPU"
            ));
            run.assert_line(&format!(
                "kernel: process {name}: the fault at {address:#010x} was announced"
            ));
        }
        run.assert_line(&format!("user: {name}: every boundary probed"));
    }
}

#[test]
fn every_boundary_faults_on_mps2_an386() {
    every_boundary_faults_at_its_address("qemu-mps2-an386");
}

#[test]
fn every_boundary_faults_on_mps2_an505() {
    every_boundary_faults_at_its_address("qemu-mps2-an505");
}

#[test]
fn three_processes_on_mps2_an386() {
    check("qemu-mps2-an386");
}

#[test]
fn three_processes_on_mps2_an505() {
    check("qemu-mps2-an505");
}
