//! The process table of pass 2: what the kernel is told about each process
//! it runs, and its rendering into `layout.rs`.
//!
//! Each process has its own flash and RAM partitions, a grant region at
//! the top of its RAM (kernel-owned state the process cannot reach, Tock's
//! model), the MPU register values that grant it exactly its memory, a
//! fault policy and a time slice. The kernel's side of the contract is
//! `firmware_abi::ProcessEntry` (`firmware/abi/src/process.rs`); the
//! format of `layout.rs` is in `templates/README.md`. A single-blob build
//! is a table of one process with an empty grant region
//! ([`ProcessTable::single`]).

use std::fmt::Write as _;
use std::ops::Range;

use firmware_abi::{FaultPolicy, UserspaceHeader};

use super::planned::Planned;
use crate::mpu::{RegionNumber, Registers};

/// The name of the one process of a single-blob build.
pub const SINGLE_PROCESS_NAME: &str = "user";

/// The time slice of the one process of a single-blob build, in
/// milliseconds: with nobody to switch to, it only sets how often the
/// kernel looks at the process between its system calls.
pub const SINGLE_PROCESS_TIME_SLICE_MS: u32 = 10;

/// One process of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessSpec {
    /// A plain identifier, for the console.
    pub name: String,
    /// The sealed header of its blob; `None` when the blob's header is not
    /// mcu-build's (a NuttX `struct userspace_s`), which the bundled
    /// kernel refuses to run.
    pub header: Option<UserspaceHeader>,
    /// Its flash partition, `[start, end)`.
    pub flash: Range<u64>,
    /// Its whole RAM partition, the grant region included.
    pub ram: Range<u64>,
    /// The grant region: the top of `ram` (empty at `ram.end` for none).
    pub grant: Range<u64>,
    /// The MPU regions that grant it exactly `flash` and `ram` below the
    /// grant region, as register values.
    pub regions: Vec<(RegionNumber, Registers)>,
    pub fault_policy: FaultPolicy,
    /// Milliseconds it runs before the kernel switches to the next ready
    /// process; at least 1 (the SysTick's period).
    pub time_slice_ms: u32,
}

/// The processes of an image, in the order the kernel starts them.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessTable {
    /// The board, for the file's first line.
    pub board: String,
    /// ARMv8-M: the MAIR0 every region's AttrIndx selects from.
    pub mair0: Option<u32>,
    pub processes: Vec<ProcessSpec>,
}

/// A table the kernel could not take.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProcessTableError {
    #[error("the process table is empty: the kernel needs at least one process")]
    Empty,
    #[error("process name {name:?} is not a plain identifier (letters, digits, `_`, `-`)")]
    Name { name: String },
    #[error("process {name:?} appears twice in the process table")]
    Duplicate { name: String },
    #[error("process {name}: {what} [{start:#x}, {end:#x}) is not a range of 32-bit addresses")]
    Range {
        name: String,
        what: &'static str,
        start: u64,
        end: u64,
    },
    #[error(
        "process {name}: grant region [{start:#x}, {end:#x}) is not the top of its RAM \
         partition [{ram_start:#x}, {ram_end:#x})"
    )]
    GrantNotAtTop {
        name: String,
        start: u64,
        end: u64,
        ram_start: u64,
        ram_end: u64,
    },
    #[error("process {name}: MPU region {number} appears twice")]
    RegionTwice { name: String, number: RegionNumber },
    #[error("process {name}: a time slice of 0 ms; the kernel switches on 1 ms SysTicks")]
    TimeSlice { name: String },
}

impl ProcessTable {
    /// The table of a single-blob build: one process, the plan's user
    /// partitions, every region of the plan, no grant region, stopped at
    /// its first fault.
    pub fn single(plan: &Planned, header: Option<&UserspaceHeader>) -> ProcessTable {
        let mut regions: Vec<(RegionNumber, Registers)> = plan
            .plan()
            .partitions
            .iter()
            .flat_map(|partition| partition.regions.iter())
            .map(|region| (region.number, region.registers))
            .collect();
        regions.sort_by_key(|(number, _)| *number);
        let ram = plan.user_sram().start..plan.user_sram().end;
        ProcessTable {
            board: plan.plan().board.clone(),
            mair0: plan.plan().mair0,
            processes: vec![ProcessSpec {
                name: SINGLE_PROCESS_NAME.to_owned(),
                header: header.copied(),
                flash: plan.user_flash().start..plan.user_flash().end,
                grant: ram.end..ram.end,
                ram,
                regions,
                fault_policy: FaultPolicy::Stop,
                time_slice_ms: SINGLE_PROCESS_TIME_SLICE_MS,
            }],
        }
    }

    /// Checks what the kernel relies on: plain unique names, 32-bit
    /// ranges, each grant region at the top of its RAM, region numbers
    /// once per process, a time slice of at least one tick.
    pub fn check(&self) -> Result<(), ProcessTableError> {
        if self.processes.is_empty() {
            return Err(ProcessTableError::Empty);
        }
        for (index, process) in self.processes.iter().enumerate() {
            process.check()?;
            if self.processes[..index]
                .iter()
                .any(|other| other.name == process.name)
            {
                return Err(ProcessTableError::Duplicate {
                    name: process.name.clone(),
                });
            }
        }
        Ok(())
    }

    /// `layout.rs`: `MPU_MAIR0` (ARMv8-M) and `PROCESSES`, after [`check`].
    ///
    /// [`check`]: ProcessTable::check
    pub fn render(&self) -> Result<String, ProcessTableError> {
        self.check()?;
        let mut text = format!(
            "// Generated by mcu-build for {}: the plan in build.json, the headers of pass 1.\n",
            self.board
        );
        if let Some(mair0) = self.mair0 {
            let _ = writeln!(text, "pub const MPU_MAIR0: u32 = {mair0:#010x};");
        }
        text.push_str("pub const PROCESSES: &[ProcessEntry] = &[\n");
        for process in &self.processes {
            process.render(&mut text);
        }
        text.push_str("];\n");
        Ok(text)
    }
}

impl ProcessSpec {
    fn check(&self) -> Result<(), ProcessTableError> {
        let name = || self.name.clone();
        let plain = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            return Err(ProcessTableError::Name { name: name() });
        }
        for (what, range) in [
            ("flash partition", &self.flash),
            ("RAM partition", &self.ram),
            ("grant region", &self.grant),
        ] {
            if range.start > range.end || range.end > u64::from(u32::MAX) {
                return Err(ProcessTableError::Range {
                    name: name(),
                    what,
                    start: range.start,
                    end: range.end,
                });
            }
        }
        if self.grant.end != self.ram.end || self.grant.start < self.ram.start {
            return Err(ProcessTableError::GrantNotAtTop {
                name: name(),
                start: self.grant.start,
                end: self.grant.end,
                ram_start: self.ram.start,
                ram_end: self.ram.end,
            });
        }
        for (index, (number, _)) in self.regions.iter().enumerate() {
            if self.regions[..index]
                .iter()
                .any(|(other, _)| other == number)
            {
                return Err(ProcessTableError::RegionTwice {
                    name: name(),
                    number: *number,
                });
            }
        }
        if self.time_slice_ms == 0 {
            return Err(ProcessTableError::TimeSlice { name: name() });
        }
        Ok(())
    }

    fn render(&self, text: &mut String) {
        let partition = |range: &Range<u64>| {
            format!(
                "Partition {{ start: {:#010x}, end: {:#010x} }}",
                range.start, range.end
            )
        };
        let _ = writeln!(text, "    ProcessEntry {{");
        let _ = writeln!(text, "        name: {:?},", self.name);
        match &self.header {
            Some(header) => {
                let header = format!("{header:#x?}").replace('\n', "\n        ");
                let _ = writeln!(text, "        header: Some({header}),");
            }
            None => text.push_str("        header: None,\n"),
        }
        let _ = writeln!(text, "        flash: {},", partition(&self.flash));
        let _ = writeln!(text, "        ram: {},", partition(&self.ram));
        let _ = writeln!(text, "        grant: {},", partition(&self.grant));
        text.push_str("        mpu_regions: &[\n");
        for (number, registers) in &self.regions {
            // The kernel selects a region with RNR, so ARMv7-M's RBAR
            // carries the base only (VALID and REGION clear).
            let (rbar, name, second) = match registers {
                Registers::Armv7m(r) => (r.rbar & !0x1f, "rasr", r.rasr),
                Registers::Armv8m(r) => (r.rbar, "rlar", r.rlar),
            };
            let _ = writeln!(
                text,
                "            MpuRegion {{ number: {number}, rbar: {rbar:#010x}, {name}: {second:#010x} }},"
            );
        }
        text.push_str("        ],\n");
        let policy = match self.fault_policy {
            FaultPolicy::Stop => "FaultPolicy::Stop".to_owned(),
            FaultPolicy::Restart { limit } => format!("FaultPolicy::Restart {{ limit: {limit} }}"),
        };
        let _ = writeln!(text, "        fault_policy: {policy},");
        let _ = writeln!(text, "        time_slice_ms: {},", self.time_slice_ms);
        text.push_str("    },\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mpu::armv8m;

    fn spec() -> ProcessSpec {
        ProcessSpec {
            name: "b".to_owned(),
            header: None,
            flash: 0x1004_0000..0x1004_8000,
            ram: 0x3801_0000..0x3801_2000,
            grant: 0x3801_1c00..0x3801_2000,
            regions: vec![(
                RegionNumber::new(3).unwrap(),
                Registers::Armv8m(armv8m::Registers {
                    rbar: 0x3801_0003,
                    rlar: 0x3801_1be3,
                }),
            )],
            fault_policy: FaultPolicy::Restart { limit: 3 },
            time_slice_ms: 2,
        }
    }

    fn table(processes: Vec<ProcessSpec>) -> ProcessTable {
        ProcessTable {
            board: "qemu-mps2-an505".to_owned(),
            mair0: Some(0xffaa),
            processes,
        }
    }

    #[test]
    fn a_process_renders_as_the_kernel_reads_it() {
        let text = table(vec![spec()]).render().unwrap();
        for expected in [
            "pub const MPU_MAIR0: u32 = 0x0000ffaa;",
            "pub const PROCESSES: &[ProcessEntry] = &[",
            "        name: \"b\",",
            "        header: None,",
            "        ram: Partition { start: 0x38010000, end: 0x38012000 },",
            "        grant: Partition { start: 0x38011c00, end: 0x38012000 },",
            "            MpuRegion { number: 3, rbar: 0x38010003, rlar: 0x38011be3 },",
            "        fault_policy: FaultPolicy::Restart { limit: 3 },",
            "        time_slice_ms: 2,",
        ] {
            assert!(
                text.lines().any(|line| line == expected),
                "{expected}\n{text}"
            );
        }
    }

    #[test]
    fn a_grant_region_that_is_not_the_top_of_ram_is_refused() {
        let mut below = spec();
        below.grant = 0x3801_1000..0x3801_1c00;
        assert_eq!(
            table(vec![below]).render().unwrap_err().to_string(),
            "process b: grant region [0x38011000, 0x38011c00) is not the top of its RAM \
             partition [0x38010000, 0x38012000)"
        );
    }

    #[test]
    fn bad_tables_are_refused_naming_the_process() {
        assert_eq!(table(vec![]).check(), Err(ProcessTableError::Empty));
        let mut name = spec();
        name.name = "a b".to_owned();
        assert!(matches!(
            table(vec![name]).check(),
            Err(ProcessTableError::Name { .. })
        ));
        assert_eq!(
            table(vec![spec(), spec()]).check(),
            Err(ProcessTableError::Duplicate { name: "b".into() })
        );
        let mut twice = spec();
        twice.regions.push(twice.regions[0]);
        assert!(matches!(
            table(vec![twice]).check(),
            Err(ProcessTableError::RegionTwice { .. })
        ));
        let mut slice = spec();
        slice.time_slice_ms = 0;
        assert!(matches!(
            table(vec![slice]).check(),
            Err(ProcessTableError::TimeSlice { .. })
        ));
        let mut wide = spec();
        wide.ram = 0xffff_0000..0x1_0000_0000;
        wide.grant = wide.ram.end..wide.ram.end;
        assert!(matches!(
            table(vec![wide]).check(),
            Err(ProcessTableError::Range {
                what: "RAM partition",
                ..
            })
        ));
    }
}
