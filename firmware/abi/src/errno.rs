//! Error numbers a system call returns, negated, in `r0`.
//!
//! The values are the POSIX/Linux/NuttX ones so that C user code built
//! against a libc sees the numbers it expects.

/// A file descriptor the kernel does not know.
pub const EBADF: i32 = 9;

/// No memory left: the process's grant region cannot hold another
/// allocation of the kernel's state for it.
pub const ENOMEM: i32 = 12;

/// A pointer argument does not lie entirely inside the user partitions.
pub const EFAULT: i32 = 14;

/// An argument is out of range (an alarm number the process never got).
pub const EINVAL: i32 = 22;

/// The system call number is not one the kernel implements.
pub const ENOSYS: i32 = 38;
