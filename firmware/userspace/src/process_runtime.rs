//! What the demo processes (`src/bin/process_*.rs`) share: the entry
//! point, the allocator, the panic handler, their own partitions as their
//! linker placed them, and a check that the first and last byte of each
//! is theirs.
//!
//! Each process is a blob of its own, linked by pass 1 against its own
//! partitions (the `memory.ld` of its generated directory), and included
//! by each binary with `#[path]` next to the user blob's `header.rs` and
//! `probe.rs`. The kernel enters [`_start`] with the boot argument in r0
//! and the number of times it restarted the process in r1.

use core::fmt;

use firmware_userspace::heap::UserHeap;
use firmware_userspace::syscalls::{_exit, expect_fault, uptime_ms, write};

use crate::probe::{read_byte, write_byte};

/// `println!` for processes: the line is formatted first and written with
/// one system call. The library's `println!` writes each piece of a line
/// with its own call, and the kernel may switch processes between two
/// calls, which would interleave the lines of two processes.
macro_rules! println {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let mut line = $crate::runtime::Line::new();
        let _ = writeln!(line, "user: {}", format_args!($($arg)*));
        line.send();
    }};
}

/// Bytes of one console line; a longer line is cut short.
const LINE_BYTES: usize = 160;

/// One console line being formatted.
pub struct Line {
    bytes: [u8; LINE_BYTES],
    len: usize,
}

impl Line {
    pub const fn new() -> Self {
        Self {
            bytes: [0; LINE_BYTES],
            len: 0,
        }
    }

    /// Writes the line to standard output with one system call.
    pub fn send(&self) {
        // SAFETY: the bytes are this process's own, readable for `len`.
        unsafe { write(1, self.bytes.as_ptr() as usize, self.len) };
    }
}

impl fmt::Write for Line {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = LINE_BYTES - self.len;
        let taken = text.len().min(room);
        self.bytes[self.len..self.len + taken].copy_from_slice(&text.as_bytes()[..taken]);
        self.len += taken;
        Ok(())
    }
}

#[global_allocator]
static HEAP: UserHeap = UserHeap::new(crate::header::heap);

/// The entry point the header names: runs the process's `main` (or, with
/// the boot argument [`firmware_abi::PROBE_BOUNDARIES`], probes its
/// boundaries), then exits with status 0.
#[unsafe(no_mangle)]
pub extern "C" fn _start(boot_argument: u32, restarts: u32) -> ! {
    if boot_argument == firmware_abi::PROBE_BOUNDARIES {
        probe_boundary(restarts);
    } else {
        crate::main(boot_argument, restarts);
    }
    exit(0)
}

/// At start `n` (the kernel's restart count), reads the byte just beyond
/// boundary `n` of the process's partitions, announced; returns when every
/// boundary has been probed.
fn probe_boundary(restarts: u32) {
    let name = crate::NAME;
    touch_own_partitions(name);
    let (flash_start, flash_end) = flash();
    let (ram_start, ram_end) = ram();
    let beyond = [
        ("before its flash", flash_start - 1),
        ("past its flash", flash_end),
        ("before its RAM", ram_start - 1),
        ("past its RAM", ram_end),
    ];
    let Some(&(what, address)) = beyond.get(restarts as usize) else {
        println!("{name}: every boundary probed");
        return;
    };
    println!("{name}: read {what} at {address:#010x}");
    // SAFETY: `expect_fault` takes no pointer.
    unsafe { expect_fault(address as u32) };
    read_byte(address);
    println!("{name}: read {what} at {address:#010x} was allowed: isolation is broken");
    exit(firmware_userspace::FAILURE)
}

/// Ends the process with `status`.
pub fn exit(status: i32) -> ! {
    // SAFETY: `_exit` takes no pointer.
    unsafe { _exit(status) }
}

/// Milliseconds since the kernel started.
pub fn uptime() -> u32 {
    let mut now = 0u32;
    // SAFETY: `now` is this process's own, writable for 4 bytes.
    unsafe { uptime_ms(&raw mut now as usize) };
    now
}

unsafe extern "C" {
    static __user_flash_start: u8;
    static __user_flash_end: u8;
    static __user_sram_start: u8;
    static __user_sram_end: u8;
}

/// `[start, end)` of the process's flash partition.
pub fn flash() -> (usize, usize) {
    (
        (&raw const __user_flash_start) as usize,
        (&raw const __user_flash_end) as usize,
    )
}

/// `[start, end)` of the RAM the process may reach: its RAM partition
/// below the grant region.
pub fn ram() -> (usize, usize) {
    (
        (&raw const __user_sram_start) as usize,
        (&raw const __user_sram_end) as usize,
    )
}

/// Reads the first and last byte of its flash, reads and writes back the
/// first and last byte of its RAM, and says so: all four are its own.
pub fn touch_own_partitions(name: &str) {
    let (flash_start, flash_end) = flash();
    read_byte(flash_start);
    read_byte(flash_end - 1);
    println!("{name}: flash [{flash_start:#010x}, {flash_end:#010x}): first and last byte read");
    let (ram_start, ram_end) = ram();
    for address in [ram_start, ram_end - 1] {
        write_byte(address, read_byte(address));
    }
    println!("{name}: RAM [{ram_start:#010x}, {ram_end:#010x}): first and last byte read and written");
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("panic: {info}");
    exit(firmware_userspace::FAILURE)
}
