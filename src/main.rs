//! The `mcu-build` command: parse arguments, run, map the outcome to an exit
//! code (0 success, 1 failure of the work, 2 usage error).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = mcu_build::cli::Cli::parse();
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
