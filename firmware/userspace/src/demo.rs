//! The demo: print, sleep on the kernel timer, use the heap, exit 0.

use alloc::format;
use alloc::vec::Vec;

use crate::println;
use crate::syscalls::{_exit, sleep_ms, uptime_ms};

const NAP_MS: u32 = 20;

/// How the application runs, for its greeting.
#[cfg(not(feature = "flat"))]
const MODE: &str = "unprivileged";
#[cfg(feature = "flat")]
const MODE: &str = "privileged in the flat build";

pub fn run() -> ! {
    println!("hello from the user blob, running {MODE}");

    let before = uptime();
    // SAFETY: `sleep_ms` takes no pointer.
    unsafe { sleep_ms(NAP_MS) };
    let after = uptime();
    println!(
        "slept {} ms on the kernel timer (asked for {NAP_MS})",
        after.wrapping_sub(before)
    );

    let squares: Vec<u32> = (1..=8).map(|n| n * n).collect();
    let text = format!("{squares:?}");
    let first_block = squares.as_ptr() as usize;
    println!("heap: {text} at {first_block:#010x}");
    drop(text);
    drop(squares);
    let again: Vec<u32> = Vec::with_capacity(8);
    let reused = again.as_ptr() as usize == first_block;
    println!(
        "heap: freed, allocated again at {:#010x} (reused: {reused})",
        again.as_ptr() as usize
    );

    println!("bye");
    // SAFETY: `_exit` takes no pointer.
    unsafe { _exit(0) }
}

fn uptime() -> u32 {
    let mut milliseconds = 0u32;
    // SAFETY: the kernel stores 4 bytes at our own, writable `milliseconds`.
    unsafe { uptime_ms((&raw mut milliseconds) as usize) };
    milliseconds
}
