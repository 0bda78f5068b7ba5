//! The binary contract shared by the three programs of a protected build:
//! the privileged kernel, the unprivileged user blob and the `mcu-build`
//! host tool.
//!
//! The user blob starts with a [`UserspaceHeader`] at the origin of the
//! user flash partition. The host tool fills in its CRC after pass 1, the
//! kernel checks it at boot before it gives the blob a single cycle, and
//! all three agree on the layout because all three compile this crate.
//! Keeping it `no_std` and free of dependencies is what makes that
//! possible.

#![no_std]

pub mod crc32;
pub mod errno;
pub mod exit_status;
pub mod header;
pub mod partition;
pub mod process;

pub use crc32::crc32;
pub use header::{ABI_VERSION, HeaderError, MAGIC, UserspaceHeader};
pub use partition::Partition;
pub use process::{FaultPolicy, PROBE_BOUNDARIES, PROCESS_RECORD_BYTES, ProcessEntry};
