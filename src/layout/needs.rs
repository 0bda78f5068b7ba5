//! What a partition needs in order to work, checked when the layout is
//! planned so that a plan that cannot work is refused then, not at link
//! time or at boot.
//!
//! - **The right kind of memory.** The standard flash partitions hold code
//!   and must be in a `flash` memory; the standard SRAM partitions hold
//!   stacks, data and heaps and must be in a `ram` memory. A user partition
//!   is granted the access of its memory's kind (`r-x` in flash, `rw-` in
//!   RAM), so user SRAM placed in flash would be granted `r-x` and fault on
//!   its first store.
//! - **Outside the System region.** Addresses from `0xE0000000` up are the
//!   System region of the ARMv7-M and ARMv8-M memory map: the Private
//!   Peripheral Bus and the vendor system region, both Execute Never, where
//!   MPU attributes do not apply to the PPB, whose accesses always use the
//!   default memory map (ARMv7-M ARM B3.1, "The system address map", and
//!   B3.5, "Protected Memory System Architecture"). The rule is about
//!   addresses, not memories: no partition may reach `0xE0000000`, but a
//!   memory that crosses it still holds partitions below it ([`usable`]).
//! - **Whole MPU granules.** Every MPU boundary is a multiple of
//!   [`GRANULE`] (32 bytes) on both architectures, so a user partition with
//!   a fixed size or origin off that grid can never be granted exactly.
//! - **Room for what the firmware puts there** ([`minimum`]), from the
//!   linker scripts in `templates/linker/` and the firmware ABI:
//!   - kernel flash: the vector table at its origin (`kernel.ld`), the
//!     initial main stack pointer and the 15 system exception vectors,
//!     [`VECTOR_TABLE`] bytes (ARMv7-M ARM B1.5.3; ARMv8-M the same);
//!   - user flash: the user header at its origin (`user.ld`,
//!     [`UserspaceHeader::SIZE`]) and, after it, the entry point, which the
//!     kernel requires to lie inside `.text`: one 16-bit Thumb instruction;
//!   - kernel SRAM: the kernel stack (`kernel-stack`) and the kernel heap
//!     (`kernel-heap`), which `kernel.ld` reserves there;
//!   - user SRAM: the user stack (`user-stack`) and the user heap
//!     (`user-heap`), which `user.ld` reserves there;
//!   - any other partition: at least one byte (a user one, one granule);
//!   - a stack: the basic frame the core pushes on every exception entry,
//!     [`EXCEPTION_FRAME`] bytes (ARMv7-M ARM B1.5.6), since the kernel
//!     takes interrupts on its stack and the user blob enters the kernel
//!     through `SVC` from its own;
//!   - the kernel heap: its one tenant in `firmware-kernel`, the process
//!     record the kernel allocates at boot (the process stack pointer and
//!     r4–r11), [`PROCESS_RECORD`] bytes.
//!
//!   The linker scripts round each stack up to [`STACK_ALIGNMENT`] bytes
//!   (the AAPCS alignment of a public interface's stack), and a user
//!   partition's minimum is rounded up to whole granules. These are lower
//!   bounds: `.data` and `.bss` come on top of them, and only the linker
//!   knows their size.

use firmware_abi::UserspaceHeader;

use super::planner::PlanError;
use super::request::{
    KERNEL_FLASH, KERNEL_SRAM, Owner, PartitionRequest, Request, SPLIT_KEYS, Size, USER_FLASH,
    USER_SRAM,
};
use crate::board::{Board, Memory};
use crate::mpu::{GRANULE, MemoryKind, align_up};
use std::ops::Range;

/// The first address of the System region.
pub const SYSTEM_REGION_START: u64 = 0xE000_0000;

/// The initial main stack pointer and 15 system exception vectors, one
/// 32-bit word each.
pub const VECTOR_TABLE: u64 = 16 * 4;

/// One 16-bit Thumb instruction: the smallest `.text` an entry point can
/// lie in.
pub const THUMB_INSTRUCTION: u64 = 2;

/// r0–r3, r12, lr, pc and xPSR: the basic exception frame, one word each.
pub const EXCEPTION_FRAME: u64 = 8 * 4;

/// The process record `firmware-kernel` allocates on its heap at boot:
/// the process stack pointer and r4–r11, one word each.
pub const PROCESS_RECORD: u64 = 9 * 4;

/// The alignment the linker scripts give each stack.
pub const STACK_ALIGNMENT: u64 = 8;

/// The kind of memory a standard partition must be in; `None` for extra
/// partitions, whose access simply follows their memory.
pub fn required_kind(partition: &str) -> Option<MemoryKind> {
    match partition {
        KERNEL_FLASH | USER_FLASH => Some(MemoryKind::Flash),
        KERNEL_SRAM | USER_SRAM => Some(MemoryKind::Ram),
        _ => None,
    }
}

/// Why a standard partition of `owner` cannot work in a `kind` memory
/// when it needs an `expected` one: a user partition is granted its
/// memory's access, the kernel reaches memory through the default map, so
/// only what is stored there matters.
pub fn why_kind(owner: Owner, kind: MemoryKind, expected: MemoryKind) -> String {
    match (owner, expected) {
        (Owner::User, _) => format!(
            "a user partition is granted {} there, it needs {}",
            kind.user_access(),
            expected.user_access()
        ),
        (Owner::Kernel, MemoryKind::Flash) => format!(
            "a kernel partition there holds code, and kernel flash the vector table the core \
             fetches at reset, which need non-volatile memory; {kind} loses them at power-off"
        ),
        (Owner::Kernel, _) => format!(
            "a kernel partition there holds the kernel's stack, data or heap, which it writes \
             with ordinary stores; {kind} is not written by stores"
        ),
    }
}

/// The smallest size a partition may have, and what it must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minimum {
    pub bytes: u64,
    /// What the minimum is made of, with the keys that set it.
    pub holds: String,
}

/// The smallest size of partition `p` in `request`.
pub fn minimum(p: &PartitionRequest, request: &Request) -> Minimum {
    let splits = &request.splits;
    let stack = |bytes: u64| align_up(bytes, STACK_ALIGNMENT);
    let (bytes, holds) = match p.name.as_str() {
        KERNEL_FLASH => (
            VECTOR_TABLE,
            format!("the vector table, {VECTOR_TABLE} bytes"),
        ),
        USER_FLASH => (
            UserspaceHeader::SIZE as u64 + THUMB_INSTRUCTION,
            format!(
                "the user header ({} bytes) and one Thumb instruction ({THUMB_INSTRUCTION} bytes)",
                UserspaceHeader::SIZE
            ),
        ),
        KERNEL_SRAM => (
            stack(splits.kernel_stack) + request.kernel_heap,
            format!(
                "the kernel stack (`kernel-stack` = {}) and the kernel heap (`kernel-heap` = {})",
                splits.kernel_stack, request.kernel_heap
            ),
        ),
        USER_SRAM => (
            stack(splits.user_stack) + splits.user_heap,
            format!(
                "the user stack (`user-stack` = {}) and the user heap (`user-heap` = {})",
                splits.user_stack, splits.user_heap
            ),
        ),
        _ => (1, "at least one byte".to_owned()),
    };
    match p.owner {
        Owner::Kernel => Minimum { bytes, holds },
        Owner::User => Minimum {
            bytes: align_up(bytes, GRANULE),
            holds: format!("{holds}, in whole {GRANULE}-byte MPU granules"),
        },
    }
}

/// The key a partition's size is set by: its name in `[layout]` of
/// `mcu-build.toml` and in a board's `[partitions]`, `size` for an extra
/// partition.
fn size_key(p: &PartitionRequest) -> String {
    match required_kind(&p.name) {
        Some(_) => p.name.clone(),
        None => "size".to_owned(),
    }
}

/// Checks what can be known before placing anything: memory kinds, the
/// System region, fixed sizes, granules and the splits.
pub fn check_request(board: &Board, request: &Request) -> Result<(), PlanError> {
    for p in &request.partitions {
        let Some(memory) = board.memory(&p.memory) else {
            continue;
        };
        check_memory(p, memory)?;
        if let Size::Bytes(value) = p.size {
            check_size(p, request, value, false)?;
        }
        check_granules(p)?;
    }
    check_splits(request)
}

/// The part of `memory` below the System region, where partitions may lie:
/// all of it, unless it reaches `0xE0000000`.
pub fn usable(memory: &Memory) -> Memory {
    let end = memory.end().min(SYSTEM_REGION_START);
    Memory {
        length: end.saturating_sub(u64::from(memory.origin)),
        ..memory.clone()
    }
}

fn check_memory(p: &PartitionRequest, memory: &Memory) -> Result<(), PlanError> {
    if let Some(expected) = required_kind(&p.name).filter(|&k| k != memory.kind) {
        return Err(PlanError::WrongKind {
            partition: p.name.clone(),
            owner: p.owner,
            memory: memory.name.clone(),
            kind: memory.kind,
            expected,
        });
    }
    // The addresses the partition is known to reach: at a fixed origin its
    // range, otherwise at least its memory's first granule.
    let reaches: Range<u64> = match (p.origin, p.size) {
        (Some(origin), Size::Bytes(size)) => u64::from(origin)..u64::from(origin) + size,
        _ => u64::from(memory.origin)..u64::from(memory.origin) + GRANULE.min(memory.length),
    };
    if reaches.end > SYSTEM_REGION_START {
        return Err(PlanError::SystemRegion {
            partition: p.name.clone(),
            memory: memory.name.clone(),
            range: if p.origin.is_some() {
                reaches
            } else {
                u64::from(memory.origin)..memory.end()
            },
        });
    }
    Ok(())
}

fn check_granules(p: &PartitionRequest) -> Result<(), PlanError> {
    if p.owner != Owner::User {
        return Ok(());
    }
    let off_grid = |value: u64| !value.is_multiple_of(GRANULE);
    if let Size::Bytes(size) = p.size
        && off_grid(size)
    {
        return Err(PlanError::OffGranule {
            partition: p.name.clone(),
            what: "size",
            value: size,
            alternatives: Default::default(),
        });
    }
    if let Some(origin) = p.origin.filter(|&o| off_grid(u64::from(o))) {
        return Err(PlanError::OffGranule {
            partition: p.name.clone(),
            what: "origin",
            value: u64::from(origin),
            alternatives: Default::default(),
        });
    }
    Ok(())
}

/// Checks `value` bytes, the fixed size of `p` or, if `rest`, the size its
/// `rest` window came out with, against its minimum.
pub fn check_size(
    p: &PartitionRequest,
    request: &Request,
    value: u64,
    rest: bool,
) -> Result<(), PlanError> {
    let minimum = minimum(p, request);
    if value >= minimum.bytes {
        return Ok(());
    }
    Err(PlanError::TooSmall {
        partition: p.name.clone(),
        key: size_key(p),
        value,
        rest,
        minimum: minimum.bytes,
        holds: minimum.holds,
        alternatives: Default::default(),
    })
}

/// The least value of split key `key` (one of [`SPLIT_KEYS`]) and what it
/// must hold: a stack the basic exception frame, the kernel heap the
/// process record; the user heap may be empty.
pub fn key_minimum(key: &str) -> Minimum {
    match key {
        "kernel-stack" | "user-stack" => Minimum {
            bytes: EXCEPTION_FRAME,
            holds: format!("the basic exception frame, {EXCEPTION_FRAME} bytes"),
        },
        "kernel-heap" => Minimum {
            bytes: PROCESS_RECORD,
            holds: format!(
                "the process record the kernel allocates at boot, {PROCESS_RECORD} bytes"
            ),
        },
        _ => Minimum {
            bytes: 0,
            holds: "nothing".to_owned(),
        },
    }
}

/// The stacks and the kernel heap, for the SRAM partitions the request has.
fn check_splits(request: &Request) -> Result<(), PlanError> {
    let has = |name| request.partitions.iter().any(|p| p.name == name);
    let mut values = request.clone();
    for (key, partition) in SPLIT_KEYS {
        let Some(&mut value) = values.key_mut(key) else {
            continue;
        };
        let minimum = key_minimum(key);
        if has(partition) && value < minimum.bytes {
            return Err(PlanError::TooSmall {
                partition: partition.to_owned(),
                key: key.to_owned(),
                value,
                rest: false,
                minimum: minimum.bytes,
                holds: minimum.holds,
                alternatives: Default::default(),
            });
        }
    }
    Ok(())
}
