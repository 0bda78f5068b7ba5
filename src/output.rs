//! Output files that never destroy data.
//!
//! Every file mcu-build writes goes through [`write_atomically_with`] (or,
//! for several files that must change together, [`stage`]), which treats
//! the destination as `cp`, `objcopy` and `srec_cat` do:
//!
//! - absent, or a regular file: the bytes go to a temporary file in the same
//!   directory, which replaces the destination only once it is complete. A
//!   failed run leaves the destination exactly as it was (absent, or with its
//!   old bytes), and a reader (make, a debugger, a flasher) never sees a
//!   partial file. A replaced file keeps its permission bits and, where the
//!   system allows (as root, or a group the user is in), its owner and group.
//! - an existing regular file that can be written but not replaced: its
//!   directory refuses a new file (`EACCES`, `EPERM`, `EROFS`: a directory
//!   the user cannot write), or refuses the swap (`EACCES`, `EPERM`: another
//!   user's file in a sticky directory such as `/tmp`; `EBUSY`, `EXDEV`: a
//!   bind-mounted file). Then the whole output is produced first (in the
//!   temporary file, or in memory when there is none), and only then is the
//!   destination truncated and written in place, as `cp` does. A failed run
//!   still leaves the destination as it was; only an I/O error during that
//!   final write (a full disk) can leave it partial. The file keeps its
//!   inode, so its owner, mode and other hard links.
//! - a symbolic link: followed to its final target, which is written as
//!   above; the link stays a link.
//! - an already open stream: a path through a kernel "magic link" in
//!   `/proc` (`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`,
//!   bash's `>(...)`) names an open file, not the path the link shows. One
//!   of this process's own descriptors is written through a duplicate of
//!   it, at its current offset (append mode honoured), as the shell's `>&N`
//!   does; a stream of another process is opened for writing without
//!   creating or truncating anything. Either way nothing is replaced: text
//!   the shell or an earlier command wrote before stays.
//! - a character or block device or a FIFO: opened and written in place (a
//!   Unix-domain socket: connected to), never replaced. Nothing can make
//!   such a write atomic: a reader sees the bytes as they come.
//! - a directory: refused.
//! - the path `-`: standard output.
//!
//! No error names a temporary file: it means nothing to the user, and it is
//! gone when the error is shown. This module never deletes a file it did
//! not create.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, Write};
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
/// `produce` succeeded), in place to an open stream, a device, FIFO or
/// socket, to standard output for `-`. See the module documentation.
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
        destination(path).and_then(|destination| match destination {
            Destination::Stream(stream) => write_stream(stream, produce),
            Destination::File { target, existing } => prepare(&target, existing.as_ref(), produce)
                .and_then(|pending| pending.commit(&target)),
        })
    };
    result.map_err(|error| WriteError {
        path: path.to_owned(),
        error,
    })
}

/// Whether the generated file at `path` already holds exactly `bytes`, so
/// that it can be left alone and keep its modification time (make and
/// cargo rebuild from those). Generators ask this of every output before
/// writing any.
///
/// Only a regular file (reached through any symbolic links) is compared,
/// and at most `bytes.len() + 1` bytes of it are read: one byte more tells
/// a longer file from an equal one. An absent file, or a dangling link
/// (written through when the file is written), holds nothing. Any other
/// kind of file (a device, FIFO, socket, directory) is refused: a generated
/// file is one a build reads back, and reading `/dev/zero` to compare
/// never ends, nor does opening a FIFO no one writes to.
pub fn holds(path: &Path, bytes: &[u8]) -> Result<bool, WriteError> {
    let error = |error| WriteError {
        path: path.to_owned(),
        error,
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(error(e)),
    };
    check_regular(&meta).map_err(error)?;
    if meta.len() != bytes.len() as u64 {
        return Ok(false);
    }
    // Non-blocking, so that a FIFO put there since the check above fails
    // the check below instead of waiting for a writer; no effect on a
    // regular file.
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(error)?;
    check_regular(&file.metadata().map_err(error)?).map_err(error)?;
    let mut existing = Vec::with_capacity(bytes.len() + 1);
    file.take(bytes.len() as u64 + 1)
        .read_to_end(&mut existing)
        .map_err(error)?;
    Ok(existing == bytes)
}

/// Refuses what is not a regular file, naming its kind.
fn check_regular(meta: &Metadata) -> io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    let kind = kind_of(meta);
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {kind}; mcu-build writes generated files as regular files"),
    ))
}

/// The kind of a file that is not a regular one, with its article.
fn kind_of(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
    }
    "not a regular file"
}

/// A file written in full but not yet in place: [`stage`] several, then
/// [`Staged::commit`] them, so that a failure while writing any of them
/// changes none (dropping a `Staged` deletes its temporary file).
#[derive(Debug)]
pub struct Staged {
    /// The path as the caller gave it, for errors.
    path: PathBuf,
    /// The regular file (or the absent one) it reaches.
    target: PathBuf,
    pending: Pending,
}

/// Writes `bytes` for `path` without putting them in place yet: into a
/// temporary file beside the file `path` reaches (in memory when the
/// directory refuses one, see the module documentation). Only a regular
/// file or an absent one can be staged: a stream, device, FIFO or socket
/// cannot wait for a commit.
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged, WriteError> {
    let staged = destination(path).and_then(|destination| match destination {
        Destination::File { target, existing } => {
            let pending = prepare(&target, existing.as_ref(), |out| out.write_all(bytes))?;
            Ok(Staged {
                path: path.to_owned(),
                target,
                pending,
            })
        }
        Destination::Stream(_) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file",
        )),
    });
    staged.map_err(|error| WriteError {
        path: path.to_owned(),
        error,
    })
}

impl Staged {
    /// Puts the staged bytes in place (see the module documentation).
    pub fn commit(self) -> Result<(), WriteError> {
        self.pending
            .commit(&self.target)
            .map_err(|error| WriteError {
                path: self.path,
                error,
            })
    }
}

/// What an output path reaches.
enum Destination {
    /// Written where it is, never replaced.
    Stream(Box<dyn Write>),
    /// A regular file, or none yet, written through a temporary file.
    File {
        target: PathBuf,
        existing: Option<Metadata>,
    },
}

/// Follows `path` while it is a symbolic link (a dangling link is written
/// through, as the shell's `>` does) and opens what cannot be replaced.
fn destination(path: &Path) -> io::Result<Destination> {
    let mut current = path.to_owned();
    for _ in 0..=MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            // Absent, or its directory is: creating the temporary file
            // says which.
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                // /dev/fd/9 with nothing open as 9: /proc creates no file.
                let descriptor = current.file_name().and_then(|name| name.to_str());
                if descriptor.is_some_and(|name| name.parse::<u32>().is_ok())
                    && is_magic_link(&current)
                {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{} is not an open file descriptor", current.display()),
                    ));
                }
                return Ok(Destination::File {
                    target: current,
                    existing: None,
                });
            }
            Err(error) => return Err(error),
        };
        if meta.file_type().is_symlink() {
            if is_magic_link(&current) {
                return open_stream(&current).map(Destination::Stream);
            }
            // A relative link is relative to the directory holding it;
            // joining an absolute one replaces the base.
            let link = std::fs::read_link(&current)?;
            current = match current.parent() {
                Some(dir) => dir.join(link),
                None => link,
            };
        } else if meta.is_file() {
            return Ok(Destination::File {
                target: current,
                existing: Some(meta),
            });
        } else if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            ));
        } else {
            return open_in_place(&current, &meta).map(Destination::Stream);
        }
    }
    Err(io::Error::from_raw_os_error(libc::ELOOP))
}

/// The directory a file is created in: `.` for a bare name.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Whether the symbolic link `link` is one of procfs's "magic links"
/// (`proc(5)`: `/proc/PID/fd/N`, also reached as `/dev/fd/N`,
/// `/dev/stdout`): opening one opens the file the descriptor refers to,
/// which may be a pipe (`pipe:[123]`) or a file since renamed or deleted,
/// so what `readlink` shows is no path to write to. Every link in a procfs
/// directory is taken as one.
#[cfg(target_os = "linux")]
fn is_magic_link(link: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(dir) = std::ffi::CString::new(directory_of(link).as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `dir` is a valid NUL-terminated path and `fs` a properly
    // sized buffer that statfs fills; both outlive the call.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    let status = unsafe { libc::statfs(dir.as_ptr(), &mut fs) };
    // The field and the constant have different integer types on
    // different targets.
    #[allow(clippy::unnecessary_cast)]
    let procfs = fs.f_type as i64 == libc::PROC_SUPER_MAGIC as i64;
    status == 0 && procfs
}

#[cfg(not(target_os = "linux"))]
fn is_magic_link(_link: &Path) -> bool {
    false
}

/// Opens the stream behind the magic link `link`: a duplicate of one of
/// this process's descriptors, or else the link opened for writing with
/// neither `O_CREAT` nor `O_TRUNC` (`open` on a magic link reopens the
/// file, at offset 0, so only another process's stream goes that way).
fn open_stream(link: &Path) -> io::Result<Box<dyn Write>> {
    #[cfg(target_os = "linux")]
    if let Some(fd) = own_descriptor(link) {
        return duplicate(fd).map(|file| Box::new(file) as Box<dyn Write>);
    }
    let file = std::fs::OpenOptions::new().write(true).open(link)?;
    Ok(Box::new(file))
}

/// The descriptor number `link` names when it is one of this process's
/// (`/proc/self/fd/N`, `/proc/thread-self/fd/N`, `/proc/PID/fd/N` with our
/// PID, `/dev/fd/N`).
#[cfg(target_os = "linux")]
fn own_descriptor(link: &Path) -> Option<std::os::fd::RawFd> {
    let fd = link.file_name()?.to_str()?.parse().ok()?;
    let dir = std::fs::canonicalize(directory_of(link)).ok()?;
    ["/proc/self/fd", "/proc/thread-self/fd"]
        .iter()
        .any(|own| std::fs::canonicalize(own).is_ok_and(|own| own == dir))
        .then_some(fd)
}

/// A new descriptor for the open file `fd` refers to, sharing its offset
/// and flags; closing it leaves `fd` open.
#[cfg(target_os = "linux")]
fn duplicate(fd: std::os::fd::RawFd) -> io::Result<File> {
    use std::os::fd::FromRawFd;
    // SAFETY: fcntl(F_DUPFD_CLOEXEC) only reads its arguments; on an fd
    // that is not open it fails with EBADF.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if new < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `new` is a descriptor fcntl just created, owned by no one else.
    Ok(unsafe { File::from_raw_fd(new) })
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

/// Opens a device, FIFO or socket where it is: replacing it would cut off
/// its reader or, as root, replace `/dev/null` with a regular file.
fn open_in_place(target: &Path, meta: &Metadata) -> io::Result<Box<dyn Write>> {
    #[cfg(unix)]
    if std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()) {
        return Ok(Box::new(std::os::unix::net::UnixStream::connect(target)?));
    }
    let _ = meta;
    // No truncation: it means nothing to a device or FIFO.
    let file = std::fs::OpenOptions::new().write(true).open(target)?;
    Ok(Box::new(file))
}

/// A complete output, waiting to be put in place.
#[derive(Debug)]
enum Pending {
    /// In a temporary file beside the destination, to be swapped in.
    Temporary {
        file: File,
        path: tempfile::TempPath,
    },
    /// In memory, for a destination whose directory takes no new file,
    /// already open for writing.
    Memory { destination: File, bytes: Vec<u8> },
}

/// Produces the whole output for the regular file `target` (`existing`
/// when it exists) without touching it.
fn prepare(
    target: &Path,
    existing: Option<&Metadata>,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<Pending> {
    let dir = directory_of(target);
    let (file, path) = match create_temporary(dir) {
        Ok(temporary) => temporary.into_parts(),
        Err(error) => {
            let writable = existing
                .filter(|_| refused(&error, &[libc::EACCES, libc::EPERM, libc::EROFS]))
                .and_then(|_| open_existing(target));
            let Some(destination) = writable else {
                return Err(why_no_file_in(dir, error));
            };
            let mut bytes = Vec::new();
            produce(&mut bytes)?;
            return Ok(Pending::Memory { destination, bytes });
        }
    };
    if let Some(meta) = existing {
        keep_owner_and_mode(&file, meta)?;
    }
    // Written through the File itself, not the NamedTempFile, whose errors
    // carry the temporary file's name.
    let mut out = io::BufWriter::with_capacity(1 << 16, file);
    produce(&mut out)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    Ok(Pending::Temporary { file, path })
}

impl Pending {
    /// Puts the output in place at `target`: swaps the temporary file in,
    /// or, where the swap is refused, overwrites the existing file with it.
    fn commit(self, target: &Path) -> io::Result<()> {
        match self {
            Pending::Temporary { mut file, path } => {
                let existed = std::fs::symlink_metadata(target).is_ok_and(|meta| meta.is_file());
                let error = match replace(path, target) {
                    Ok(()) => return Ok(()),
                    // The temporary file is deleted when `_path` drops.
                    Err((error, _path)) => error,
                };
                let refused_swap = refused(
                    &error,
                    &[libc::EACCES, libc::EPERM, libc::EBUSY, libc::EXDEV],
                );
                match (existed && refused_swap)
                    .then(|| open_existing(target))
                    .flatten()
                {
                    Some(destination) => {
                        file.rewind()?;
                        overwrite(destination, file)
                    }
                    None => Err(io::Error::new(
                        error.kind(),
                        format!("cannot replace it: {error}"),
                    )),
                }
            }
            Pending::Memory { destination, bytes } => overwrite(destination, bytes.as_slice()),
        }
    }
}

/// Whether `error` is one of the system errors `errnos`.
fn refused(error: &io::Error, errnos: &[i32]) -> bool {
    error
        .raw_os_error()
        .is_some_and(|errno| errnos.contains(&errno))
}

/// The existing regular file `target`, opened for writing without
/// truncating it (that waits until the output is complete), if it can be.
fn open_existing(target: &Path) -> Option<File> {
    std::fs::OpenOptions::new().write(true).open(target).ok()
}

/// Truncates `destination` and writes `source` into it: the one step of the
/// fallback that can leave a partial file, on an I/O error.
fn overwrite(mut destination: File, mut source: impl Read) -> io::Result<()> {
    destination.set_len(0)?;
    io::copy(&mut source, &mut destination)?;
    Ok(())
}

/// Creates an empty temporary file in `dir`, readable and writable (the
/// swap fallback reads it back).
///
/// `make_in` with our own `open` rather than `tempfile_in`: tempfile wraps
/// the errors of its own `open` and writes in an error naming the
/// temporary file (`... at path "/tmp/.mcu-build-J4MKio"`), from which the
/// system's error number cannot be recovered.
fn create_temporary(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".mcu-build-")
        .make_in(dir, |path| {
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create_new(true);
            // Temporary files are usually private (0600); a new output is
            // an ordinary file, readable as the umask allows, like the
            // linker's.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
            options.open(path)
        })
}

/// Says why no file can be created in `dir`.
fn why_no_file_in(dir: &Path, error: io::Error) -> io::Error {
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => io::Error::new(
            io::ErrorKind::NotFound,
            format!("directory {} does not exist", dir.display()),
        ),
        Ok(meta) if !meta.is_dir() => io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", dir.display()),
        ),
        _ => io::Error::new(
            error.kind(),
            format!(
                "cannot create a file in directory {}: {error}",
                dir.display()
            ),
        ),
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
/// On failure the temporary file is handed back with the error.
fn replace(tmp: tempfile::TempPath, path: &Path) -> Result<(), (io::Error, tempfile::TempPath)> {
    #[cfg(target_os = "linux")]
    {
        let exchangeable = std::fs::symlink_metadata(path).is_ok_and(|meta| !meta.is_dir());
        if exchangeable && exchange(&tmp, path).is_ok() {
            return Ok(());
        }
    }
    tmp.persist(path).map_err(|e| (e.error, e.path))
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
    fn holds_compares_regular_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gen.rs");
        assert!(!holds(&path, b"abc").unwrap(), "absent");
        std::fs::write(&path, b"abc").unwrap();
        assert!(holds(&path, b"abc").unwrap());
        assert!(!holds(&path, b"ab").unwrap(), "longer on disk");
        assert!(!holds(&path, b"abcd").unwrap(), "shorter on disk");
        assert!(!holds(&path, b"abd").unwrap(), "same length");
        #[cfg(unix)]
        {
            let link = dir.path().join("zero.rs");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            assert_eq!(
                holds(&link, b"\0\0").unwrap_err().to_string(),
                format!(
                    "cannot write {}: it is a character device; \
                     mcu-build writes generated files as regular files",
                    link.display()
                )
            );
        }
    }

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

    #[cfg(target_os = "linux")]
    #[test]
    fn a_descriptor_link_is_written_at_its_offset_not_replaced() {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut log = std::fs::File::create(&path).unwrap();
        log.write_all(b"HEADER\n").unwrap();
        let inode = log.metadata().unwrap().ino();
        let fd = log.as_raw_fd();
        for link in [format!("/proc/self/fd/{fd}"), format!("/dev/fd/{fd}")] {
            write_atomically(Path::new(&link), b"body\n").unwrap();
        }
        log.write_all(b"TRAILER\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "HEADER\nbody\nbody\nTRAILER\n"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().ino(), inode);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn only_links_in_procfs_are_magic_and_only_ours_are_duplicated() {
        assert!(is_magic_link(Path::new("/proc/self/fd/0")));
        assert!(is_magic_link(Path::new("/dev/fd/0")));
        // /dev/stdout itself is an ordinary link, to /proc/self/fd/1.
        assert!(!is_magic_link(Path::new("/dev/stdout")));
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/proc/self/fd/0", dir.path().join("0")).unwrap();
        assert!(!is_magic_link(&dir.path().join("0")));

        let pid = std::process::id();
        assert_eq!(own_descriptor(Path::new("/dev/fd/7")), Some(7));
        assert_eq!(own_descriptor(Path::new("/proc/thread-self/fd/2")), Some(2));
        assert_eq!(
            own_descriptor(Path::new(&format!("/proc/{pid}/fd/3"))),
            Some(3)
        );
        assert_eq!(own_descriptor(Path::new("/proc/self/fdinfo/3")), None);
        assert_eq!(own_descriptor(Path::new("/proc/self/fd/x")), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_descriptor_that_is_not_open_is_named_as_such() {
        // Far above any descriptor a test process has open.
        let err = write_atomically(Path::new("/dev/fd/987654"), b"x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot write /dev/fd/987654: /dev/fd/987654 is not an open file descriptor"
        );
    }

    #[test]
    fn staged_files_change_nothing_until_committed() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.h"), dir.path().join("b.c"));
        std::fs::write(&a, b"old a").unwrap();
        let staged = [stage(&a, b"new a").unwrap(), stage(&b, b"new b").unwrap()];
        assert_eq!(std::fs::read(&a).unwrap(), b"old a");
        assert!(!b.exists());
        drop(staged);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        let staged = [stage(&a, b"new a").unwrap(), stage(&b, b"new b").unwrap()];
        for file in staged {
            file.commit().unwrap();
        }
        assert_eq!(std::fs::read(&a).unwrap(), b"new a");
        assert_eq!(std::fs::read(&b).unwrap(), b"new b");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_stream_cannot_be_staged() {
        let err = stage(Path::new("/dev/null"), b"x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot write /dev/null: it is not a regular file"
        );
    }

    #[cfg(unix)]
    #[test]
    fn temporary_file_errors_carry_the_system_error_and_no_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let error = create_temporary(&file).unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::ENOTDIR));
        assert_eq!(error.to_string(), "Not a directory (os error 20)");
        let error = why_no_file_in(&file, error);
        assert_eq!(
            error.to_string(),
            format!("{} is not a directory", file.display())
        );
    }
}
