//! What the kernel does for the user blob's system calls.

use firmware_abi::errno::EBADF;

use crate::syscall_stubs::Syscalls;
use crate::{console, systick, user_memory};

const STDOUT: u32 = 1;
const STDERR: u32 = 2;

/// The kernel's side of one user blob's system calls.
#[derive(Default)]
pub struct Services {
    /// Set by `exit`: the blob must not run again.
    pub exit_status: Option<u32>,
}

impl Syscalls for Services {
    fn exit(&mut self, status: u32) -> i32 {
        self.exit_status = Some(status);
        0
    }

    fn write(&mut self, fd: u32, buf: u32, len: u32) -> i32 {
        if fd != STDOUT && fd != STDERR {
            return -EBADF;
        }
        // The result must fit the positive half of r0.
        let len = len.min(i32::MAX as u32);
        match user_memory::read(buf, len, console::write_bytes) {
            Ok(()) => len as i32,
            Err(bad) => bad.errno(),
        }
    }

    fn sleep_ms(&mut self, milliseconds: u32) -> i32 {
        systick::sleep_ms(milliseconds);
        0
    }

    fn uptime_ms(&mut self, out: u32) -> i32 {
        match user_memory::write(out, &systick::uptime_ms().to_le_bytes()) {
            Ok(()) => 0,
            Err(bad) => bad.errno(),
        }
    }
}
