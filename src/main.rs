//! The `mcu-build` command: parse arguments, run, map the outcome to an exit
//! code (0 success, 1 failure of the work, 2 usage error).

use std::process::ExitCode;

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = mcu_build::cli::Cli::parse_args();
    match cli.run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.is::<mcu_build::cli::UsageError>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Lets a closed pipe end the process quietly, as it does `cat` or `grep`:
/// `mcu-build hex info big.hex | head` must not panic in `println!`. Rust
/// ignores SIGPIPE by default, turning it into an EPIPE error on write.
fn restore_default_sigpipe() {
    // SAFETY: called first thing in `main`, before any thread exists, so no
    // other code can be changing signal dispositions concurrently; SIG_DFL is
    // a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
