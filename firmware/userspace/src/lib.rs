//! The application of the bundled firmware: the demo, `println!`, the heap
//! and the system calls it makes, as a library that two builds link.
//!
//! - The protected build links it into the user blob (`src/main.rs`, the
//!   `user` binary): it runs unprivileged and reaches the kernel only
//!   through the generated `svc` proxies in [`syscalls`].
//! - The flat build (feature `flat`) links it into the kernel
//!   (`firmware-kernel` with its `flat` feature): the same proxies become
//!   plain calls, so the two images differ by what protection costs.

#![no_std]

extern crate alloc;

pub mod console;
pub mod demo;
pub mod heap;
pub mod syscalls;

/// Exit status of an application that panicked or was asked for something
/// it does not have.
pub const FAILURE: i32 = 1;
