//! `println!` for the application, through the `write` system call.

use core::fmt;

use crate::syscalls;

const STDOUT: i32 = 1;

/// Standard output.
pub struct Stdout;

impl fmt::Write for Stdout {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // SAFETY: `text` is the application's own, readable for its length.
        let written = unsafe { syscalls::write(STDOUT, text.as_ptr() as usize, text.len()) };
        if written < 0 {
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
