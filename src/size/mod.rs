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
use std::path::PathBuf;

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
    #[error(
        "{} loads at {:#010x}..{:#010x} and {} at {:#010x}..{:#010x}: the kernel and the user \
         blob of one protected image never share flash; expected the two ELFs of one build",
        kernel.display(), kernel_span.0, kernel_span.1, user.display(), user_span.0, user_span.1
    )]
    Overlap {
        kernel: PathBuf,
        user: PathBuf,
        kernel_span: (u64, u64),
        user_span: (u64, u64),
    },
}

/// Reads the three files (and the CSV) and explains the difference.
pub fn measure(files: &Files) -> Result<Report, SizeError> {
    let flat = blob::read(&files.flat, BlobKind::Flat)?;
    let kernel = blob::read(&files.kernel, BlobKind::Kernel)?;
    let user = blob::read(&files.user, BlobKind::User)?;
    // The two blobs of one image never share flash; the same file given
    // twice would.
    if let (Some(k), Some(u)) = (kernel.flash_span, user.flash_span)
        && k.0 < u.1
        && u.0 < k.1
    {
        return Err(SizeError::Overlap {
            kernel: files.kernel.clone(),
            user: files.user.clone(),
            kernel_span: k,
            user_span: u,
        });
    }
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
