//! A plan that cannot work is refused when it is planned, not at link time
//! or at boot: partitions in the wrong kind of memory or in the System
//! region, and sizes below what the firmware puts there. Each minimum is
//! checked on both sides: one byte (or granule) less is refused with the
//! partition, the key, the value and the minimum; the minimum plans.

mod common;

use assert_cmd::Command;
use firmware_abi::UserspaceHeader;
use mcu_build::board::{self, Board, Memory};
use mcu_build::build::protect::Project;
use mcu_build::layout::needs::{EXCEPTION_FRAME, PROCESS_RECORD, SYSTEM_REGION_START};
use mcu_build::layout::request::{Owner, PartitionRequest, Request, Size, Splits};
use mcu_build::layout::{PlanError, plan};
use mcu_build::mpu::{Access, MemoryKind};

fn bundled(name: &str) -> Board {
    board::bundled(name).unwrap()
}

/// The board's request with partition `name` changed by `edit`.
fn edited(board: &Board, name: &str, edit: impl FnOnce(&mut PartitionRequest)) -> Request {
    let mut request = board.partitions.clone();
    edit(
        request
            .partitions
            .iter_mut()
            .find(|p| p.name == name)
            .unwrap(),
    );
    request
}

fn sized(board: &Board, name: &str, bytes: u64) -> Request {
    edited(board, name, |p| p.size = Size::Bytes(bytes))
}

/// The parts of a `TooSmall` refusal: partition, key, value, minimum.
fn too_small(error: &PlanError) -> (&str, &str, u64, u64) {
    match error {
        PlanError::TooSmall {
            partition,
            key,
            value,
            minimum,
            ..
        } => (partition, key, *value, *minimum),
        other => panic!("expected TooSmall, got {other}"),
    }
}

#[test]
fn standard_partitions_must_be_in_their_kind_of_memory() {
    let b = bundled("stm32f4discovery");
    let cases = [
        ("kernel-flash", "sram2", MemoryKind::Flash),
        ("user-flash", "sram2", MemoryKind::Flash),
        ("kernel-sram", "flash", MemoryKind::Ram),
        ("user-sram", "flash", MemoryKind::Ram),
    ];
    for (name, memory, expected) in cases {
        let request = edited(&b, name, |p| {
            p.memory = memory.into();
            p.size = Size::Bytes(32 * 1024);
        });
        let error = plan(&b, &request).unwrap_err();
        let PlanError::WrongKind {
            partition,
            memory: found,
            expected: wanted,
            ..
        } = &error
        else {
            panic!("{name}: {error}");
        };
        assert_eq!((partition.as_str(), found.as_str()), (name, memory));
        assert_eq!(*wanted, expected);
        assert!(
            error
                .to_string()
                .contains(&format!("{name} must be in a {expected} memory")),
            "{error}"
        );
    }
    // Kernel partitions are not granted anything: the message says what
    // they hold instead.
    for (name, memory, reason) in [
        ("kernel-sram", "flash", "flash is not written by stores"),
        ("kernel-flash", "sram2", "ram loses them at power-off"),
    ] {
        let error = plan(
            &b,
            &edited(&b, name, |p| {
                p.memory = memory.into();
                p.size = Size::Bytes(8 * 1024);
            }),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("a kernel partition there holds"), "{error}");
        assert!(error.contains(reason), "{error}");
        assert!(!error.contains("user partition"), "{error}");
    }
    // User SRAM in flash would be granted r-x: the message says so.
    let error = plan(
        &b,
        &edited(&b, "user-sram", |p| {
            p.memory = "flash".into();
            p.size = Size::Bytes(32 * 1024);
        }),
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("granted r-x there, it needs rw-"),
        "{error}"
    );
}

#[test]
fn an_extra_user_partition_takes_the_access_of_its_memory() {
    let b = bundled("stm32f4discovery");
    let mut request = sized(&b, "user-flash", 512 * 1024);
    request.partitions.push(PartitionRequest {
        name: "user-tables".into(),
        owner: Owner::User,
        memory: "flash".into(),
        size: Size::Bytes(64 * 1024),
        origin: None,
    });
    request.partitions.retain(|p| p.name != "user-ccm-heap");
    let p = plan(&b, &request).unwrap();
    assert_eq!(
        p.partition("user-tables").unwrap().access,
        Access::ReadExecute
    );
    assert!(p.verify().is_ok());
}

/// `board` with one more memory, `system`, from `origin` for `length`
/// bytes, holding an extra user partition.
fn with_memory_at(board: &Board, origin: u32, length: u64) -> (Board, Request) {
    let mut board = board.clone();
    board.memories.push(Memory {
        name: "system".into(),
        kind: MemoryKind::Ram,
        origin,
        length,
    });
    let mut request = board.partitions.clone();
    request.partitions.push(PartitionRequest {
        name: "user-system".into(),
        owner: Owner::User,
        memory: "system".into(),
        size: Size::Rest,
        origin: None,
    });
    (board, request)
}

#[test]
fn no_partition_lives_in_the_system_region() {
    let b = bundled("qemu-mps2-an386");
    let start = SYSTEM_REGION_START as u32;
    // Memories that start in the System region hold nothing.
    for (origin, length) in [(start, 0x1000), (0xFFFF_F000, 0x1000)] {
        let (board, request) = with_memory_at(&b, origin, length);
        let error = plan(&board, &request).unwrap_err();
        let PlanError::SystemRegion {
            partition,
            memory,
            range,
        } = &error
        else {
            panic!("{origin:#x}: {error}");
        };
        assert_eq!(
            (partition.as_str(), memory.as_str(), range.start),
            ("user-system", "system", u64::from(origin))
        );
        assert!(error.to_string().contains("System region"), "{error}");
        assert!(error.to_string().contains("B3.5"), "{error}");
    }
    // Ending exactly where the System region starts is fine.
    let (board, request) = with_memory_at(&b, start - 0x1000, 0x1000);
    let p = plan(&board, &request).unwrap();
    assert_eq!(p.partition("user-system").unwrap().end, SYSTEM_REGION_START);
    // A memory that crosses into it holds partitions below it: `rest` takes
    // what lies below, a fixed 32 KiB ending at the boundary plans.
    let (board, request) = with_memory_at(&b, start - 0x1000, 0x2000);
    let p = plan(&board, &request).unwrap();
    let system = p.partition("user-system").unwrap();
    assert_eq!(
        (system.start, system.end),
        (SYSTEM_REGION_START - 0x1000, SYSTEM_REGION_START)
    );
    let (board, mut request) = with_memory_at(&b, start - 0x10000, 0x20000);
    let last = request.partitions.last_mut().unwrap();
    last.size = Size::Bytes(0x8000);
    last.origin = Some(0xDFFF_8000);
    let p = plan(&board, &request).unwrap();
    let system = p.partition("user-system").unwrap();
    assert_eq!(
        (system.start, system.end),
        (0xDFFF_8000, SYSTEM_REGION_START)
    );
    assert!(p.verify().is_ok());
    // A partition that itself reaches the System region is refused, with
    // its own range.
    let last = request.partitions.last_mut().unwrap();
    last.origin = Some(0xDFFF_C000);
    let error = plan(&board, &request).unwrap_err();
    let PlanError::SystemRegion {
        partition, range, ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(partition, "user-system");
    assert_eq!(*range, 0xDFFF_C000..0xE000_4000);
}

#[test]
fn user_flash_holds_the_user_header_and_an_instruction() {
    let b = bundled("qemu-mps2-an386");
    // 64 bytes of header and 2 of instruction, in whole 32-byte granules.
    let minimum = (UserspaceHeader::SIZE as u64 + 2).next_multiple_of(32);
    assert_eq!(minimum, 96);
    let error = plan(&b, &sized(&b, "user-flash", minimum - 32)).unwrap_err();
    assert_eq!(
        too_small(&error),
        ("user-flash", "user-flash", minimum - 32, minimum)
    );
    assert!(
        error.to_string().contains("user header (64 bytes)"),
        "{error}"
    );
    // The nearest size that plans is the minimum itself.
    assert!(
        error
            .to_string()
            .contains("sizes of user-flash that plan: none below, 96 bytes"),
        "{error}"
    );
    assert!(plan(&b, &sized(&b, "user-flash", minimum)).is_ok());
}

#[test]
fn kernel_flash_holds_the_vector_table() {
    let b = bundled("qemu-mps2-an386");
    let error = plan(&b, &sized(&b, "kernel-flash", 63)).unwrap_err();
    assert_eq!(too_small(&error), ("kernel-flash", "kernel-flash", 63, 64));
    assert!(plan(&b, &sized(&b, "kernel-flash", 64)).is_ok());
}

#[test]
fn the_kernel_heap_holds_the_process_record() {
    let b = bundled("qemu-mps2-an386");
    let mut request = b.partitions.clone();
    request.kernel_heap = 0;
    let error = plan(&b, &request).unwrap_err();
    assert_eq!(
        too_small(&error),
        ("kernel-sram", "kernel-heap", 0, PROCESS_RECORD)
    );
    assert!(
        error.to_string().contains("`kernel-heap` = 0 bytes"),
        "{error}"
    );
    request.kernel_heap = PROCESS_RECORD;
    assert!(plan(&b, &request).is_ok());
}

#[test]
fn sram_partitions_hold_their_stacks_and_heaps() {
    let b = bundled("qemu-mps2-an386");
    let splits = Splits::default();
    // User SRAM: the user stack and heap, whole granules.
    let user = splits.user_stack + splits.user_heap;
    for value in [0, user - 32] {
        let error = plan(&b, &sized(&b, "user-sram", value)).unwrap_err();
        assert_eq!(too_small(&error), ("user-sram", "user-sram", value, user));
        assert!(error.to_string().contains("`user-stack` = 8192"), "{error}");
    }
    assert!(plan(&b, &sized(&b, "user-sram", user)).is_ok());
    // Kernel SRAM: the kernel stack and the kernel heap.
    let kernel = splits.kernel_stack + b.partitions.kernel_heap;
    let error = plan(&b, &sized(&b, "kernel-sram", kernel - 1)).unwrap_err();
    assert_eq!(
        too_small(&error),
        ("kernel-sram", "kernel-sram", kernel - 1, kernel)
    );
    assert!(plan(&b, &sized(&b, "kernel-sram", kernel)).is_ok());
}

#[test]
fn stacks_hold_an_exception_frame_and_are_rounded_as_the_linker_does() {
    let b = bundled("qemu-mps2-an386");
    let with = |splits: Splits| Request {
        splits,
        ..b.partitions.clone()
    };
    let small = Splits {
        kernel_stack: EXCEPTION_FRAME,
        user_stack: EXCEPTION_FRAME,
        user_heap: 0,
    };
    assert!(plan(&b, &with(small)).is_ok());
    let error = plan(
        &b,
        &with(Splits {
            user_stack: EXCEPTION_FRAME - 8,
            ..small
        }),
    )
    .unwrap_err();
    assert_eq!(
        too_small(&error),
        (
            "user-sram",
            "user-stack",
            EXCEPTION_FRAME - 8,
            EXCEPTION_FRAME
        )
    );
    let error = plan(
        &b,
        &with(Splits {
            kernel_stack: 0,
            ..small
        }),
    )
    .unwrap_err();
    assert_eq!(
        too_small(&error),
        ("kernel-sram", "kernel-stack", 0, EXCEPTION_FRAME)
    );
    // user.ld rounds the stack up to 8 bytes: a 36-byte stack and a
    // 24-byte heap need 64 bytes of user SRAM, two granules.
    let mut request = with(Splits {
        user_stack: 36,
        user_heap: 24,
        ..small
    });
    request.partitions[3].size = Size::Bytes(32);
    let error = plan(&b, &request).unwrap_err();
    assert_eq!(too_small(&error), ("user-sram", "user-sram", 32, 64));
    request.partitions[3].size = Size::Bytes(64);
    assert!(plan(&b, &request).is_ok());
}

#[test]
fn a_rest_partition_left_too_small_is_refused() {
    let b = bundled("stm32f4discovery");
    // 112 KiB of SRAM1: 96 KiB for the user leaves the kernel 16 KiB, less
    // than its 8 KiB stack and 16 KiB heap.
    let mut request = sized(&b, "user-sram", 96 * 1024);
    request
        .partitions
        .iter_mut()
        .find(|p| p.name == "kernel-sram")
        .unwrap()
        .size = Size::Rest;
    let error = plan(&b, &request).unwrap_err();
    let PlanError::TooSmall {
        partition,
        rest,
        minimum,
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(
        (partition.as_str(), *rest, *minimum),
        ("kernel-sram", true, 24 * 1024)
    );
    assert!(
        error.to_string().contains(
            "`kernel-sram` = \"rest\" leaves it 16384 bytes, below the minimum of 24576 bytes"
        ),
        "{error}"
    );
}

#[test]
fn protect_refuses_a_zero_kernel_heap_from_mcu_build_toml() {
    let dir = common::Dir::new();
    let config = dir.write(
        "mcu-build.toml",
        "board = \"qemu-mps2-an386\"\n[layout]\nkernel-heap = \"0\"\n\
         [pass1]\ncommand = \"true\"\nartifact = \"u.elf\"\n\
         [pass2]\ncommand = \"true\"\nartifact = \"k.elf\"\n",
    );
    let error = Project::open(&config, None).unwrap_err().to_string();
    assert!(error.contains("`kernel-heap` = 0 bytes"), "{error}");
    assert!(error.contains("minimum of 36 bytes"), "{error}");
}

#[test]
fn the_layout_command_refuses_user_sram_in_flash() {
    let dir = common::Dir::new();
    let text = include_str!("../src/board/boards/stm32f4discovery.toml").replace(
        "user-sram = { memory = \"sram1\", size = \"rest\" }",
        "user-sram = { memory = \"flash\", size = \"8K\" }",
    );
    let file = dir.write("board.toml", text);
    let out = Command::cargo_bin("mcu-build")
        .unwrap()
        .args(["layout", "--board-file"])
        .arg(&file)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("partition user-sram is in memory flash, a flash memory"),
        "{stderr}"
    );
}
