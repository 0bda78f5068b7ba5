//! What a build asks of the layout: which partitions, in which memory, how
//! large, and optionally where.
//!
//! A board file carries a default request (its `[partitions]` table) so
//! that `mcu-build layout` works with no other input; a project may ask for
//! other sizes. The request is validated when it is read (names unique,
//! memories known, at most one `rest` per memory), so the planner only has
//! to find addresses.
//!
//! The request also carries the stack and heap sizes the linker scripts
//! reserve inside the SRAM partitions ([`Splits`]): the layout does not
//! place them, but they bound how small those partitions may be (see
//! [`super::minimum`]).

use std::fmt;

use serde::Serialize;

/// Who a partition belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Owner {
    /// The privileged kernel: reached through the default memory map, never
    /// granted to unprivileged code.
    Kernel,
    /// The unprivileged user blob: granted exactly, by MPU regions.
    User,
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Owner::Kernel => "kernel",
            Owner::User => "user",
        })
    }
}

/// How large a partition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Size {
    /// Exactly this many bytes.
    Bytes(u64),
    /// Whatever its memory has left once the other partitions are placed.
    Rest,
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Bytes(n) => write!(f, "{n} bytes"),
            Size::Rest => f.write_str("rest"),
        }
    }
}

/// One partition as requested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartitionRequest {
    pub name: String,
    pub owner: Owner,
    /// The name of the board memory it lives in.
    pub memory: String,
    pub size: Size,
    /// A fixed first address; otherwise the planner chooses.
    pub origin: Option<u32>,
}

/// The standard partition names of a protected build.
pub const KERNEL_FLASH: &str = "kernel-flash";
pub const USER_FLASH: &str = "user-flash";
pub const KERNEL_SRAM: &str = "kernel-sram";
pub const USER_SRAM: &str = "user-sram";

/// How the blobs split their SRAM partitions: sizes in bytes that the
/// linker scripts reserve (`templates/linker/kernel.ld` puts the kernel
/// stack in kernel SRAM, `user.ld` the user stack and heap in user SRAM),
/// which the layout does not place. They are the `kernel-stack`,
/// `user-stack` and `user-heap` keys of `[layout]` in `mcu-build.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Splits {
    pub kernel_stack: u64,
    pub user_stack: u64,
    pub user_heap: u64,
}

impl Default for Splits {
    /// What the bundled firmware needs, with room to spare: its deepest
    /// call chain is formatting (about 1 KiB of stack), and the demo
    /// allocates a few hundred bytes.
    fn default() -> Self {
        Splits {
            kernel_stack: 8 * 1024,
            user_stack: 8 * 1024,
            user_heap: 16 * 1024,
        }
    }
}

/// Every partition of a build: kernel flash, user flash, kernel SRAM, user
/// SRAM (data, bss and user heap), then any extra user partitions such as a
/// heap in CCM; the size of the kernel heap, which lives at the top of
/// kernel SRAM; and the stack and heap splits the SRAM partitions must hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    pub partitions: Vec<PartitionRequest>,
    pub kernel_heap: u64,
    pub splits: Splits,
}

/// The `[layout]` keys of `mcu-build.toml` that size a stack or heap inside
/// an SRAM partition, with the partition each lives in.
pub const SPLIT_KEYS: [(&str, &str); 4] = [
    ("kernel-stack", KERNEL_SRAM),
    ("kernel-heap", KERNEL_SRAM),
    ("user-stack", USER_SRAM),
    ("user-heap", USER_SRAM),
];

impl Request {
    /// The value of split key `key` (one of [`SPLIT_KEYS`]), in bytes.
    pub fn key_mut(&mut self, key: &str) -> Option<&mut u64> {
        match key {
            "kernel-stack" => Some(&mut self.splits.kernel_stack),
            "kernel-heap" => Some(&mut self.kernel_heap),
            "user-stack" => Some(&mut self.splits.user_stack),
            "user-heap" => Some(&mut self.splits.user_heap),
            _ => None,
        }
    }
}
