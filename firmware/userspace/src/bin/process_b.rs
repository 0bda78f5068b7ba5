//! Demo process B: waits on a periodic alarm and checks that the kernel
//! wakes it on time while the other processes compute, run out of grant
//! memory and fault.
//!
//! It prints how late each wake-up was and, at the end, the worst; the
//! kernel switches processes on 1 ms SysTicks, so B's lateness is bounded
//! by the time slices of the processes that may run before it.

#![no_std]
#![no_main]

#[path = "../header.rs"]
mod header;
#[path = "../probe.rs"]
#[allow(dead_code)] // the attack probes are process C's
mod probe;
#[path = "../process_runtime.rs"]
#[macro_use]
mod runtime;

use firmware_userspace::syscalls::{alarm_start, alarm_wait};

pub use runtime::_start;

/// Its name on the console, as in the process table.
const NAME: &str = "b";

const PERIOD_MS: u32 = 10;
const ALARMS: u32 = 10;
/// The most an alarm may be late, in milliseconds: two time slices of
/// the demo's other processes (2 ms each in examples/processes, where A
/// computes without a system call) and the SysTick's 1 ms granularity.
const LATE_LIMIT_MS: u32 = 5;

fn main(_boot_argument: u32, _restarts: u32) {
    runtime::touch_own_partitions(NAME);
    // SAFETY: `alarm_start` takes no pointer.
    let alarm = unsafe { alarm_start(PERIOD_MS) };
    if alarm < 0 {
        println!("b: alarm_start answered {alarm}");
        runtime::exit(firmware_userspace::FAILURE);
    }
    let mut worst = 0;
    for _ in 0..ALARMS {
        // SAFETY: `alarm_wait` takes no pointer.
        let due = unsafe { alarm_wait(alarm) };
        let woke = runtime::uptime();
        if due < 0 {
            println!("b: alarm_wait answered {due}");
            runtime::exit(firmware_userspace::FAILURE);
        }
        let late = woke.wrapping_sub(due as u32);
        println!("b: alarm due at {due} ms, woke at {woke} ms");
        worst = worst.max(late);
    }
    println!("b: {ALARMS} alarms every {PERIOD_MS} ms, at most {worst} ms late");
    if worst > LATE_LIMIT_MS {
        println!("b: late by more than {LATE_LIMIT_MS} ms");
        runtime::exit(firmware_userspace::FAILURE);
    }
}
