//! The system call layer of a protected build, generated from the
//! project's NuttX-format CSV into the generated directory.
//!
//! Kernel and user blob are built separately, in two passes, yet must agree
//! on every call number and argument. Generating both sides from one table
//! into the one directory both passes read (`MCU_BUILD_GEN_DIR`) makes a
//! disagreement impossible: `syscall_numbers.rs`, `syscall_user.rs` (the
//! `svc` proxies) and `syscall_kernel.rs` (the `Syscalls` and `UserMemory`
//! traits and `dispatch`), as `mcu-build syscalls gen --lang rust` writes
//! them. Files are rewritten only when their bytes change, so a repeated
//! `protect` rebuilds nothing.

use std::path::{Path, PathBuf};

use super::config::Syscalls;
use crate::syscall::checks::{self, ReadChecksError};
use crate::syscall::csv::{self, ReadError};
use crate::syscall::{
    self, DEFAULT_RESERVED, GenerateOptions, Language, NumberingError, PointerChecks, Side,
    WriteFilesError,
};

/// The system call layer could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SyscallsError {
    #[error(transparent)]
    Csv(#[from] ReadError),
    #[error(transparent)]
    Checks(#[from] ReadChecksError),
    #[error("{}: {error}", path.display())]
    Numbering {
        path: PathBuf,
        error: NumberingError,
    },
    #[error(transparent)]
    Write(#[from] WriteFilesError),
}

/// Generates the Rust layer of `syscalls` (paths relative to `root`) into
/// `gen_dir`; returns the CSV and checks files read, for build.json.
pub fn generate(
    syscalls: &Syscalls,
    root: &Path,
    gen_dir: &Path,
) -> Result<Vec<PathBuf>, SyscallsError> {
    let csv_path = root.join(&syscalls.csv);
    let table = csv::read(&csv_path)?;
    let mut read = vec![csv_path.clone()];
    let checks = match &syscalls.checks {
        Some(path) => {
            let path = root.join(path);
            let checks = checks::read(&path, &table)?;
            read.push(path);
            checks
        }
        None => PointerChecks::none(),
    };
    let options = GenerateOptions {
        language: Language::Rust,
        side: Side::Both,
        single_file: false,
        reserved: DEFAULT_RESERVED,
        source_name: syscalls.csv.display().to_string(),
    };
    let files =
        syscall::generate(&table, &checks, &options).map_err(|error| SyscallsError::Numbering {
            path: csv_path,
            error,
        })?;
    syscall::write_changed(gen_dir, &files, |_| false)?;
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_both_sides_once_and_names_a_bad_csv() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("s.csv"),
            "\"_exit\",\"unistd.h\",\"\",\"noreturn\",\"int\"\n",
        )
        .unwrap();
        let syscalls = Syscalls {
            csv: "s.csv".into(),
            checks: None,
        };
        let gen_dir = dir.path().join("gen");
        generate(&syscalls, dir.path(), &gen_dir).unwrap();
        let numbers = std::fs::read_to_string(gen_dir.join("syscall_numbers.rs")).unwrap();
        assert!(
            numbers.contains("pub const SYS__exit: u32 = 8;"),
            "{numbers}"
        );
        for file in ["syscall_user.rs", "syscall_kernel.rs"] {
            assert!(gen_dir.join(file).is_file(), "{file}");
        }

        std::fs::write(dir.path().join("s.csv"), "\"_exit\",oops\n").unwrap();
        let error = generate(&syscalls, dir.path(), &gen_dir)
            .unwrap_err()
            .to_string();
        assert!(error.contains("s.csv:1:"), "{error}");
    }
}
