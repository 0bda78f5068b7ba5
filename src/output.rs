//! Atomic output files.
//!
//! Every file mcu-build writes goes through [`write_atomically`]: the bytes
//! go to a temporary file in the destination's directory, which is then
//! renamed over the destination. A command that fails half-way therefore
//! never leaves a truncated or stale-looking output behind, and a reader
//! (make, a debugger, a flasher) never sees a partial file.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writing an output file failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {error}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    pub error: std::io::Error,
}

/// Writes `bytes` to `path` atomically (temporary file + rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomically_with(path, |out| out.write_all(bytes))
}

/// Streams what `produce` writes to `path` atomically: into a temporary file
/// in the same directory, renamed over `path` only once `produce` succeeded.
///
/// There is no fsync: like cargo and the linkers, mcu-build protects readers
/// and failed runs from partial files, not the disk from power loss, and an
/// fsync of a multi-megabyte image would dominate the time of `hex merge`.
pub fn write_atomically_with(
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let err = |error| WriteError {
        path: path.to_owned(),
        error,
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".mcu-build-")
        .tempfile_in(dir)
        .map_err(err)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, tmp);
    produce(&mut out).map_err(err)?;
    let tmp = out.into_inner().map_err(|e| err(e.into_error()))?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_existing_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        std::fs::write(&path, b"old contents").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_failing_producer_leaves_the_old_file_and_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.hex");
        std::fs::write(&path, b"old").unwrap();
        let result = write_atomically_with(&path, |out| {
            out.write_all(b"partial")?;
            Err(std::io::Error::other("encoder failed"))
        });
        assert!(result.unwrap_err().to_string().contains("encoder failed"));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_file() {
        let err = write_atomically(Path::new("/nonexistent-dir/x.hex"), b"").unwrap_err();
        assert!(err.to_string().contains("/nonexistent-dir/x.hex"));
    }
}
