//! Writing generated files so that build tools see a change only when there
//! is one, and see all the changes of a run or none.
//!
//! make and cargo rebuild from modification times: a generator that
//! rewrites identical files forces a rebuild of every proxy and stub. So a
//! file is written only when its bytes differ from what is on disk. Proxies
//! and stubs of calls that left the CSV are removed, but only files that
//! carry our banner: a hand-written file is never touched.
//!
//! The files depend on each other (`syscall_numbers.h` and the stub table
//! must agree on every number), so a run that fails part-way must not leave
//! some new and some old: every changed file is first written in full under
//! a temporary name in the directory (see [`crate::output::stage`]), and
//! only when all are written are they renamed into place, then the stale
//! ones removed. An existing output that is not a regular file (a FIFO, a
//! device, or a link to one) is refused before anything is staged (see
//! [`crate::output::holds`]), and so is a symbolic link, which would lead
//! the write out of the directory. A failure before that (a file that cannot be read or
//! written, a full disk) deletes the temporary files and leaves the
//! directory as it was, removing it again if this run created it. What
//! remains is the renaming itself, which fails only if the directory is
//! changed under the run.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::generate::GeneratedFile;
use crate::output::{self, WriteError};

/// What [`write_changed`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Files created or rewritten because their content changed.
    pub written: usize,
    /// Files left alone because they already held the same bytes.
    pub unchanged: usize,
    /// Generated files of calls no longer in the CSV, removed.
    pub removed: usize,
}

/// Writing the generated files failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteFilesError {
    #[error("cannot create the output directory {}: {error}", path.display())]
    CreateDir {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The output directory's name is taken by a file, a device or a
    /// symbolic link to something missing.
    #[error("{} exists and is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot read {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A generated file's name in the directory is a symbolic link:
    /// writing through it would change a file outside the directory.
    #[error(
        "{} is a symbolic link (to {}); generated files are written only inside their \
         directory: remove the link",
        path.display(),
        target.display()
    )]
    Link { path: PathBuf, target: PathBuf },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot remove the stale generated file {}: {error}", path.display())]
    Remove {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// The start of the first line of every file mcu-build generates.
const BANNER_PREFIXES: [&str; 2] = ["/* Generated from ", "// Generated from "];

/// Writes `files` into `dir` (created if missing), each only if its content
/// changed, then removes files in `dir` that `is_stale_candidate` accepts,
/// that are not among `files`, and that begin with our banner. All or
/// nothing: see the module documentation.
pub fn write_changed(
    dir: &Path,
    files: &[GeneratedFile],
    is_stale_candidate: impl Fn(&str) -> bool,
) -> Result<WriteSummary, WriteFilesError> {
    let created = create_directory(dir)?;
    let result = replace_all(dir, files, is_stale_candidate);
    if let (Err(_), Some(top)) = (&result, created) {
        // Only directories this run created, and only if empty: nothing
        // was renamed into them.
        for created in dir.ancestors().take_while(|d| d.starts_with(&top)) {
            let _ = std::fs::remove_dir(created);
        }
    }
    result
}

/// Makes sure `dir` is a directory; returns the outermost directory it
/// created, if it created any.
fn create_directory(dir: &Path) -> Result<Option<PathBuf>, WriteFilesError> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => return Ok(None),
        Ok(_) => return Err(WriteFilesError::NotADirectory { path: dir.into() }),
        // A dangling symbolic link: mkdir would fail with "File exists".
        Err(_) if std::fs::symlink_metadata(dir).is_ok() => {
            return Err(WriteFilesError::NotADirectory { path: dir.into() });
        }
        Err(_) => {}
    }
    let top = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
        .last()
        .map(Path::to_owned);
    std::fs::create_dir_all(dir).map_err(|error| WriteFilesError::CreateDir {
        path: dir.to_owned(),
        error,
    })?;
    Ok(top)
}

/// Stages every changed file, finds the stale ones, and only then changes
/// the directory.
fn replace_all(
    dir: &Path,
    files: &[GeneratedFile],
    is_stale_candidate: impl Fn(&str) -> bool,
) -> Result<WriteSummary, WriteFilesError> {
    let mut summary = WriteSummary::default();
    // Every existing output is checked before any is staged, so that one
    // that cannot be a generated file (a FIFO, a device) stops the run
    // before a temporary file exists.
    let mut changed = Vec::new();
    for file in files {
        let path = dir.join(&file.name);
        if let Ok(target) = std::fs::read_link(&path) {
            return Err(WriteFilesError::Link { path, target });
        }
        if output::holds(&path, file.contents.as_bytes())? {
            summary.unchanged += 1;
        } else {
            changed.push((path, file));
        }
    }
    let staged = changed
        .iter()
        .map(|(path, file)| output::stage(path, file.contents.as_bytes()))
        .collect::<Result<Vec<_>, _>>()?;
    let stale = stale_files(dir, files, is_stale_candidate)?;

    summary.written = staged.len();
    for file in staged {
        file.commit()?;
    }
    for path in stale {
        std::fs::remove_file(&path).map_err(|error| WriteFilesError::Remove { path, error })?;
        summary.removed += 1;
    }
    Ok(summary)
}

/// The files in `dir` that `is_stale_candidate` accepts, that are not among
/// `files`, and that begin with our banner.
fn stale_files(
    dir: &Path,
    files: &[GeneratedFile],
    is_stale_candidate: impl Fn(&str) -> bool,
) -> Result<Vec<PathBuf>, WriteFilesError> {
    let list_error = |error| WriteFilesError::Read {
        path: dir.to_owned(),
        error,
    };
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(list_error)? {
        let entry = entry.map_err(list_error)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_stale_candidate(name) || files.iter().any(|f| f.name == name) {
            continue;
        }
        let path = entry.path();
        // Only a regular file can be one we generated; opening a FIFO to
        // read its banner would wait for a writer.
        let regular = std::fs::metadata(&path).is_ok_and(|meta| meta.is_file());
        if regular && begins_with_banner(&path)? {
            stale.push(path);
        }
    }
    Ok(stale)
}

/// Whether the file at `path` starts with the banner of a generated file.
fn begins_with_banner(path: &Path) -> Result<bool, WriteFilesError> {
    let mut start = [0u8; 20];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut start))
        .map_err(|error| WriteFilesError::Read {
            path: path.to_owned(),
            error,
        })?;
    Ok(BANNER_PREFIXES
        .iter()
        .any(|prefix| start[..read].starts_with(prefix.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(name: &str, text: &str) -> GeneratedFile {
        GeneratedFile {
            name: name.into(),
            contents: format!("/* Generated from t.csv by mcu-build; do not edit. */\n{text}"),
        }
    }

    #[test]
    fn rewrites_only_what_changed_and_removes_only_our_stale_files() {
        let dir = tempfile::tempdir().unwrap();
        let is_proxy = |name: &str| name.starts_with("PROXY_");
        let first = [generated("PROXY_a.c", "a"), generated("PROXY_b.c", "b")];
        let summary = write_changed(dir.path(), &first, is_proxy).unwrap();
        assert_eq!((summary.written, summary.unchanged), (2, 0));

        std::fs::write(dir.path().join("PROXY_mine.c"), "hand-written").unwrap();
        let second = [generated("PROXY_a.c", "a"), generated("PROXY_c.c", "c")];
        let summary = write_changed(dir.path(), &second, is_proxy).unwrap();
        assert_eq!(
            summary,
            WriteSummary {
                written: 1,
                unchanged: 1,
                removed: 1
            }
        );
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["PROXY_a.c", "PROXY_c.c", "PROXY_mine.c"]);
    }

    /// Every name in `dir` with its bytes (`None` for a directory).
    fn snapshot(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_str().unwrap().to_owned();
                (name, std::fs::read(&path).ok())
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn a_failure_part_way_changes_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let is_proxy = |name: &str| name.starts_with("PROXY_");
        let first = [
            generated("numbers.h", "1"),
            generated("PROXY_a.c", "a"),
            generated("PROXY_old.c", "old"),
        ];
        write_changed(dir.path(), &first, is_proxy).unwrap();
        std::fs::create_dir(dir.path().join("PROXY_z.c")).unwrap();
        let before = snapshot(dir.path());

        // numbers.h changes and PROXY_old.c is stale, but PROXY_z.c cannot
        // be written: none of it happens.
        let second = [
            generated("numbers.h", "2"),
            generated("PROXY_a.c", "a"),
            generated("PROXY_z.c", "z"),
        ];
        let err = write_changed(dir.path(), &second, is_proxy).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot write {}: it is a directory; mcu-build writes generated files as regular files",
                dir.path().join("PROXY_z.c").display()
            )
        );
        assert_eq!(snapshot(dir.path()), before);
    }

    #[cfg(unix)]
    #[test]
    fn a_stale_candidate_that_is_not_a_regular_file_is_left_alone_unread() {
        let dir = tempfile::tempdir().unwrap();
        let is_proxy = |name: &str| name.starts_with("PROXY_");
        let fifo = dir.path().join("PROXY_fifo.c");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("PROXY_zero.c")).unwrap();
        let summary = write_changed(dir.path(), &[generated("PROXY_a.c", "a")], is_proxy).unwrap();
        assert_eq!((summary.written, summary.removed), (1, 0));
        assert!(std::fs::symlink_metadata(&fifo).is_ok());
        assert!(std::fs::symlink_metadata(dir.path().join("PROXY_zero.c")).is_ok());
    }

    /// A link named like a generated file would lead the write out of the
    /// directory: refused before anything is written, its target untouched.
    #[cfg(unix)]
    #[test]
    fn a_generated_file_that_is_a_symbolic_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"VICTIM").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&victim, out.join("PROXY_a.c")).unwrap();
        let files = [generated("b.c", "b"), generated("PROXY_a.c", "a")];
        let err = write_changed(&out, &files, |_| false).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{} is a symbolic link (to {}); generated files are written only inside their \
                 directory: remove the link",
                out.join("PROXY_a.c").display(),
                victim.display()
            )
        );
        assert_eq!(std::fs::read(&victim).unwrap(), b"VICTIM");
        assert!(!out.join("b.c").exists());
    }

    #[test]
    fn a_failure_removes_the_directories_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("gen").join("c");
        // A name with a missing subdirectory cannot be staged.
        let files = [generated("a.c", "a"), generated("sub/b.c", "b")];
        let err = write_changed(&out, &files, |_| false).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_output_directory_that_is_a_file_or_a_dangling_link_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.csv");
        std::fs::write(&file, b"kept").unwrap();
        let err = write_changed(&file, &[generated("a.c", "a")], |_| false).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{} exists and is not a directory", file.display())
        );
        assert_eq!(std::fs::read(&file).unwrap(), b"kept");
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink("missing", &link).unwrap();
            let err = write_changed(&link, &[generated("a.c", "a")], |_| false).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("{} exists and is not a directory", link.display())
            );
            assert!(!dir.path().join("missing").exists());
        }
    }
}
