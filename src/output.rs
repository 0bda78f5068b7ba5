//! Output files that never destroy data.
//!
//! Every file mcu-build writes goes through [`write_atomically_with`], which
//! treats the destination as `cp`, `objcopy` and `srec_cat` do:
//!
//! - absent, or a regular file: the bytes go to a temporary file in the same
//!   directory, which replaces the destination only once it is complete. A
//!   failed run leaves the destination exactly as it was (absent, or with its
//!   old bytes), and a reader (make, a debugger, a flasher) never sees a
//!   partial file. A replaced file keeps its permission bits and, where the
//!   system allows (as root, or a group the user is in), its owner and group.
//! - a symbolic link: followed to its final target, which is written as
//!   above; the link stays a link.
//! - a character or block device or a FIFO: opened and written in place (a
//!   Unix-domain socket: connected to), never replaced. Nothing can make
//!   such a write atomic: a reader sees the bytes as they come.
//! - a directory: refused.
//! - the path `-`: standard output.
//!
//! This module never deletes a file it did not create.

use std::fs::Metadata;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The output path that means standard output, as in `cp`, `tar` and `objcopy`.
pub const STDOUT: &str = "-";

/// The most symbolic links followed to reach an output: Linux's
/// `MAXSYMLINKS` (40, `include/linux/namei.h`), beyond which `open` fails
/// with `ELOOP`.
const MAX_LINKS: usize = 40;

/// Writing an output file failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {error}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    pub error: io::Error,
}

/// Whether `path` names standard output (`-`) rather than a file.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == STDOUT
}

/// Writes `bytes` to `path` (see the module documentation).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomically_with(path, |out| out.write_all(bytes))
}

/// Streams what `produce` writes to `path`: atomically to a file (into a
/// temporary file in the same directory, which replaces the file only once
/// `produce` succeeded), in place to a device, FIFO or socket, to standard
/// output for `-`. See the module documentation.
///
/// There is no fsync: like cargo and the linkers, mcu-build protects readers
/// and failed runs from partial files, not the disk from power loss, and an
/// fsync of a multi-megabyte image would dominate the time of `hex merge`.
/// For the same reason an existing destination is swapped out (see
/// `replace`) rather than renamed over.
pub fn write_atomically_with(
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
    let result = if is_stdout(path) {
        write_stream(io::stdout().lock(), produce)
    } else {
        final_target(path).and_then(|target| match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_file() => write_through_temporary(&target, Some(&meta), produce),
            Ok(meta) if meta.is_dir() => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            )),
            Ok(meta) => write_in_place(&target, &meta, produce),
            // Absent, or its directory is: creating the temporary file
            // says which.
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                write_through_temporary(&target, None, produce)
            }
            Err(error) => Err(error),
        })
    };
    result.map_err(|error| WriteError {
        path: path.to_owned(),
        error,
    })
}

/// Follows `path` while it is a symbolic link; what it reaches may not
/// exist yet (a dangling link is written through, as the shell's `>` does).
fn final_target(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_owned();
    for _ in 0..=MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                // A relative link is relative to the directory holding it;
                // joining an absolute one replaces the base.
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::from_raw_os_error(libc::ELOOP))
}

/// Writes what `produce` writes to an open stream, then flushes it.
fn write_stream(
    stream: impl Write,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, stream);
    produce(&mut out)?;
    out.flush()
}

/// Writes a device, FIFO or socket where it is: replacing it would cut off
/// its reader or, as root, replace `/dev/null` with a regular file.
fn write_in_place(
    target: &Path,
    meta: &Metadata,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    #[cfg(unix)]
    if std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()) {
        return write_stream(std::os::unix::net::UnixStream::connect(target)?, produce);
    }
    let _ = meta;
    // No truncation: it means nothing to a device or FIFO.
    let file = std::fs::OpenOptions::new().write(true).open(target)?;
    write_stream(file, produce)
}

/// Writes a regular file (or a new one) through a temporary file in its
/// directory, swapped in only when complete.
fn write_through_temporary(
    target: &Path,
    existing: Option<&Metadata>,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mcu-build-");
    // Temporary files are private (0600) by default; a new output is an
    // ordinary file, readable as the umask allows, like the linker's.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder
        .tempfile_in(dir)
        .map_err(|error| why_no_file_in(dir, &error))?;
    if let Some(meta) = existing {
        keep_owner_and_mode(tmp.as_file(), meta)?;
    }
    let mut out = io::BufWriter::with_capacity(1 << 16, tmp);
    produce(&mut out)?;
    let tmp = out.into_inner().map_err(|e| e.into_error())?;
    replace(tmp.into_temp_path(), target)
}

/// Says why no file can be created in `dir`, without the temporary file's
/// name, which means nothing to the user.
fn why_no_file_in(dir: &Path, error: &io::Error) -> io::Error {
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => io::Error::new(
            io::ErrorKind::NotFound,
            format!("directory {} does not exist", dir.display()),
        ),
        Ok(meta) if !meta.is_dir() => io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", dir.display()),
        ),
        _ => {
            // tempfile wraps the system's error in one naming the
            // temporary file: keep only the system's.
            let cause = std::error::Error::source(error)
                .and_then(|source| source.downcast_ref::<io::Error>())
                .and_then(io::Error::raw_os_error)
                .or(error.raw_os_error())
                .map_or_else(
                    || io::Error::from(error.kind()),
                    io::Error::from_raw_os_error,
                );
            io::Error::new(
                cause.kind(),
                format!(
                    "cannot create a file in directory {}: {cause}",
                    dir.display()
                ),
            )
        }
    }
}

/// Gives the replacement the owner, group and mode of the file it replaces,
/// as `objcopy` does. Changing the owner needs root (or, for the group
/// alone, membership); when that fails the set-user-ID and set-group-ID bits
/// are dropped, since they would grant the rights of the new owner.
#[cfg(unix)]
fn keep_owner_and_mode(file: &std::fs::File, meta: &Metadata) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let owned = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).is_ok();
    let mode = if owned {
        meta.mode() & 0o7777
    } else {
        meta.mode() & 0o1777
    };
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn keep_owner_and_mode(file: &std::fs::File, meta: &Metadata) -> io::Result<()> {
    file.set_permissions(meta.permissions())
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
    fn a_missing_directory_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out").join("x.hex");
        let err = write_atomically(&path, b"").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot write {}: directory {} does not exist",
                path.display(),
                dir.path().join("out").display()
            )
        );
    }

    #[test]
    fn a_file_in_place_of_the_directory_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("out"), b"a file").unwrap();
        let path = dir.path().join("out").join("x.hex");
        let err = write_atomically(&path, b"").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot write {}: {} is not a directory",
                path.display(),
                dir.path().join("out").display()
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_cycle_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let err = write_atomically(&a, b"x").unwrap_err();
        assert_eq!(err.error.raw_os_error(), Some(libc::ELOOP));
        assert!(std::fs::symlink_metadata(&a).unwrap().is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn a_relative_link_chain_is_followed_from_each_links_directory() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("real.hex"), b"old").unwrap();
        // top -> sub/middle -> real.hex (relative to sub/)
        std::os::unix::fs::symlink("real.hex", sub.join("middle")).unwrap();
        std::os::unix::fs::symlink("sub/middle", dir.path().join("top")).unwrap();
        write_atomically(&dir.path().join("top"), b"new").unwrap();
        assert_eq!(std::fs::read(sub.join("real.hex")).unwrap(), b"new");
        assert!(
            std::fs::symlink_metadata(dir.path().join("top"))
                .unwrap()
                .is_symlink()
        );
        assert!(
            std::fs::symlink_metadata(sub.join("middle"))
                .unwrap()
                .is_symlink()
        );
        assert_eq!(std::fs::read_dir(&sub).unwrap().count(), 2);
    }
}
