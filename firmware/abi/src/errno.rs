//! Error numbers a system call returns, negated, in `r0`.
//!
//! The values are the POSIX/Linux/NuttX ones so that C user code built
//! against a libc sees the numbers it expects.

/// A file descriptor the kernel does not know.
pub const EBADF: i32 = 9;

/// A pointer argument does not lie entirely inside the user partitions.
pub const EFAULT: i32 = 14;

/// The system call number is not one the kernel implements.
pub const ENOSYS: i32 = 38;
