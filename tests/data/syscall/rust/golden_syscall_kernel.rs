// Generated from golden.csv by mcu-build; do not edit.
//
// Kernel side: `dispatch` turns a trap (the call number from r0 and the
// argument registers r1..r6) into a call of the `Syscalls` method for that
// number, and gives the value for r0. Include this file and
// syscall_numbers.rs in one module:
//
//     pub mod syscalls {
//         include!(concat!(env!("OUT_DIR"), "/syscall_numbers.rs"));
//         include!(concat!(env!("OUT_DIR"), "/syscall_kernel.rs"));
//     }

/// An errno value; a failed call gives its negation in r0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub u16);

impl Errno {
    /// Bad address: a checked pointer argument failed its check.
    pub const EFAULT: Errno = Errno(14);
    /// No such call: an unknown number, or a call the kernel does not
    /// implement.
    pub const ENOSYS: Errno = Errno(38);
}

/// What a call gives back: the value for r0, or an errno.
pub type SyscallResult = Result<usize, Errno>;

/// What the kernel knows about user memory; `dispatch` asks it about every
/// checked pointer before the call.
///
/// # Safety
///
/// `user_range_ok` must accept only memory the current user task may access
/// in that way, and that memory must be mapped: the default
/// `user_string_ok` reads the bytes it has accepted.
pub unsafe trait UserMemory {
    /// Whether the user may read, and with `write` also write, every byte
    /// of `addr..addr + len`. Called only with `len > 0` and ranges whose
    /// end does not wrap.
    fn user_range_ok(&self, addr: usize, len: usize, write: bool) -> bool;

    /// Whether `addr` holds a NUL-terminated string of at most `max` bytes,
    /// the NUL included, readable by the user. The default checks each byte
    /// with `user_range_ok` before reading it.
    fn user_string_ok(&self, addr: usize, max: usize) -> bool {
        for offset in 0..max {
            let Some(byte_addr) = addr.checked_add(offset) else {
                return false;
            };
            if !self.user_range_ok(byte_addr, 1, false) {
                return false;
            }
            // SAFETY: `user_range_ok` has just accepted this byte as user
            // memory we may read, which the trait's contract says is mapped.
            if unsafe { core::ptr::read_volatile(byte_addr as *const u8) } == 0 {
                return true;
            }
        }
        false
    }
}

/// The value for r0: the result, or the negated errno.
fn encode(result: SyscallResult) -> usize {
    match result {
        Ok(value) => value,
        Err(Errno(errno)) => usize::from(errno).wrapping_neg(),
    }
}

/// A buffer of `len` bytes at `addr`: zero bytes touch nothing and pass; a
/// range whose end would wrap past the top of the address space fails.
fn buffer_ok<S: UserMemory + ?Sized>(sys: &S, addr: usize, len: usize, write: bool) -> bool {
    len == 0 || (addr.checked_add(len).is_some() && sys.user_range_ok(addr, len, write))
}

/// The kernel's system calls, one method per entry of the CSV. A call the
/// kernel does not implement keeps the default, which answers `ENOSYS`;
/// calls that do not return must be implemented.
pub trait Syscalls: UserMemory {
    /// `noreturn _exit(int)` from `unistd.h`.
    fn _exit(&mut self, parm1: i32) -> !;

    /// `int nx_pthread_create(pthread_trampoline_t, FAR pthread_t *, FAR const pthread_attr_t *, pthread_startroutine_t, pthread_addr_t)` from `nuttx/pthread.h`.
    ///
    /// C condition: `!defined(CONFIG_DISABLE_PTHREAD)`.
    #[allow(unused_variables)]
    fn nx_pthread_create(&mut self, parm1: usize, parm2: usize, parm3: usize, parm4: usize, parm5: usize) -> SyscallResult {
        Err(Errno::ENOSYS)
    }

    /// `int open(FAR const char *, int, ...)` from `fcntl.h`.
    ///
    /// Checked before the call:
    /// - `parm1`: a NUL-terminated string of at most 256 bytes
    #[allow(unused_variables)]
    fn open(&mut self, parm1: usize, parm2: i32, parm3: usize) -> SyscallResult {
        Err(Errno::ENOSYS)
    }

    /// `ssize_t read(int, FAR void *, size_t)` from `unistd.h`.
    ///
    /// Checked before the call:
    /// - `parm2`: written by the kernel, `parm3` bytes
    #[allow(unused_variables)]
    fn read(&mut self, parm1: i32, parm2: usize, parm3: usize) -> SyscallResult {
        Err(Errno::ENOSYS)
    }

    /// `int sigqueue(int, int, union sigval)` from `signal.h`.
    ///
    /// C condition: `!defined(CONFIG_DISABLE_ALL_SIGNALS)`.
    #[allow(unused_variables)]
    fn sigqueue(&mut self, parm1: i32, parm2: i32, parm3: usize) -> SyscallResult {
        Err(Errno::ENOSYS)
    }
}

/// Calls the method for call number `nr` with the argument registers `args`
/// (r1..r6) and returns the value for r0. An unknown number gives
/// `-ENOSYS`; a checked pointer that fails its check gives `-EFAULT`, and
/// the method is not called.
pub fn dispatch<S: Syscalls + ?Sized>(nr: u32, args: [usize; 6], sys: &mut S) -> usize {
    match nr {
        numbers::SYS__exit => sys._exit(args[0] as i32),
        numbers::SYS_nx_pthread_create => encode(sys.nx_pthread_create(args[0], args[1], args[2], args[3], args[4])),
        numbers::SYS_open => {
            if !sys.user_string_ok(args[0], 256) {
                return encode(Err(Errno::EFAULT));
            }
            encode(sys.open(args[0], args[1] as i32, args[2]))
        }
        numbers::SYS_read => {
            if !buffer_ok(sys, args[1], args[2], true) {
                return encode(Err(Errno::EFAULT));
            }
            encode(sys.read(args[0] as i32, args[1], args[2]))
        }
        numbers::SYS_sigqueue => encode(sys.sigqueue(args[0] as i32, args[1] as i32, args[2])),
        _ => encode(Err(Errno::ENOSYS)),
    }
}
