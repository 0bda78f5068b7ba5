//! `mcu-build size`: what protection costs in flash, split into causes.
//!
//! A flat build (the application linked into the kernel, no MPU) and a
//! protected build (kernel + user blob) of the same application are read
//! from their ELF files ([`blob`]); their difference in flash is split into
//! the system-call layer, kernel code only protection draws in, the second
//! allocator, code present in both blobs and alignment padding, with the
//! largest symbols of each, and the rest that these do not explain
//! ([`causes`]). Symbols are told apart by name ([`names`]).

pub mod blob;
pub mod causes;
pub mod inputs;
pub mod names;

use std::collections::BTreeSet;

pub use blob::{Blob, BlobError, BlobKind};
pub use causes::{Report, explain};
pub use inputs::{Files, InputError};

/// Why `mcu-build size` cannot measure.
#[derive(Debug, thiserror::Error)]
pub enum SizeError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Csv(#[from] crate::syscall::csv::ReadError),
}

/// Reads the three files (and the CSV) and explains the difference.
pub fn measure(files: &Files) -> Result<Report, SizeError> {
    let flat = blob::read(&files.flat, BlobKind::Flat)?;
    let kernel = blob::read(&files.kernel, BlobKind::Kernel)?;
    let user = blob::read(&files.user, BlobKind::User)?;
    let syscalls: BTreeSet<String> = match &files.csv {
        Some(path) => crate::syscall::csv::read(path)?
            .entries
            .iter()
            .map(|s| s.name.to_string())
            .collect(),
        None => BTreeSet::new(),
    };
    Ok(explain(&flat, &kernel, &user, &syscalls))
}
