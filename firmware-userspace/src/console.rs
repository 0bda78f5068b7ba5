//! `println!` for the user blob, through the `write` system call.

use core::fmt;

use crate::syscall_proxies;

const STDOUT: u32 = 1;

/// Standard output.
pub struct Stdout;

impl fmt::Write for Stdout {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if syscall_proxies::write(STDOUT, text.as_ptr() as usize, text.len()) < 0 {
            return Err(fmt::Error);
        }
        Ok(())
    }
}

/// Prints one line prefixed with `user: `.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        // Nothing sensible to do if the kernel refuses our own string.
        let _ = writeln!($crate::console::Stdout, "user: {}", format_args!($($arg)*));
    }};
}
