//! Round-robin scheduling of the processes, and what their ends do.
//!
//! The kernel runs each ready process in the table's order for at most its
//! time slice: the SysTick takes the kernel back every millisecond (see
//! `process.rs`), and the kernel resumes the same process until the slice
//! is used up, then moves to the next ready one, reprogramming the MPU
//! with that process's regions. A process blocked in `sleep_ms` or
//! `alarm_wait` is skipped until its time comes; when no process is ready
//! the core sleeps until the next tick. A fault hands the process to its
//! policy: stopped, or restarted with fresh `.data` and `.bss` and an
//! empty grant region until its restart limit. The run ends when every
//! process has ended.
//!
//! The console names a process `process <name>`; with a single process,
//! as in a single-blob build, it is `the user blob`, as it always was.

use alloc::vec::Vec;

// The host sizes the kernel heap by this bound (`PROCESS_RECORD_BYTES`).
const _: () = assert!(
    core::mem::size_of::<(Process, State)>() <= firmware_abi::PROCESS_RECORD_BYTES as usize
);
use core::fmt;

use firmware_abi::FaultPolicy;
use firmware_abi::exit_status::USER_FAULT;

use crate::layout::PROCESSES;
use crate::process::{Process, Trap};
use crate::services::Blocked;
use crate::{cpu, kprintln, mpu, semihosting, systick};

/// Where a process is.
#[derive(Clone, Copy)]
enum State {
    Ready,
    Blocked(Blocked),
    Exited(i32),
    /// Stopped by a fault (its policy said so, or its restarts ran out).
    Stopped,
}

/// The processes and where each is.
pub struct Scheduler {
    processes: Vec<(Process, State)>,
    /// The process whose regions the MPU holds.
    loaded: Option<usize>,
}

/// The console's prefix for lines about one process: nothing when there
/// is only one, whose lines read as they did before processes.
pub struct Prefix(&'static str);

impl Prefix {
    pub fn of(name: &'static str) -> Self {
        Self(if PROCESSES.len() == 1 { "" } else { name })
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            "" => Ok(()),
            name => write!(f, "process {name}: "),
        }
    }
}

/// What a process is called in a sentence.
struct Name(&'static str);

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if PROCESSES.len() == 1 {
            f.write_str("user blob")
        } else {
            write!(f, "process {}", self.0)
        }
    }
}

/// `used of size bytes`, for a process with a grant region.
struct GrantUse<'a>(&'a Process);

impl fmt::Display for GrantUse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let grants = &self.0.grants;
        if grants.size() != 0 {
            write!(f, "; grant {} of {} bytes used", grants.used(), grants.size())?;
        }
        Ok(())
    }
}

impl Scheduler {
    /// Room for `count` processes, allocated once on the kernel heap.
    pub fn with_capacity(count: usize) -> Self {
        Self {
            processes: Vec::with_capacity(count),
            loaded: None,
        }
    }

    /// Adds a process, ready to run.
    pub fn add(&mut self, process: Process) {
        self.processes.push((process, State::Ready));
    }

    /// The processes, in the table's order.
    pub fn processes(&self) -> impl Iterator<Item = &Process> {
        self.processes.iter().map(|(process, _)| process)
    }

    /// Records that the MPU holds process `index`'s regions.
    pub fn set_loaded(&mut self, index: usize) {
        self.loaded = Some(index);
    }

    /// Runs the processes until every one has ended, then ends the run.
    pub fn run(mut self) -> ! {
        let mut next = 0;
        loop {
            self.wake_due();
            let count = self.processes.len();
            let ready = (0..count)
                .map(|offset| (next + offset) % count)
                .find(|&index| matches!(self.processes[index].1, State::Ready));
            match ready {
                Some(index) => {
                    self.run_slice(index);
                    next = (index + 1) % count;
                }
                // Nobody is ready but somebody waits for a time: sleep
                // until the next tick. A tick between `wake_due` and here
                // costs one more millisecond, within a waiter's bound.
                None if self
                    .processes
                    .iter()
                    .any(|(_, state)| matches!(state, State::Blocked(_))) =>
                {
                    cpu::wait_for_interrupt()
                }
                None => self.finish(),
            }
        }
    }

    /// Makes ready, with their answers, the blocked processes whose time
    /// has come.
    fn wake_due(&mut self) {
        let now = systick::uptime_ms();
        for (process, state) in &mut self.processes {
            let State::Blocked(blocked) = *state else {
                continue;
            };
            if (now.wrapping_sub(blocked.until_ms) as i32) < 0 {
                continue;
            }
            *state = match process.answer(blocked.result) {
                Ok(()) => State::Ready,
                Err(_) => {
                    let psp = process.stack_pointer();
                    report_bad_stack(process, psp);
                    Self::after_fault(process)
                }
            };
        }
    }

    /// Runs process `index` until its slice is over, it blocks or it ends.
    fn run_slice(&mut self, index: usize) {
        if self.loaded != Some(index) {
            mpu::load(self.processes[index].0.entry.mpu_regions);
            self.loaded = Some(index);
        }
        let (process, state) = &mut self.processes[index];
        let slice_start = systick::uptime_ms();
        loop {
            match process.resume() {
                // A tick that lands while the kernel serves a call does not
                // trap the process, so the slice is checked after calls too:
                // a process that makes calls all the time is switched on time.
                Trap::Served | Trap::Preempted => {
                    if systick::uptime_ms().wrapping_sub(slice_start)
                        >= process.entry.time_slice_ms
                    {
                        return;
                    }
                }
                Trap::Blocked(blocked) => {
                    *state = State::Blocked(blocked);
                    return;
                }
                Trap::Exited(status) => {
                    kprintln!(
                        "{} exited with status {status}{}",
                        Name(process.entry.name),
                        GrantUse(process)
                    );
                    *state = State::Exited(status);
                    return;
                }
                Trap::Faulted(fault) => {
                    let prefix = Prefix::of(process.entry.name);
                    kprintln!("{prefix}user fault: {}", fault.describe(process.memory));
                    match process.expected_fault.take() {
                        Some(expected) if fault.data_address() == Some(expected) => {
                            kprintln!("{prefix}the fault at {expected:#010x} was announced");
                        }
                        Some(expected) => {
                            kprintln!("{prefix}a fault was announced at {expected:#010x}, not there");
                            process.unannounced_faults += 1;
                        }
                        None => process.unannounced_faults += 1,
                    }
                    *state = Self::after_fault(process);
                    return;
                }
                Trap::BadStack(psp) => {
                    report_bad_stack(process, psp);
                    *state = Self::after_fault(process);
                    return;
                }
            }
        }
    }

    /// Applies the process's fault policy, once the fault is reported.
    fn after_fault(process: &mut Process) -> State {
        let name = Name(process.entry.name);
        let FaultPolicy::Restart { limit } = process.entry.fault_policy else {
            if PROCESSES.len() > 1 {
                kprintln!("{name} stopped{}", GrantUse(process));
            }
            return State::Stopped;
        };
        if process.restarts >= limit {
            kprintln!(
                "{name} reached its restart limit ({limit}) and is stopped{}",
                GrantUse(process)
            );
            return State::Stopped;
        }
        let freed = process.grants.used();
        if process.restart().is_err() {
            kprintln!("{name} cannot be restarted: its header puts memory outside its RAM");
            return State::Stopped;
        }
        kprintln!(
            "{name} restarted ({} of {limit}); grant emptied, {freed} bytes freed",
            process.restarts
        );
        State::Ready
    }

    /// Every process has ended: report and end the run. A fault a process
    /// had not announced where it came (`expect_fault`) makes the run's
    /// status [`USER_FAULT`]; otherwise it is the first non-zero exit
    /// status, or 0. So a run whose only faults are the announced ones of
    /// an isolation test, each at its address, succeeds.
    fn finish(&self) -> ! {
        let unannounced: u32 = self.processes.iter().map(|(p, _)| p.unannounced_faults).sum();
        let status = if unannounced > 0 {
            USER_FAULT
        } else {
            self.processes
                .iter()
                .find_map(|(_, state)| match state {
                    State::Exited(status) if *status != 0 => Some(*status as u32),
                    _ => None,
                })
                .unwrap_or(0)
        };
        let stopped = self
            .processes
            .iter()
            .filter(|(_, state)| matches!(state, State::Stopped))
            .count();
        if stopped == 0 {
            semihosting::exit(status);
        }
        // The kernel outlives the processes: it still takes SysTick
        // interrupts and sleeps on them before it reports and ends the run.
        let before = systick::uptime_ms();
        systick::sleep_ms(1);
        let after = systick::uptime_ms();
        if self.processes.len() == 1 {
            kprintln!(
                "user blob stopped; the kernel keeps running (uptime {before} ms, then {after} ms)"
            );
        } else {
            kprintln!(
                "{stopped} of {} processes stopped by faults; the kernel keeps running \
                 (uptime {before} ms, then {after} ms)",
                self.processes.len()
            );
        }
        semihosting::exit(status);
    }
}

/// The process trapped with its stack pointer at `psp`, outside its RAM:
/// the kernel cannot read its system call, or write its answer.
/// Such a fault is never announced.
fn report_bad_stack(process: &mut Process, psp: u32) {
    process.unannounced_faults += 1;
    if PROCESSES.len() == 1 {
        kprintln!("user blob trapped with its stack pointer at {psp:#010x}, outside user SRAM");
    } else {
        kprintln!(
            "{}trapped with its stack pointer at {psp:#010x}, outside its RAM",
            Prefix::of(process.entry.name)
        );
    }
}
