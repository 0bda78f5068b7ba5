//! The process table: what the kernel is told about each process it runs.
//!
//! mcu-build plans every process's flash and RAM partitions and the MPU
//! regions that grant it exactly those, builds each process at its
//! addresses (pass 1), seals its header and writes this table into the
//! kernel's `layout.rs` (pass 2). The kernel never computes an address of
//! its own: it admits, isolates and schedules the processes the table
//! names, in the table's order.
//!
//! A process's RAM partition holds, low to high, what the process may
//! reach (stack, `.data`, `.bss`, heap: the extents of its header) and, at
//! the top, its *grant region*: memory the kernel allocates per-process
//! state in, downward from the top (Tock's model). The MPU regions cover
//! `[ram.start, grant.start)` only, so the process can never reach its
//! grants; an empty grant region (`grant.start == grant.end == ram.end`)
//! is a process the kernel keeps no state for, as in a single-blob build.

use crate::{Partition, UserspaceHeader};

/// The boot argument that makes the demo processes
/// (`firmware/userspace/src/bin/process_*.rs`) probe the boundaries of
/// their own partitions instead of doing their work: at its n-th start a
/// process reads the byte just beyond boundary n (before and past its
/// flash, before and past its RAM below the grant region), announced with
/// `expect_fault`, so that a run with `Restart { limit: 4 }` shows every
/// boundary of every process fault at its address. ASCII "BNDS".
pub const PROBE_BOUNDARIES: u32 = 0x424e_4453;

/// Bytes of kernel heap the bundled kernel takes per process: its record
/// (registers, header, grant region, state), in one allocation at boot.
/// The kernel asserts at compile time that a record fits; the host refuses
/// a plan whose kernel heap cannot hold one per process.
pub const PROCESS_RECORD_BYTES: u32 = 256;

/// What the kernel does when a process faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPolicy {
    /// Report the fault and never run the process again.
    Stop,
    /// Report the fault and start the process afresh (`.data` copied,
    /// `.bss` zeroed, grant region emptied), at most `limit` times; the
    /// fault after the last restart stops it.
    Restart { limit: u32 },
}

impl core::fmt::Display for FaultPolicy {
    /// As `[[process]] fault` writes it: `stop`, `restart(N)`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FaultPolicy::Stop => f.write_str("stop"),
            FaultPolicy::Restart { limit } => write!(f, "restart({limit})"),
        }
    }
}

/// One process of the table.
///
/// `Region` is the kernel's MPU region type for its architecture (RBAR and
/// RASR on ARMv7-M, RBAR and RLAR on ARMv8-M, each with its region
/// number), which this crate, shared by both, does not know.
#[derive(Clone, Copy, Debug)]
pub struct ProcessEntry<Region: 'static> {
    /// The process's name, for the console (a plain identifier).
    pub name: &'static str,
    /// The header pass 1 built and mcu-build sealed; the kernel runs no
    /// other blob here. `None` when the blob's header is not mcu-build's
    /// (a NuttX `struct userspace_s`): the bundled kernel refuses it.
    pub header: Option<UserspaceHeader>,
    /// The process's flash partition: header, code, `.data` load image.
    pub flash: Partition,
    /// The process's whole RAM partition, its grant region included.
    pub ram: Partition,
    /// The grant region: the top of `ram`, never granted to the process.
    pub grant: Partition,
    /// The MPU regions that grant the process its memory, as register
    /// values; every region the list does not name is disabled while the
    /// process runs.
    pub mpu_regions: &'static [Region],
    /// What a fault does to the process.
    pub fault_policy: FaultPolicy,
    /// Milliseconds the process runs before the kernel switches to the
    /// next ready one (round robin).
    pub time_slice_ms: u32,
}

impl<Region> ProcessEntry<Region> {
    /// The part of the RAM partition the process itself may reach: all of
    /// it below the grant region.
    pub const fn process_ram(&self) -> Partition {
        Partition {
            start: self.ram.start,
            end: self.grant.start,
        }
    }

    /// Whether the grant region is the top of the RAM partition (or empty
    /// at its end), as the kernel's grant allocator assumes.
    pub const fn grant_is_at_the_top(&self) -> bool {
        self.grant.start <= self.grant.end
            && self.grant.end == self.ram.end
            && self.ram.start <= self.grant.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(grant_start: u32, grant_end: u32) -> ProcessEntry<()> {
        ProcessEntry {
            name: "a",
            header: None,
            flash: Partition {
                start: 0x1000,
                end: 0x2000,
            },
            ram: Partition {
                start: 0x2000_0000,
                end: 0x2000_1000,
            },
            grant: Partition {
                start: grant_start,
                end: grant_end,
            },
            mpu_regions: &[],
            fault_policy: FaultPolicy::Stop,
            time_slice_ms: 10,
        }
    }

    #[test]
    fn the_process_reaches_ram_below_its_grant_region() {
        let process = entry(0x2000_0c00, 0x2000_1000);
        assert!(process.grant_is_at_the_top());
        assert_eq!(
            process.process_ram(),
            Partition {
                start: 0x2000_0000,
                end: 0x2000_0c00
            }
        );
    }

    #[test]
    fn an_empty_grant_at_the_end_leaves_the_process_all_its_ram() {
        let process = entry(0x2000_1000, 0x2000_1000);
        assert!(process.grant_is_at_the_top());
        assert_eq!(process.process_ram(), process.ram);
    }

    #[test]
    fn a_grant_region_below_the_top_or_outside_ram_is_refused() {
        assert!(!entry(0x2000_0800, 0x2000_0c00).grant_is_at_the_top());
        assert!(!entry(0x1fff_f000, 0x2000_1000).grant_is_at_the_top());
        assert!(!entry(0x2000_1000, 0x2000_0c00).grant_is_at_the_top());
    }
}
