//! Several isolated processes with grants (Tock's model): what is asked
//! for, and the plan that places each process and proves its MPU regions.
//!
//! A project may declare any number of processes (`[[process]]` in
//! `mcu-build.toml`, read by [`crate::build::process_config`]). Each gets a
//! flash partition and a RAM partition of its own. The top of the RAM
//! partition is the process's *grant region*: per-process kernel state
//! (Tock's `kernel/src/grant.rs`), owned by the kernel and never reachable
//! by the process. The kernel reprograms the MPU at each switch, so every
//! process may use every region the kernel does not keep
//! ([`crate::mpu::verify::RegionBudget::for_user`]), and while process P
//! runs unprivileged code must reach exactly P's flash (r-x) and P's RAM
//! below its grant (rw-, execute-never): nothing of another process, of any
//! grant or of the kernel.
//!
//! [`place`] finds the addresses, [`mod@plan`] builds the [`ProcessesPlan`]
//! with each process's region values, [`verify`] proves it from decoded
//! registers (and a linked ELF against its partitions), [`loss`] measures
//! the memory alignment costs against Tock's and Hubris's power-of-two
//! schemes, and [`measure`] sizes an `auto` process from a measuring link.

pub mod loss;
pub mod measure;
pub mod place;
pub mod plan;
pub mod verify;

use std::fmt;

use serde::Serialize;

use super::request::Request;

pub use plan::{ProcessPlan, ProcessesPlan, plan_processes};

/// "1 process", "3 processes": for messages.
pub fn count(n: usize) -> String {
    if n == 1 {
        "1 process".to_owned()
    } else {
        format!("{n} processes")
    }
}

/// What the kernel does when a process faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPolicy {
    /// The process stays stopped; the others run on.
    Stop,
    /// The process is restarted (its grant region freed: the kernel break
    /// goes back to the top of its RAM partition), at most `limit` times
    /// when a limit is given.
    Restart { limit: Option<u32> },
}

impl FaultPolicy {
    /// Reads `stop`, `restart` or `restart(N)` with N at least 1; `None`
    /// for anything else (the caller names the place and the forms).
    pub fn parse(text: &str) -> Option<FaultPolicy> {
        match text {
            "stop" => Some(FaultPolicy::Stop),
            "restart" => Some(FaultPolicy::Restart { limit: None }),
            _ => {
                let digits = text.strip_prefix("restart(")?.strip_suffix(')')?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let limit: u32 = digits.parse().ok()?;
                (limit > 0).then_some(FaultPolicy::Restart { limit: Some(limit) })
            }
        }
    }
}

impl fmt::Display for FaultPolicy {
    /// The configuration's own spelling, which [`FaultPolicy::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultPolicy::Stop => f.write_str("stop"),
            FaultPolicy::Restart { limit: None } => f.write_str("restart"),
            FaultPolicy::Restart { limit: Some(n) } => write!(f, "restart({n})"),
        }
    }
}

impl Serialize for FaultPolicy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One process as the planner takes it: every size in bytes, known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessRequest {
    /// A plain identifier, unique among the processes.
    pub name: String,
    /// Its flash partition: code and read-only data, and the `.data` image.
    pub flash: u64,
    /// Its RAM below the grant: data, bss, stack and heap.
    pub ram: u64,
    /// The grant region on top of its RAM, owned by the kernel.
    pub grant: u64,
    /// The stack and heap inside `ram`, which the process's linker script
    /// reserves.
    pub stack: u64,
    pub heap: u64,
    pub fault: FaultPolicy,
}

/// A project with processes: the kernel's partitions as a protected build
/// has them (kernel flash, kernel SRAM with the kernel heap at its top, in
/// `kernel.partitions`; its user partitions name only the memories the
/// processes go to), and the processes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessesRequest {
    pub kernel: Request,
    pub processes: Vec<ProcessRequest>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_policies_read_and_print_the_same() {
        for text in ["stop", "restart", "restart(1)", "restart(250)"] {
            assert_eq!(FaultPolicy::parse(text).unwrap().to_string(), text);
        }
        for bad in [
            "restart(0)",
            "restart(x)",
            "restart()",
            "restart(-1)",
            "restart(+1)",
            "Restart",
            "restart(1",
            "restart(99999999999)",
            "",
        ] {
            assert_eq!(FaultPolicy::parse(bad), None, "{bad}");
        }
    }
}
