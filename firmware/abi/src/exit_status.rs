//! Exit statuses the kernel reports through semihosting `SYS_EXIT_EXTENDED`.
//!
//! When the user blob exits by the `exit` system call, the kernel passes
//! the blob's own status through unchanged. The kernel's own verdicts use
//! the values below, chosen above the range (0..=100) that user programs
//! are expected to use, so that `mcu-build run` and the tests can tell "the
//! demo failed" from "the kernel stopped the blob".

/// The user blob made an access the MPU (or the bus) refused; the kernel
/// reported the fault and stopped the blob.
pub const USER_FAULT: u32 = 101;

/// The kernel refused to start the user blob: bad magic, wrong ABI
/// version, an extent outside the user partitions, a CRC mismatch, or a
/// header other than the one the kernel was built against.
pub const BLOB_REFUSED: u32 = 102;

/// The kernel itself faulted or panicked.
pub const KERNEL_PANIC: u32 = 103;
