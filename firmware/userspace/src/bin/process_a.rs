//! Demo process A: asks the kernel for alarms until its grant region is
//! full, then computes for a while without a system call.
//!
//! Every alarm is kernel state kept in A's own grant region, so the kernel
//! answers `-ENOMEM` once that region is full, to A alone: process B's
//! alarm keeps firing on time meanwhile. The busy loop after it shows that
//! the kernel preempts A at the end of its time slice: B still runs.

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

use firmware_userspace::syscalls::alarm_start;

pub use runtime::_start;

/// Its name on the console, as in the process table.
const NAME: &str = "a";

/// The period of A's alarms: long enough never to fire while A runs.
const PERIOD_MS: u32 = 1_000_000;
/// How long A computes without a system call after its alarms ran out.
const BUSY_MS: u32 = 60;

fn main(_boot_argument: u32, _restarts: u32) {
    runtime::touch_own_partitions(NAME);
    let mut alarms = 0u32;
    let answer = loop {
        // SAFETY: `alarm_start` takes no pointer.
        let answer = unsafe { alarm_start(PERIOD_MS) };
        if answer < 0 {
            break answer;
        }
        alarms += 1;
    };
    println!("a: alarm_start answered {answer} after {alarms} alarms");
    // The grant region holds some alarms, and then the kernel says ENOMEM:
    // to A, which is what the demo checks (B's alarms go on).
    if answer != -firmware_abi::errno::ENOMEM || alarms == 0 {
        println!("a: expected ENOMEM after at least one alarm");
        runtime::exit(firmware_userspace::FAILURE);
    }
    let start = runtime::uptime();
    let mut spins = 0u32;
    while runtime::uptime().wrapping_sub(start) < BUSY_MS {
        spins = spins.wrapping_add(1);
    }
    println!("a: computed for {BUSY_MS} ms ({spins} rounds), preempted by the kernel");
}
