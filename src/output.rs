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
/// For the same reason an existing destination is swapped out (see
/// `replace`) rather than renamed over.
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
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mcu-build-");
    // Temporary files are private (0600) by default; an output is an
    // ordinary file, readable as the umask allows, like the linker's.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder.tempfile_in(dir).map_err(err)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, tmp);
    produce(&mut out).map_err(err)?;
    let tmp = out.into_inner().map_err(|e| err(e.into_error()))?;
    replace(tmp.into_temp_path(), path).map_err(err)
}

/// Moves the finished temporary file to `path` in one atomic step.
///
/// A plain rename over an existing file makes ext4 (`auto_da_alloc`, on by
/// default) allocate and start writing the new file's blocks inside the
/// rename, which more than doubled the wall time of `hex merge`. Exchanging
/// the two names (`renameat2(RENAME_EXCHANGE)`) is just as atomic for
/// readers, skips that heuristic, and leaves the old contents under the
/// temporary name, which `TempPath` deletes on drop. Only a file is
/// exchanged (a directory would be swapped out whole); where there is none,
/// or the file system cannot exchange, it is a rename.
fn replace(tmp: tempfile::TempPath, path: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let exchangeable = std::fs::symlink_metadata(path).is_ok_and(|meta| !meta.is_dir());
        if exchangeable && exchange(&tmp, path).is_ok() {
            return Ok(());
        }
    }
    tmp.persist(path).map_err(|e| e.error)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c_path =
        |path: &Path| CString::new(path.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (a, b) = (c_path(a)?, c_path(b)?);
    // SAFETY: both are valid NUL-terminated paths, resolved against the
    // working directory (AT_FDCWD); renameat2 only reads them.
    let status = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
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

    #[cfg(target_os = "linux")]
    #[test]
    fn outputs_get_the_mode_of_new_files_not_of_temporaries() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.hex");
        write_atomically(&path, b"x").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let umask = status
            .lines()
            .find_map(|line| line.strip_prefix("Umask:"))
            .map(|octal| u32::from_str_radix(octal.trim(), 8).unwrap())
            .unwrap();
        assert_eq!(mode, 0o666 & !umask, "mode {mode:o}, umask {umask:o}");
    }

    #[test]
    fn a_new_file_is_created_and_a_directory_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.hex");
        write_atomically(&path, b"first").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("inside"), b"kept").unwrap();
        assert!(write_atomically(&sub, b"x").is_err());
        assert_eq!(std::fs::read(sub.join("inside")).unwrap(), b"kept");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
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
